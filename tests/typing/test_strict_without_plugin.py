"""An integrator's `mypy --strict`, without the pydantic plugin, sees typed constructors and typed EHR payloads.

Most integrators do not enable pydantic's mypy plugin, so the types must hold
without it: mypy runs here (through its API) on small snippet files, with a
config file of its own, so neither the plugin nor this project's settings apply.
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

import massage_rules as mr

MISSPELT = """\
import massage_rules as mr

profile = mr.ClientProfile(sevrity=3, areas=["neck"], phase="chronic", goals=["relaxation"])
"""

WELL_TYPED = """\
from typing import Literal, assert_type

import massage_rules as mr

profile = mr.ClientProfile(areas=["neck"], severity=3, phase="chronic", goals=("relaxation",), health="pregnancy")
result = mr.recommend(profile)
cards = mr.to_cds_hooks_cards(result, subject="Patient/7")
assert_type(cards[0]["indicator"], Literal["info", "warning", "critical"])
careplan = mr.to_fhir_careplan(result)
assert_type(careplan["status"], Literal["draft"])
for activity in careplan.get("activity", []):
    assert_type(activity["detail"]["description"], str)
reveal_type(mr.ClientProfile.__init__)
"""


def _mypy(tmp_path: Path, **snippets: str) -> str:
    """Run `mypy --strict` on the snippets with no plugin, against the massage_rules being tested; its report."""
    for name, text in snippets.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    lines = ["[mypy]", f"cache_dir = {tmp_path / 'cache'}"]
    root = Path(mr.__file__).resolve().parents[1]
    if not {"site-packages", "dist-packages"} & set(root.parts):  # a source tree: check it, not an installed copy
        lines.append(f"mypy_path = {root}")
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stdout, stderr, _ = api.run(
        ["--strict", "--config-file", str(config), *(str(tmp_path / f"{n}.py") for n in snippets)]
    )
    assert "plugin" not in stdout + stderr
    return stdout


def test_strict_mypy_without_plugin_rejects_a_misspelt_field_and_types_the_payloads(tmp_path: Path) -> None:
    """`ClientProfile(sevrity=3)` is a type error naming the keyword; the right call and the payload reads check."""
    report = _mypy(tmp_path, misspelt=MISSPELT, well_typed=WELL_TYPED)
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert [Path(e.split(": error: ")[0]).name for e in errors] == ["misspelt.py:3"], report
    assert any('Unexpected keyword argument "sevrity" for "ClientProfile"' in e for e in errors), report
    revealed = next(line for line in report.splitlines() if "Revealed type" in line)
    assert re.search(r"\bseverity: (builtins\.)?int,", revealed), revealed  # mypy 2 drops "builtins."
    assert "**" not in revealed


def test_the_typed_constructor_lists_every_field_with_its_required_ness() -> None:
    """The keywords type checkers see are the model's fields, required exactly when the field is."""
    import ast
    import inspect

    import massage_rules.models.profile as models

    tree = ast.parse(inspect.getsource(models))
    profile = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ClientProfile")
    typed = next(
        f
        for n in profile.body
        if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
        for f in n.body
        if isinstance(f, ast.FunctionDef) and f.name == "__init__"
    )
    args = typed.args
    assert [a.arg for a in args.args] == ["self"]  # keywords only, no **data
    assert args.vararg is None
    assert args.kwarg is None
    defaults = dict(zip((a.arg for a in args.kwonlyargs), args.kw_defaults, strict=True))
    fields = mr.ClientProfile.model_fields
    assert set(defaults) == set(fields)
    assert {name for name, default in defaults.items() if default is None} == {
        name for name, info in fields.items() if info.is_required()
    }
