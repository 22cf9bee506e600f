"""recommend_many and suggest --batch give exactly what recommend gives, and the compiled index misses no rule."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.cli.batch import run_batch
from tests.strategies import profile_fields, profiles

KB = mr.load_knowledge()


@given(st.lists(profiles(KB), max_size=8))
def test_recommend_many_equals_recommend_one_by_one(batch: list[mr.ClientProfile]) -> None:
    """A batch gives the same answers as one call per profile, equal and byte-identical as JSON."""
    many = list(mr.recommend_many(batch, KB))
    one_by_one = [mr.recommend(p, KB) for p in batch]
    assert many == one_by_one
    assert [r.model_dump_json() for r in many] == [r.model_dump_json() for r in one_by_one]


@given(profiles(KB))
def test_answer_equals_its_validated_copy(profile: mr.ClientProfile) -> None:
    """An answer assembled from trusted parts equals the same answer validated by pydantic, byte for byte."""
    result = mr.recommend(profile, KB)
    text = result.model_dump_json()
    validated = mr.Recommendation.model_validate_json(text)
    assert validated == result
    assert validated.model_dump_json() == text
    assert mr.Recommendation(**dict(result)).model_dump_json() == text


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    return ";".join(value) if isinstance(value, list) else str(value)


def _batch_lines(rows: list[dict[str, Any]], suffix: str, fmt: str) -> list[dict[str, Any]]:
    """Run ``suggest --batch`` on the rows written as CSV or JSON lines; its output lines, parsed."""
    columns = ["client_id", *mr.ClientProfile.model_fields]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"rows{suffix}"
        with path.open("w", encoding="utf-8", newline="") as sink:
            if suffix == ".csv":
                writer = csv.writer(sink)
                writer.writerow(columns)
                writer.writerows([[_csv_cell(row.get(name)) for name in columns] for row in rows])
            else:
                sink.writelines(json.dumps(row) + "\n" for row in rows)
        out = io.StringIO()
        run_batch(str(path), KB, out, fmt=fmt)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@given(st.lists(profile_fields(KB), min_size=1, max_size=6), st.sampled_from([".csv", ".jsonl"]))
def test_suggest_batch_means_what_recommend_says(batch: list[dict[str, Any]], suffix: str) -> None:
    """Each batch JSON line, its source ids filled in from the last line, is recommend() for its row, id echoed."""
    rows = [{"client_id": f"c-{i}", **fields} for i, fields in enumerate(batch)]
    *lines, last = _batch_lines(rows, suffix, "json")
    cited = {source["id"]: source for source in last["sources"]}
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        expected = mr.recommend(mr.ClientProfile(**{k: v for k, v in row.items() if k != "client_id"}), KB)
        assert line.pop("id") == row["client_id"]
        line.pop("row")
        line["sources"] = [cited[key] for key in line["sources"]]
        assert mr.Recommendation.model_validate(line) == expected


@given(st.lists(profile_fields(KB), min_size=1, max_size=6))
def test_summary_lines_agree_with_recommend(batch: list[dict[str, Any]]) -> None:
    """A summary line's outcome, top techniques, sessions and referral are recommend()'s, in under 1 KB."""
    for fields, line in zip(batch, _batch_lines(batch, ".jsonl", "summary"), strict=True):
        expected = mr.recommend(mr.ClientProfile(**fields), KB)
        assert len(json.dumps(line)) < 1024
        assert line["outcome"] == expected.outcome
        assert line["techniques"] == [t.id for t in expected.techniques[:3]]
        assert line["sessions_max"] == (expected.plan.sessions_max if expected.plan else None)
        assert (line["referral"] or {}).get("rule") == (expected.referral.rule if expected.referral else None)
