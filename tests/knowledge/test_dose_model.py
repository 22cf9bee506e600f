"""The dose model a clinician would sign: courses that follow severity and goals, modifiers that stay near the trials.

No complaint, band or threshold is named where the knowledge can say it: the complaints
with a trial dose, the phase defaults and the bands are read from the loaded base.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

import massage_rules as mr

KB = mr.load_knowledge()
MODEL = KB.course_model
BANDS = sorted(KB.severity_bands.values(), key=lambda band: band.min)
PAIN_BANDS = [band for band in BANDS if band.id != (MODEL.no_course.band if MODEL.no_course else None)]
DOSED = sorted(ident for ident, condition in KB.conditions.items() if condition.dose is not None)
PAIN_GOALS = sorted(MODEL.no_course.goals) if MODEL.no_course else []
OTHER_GOAL = next(
    goal
    for goal in KB.goals
    if goal not in PAIN_GOALS and goal not in (MODEL.short_block.goals if MODEL.short_block else ())
)


def _plan(**fields: object) -> mr.Plan:
    result = mr.recommend(mr.ClientProfile(**{"goals": [OTHER_GOAL], **fields}), KB)  # type: ignore[arg-type]
    assert result.plan is not None, result.outcome
    return result.plan


def _mid(plan: mr.Plan) -> float:
    return (plan.sessions_min + plan.sessions_max) / 2


def _one_area(condition: str) -> str:
    match = KB.conditions[condition].match
    return sorted(match.areas)[0] if match is not None and match.areas else "neck"


@pytest.mark.parametrize("condition", DOSED)
def test_a_trial_course_rises_strictly_from_mild_to_moderate_to_severe(condition: str) -> None:
    """For every complaint whose dose is longer than two sessions, the midpoint rises strictly band to band."""
    dose = KB.conditions[condition].dose
    assert dose is not None
    phase = (
        sorted(KB.conditions[condition].match.phases or KB.phases)[0] if KB.conditions[condition].match else "chronic"
    )
    plans = [
        [_plan(areas=[_one_area(condition)], phase=phase, severity=pain, conditions=[condition])
         for pain in range(band.min, band.max + 1)]
        for band in PAIN_BANDS
    ]  # fmt: skip
    if dose.sessions_max <= MODEL.short_course_max:
        assert all((p.sessions_min, p.sessions_max) == (dose.sessions_min, dose.sessions_max) for b in plans for p in b)
        return
    for lower, higher in itertools.pairwise(plans):
        assert _mid(lower[-1]) < _mid(higher[0]), condition
    flat = [p for band in plans for p in band]
    for a, b in itertools.pairwise(flat):  # within and across bands, no end ever falls
        assert a.sessions_min <= b.sessions_min
        assert a.sessions_max <= b.sessions_max
    for band in plans:
        for plan in band:
            assert dose.sessions_min - 2 <= plan.sessions_min <= plan.sessions_max <= dose.sessions_max + 2


@pytest.mark.parametrize("phase", sorted(KB.plan_defaults))
def test_a_default_course_rises_strictly_from_mild_to_moderate_to_severe(phase: str) -> None:
    """Every phase default longer than two sessions rises strictly band to band, and never falls within a band."""
    default, _origin = KB.plan_defaults[phase]
    # The jaw has no complaint with a dose, so the phase default sets the base.
    plans = [[_plan(areas=["jaw"], phase=phase, severity=pain) for pain in range(b.min, b.max + 1)] for b in PAIN_BANDS]
    assert all(p.derivation[0].rule == f"plan.default.{phase}" for band in plans for p in band)
    if default.sessions_max > MODEL.short_course_max:
        for lower, higher in itertools.pairwise(plans):
            assert _mid(lower[-1]) < _mid(higher[0]), phase


def test_pain_zero_with_only_pain_goals_plans_no_course() -> None:
    """Pain 0 with pain relief as the only goal is recovered: zero sessions, and the plan says why."""
    result = mr.recommend(mr.ClientProfile(areas=["lower_back"], cause="posture", severity=0, phase="chronic",
                                           goals=PAIN_GOALS), KB)  # fmt: skip
    plan = result.plan
    assert plan is not None
    assert (plan.sessions_min, plan.sessions_max) == (0, 0)
    assert plan.basis == "no_course"
    assert plan.no_course_reason is not None
    assert plan.derivation[0].rule == "plan.no_course"
    assert plan.check_in_sessions == ()
    # With a goal beyond pain relief, the same client gets a course.
    other = _plan(areas=["lower_back"], cause="posture", severity=0, phase="chronic", goals=[*PAIN_GOALS, OTHER_GOAL])
    assert other.sessions_max > 0


def test_goals_not_about_an_injury_plan_a_short_block() -> None:
    """Relaxation or recovery only, with no complaint that sets a dose, plans one to three sessions."""
    assert MODEL.short_block is not None
    for goals in ([MODEL.short_block.goals[0]], list(MODEL.short_block.goals)):
        plan = _plan(areas=["jaw"], phase="chronic", severity=6, goals=goals)
        assert plan.basis == "short_block"
        assert (plan.sessions_min, plan.sessions_max) == (
            MODEL.short_block.sessions_min,
            MODEL.short_block.sessions_max,
        )
        assert plan.sessions_max <= 3


def test_regions_are_counted_not_areas() -> None:
    """Areas of one body region count once: wrist with forearm, neck with shoulder, heel with calf."""
    carpal = _plan(areas=["wrist_hand", "forearm"], cause="repetitive_strain", phase="chronic", severity=5,
                   health=["numbness_tingling@wrist_hand"], goals=["pain_relief"])  # fmt: skip
    assert carpal.treated_regions == 1
    dose = KB.conditions[carpal.derivation[0].rule].dose
    assert dose is not None
    assert (carpal.sessions_min, carpal.sessions_max) == (dose.sessions_min, dose.sessions_max)
    assert _plan(areas=["neck", "shoulder"], cause="posture", phase="chronic", severity=5).treated_regions == 1
    assert _plan(areas=["calf", "ankle_foot"], phase="chronic", severity=5).treated_regions == 1
    assert _plan(areas=["neck", "lower_back"], phase="chronic", severity=5).treated_regions == 2


def test_only_treated_regions_count() -> None:
    """A region on which every technique is ruled out adds no sessions."""
    plan = _plan(areas=["neck", "wrist_hand"], phase="chronic", severity=5, health=["open_wound@wrist_hand"])
    assert plan.treated_regions == 1
    assert "several_regions_longer_course" not in [step.rule for step in plan.derivation]


def test_a_year_of_symptoms_does_not_collapse_the_range() -> None:
    """Over a year of low back pain moves toward the top of the trial's range without making it one value."""
    plan = _plan(areas=["lower_back"], cause="posture", days_since_onset=500, severity=5)
    assert "long_standing_symptoms" in [step.rule for step in plan.derivation]
    assert plan.sessions_min < plan.sessions_max


def test_every_step_says_how_it_is_backed() -> None:
    """Every modifier and severity step is marked tested or expert consensus, and cites a source."""
    assert MODEL.severity is not None
    assert MODEL.severity.evidence in {"tested", "expert_consensus"}
    for modifier in MODEL.modifiers:
        assert modifier.modifier.evidence in {"tested", "expert_consensus"}
        assert modifier.modifier.sources
    for rule in KB.rules:
        if rule.sessions is not None:
            assert rule.sessions.evidence is not None, rule.id


def test_every_band_has_a_step() -> None:
    """The severity steps cover every band of the vocabulary."""
    assert MODEL.steps is not None
    assert set(MODEL.steps) == set(KB.severity_bands)


def _clinic(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "clinic.yaml"
    path.write_text(
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "overrides:\n  - {plan: severity, reason: Our clinic moves courses by severity its own way.}\n"
        "plan:\n  severity:\n    evidence: expert_consensus\n    sources: [kamper10]\n    steps:\n" + steps,
        encoding="utf-8",
    )
    return path


def test_loader_refuses_severity_steps_that_fall(tmp_path: Path) -> None:
    """A clinic's severity steps that give severe pain fewer sessions than moderate are a knowledge error."""
    steps = "".join(
        f"      - {{band: {band.id}, add_min: {-i}, add_max: {-i}, text: step}}\n" for i, band in enumerate(BANDS)
    )
    with pytest.raises(mr.KnowledgeError, match="more pain must never mean fewer sessions"):
        mr.load_knowledge([_clinic(tmp_path, steps)])


def test_loader_refuses_a_band_without_a_step(tmp_path: Path) -> None:
    """Every severity band needs a step."""
    with pytest.raises(mr.KnowledgeError, match="no step for the band"):
        mr.load_knowledge([_clinic(tmp_path, f"      - {{band: {BANDS[0].id}, add_min: 0, add_max: 0, text: x}}\n")])


def test_a_pack_replaces_the_dose_model_only_with_an_override(tmp_path: Path) -> None:
    """A clinic's severity steps replace the bundled ones only with an override, which every answer records."""
    steps = "".join(
        f"      - {{band: {band.id}, add_min: {i}, add_max: {i}, text: step}}\n" for i, band in enumerate(BANDS)
    )
    silent = tmp_path / "silent.yaml"
    silent.write_text(
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "plan:\n  severity:\n    evidence: expert_consensus\n    sources: [kamper10]\n    steps:\n" + steps,
        encoding="utf-8",
    )
    with pytest.raises(mr.KnowledgeError, match=r"replaces plan\.severity from .*plan\.yaml:\d+; say so"):
        mr.load_knowledge([silent])
    kb = mr.load_knowledge([_clinic(tmp_path, steps)])
    assert [(o.rule, o.action) for o in kb.stamp.overrides] == [("plan.severity", "replace")]
    assert kb.course_model.steps is not None
    assert [kb.course_model.steps[band.id].add_min for band in BANDS] == list(range(len(BANDS)))


def test_every_output_says_when_no_course_is_planned() -> None:
    """Pain 0 with only pain goals: the report, the handout and FHIR say no course is planned, and why."""
    from massage_rules.output.handout import render_markdown
    from massage_rules.output.interop import to_cds_hooks_cards, to_fhir_careplan
    from massage_rules.output.text import render_text

    result = mr.recommend(mr.ClientProfile(areas=["lower_back"], cause="posture", severity=0, phase="chronic",
                                           goals=PAIN_GOALS), KB)  # fmt: skip
    assert result.plan is not None
    assert result.plan.no_course_reason is not None
    why = " ".join(result.plan.no_course_reason.text.split())
    text = " ".join(render_text(result, knowledge=KB).split())
    assert f"Plan: no course of sessions. {why}" in text
    assert "check in after" not in text
    assert "No course of sessions is planned." in " ".join(render_markdown(result).split())
    careplan = to_fhir_careplan(result)
    assert "No course of sessions is planned." in careplan["text"]["div"]
    assert all("scheduledTiming" not in activity["detail"] for activity in careplan.get("activity", []))
    plan_card = next(card for card in to_cds_hooks_cards(result) if card["summary"].startswith("Massage"))
    assert "No course of sessions is planned." in plan_card["detail"]


ROW = re.compile(r"^\| `(\w+)` \| (\w+), (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| [^|]+ \|$")


def _table() -> list[re.Match[str]]:
    page = (Path(__file__).parents[2] / "docs" / "clinical-decisions.md").read_text(encoding="utf-8")
    section = page.split("## Courses by complaint and severity", 1)[1].split("\n## ", 1)[0]
    return [m for line in section.splitlines() if (m := ROW.match(line))]


def test_the_courses_table_covers_every_complaint() -> None:
    """docs/clinical-decisions.md has one row per complaint."""
    assert sorted(m.group(1) for m in _table()) == sorted(KB.conditions)


@pytest.mark.parametrize("row", _table(), ids=lambda m: m.group(1))
def test_the_courses_table_is_what_the_library_plans(row: re.Match[str]) -> None:
    """Each row's trial dose and its mild, moderate and severe courses are what the library plans today."""
    condition, area, phase, dose, *cells = row.groups()
    trial = KB.conditions[condition].dose
    if trial is not None:
        expected = (
            f"{trial.sessions_min}"
            if trial.sessions_min == trial.sessions_max
            else f"{trial.sessions_min}-{trial.sessions_max}"
        )
        assert dose.strip() == expected
    for band, cell in zip(("mild", "moderate", "severe"), cells, strict=True):
        plan = _plan(areas=[area], phase=phase, severity=KB.severity_bands[band].nrs, goals=["pain_relief"],
                     conditions=[condition])  # fmt: skip
        course = (
            f"{plan.sessions_min}"
            if plan.sessions_min == plan.sessions_max
            else f"{plan.sessions_min}-{plan.sessions_max}"
        )
        assert cell.strip() == course, (condition, band)
