"""Integrator code that reads a clinic export with read_profiles: it runs under pytest and mypy --strict accepts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import assert_type

import massage_rules as mr


def outcomes(path: Path, knowledge: mr.KnowledgeBase) -> Iterator[tuple[str | None, str]]:
    """Each client's id and outcome, or the error that stopped its row."""
    rows = mr.read_profiles(path, knowledge, id_column="client_id")
    assert_type(rows, Iterator[mr.ProfileRow])
    for row in rows:
        assert_type(row.row, int)
        assert_type(row.id, str | None)
        assert_type(row.ignored, tuple[str, ...])
        if row.profile is None:
            assert row.error is not None
            assert_type(row.error, mr.ProfileError)
            yield row.id, f"row {row.row}: {row.error.field}"
            continue
        assert_type(row.profile, mr.ClientProfile)
        try:
            yield row.id, mr.recommend(row.profile, knowledge).outcome
        except mr.ProfileError as exc:
            yield row.id, f"row {row.row}: {exc.field}"


def test_outcomes_of_an_export(tmp_path: Path) -> None:
    """The integrator code above runs: one outcome or error per client."""
    path = tmp_path / "export.csv"
    path.write_text("client_id,areas,severity,phase,goals\nc-1,neck,3,acute,relaxation\nc-2,neck,3,,relaxation\n")
    assert list(outcomes(path, mr.load_knowledge())) == [("c-1", "treat"), ("c-2", "row 3: phase")]
