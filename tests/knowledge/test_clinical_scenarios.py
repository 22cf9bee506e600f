"""Clinical scenarios from the reference: a client's story, the profile, and what a careful clinician expects.

Each scenario checks the screening outcome (referral and its urgency, "no massage now", or
care), what must never be offered, what should rank near the top, and the session course.
Session courses are checked at their base (the trial dose or the phase default); the plan
modifiers on top of it belong to the plan rules.
"""

from __future__ import annotations

from collections.abc import Iterable

import massage_rules as mr

KB = mr.load_knowledge()


def _default(phase: str) -> tuple[str, int, int]:
    """The base step of a plan that falls back to the phase default (owned by the plan rules)."""
    default, _ = KB.plan_defaults[phase]
    return (f"plan.default.{phase}", default.sessions_min, default.sessions_max)


DEEP_WORK = {"deep_tissue", "cross_fiber_friction", "iastm", "cupping", "active_release"}


def check(
    *,
    refer: str | None = None,
    meanwhile: bool = False,
    no_massage: bool = False,
    never: Iterable[str] = (),
    top: Iterable[str] = (),
    top_n: int = 3,
    base: tuple[str, int, int] | None = None,
    matched: Iterable[str] = (),
    max_pressure: int | None = None,
    **fields: object,
) -> mr.Recommendation:
    """Recommend for ``fields`` and assert the expectations given; return the result for more checks."""
    profile = mr.ClientProfile(**{"severity": 5, "goals": ["pain_relief"], **fields})  # type: ignore[arg-type]
    result = mr.recommend(profile, KB)
    if no_massage:
        assert result.no_massage is not None, result.outcome
        assert result.techniques == ()
        assert result.plan is None
    if refer is None:
        assert result.referral is None, result.referral
    else:
        assert result.referral is not None, result.outcome
        assert result.referral.urgency == refer
        assert result.referral.massage_meanwhile is meanwhile
        if not meanwhile:
            assert result.techniques == ()
            assert result.plan is None
    offered = [t.id for t in result.techniques]
    for technique in never:
        assert technique not in offered, f"{technique} offered: {offered}"
    top = set(top)
    if top:
        assert top & set(offered[:top_n]), f"none of {sorted(top)} in the top {top_n}: {offered}"
    if max_pressure is not None:
        assert all(t.pressure_max <= max_pressure for t in result.techniques), result.techniques
    if base is not None:
        assert result.plan is not None
        first = result.plan.derivation[0]
        assert (first.rule, first.sessions_min, first.sessions_max) == base
    found = {c.id for c in result.conditions}
    assert set(matched) <= found, found
    if refer is None and not no_massage:
        assert result.techniques, f"nothing offered: {result.outcome}"
    return result


# --- complaints with trial doses --------------------------------------------------------


def test_chronic_low_back_pain_desk_worker() -> None:
    """A desk worker with six months of low back pain gets relaxation-led massage for ten weekly sessions."""
    result = check(
        areas=["lower_back"],
        cause="posture",
        days_since_onset=180,
        severity=6,
        top={"swedish"},
        top_n=1,
        base=("chronic_low_back_pain", 8, 10),
        matched={"chronic_low_back_pain"},
    )
    assert result.plan is not None
    assert result.plan.session_minutes == 60
    assert any("active care" in n.text for n in result.notes)


def test_chronic_low_back_pain_wanting_function_is_pointed_to_active_care() -> None:
    """Chronic low back pain with a function goal carries a note that puts exercise first."""
    result = check(areas=["lower_back"], phase="chronic", goals=["function"], matched={"chronic_low_back_pain"})
    assert "chronic_back_active_care" in {n.rule for n in result.notes}


def test_chronic_neck_pain_gets_hour_long_sessions() -> None:
    """A year of neck pain gets 60-minute sessions two or three times a week for four weeks, never half-hour ones."""
    result = check(
        areas=["neck"],
        phase="chronic",
        top={"trigger_point", "myofascial_release", "swedish"},
        base=("chronic_neck_pain", 8, 12),
        matched={"chronic_neck_pain"},
    )
    assert result.plan is not None
    assert result.plan.session_minutes == 60
    assert result.plan.sessions_per_week == 2


def test_tension_type_headache_from_stress() -> None:
    """Stress headaches favour trigger-point work for twelve 45-minute sessions over six weeks."""
    result = check(
        areas=["head"],
        cause="stress",
        phase="chronic",
        top={"trigger_point"},
        top_n=1,
        base=("tension_type_headache", 12, 12),
        matched={"tension_type_headache"},
    )
    assert result.plan is not None
    assert result.plan.session_minutes == 45


def test_knee_osteoarthritis_named_by_code() -> None:
    """A client with knee osteoarthritis given as M17.11 gets weekly hour-long Swedish massage, top of the list."""
    result = check(
        areas=["knee"],
        phase="chronic",
        matched={"knee_osteoarthritis"},
        top={"swedish"},
        top_n=1,
        base=("knee_osteoarthritis", 8, 12),
        conditions=["M17.11"],
    )
    assert result.conditions[0].matched_by == "diagnosis"


def test_carpal_tunnel_with_numbness() -> None:
    """Hand numbness from repetitive work is carpal tunnel: gentle work, no friction or scraping, twelve sessions."""
    check(
        areas=["wrist_hand"],
        cause="repetitive_strain",
        phase="chronic",
        health=["numbness_tingling@wrist_hand"],
        never={"cross_fiber_friction", "iastm", "deep_tissue"},
        top={"myofascial_release"},
        max_pressure=3,
        base=("carpal_tunnel", 12, 12),
        matched={"carpal_tunnel"},
    )


def test_fibromyalgia_avoids_deep_work() -> None:
    """Diagnosed fibromyalgia favours myofascial release at moderate pressure at most, for at least five weeks."""
    check(
        areas=["full_body"],
        cause="unknown",
        phase="chronic",
        never=DEEP_WORK,
        top={"myofascial_release"},
        top_n=1,
        max_pressure=3,
        base=("fibromyalgia", 5, 10),
        matched={"fibromyalgia"},
        conditions=["fibromyalgia"],
    )


def test_widespread_pain_asks_before_it_is_called_fibromyalgia() -> None:
    """From the profile alone fibromyalgia is asked about, not assumed, and deep work waits for the answer."""
    result = check(areas=["full_body"], cause="unknown", phase="chronic")
    assert "fibromyalgia" not in {c.id for c in result.conditions}
    question = next(q for q in result.screening_questions if q.rule == "fibromyalgia.confirm")
    assert question.diagnosis == "fibromyalgia"
    for technique in result.techniques:
        if technique.id in DEEP_WORK:
            assert "fibromyalgia.confirm" in technique.after_screening


def test_tennis_elbow_from_repetitive_strain() -> None:
    """Chronic outer elbow pain from gripping ranks friction massage high, nine sessions, with a loading referral."""
    result = check(
        areas=["elbow"],
        cause="repetitive_strain",
        phase="chronic",
        top={"cross_fiber_friction"},
        base=("lateral_epicondylitis", 9, 9),
        matched={"lateral_epicondylitis"},
        conditions=["lateral_epicondylitis"],
    )
    assert any("physical therapist" in n.text for n in result.notes)


def test_post_operative_knee_swelling() -> None:
    """Three days after a knee replacement the knee gets only light drainage, three to five sessions in week one."""
    result = check(
        areas=["knee"],
        cause="surgery",
        days_since_onset=3,
        goals=["swelling_reduction"],
        health=["recent_surgery@knee"],
        top={"lymphatic_drainage"},
        top_n=1,
        max_pressure=1,
        base=("post_operative_swelling", 3, 5),
        matched={"post_operative_swelling"},
    )
    assert {t.id for t in result.techniques} <= {"lymphatic_drainage", "comfort_touch"}


def test_doms_after_training() -> None:
    """Calves sore the day after hard training get a light post-exercise sports massage, one or two sessions."""
    check(
        areas=["calf"],
        cause="gym",
        days_since_onset=1,
        goals=["recovery"],
        top={"sports_massage"},
        top_n=1,
        never=DEEP_WORK,
        max_pressure=2,
        base=("doms_sport_recovery", 1, 2),
        matched={"doms_sport_recovery"},
    )


# --- complaints without a trial dose ---------------------------------------------------


def test_fresh_ankle_sprain() -> None:
    """Two days after rolling an ankle at football: light drainage first, nothing deep or brisk on the ankle."""
    check(
        areas=["ankle_foot"],
        cause="sport",
        days_since_onset=2,
        severity=6,
        goals=["swelling_reduction", "pain_relief"],
        top={"lymphatic_drainage"},
        top_n=1,
        never=DEEP_WORK | {"sports_massage", "swedish", "trigger_point"},
        max_pressure=2,
        base=_default("acute"),
        matched={"ankle_sprain"},
    )


def test_subacute_ankle_sprain() -> None:
    """Three weeks after the sprain, mobility work is welcome but deep tissue and scraping still wait."""
    check(
        areas=["ankle_foot"],
        cause="sport",
        days_since_onset=21,
        goals=["mobility"],
        top={"myofascial_release", "muscle_energy", "pnf_stretching"},
        never={"deep_tissue", "iastm", "cupping"},
        base=_default("subacute"),
        matched={"ankle_sprain"},
    )


def test_fresh_hamstring_strain() -> None:
    """A hamstring pulled three days ago at sprint training (so named) gets drainage and light work only."""
    check(
        areas=["thigh"],
        cause="sport",
        days_since_onset=3,
        never=DEEP_WORK | {"sports_massage", "pnf_stretching", "trigger_point"},
        max_pressure=2,
        matched={"hamstring_strain"},
        conditions=["hamstring_strain"],
    )


def test_a_sore_thigh_after_sport_asks_whether_it_is_a_strain() -> None:
    """From the profile alone a fresh sore thigh is not called a strain: the question first, sports massage waits."""
    result = check(areas=["thigh"], cause="sport", days_since_onset=3, never=DEEP_WORK, max_pressure=2)
    assert "hamstring_strain" not in {c.id for c in result.conditions}
    assert "hamstring_strain.confirm" in {q.rule for q in result.screening_questions}
    for technique in result.techniques:
        if technique.id == "sports_massage":
            assert "hamstring_strain.confirm" in technique.after_screening


def test_soreness_after_training_keeps_sports_massage_first() -> None:
    """A thigh sore the day after the gym, for recovery, is read as muscle soreness: sports massage leads."""
    result = check(areas=["thigh"], cause="gym", days_since_onset=1, goals=["recovery"], top={"sports_massage"},
                   top_n=1, matched={"doms_sport_recovery"}, base=("doms_sport_recovery", 1, 2))  # fmt: skip
    assert "hamstring_strain" not in {c.id for c in result.conditions}


def test_a_subacute_thigh_injury_from_sport_is_a_hamstring_strain() -> None:
    """Two weeks on, muscle soreness is over: the profile alone matches the strain."""
    check(areas=["thigh"], cause="sport", days_since_onset=14, matched={"hamstring_strain"})


def test_plantar_fasciitis_refers_for_joint_mobilisation() -> None:
    """Months of first-step heel pain get calf and sole soft tissue work, and a referral note for joint mobilisation."""
    result = check(
        areas=["ankle_foot"],
        cause="unknown",
        phase="chronic",
        top={"trigger_point", "myofascial_release"},
        matched={"plantar_fasciitis"},
        conditions=["plantar_fasciitis"],
    )
    assert any("joint mobilisation" in n.text for n in result.notes)


def test_a_lasting_foot_pain_asks_about_the_heel_before_it_is_plantar_fasciitis() -> None:
    """A chronic foot pain of unknown cause is not assumed to be plantar fasciitis; the heel question says which."""
    result = check(areas=["ankle_foot"], cause="unknown", phase="chronic")
    assert "plantar_fasciitis" not in {c.id for c in result.conditions}
    assert "plantar_fasciitis.confirm" in {q.rule for q in result.screening_questions}
    cleared = check(areas=["ankle_foot"], cause="unknown", phase="chronic", cleared=["plantar_fasciitis.confirm"])
    assert "plantar_fasciitis.confirm" not in {q.rule for q in cleared.screening_questions}


def test_frozen_shoulder_refers_for_joint_mobilisation() -> None:
    """A stiff shoulder with no injury gets myofascial work; joint mobilisation is a referral, never a technique."""
    result = check(
        areas=["shoulder"],
        cause="unknown",
        phase="chronic",
        goals=["mobility"],
        top={"myofascial_release"},
        top_n=1,
        matched={"adhesive_capsulitis"},
    )
    assert any("joint mobilisation" in n.text for n in result.notes)
    assert not any("mobilis" in t.name.lower() and "soft tissue" not in t.name.lower() for t in result.techniques)


def test_acute_whiplash_is_no_massage_on_the_neck() -> None:
    """Three days after a rear-end collision the neck is not massaged; come back in the subacute stage."""
    result = check(areas=["neck"], cause="motor_vehicle", days_since_onset=3, severity=6, no_massage=True)
    assert result.no_massage is not None
    assert "second week" in result.no_massage.come_back


def test_subacute_whiplash_is_treated_gently() -> None:
    """Three weeks after the collision, with no neurological signs, gentle neck work is welcome."""
    check(
        areas=["neck"],
        cause="motor_vehicle",
        days_since_onset=21,
        top={"positional_release"},
        never={"deep_tissue", "cupping"},
        matched={"whiplash"},
    )


def test_whiplash_with_arm_tingling_is_an_urgent_referral() -> None:
    """Whiplash with tingling in the arm is grade III and goes to a physician before any massage."""
    check(areas=["neck"], cause="motor_vehicle", days_since_onset=21, health=["numbness_tingling@neck"], refer="urgent")


def test_lumbar_radicular_pain_is_handled_gently() -> None:
    """Back pain with tingling down the leg keeps deep work and suction off the back."""
    check(
        areas=["lower_back"],
        phase="chronic",
        health=["numbness_tingling@lower_back"],
        never={"deep_tissue", "cupping", "iastm"},
        matched={"lumbar_radicular_pain"},
    )


def test_jaw_pain() -> None:
    """Jaw pain from clenching favours gentle myofascial work on the chewing muscles."""
    check(areas=["jaw"], cause="stress", phase="chronic", top={"myofascial_release"}, top_n=2, matched={"tmj_pain"})


# --- red flags: refer first -------------------------------------------------------------


def test_suspected_dvt_is_an_urgent_referral() -> None:
    """A swollen, warm calf after a long flight is a possible clot: urgent referral, no massage at all."""
    check(areas=["calf"], phase="acute", health=["suspected_dvt"], refer="urgent")


def test_cauda_equina_signs_are_an_emergency() -> None:
    """Back pain with saddle numbness and new bladder trouble is an emergency referral."""
    check(areas=["lower_back"], phase="acute", severity=8, health=["cauda_equina_signs"], refer="urgent")


def test_cancer_history_with_night_pain_is_an_urgent_referral() -> None:
    """Each alone is not a bar, but a past cancer with new night pain is referred urgently before any massage."""
    check(areas=["lower_back"], phase="subacute", health=["cancer_history"])
    check(
        areas=["lower_back"], phase="subacute", health=["night_pain"], refer="routine", meanwhile=True, max_pressure=3
    )
    check(areas=["lower_back"], phase="subacute", health=["cancer_history", "night_pain"], refer="urgent")


def test_cancer_history_with_weight_loss_is_an_urgent_referral() -> None:
    """A past cancer with unexplained weight loss is referred urgently, with no massage meanwhile."""
    check(areas=["upper_back"], phase="chronic", health=["cancer_history", "unexplained_weight_loss"], refer="urgent")


def test_osteoporosis_and_a_fall_with_new_back_pain() -> None:
    """New back pain after a fall in someone with osteoporosis may be a fracture: referral first."""
    check(areas=["upper_back"], cause="fall", days_since_onset=4, health=["osteoporosis"], refer="routine")


def test_headache_after_a_fall_is_an_urgent_referral() -> None:
    """A headache that began with a fall two days ago needs a physician to rule out a head injury."""
    check(areas=["head"], cause="fall", days_since_onset=2, refer="urgent")


def test_sudden_severe_headache_is_an_urgent_referral() -> None:
    """A sudden worst-ever headache is a possible bleed: urgent referral, no massage."""
    check(areas=["head", "neck"], cause="stress", phase="chronic", health=["sudden_severe_headache"], refer="urgent")


def test_neck_pain_with_dizziness_is_an_urgent_referral() -> None:
    """Neck pain with new dizziness and double vision may be a neck artery problem: urgent referral."""
    check(areas=["neck"], phase="subacute", health=["dizziness_or_vision_changes"], refer="urgent")


def test_dark_urine_after_a_hard_session_is_an_urgent_referral() -> None:
    """Severe soreness with cola-coloured urine after a hard workout may be muscle breakdown: urgent referral."""
    check(areas=["thigh"], cause="gym", days_since_onset=1, goals=["recovery"], health=["dark_urine_after_exertion"],
          refer="urgent")  # fmt: skip


def test_chest_pain_is_an_urgent_referral() -> None:
    """New chest pain on the table means emergency care, not massage."""
    check(areas=["upper_back"], phase="chronic", health=["chest_pain_or_breathlessness"], refer="urgent")


def test_uncontrolled_hypertension_is_a_routine_referral() -> None:
    """Blood pressure that is not under control needs a physician's review first, without massage meanwhile."""
    check(areas=["neck"], cause="stress", phase="chronic", health=["uncontrolled_hypertension"], refer="routine")


def test_pregnancy_warning_signs_are_an_urgent_referral() -> None:
    """Bleeding or one swollen leg in pregnancy means the midwife first, not massage."""
    check(areas=["lower_back"], phase="subacute", health=["pregnancy", "pregnancy_warning_signs"], refer="urgent")


def test_spreading_redness_is_an_urgent_referral() -> None:
    """Red, warm, spreading skin on the shin is possible cellulitis: urgent referral."""
    check(areas=["calf"], phase="acute", health=["spreading_redness"], refer="urgent")


# --- refer, with care meanwhile ---------------------------------------------------------


def test_suspected_fracture_other_areas_treated_meanwhile() -> None:
    """A possible wrist fracture goes for an x-ray; the neck may be treated meanwhile, never the arm."""
    result = check(
        areas=["neck", "wrist_hand"],
        cause="fall",
        days_since_onset=1,
        health=["suspected_fracture@wrist_hand"],
        refer="routine",
        meanwhile=True,
    )
    assert result.outcome == "refer_and_treat"
    assert all(t.areas == ("neck",) for t in result.techniques)


def test_suspected_fracture_as_the_only_area_leaves_nothing_to_treat() -> None:
    """When the only problem area may be fractured, the answer is the x-ray referral and nothing else."""
    result = check(areas=["ankle_foot"], cause="sport", days_since_onset=1, health=["suspected_fracture@ankle_foot"],
                   refer="routine", meanwhile=True)  # fmt: skip
    assert result.techniques == ()
    assert result.outcome == "refer"


def test_active_cancer_treatment_allows_comfort_touch_only() -> None:
    """During chemotherapy only still, light comfort touch is offered while the oncology team confirms blood counts."""
    result = check(
        areas=["upper_back", "neck"],
        phase="chronic",
        goals=["relaxation", "pain_relief"],
        health=["active_cancer_treatment"],
        refer="routine",
        meanwhile=True,
        max_pressure=1,
    )
    assert [t.id for t in result.techniques] == ["comfort_touch"]


# --- no massage now and avoid an area --------------------------------------------------------


def test_fever_is_no_massage_now() -> None:
    """A client with a fever is sent home and told to come back a day after it has gone."""
    result = check(areas=["neck"], phase="chronic", health=["fever"], no_massage=True)
    assert result.no_massage is not None
    assert "24 hours" in result.no_massage.come_back


def test_open_wound_on_the_only_area_is_no_massage() -> None:
    """An unhealed graze over the only sore area means no massage until the skin has closed."""
    result = check(areas=["calf"], phase="subacute", health=["open_wound@calf"], no_massage=True)
    assert result.no_massage is not None
    assert "closed" in result.no_massage.come_back


def test_varicose_veins_rule_out_the_limb_below() -> None:
    """Varicose veins on the thigh rule out the thigh and everything below it; the low back is still treated."""
    result = check(areas=["calf", "lower_back"], phase="chronic", health=["varicose_veins@thigh"])
    assert all(t.areas == ("lower_back",) for t in result.techniques)
    assert {"thigh", "knee", "calf", "ankle_foot"} <= {
        a.area for a in result.avoided if a.rule == "varicose_veins_local"
    }


def test_skin_infection_on_a_whole_body_session_is_skipped() -> None:
    """Athlete's foot on a whole-body relaxation client: everything else is treated, the foot is skipped."""
    result = check(areas=["full_body"], cause="stress", phase="chronic", goals=["relaxation"],
                   health=["skin_infection@ankle_foot"], top={"swedish"})  # fmt: skip
    assert all("ankle_foot" in t.skip_areas for t in result.techniques)


# --- adjust: caps and forbidden techniques -----------------------------------------------------


def test_anticoagulants_keep_pressure_light() -> None:
    """A client on warfarin with chronic back pain is treated at light pressure with no deep or suction work."""
    check(areas=["lower_back"], phase="chronic", health=["anticoagulants"], never=DEEP_WORK, max_pressure=2,
          base=("chronic_low_back_pain", 8, 10))  # fmt: skip


def test_osteoporosis_alone_is_gentle_work() -> None:
    """Osteoporosis with long-standing upper back ache is treated, gently and without forceful work."""
    check(areas=["upper_back"], cause="posture", phase="chronic", health=["osteoporosis"], never=DEEP_WORK,
          max_pressure=2)  # fmt: skip


def test_pregnancy_low_back_pain() -> None:
    """Low back pain in an uncomplicated pregnancy is treated with moderate pressure and no deep work, legs lighter."""
    check(areas=["lower_back"], phase="subacute", health=["pregnancy"], never=DEEP_WORK, max_pressure=3)
    check(areas=["calf"], phase="subacute", health=["pregnancy"], never=DEEP_WORK, max_pressure=2)


def test_lymph_nodes_removed_protects_the_limb() -> None:
    """After axillary node removal the shoulder and arm get gentle pressure and never cupping."""
    check(areas=["shoulder"], phase="chronic", health=["lymph_nodes_removed@shoulder"], never={"cupping", "iastm"},
          max_pressure=2)  # fmt: skip


def test_lymphedema_favours_drainage() -> None:
    """A swollen lymphoedematous leg with a swelling goal gets manual lymphatic drainage first, very lightly."""
    check(areas=["calf"], phase="chronic", goals=["swelling_reduction"], health=["lymphedema@calf"],
          top={"lymphatic_drainage"}, top_n=1, max_pressure=1, matched={"secondary_lymphedema"})  # fmt: skip


def test_diabetic_neuropathy_in_the_feet() -> None:
    """Heel pain in a client with numb diabetic feet is treated lightly, with no friction or scraping."""
    check(areas=["ankle_foot"], cause="unknown", phase="chronic", health=["diabetic_neuropathy@ankle_foot"],
          never={"iastm", "cross_fiber_friction", "deep_tissue"}, max_pressure=2)  # fmt: skip


def test_acute_inflammation_allows_drainage_or_holding_only() -> None:
    """A hot, swollen knee gets only drainage or a still hold on the knee."""
    result = check(areas=["knee"], phase="subacute", goals=["swelling_reduction"], health=["acute_inflammation@knee"],
                   top={"lymphatic_drainage"}, top_n=1, max_pressure=1)  # fmt: skip
    assert {t.id for t in result.techniques} <= {"lymphatic_drainage", "comfort_touch"}
