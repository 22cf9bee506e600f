"""Loading knowledge: located errors, duplicate refusal, cross-checks with did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr

MINIMAL = """\
format: 1
sources:
  - {id: src1, citation: "A source.", url: "https://example.org", evidence: low}
vocabulary:
  areas: [{id: neck, name: Neck}]
  causes: [{id: stress, name: Stress}]
  goals: [{id: relaxation, name: Relaxation}]
  phases: [{id: acute, name: Acute, days_max: 7}, {id: chronic, name: Chronic}]
techniques:
  - id: holding
    name: Holding
    pressure: {min: 0, max: 1}
    goals: {relaxation: 2}
    phases: {acute: suited, chronic: suited}
    cpt: "97124"
    evidence: low
    sources: [src1]
plan:
  defaults:
    - {phase: acute, sessions_min: 1, sessions_max: 2, sessions_per_week: 1, session_minutes: 30,
       check_in_after_sessions: 1, sources: [src1]}
    - {phase: chronic, sessions_min: 2, sessions_max: 4, sessions_per_week: 1, session_minutes: 60,
       check_in_after_sessions: 2, sources: [src1]}
"""


def _write(tmp_path: Path, text: str, name: str = "kb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path, *more: Path) -> mr.KnowledgeError:
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([path, *more], bundled=False)
    return caught.value


def test_minimal_file_loads_and_recommends(tmp_path: Path) -> None:
    """A small self-contained knowledge file is enough to get a recommendation."""
    kb = mr.load_knowledge([_write(tmp_path, MINIMAL)], bundled=False)
    result = mr.recommend(mr.ClientProfile(areas=["neck"], severity=2, phase="chronic", goals=["relaxation"]), kb)
    assert [t.id for t in result.techniques] == ["holding"]
    assert result.plan is not None
    assert result.plan.sessions_min == 2


def test_unknown_reference_names_file_line_rule_and_close_match(tmp_path: Path) -> None:
    """A reference to an undefined technique is reported at its line with a did-you-mean."""
    text = MINIMAL + ("rules:\n  - id: calm\n    text: Calm.\n    score: {holdng: 1}\n    sources: [src1]\n")
    path = _write(tmp_path, text)
    error = _load_error(path)
    line = text.splitlines().index("    score: {holdng: 1}") + 1
    assert str(error) == f"{path}:{line}:13: rule 'calm': technique 'holdng' is not defined; did you mean 'holding'?"
    assert (error.file, error.line, error.rule, error.suggestion) == (str(path), line, "calm", "holding")


def test_duplicate_yaml_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    """PyYAML would keep the last duplicate silently; the loader refuses it and names both lines."""
    text = MINIMAL.replace('    cpt: "97124"\n', '    cpt: "97124"\n    cpt: "97140"\n')
    error = _load_error(_write(tmp_path, text))
    assert "duplicate key 'cpt' (first at line" in str(error)


def test_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt key is an error at its own line, with the closest valid key."""
    error = _load_error(_write(tmp_path, MINIMAL.replace("    evidence: low\n", "    evidance: low\n")))
    assert "'evidance' is not a known key here; did you mean 'evidence'?" in str(error)
    assert error.rule == "holding"


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    """The same id defined in two files is an error that points at the first definition."""
    first = _write(tmp_path, MINIMAL, "a.yaml")
    second = _write(
        tmp_path, "format: 1\nsources:\n  - {id: src1, citation: X, url: 'https://x', evidence: low}\n", "b.yaml"
    )
    error = _load_error(first, second)
    assert f"{second}:3:5: rule 'src1': source id 'src1' is already defined at {first}:3" in str(error)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several mistakes give one error listing each, not one error at a time."""
    text = MINIMAL.replace("goals: {relaxation: 2}", "goals: {relax: 2}").replace(
        "sources: [src1]\nplan", "sources: [srcx]\nplan"
    )
    error = _load_error(_write(tmp_path, text))
    assert len(error.problems) == 2
    assert str(error).startswith("2 problems in the knowledge files:")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    """A tag that would construct a Python object is refused, never run."""
    error = _load_error(_write(tmp_path, MINIMAL + "x: !!python/object/apply:os.system ['true']\n"))
    assert "is not allowed; plain YAML only" in str(error)


def test_yes_and_no_stay_strings(tmp_path: Path) -> None:
    """YAML 1.1 would read `no` as false; here it stays the text 'no' and fails as a phase fit."""
    error = _load_error(
        _write(tmp_path, MINIMAL.replace("{acute: suited, chronic: suited}", "{acute: no, chronic: yes}"))
    )
    assert "phases.acute: Input should be 'suited', 'away_only' or 'unsuited'" in str(error)


def test_knowledge_base_is_immutable(kb: mr.KnowledgeBase) -> None:
    """A loaded knowledge base refuses changes, so sharing it between threads is safe."""
    with pytest.raises(AttributeError):
        kb.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        kb.techniques["x"] = kb.techniques["swedish"]  # type: ignore[index]


def test_missing_file_is_a_knowledge_error(tmp_path: Path) -> None:
    """A path that does not exist is reported, not raised as OSError."""
    error = _load_error(tmp_path / "nope.yaml")
    assert "cannot be read" in str(error)
