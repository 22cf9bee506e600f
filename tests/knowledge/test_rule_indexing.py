"""Rules that test matched complaints fire whatever else they test."""

from __future__ import annotations

from pathlib import Path

import massage_rules as mr

CLINIC_RULE = """\
format: 1
pack: {id: clinic, version: "1"}
rules:
  - id: clinic_neck_on_blood_thinners
    text: A clinic's own note for neck pain in a client on blood thinners.
    when: {conditions: [chronic_neck_pain], health_any: [anticoagulants]}
    note: Book a longer first visit.
    sources: [walton]
"""


def test_a_rule_on_a_complaint_and_a_finding_fires(tmp_path: Path) -> None:
    """A rule keyed on a matched complaint and a health finding fires when both hold, and not otherwise."""
    extra = tmp_path / "clinic.yaml"
    extra.write_text(CLINIC_RULE, encoding="utf-8")
    kb = mr.load_knowledge(extra=[extra])
    base = {"areas": ["neck"], "phase": "chronic", "severity": 5, "goals": ["pain_relief"]}
    both = mr.recommend(mr.ClientProfile(**base, health=["anticoagulants"]), kb)
    assert "clinic_neck_on_blood_thinners" in {n.rule for n in both.notes}
    complaint_only = mr.recommend(mr.ClientProfile(**base), kb)
    assert "clinic_neck_on_blood_thinners" not in {n.rule for n in complaint_only.notes}
    finding_only = mr.recommend(mr.ClientProfile(**{**base, "areas": ["calf"]}, health=["anticoagulants"]), kb)
    assert "clinic_neck_on_blood_thinners" not in {n.rule for n in finding_only.notes}
