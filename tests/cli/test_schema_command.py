"""`massage-rules schema`: prints each schema, refuses an unknown name with exit 2."""

from __future__ import annotations

import json

import pytest

from massage_rules.cli.admin import main
from massage_rules.output.json_schema import SCHEMA_FILES, json_schema


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_schema_command_prints_the_schema(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`massage-rules schema NAME` prints that JSON Schema and exits 0."""
    assert main(["schema", name]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema(name)  # type: ignore[arg-type]


def test_schema_command_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown schema name is a usage error (exit 2) that lists the choices."""
    with pytest.raises(SystemExit) as caught:
        main(["schema", "results"])
    assert caught.value.code == 2
    assert "invalid choice: 'results' (choose from 'knowledge', 'profile', 'result')" in capsys.readouterr().err
