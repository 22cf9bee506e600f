"""Clinic packs on top of a base: additions, explicit overrides, and the stamp every result carries."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr

BASE = sorted((Path(__file__).parents[1] / "knowledge" / "base").glob("*.yaml"))

PACK = """\
format: 1
pack: {id: clinic_a, version: "2.0"}
techniques:
  - id: hot_stone
    name: Hot stone massage
    pressure: {min: 1, max: 3}
    goals: {relaxation: 3}
    phases: {acute: unsuited, subacute: suited, chronic: suited}
    cpt: "97124"
    evidence: low
    sources: [walton]
overrides:
  - rule: anticoagulants_gentle
    disable: true
    disable_safety_rule: true
    reason: Our physician reviews every anticoagulated client first.
  - {rule: swedish.goal.relaxation, score: {swedish: 5}, reason: House style.}
  - {rule: baseline_comfort_touch, score: {comfort_touch: 0, hot_stone: 0.25}, reason: Stones are our fallback.}
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A clinic pack that adds a technique, switches off a safety rule and re-weights two rules."""
    path = tmp_path / "clinic.yaml"
    path.write_text(PACK, encoding="utf-8")
    return path


def _profile(**extra: object) -> mr.ClientProfile:
    fields: dict[str, object] = {"areas": ["neck"], "severity": 3, "phase": "chronic", "goals": ["relaxation"]}
    fields.update(extra)
    return mr.ClientProfile(**fields)  # type: ignore[arg-type]


def test_pack_adds_a_technique_and_reweights(pack: Path) -> None:
    """The pack's technique is ranked, and re-weighted rules give their new points."""
    kb = mr.load_knowledge([*BASE, pack], bundled=False)
    result = mr.recommend(_profile(), kb)
    scores = {t.id: t.score for t in result.techniques}
    assert scores["swedish"] == 5
    assert scores["hot_stone"] == 3.25
    assert scores["comfort_touch"] == 2  # its 0.5 fallback points were dropped


def test_disabled_safety_rule_is_shown_in_every_result(pack: Path) -> None:
    """A switched-off safety rule no longer restricts, and the result's stamp says so with the reason."""
    kb = mr.load_knowledge([*BASE, pack], bundled=False)
    result = mr.recommend(_profile(health=["anticoagulants"]), kb)
    assert not any(a.rule == "anticoagulants_gentle" for a in result.avoided)
    stamp = result.knowledge
    assert [(p.id, p.version) for p in stamp.packs] == [("core", "0.1.0"), ("clinic_a", "2.0")]
    assert stamp.version == "core-0.1.0+clinic_a-2.0"
    assert [(o.rule, o.action, o.pack, o.safety) for o in stamp.overrides] == [
        ("anticoagulants_gentle", "disable", "clinic_a", True),
        ("baseline_comfort_touch", "reweight", "clinic_a", False),
        ("swedish.goal.relaxation", "reweight", "clinic_a", False),
    ]
    assert stamp.overrides[0].reason == "Our physician reviews every anticoagulated client first."
    assert result.warnings == (
        "safety rule 'anticoagulants_gentle' would apply to this client, but pack 'clinic_a' switched it off: "
        "Our physician reviews every anticoagulated client first.",
    )
    assert mr.recommend(_profile(), kb).warnings == ()  # only where the rule would have applied


def test_verify_lists_switched_off_safety_rules(tmp_path: Path) -> None:
    """verify warns about each safety rule a pack switched off, with the pack and reason."""
    path = tmp_path / "off.yaml"
    path.write_text(
        'format: 1\npack: {id: warm, version: "1"}\noverrides:\n'
        "  - {rule: flare_no_deep, disable: true, disable_safety_rule: true,\n"
        "     reason: Our physiotherapist grades every flare before deep work.}\n",
        encoding="utf-8",
    )
    broken = Path(__file__).parent / "data" / "broken_kb.yaml"
    report = mr.verify_knowledge(mr.load_knowledge([broken, path], bundled=False))
    switched = [f for f in report.warnings if f.kind == "switched_off"]
    assert [f.message for f in switched] == [
        "safety rule 'flare_no_deep' is switched off by pack 'warm': "
        "Our physiotherapist grades every flare before deep work."
    ]


def test_without_the_pack_the_safety_rule_holds() -> None:
    """The base alone still forbids deep work and caps pressure for anticoagulants."""
    kb = mr.load_knowledge(BASE, bundled=False)
    result = mr.recommend(_profile(health=["anticoagulants"]), kb)
    assert any(a.rule == "anticoagulants_gentle" for a in result.avoided)
    assert result.knowledge.overrides == ()


def test_content_hash_covers_the_pack(pack: Path) -> None:
    """Adding a pack changes the content hash; loading the same files twice does not."""
    base = mr.load_knowledge(BASE, bundled=False)
    one = mr.load_knowledge([*BASE, pack], bundled=False)
    two = mr.load_knowledge([*BASE, pack], bundled=False)
    assert one.content_hash == two.content_hash != base.content_hash


def test_clash_names_both_places(tmp_path: Path) -> None:
    """A technique defined twice is refused, naming the second place and the first place's file:line."""
    path = tmp_path / "clash.yaml"
    path.write_text(PACK.split("overrides:")[0].replace("hot_stone", "swedish"), encoding="utf-8")
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([*BASE, path], bundled=False)
    first = caught.value.problems[0]
    assert (first.file, first.line, first.column) == (str(path), 4, 5)
    assert first.message == f"technique id 'swedish' is already defined at {BASE[3]}:5"


def test_safety_flag_on_a_plain_rule_is_a_warning(tmp_path: Path) -> None:
    """Saying disable_safety_rule for a rule that is not a safety rule loads, with a warning from check."""
    path = tmp_path / "flag.yaml"
    path.write_text(
        'format: 1\npack: {id: c, version: "1"}\noverrides:\n'
        "  - {rule: baseline_comfort_touch, disable: true, disable_safety_rule: true, reason: No.}\n",
        encoding="utf-8",
    )
    kb = mr.load_knowledge([*BASE, path], bundled=False)
    assert kb.overrides[0].safety is False
    report = mr.check_knowledge([path], base=BASE)
    assert report.ok
    assert [p.message for p in report.problems] == [
        "rule 'baseline_comfort_touch' is not a safety rule; drop 'disable_safety_rule'"
    ]
