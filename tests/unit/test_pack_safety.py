"""Safety through clinic packs (issue 20): locked rules, loud overrides, plain text, honest pack names.

Each test is a regression test for one defect the issue lists; the hostile pack
files with their exact file:line messages are in tests/knowledge/bad/.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.cli.admin import main as admin_main
from massage_rules.cli.suggest import main as suggest_main
from massage_rules.models import OverrideStamp, switched_off_warning
from massage_rules.output.handout import render_html, render_markdown
from massage_rules.output.interop import to_cds_hooks_cards, to_fhir_careplan
from massage_rules.output.markup import markdown, web_url
from massage_rules.output.text import render_text

DVT_PACK = """\
format: 1
pack: {id: clinic, version: "1"}
overrides:
  - rule: suspected_dvt_refer
    disable: true
    disable_safety_rule: true
    reason: "x"
"""
OFF_PACK = """\
format: 1
pack: {id: clinic, version: "1"}
overrides:
  - rule: anticoagulants_gentle
    disable: true
    disable_safety_rule: true
    reason: Our physician reviews every anticoagulated client before the session.
"""
DVT_ARGS = ["--area", "calf", "--severity", "5", "--phase", "chronic", "--goal", "pain_relief"]
PROFILE = "areas: [lower_back]\nseverity: 5\nphase: chronic\ngoals: [pain_relief]\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(main: object, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))  # type: ignore[operator]
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(code), out, err


@pytest.fixture(scope="module")
def off_kb(tmp_path_factory: pytest.TempPathFactory) -> mr.KnowledgeBase:
    """The bundled knowledge with a pack that switches off the anticoagulants safety rule, with a real reason."""
    return mr.load_knowledge([_write(tmp_path_factory.mktemp("off"), "off.yaml", OFF_PACK)])


@pytest.fixture(scope="module")
def off_result(off_kb: mr.KnowledgeBase) -> mr.Recommendation:
    """An answer for a client on anticoagulants under that pack."""
    profile = mr.ClientProfile(
        areas=["calf"], severity=5, phase="chronic", goals=["pain_relief"], health=["anticoagulants"]
    )
    return mr.recommend(profile, off_kb)


# 1. An urgent referral can be switched off with a one-word reason.


def test_urgent_referral_cannot_be_switched_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The DVT pack of the issue is broken knowledge: suggest exits 1 naming the override's file:line."""
    pack = _write(tmp_path, "dvt.yaml", DVT_PACK)
    code, out, err = _run(suggest_main, capsys, *DVT_ARGS, "--health", "suspected_dvt", "--knowledge", str(pack))
    assert (code, out) == (1, "")
    assert f"{pack}:4:5: rule 'suspected_dvt_refer': rule 'suspected_dvt_refer' is locked" in err
    assert "no pack may switch it off" in err


def test_bundled_referrals_and_stops_are_all_locked(kb: mr.KnowledgeBase) -> None:
    """Every bundled rule that refers, stops massage or rules everything out everywhere is locked."""
    from massage_rules.knowledge.packs import locked_because

    locked = {rule.id for rule in kb.rules if locked_because(rule) is not None}
    refers = {rule.id for rule in kb.rules if rule.refer is not None or rule.no_massage is not None}
    assert refers <= locked
    assert {"suspected_dvt_refer", "fever_no_massage", "suspected_fracture_refer"} <= locked
    assert "anticoagulants_gentle" not in locked


def test_a_screening_question_cannot_be_switched_off(tmp_path: Path, kb: mr.KnowledgeBase) -> None:
    """A rule that asks a question before treating is red-flag screening too: every one is locked against packs."""
    from massage_rules.knowledge.packs import locked_because

    asking = sorted(rule.id for rule in kb.rules if rule.ask is not None)
    assert asking
    assert all(locked_because(kb.rules_by_id[rule]) is not None for rule in asking)
    pack = _write(
        tmp_path,
        "ask.yaml",
        f'format: 1\npack: {{id: clinic, version: "1"}}\noverrides:\n  - rule: {asking[0]}\n    disable: true\n'
        "    disable_safety_rule: true\n    reason: Our intake form asks this question before every booking.\n",
    )
    with pytest.raises(mr.KnowledgeError, match=f"rule '{asking[0]}' is locked .it asks a screening question"):
        mr.load_knowledge([pack])


def test_course_add_with_a_finding_under_a_locked_pack_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """course add with the DVT pack cannot report ON TRACK: the pack does not load (exit 1)."""
    profile = _write(tmp_path, "client.yaml", PROFILE)
    history = tmp_path / "anna.yaml"
    assert _run(admin_main, capsys, "course", "start", "--profile", str(profile), "--out", str(history))[0] == 0
    pack = _write(tmp_path, "dvt.yaml", DVT_PACK)
    add = ["course", "add", str(history), "--pain-before", "5", "--pain-after", "4"]  # dated today
    code, out, err = _run(admin_main, capsys, *add, "--health", "suspected_dvt", "--knowledge", str(pack))
    assert code == 1
    assert "ON TRACK" not in out
    assert "is locked" in err
    code, out, _ = _run(admin_main, capsys, *add, "--health", "suspected_dvt")
    assert code == 0
    assert "RED FLAG: STOP the course and refer" in out


def test_a_switched_off_safety_rule_is_said_first_in_text(off_result: mr.Recommendation) -> None:
    """The text report opens with the switched-off rule, its pack and its reason, and does not repeat it below."""
    text = render_text(off_result)
    assert text.startswith("!! SAFETY RULE SWITCHED OFF [anticoagulants_gentle] by pack 'clinic'\n")
    banner = " ".join(text.split("Client:")[0].replace("!! ", "").split())
    assert "the core knowledge would have given techniques ruled out and a pressure limit" in banner
    assert "Warning: safety rule 'anticoagulants_gentle'" not in text
    assert "Overrides: anticoagulants_gentle (disable, pack clinic)" in text


def test_a_switched_off_safety_rule_is_a_top_level_json_field(off_result: mr.Recommendation) -> None:
    """JSON carries safety_overrides at the top level; it survives a round trip and is empty elsewhere."""
    data = json.loads(off_result.model_dump_json())
    assert [o["rule"] for o in data["safety_overrides"]] == ["anticoagulants_gentle"]
    assert data["safety_overrides"][0]["effects"] == ["forbid", "cap_pressure"]
    again = mr.Recommendation.model_validate_json(off_result.model_dump_json())
    assert again == off_result
    assert again.safety_overrides == off_result.safety_overrides
    assert switched_off_warning(off_result.safety_overrides[0]) in off_result.warnings


def test_safety_overrides_only_where_the_rule_applies(off_kb: mr.KnowledgeBase) -> None:
    """A client the switched-off rule would not apply to gets no banner, though the stamp lists the override."""
    result = mr.recommend(mr.ClientProfile(areas=["calf"], severity=5, phase="chronic", goals=["pain_relief"]), off_kb)
    assert result.safety_overrides == ()
    assert [o.rule for o in result.knowledge.overrides] == ["anticoagulants_gentle"]
    assert not render_text(result).startswith("!!")


def test_a_switched_off_safety_rule_opens_the_handout(off_result: mr.Recommendation) -> None:
    """The client's handout says first, under its title, that a precaution that applies to them is off."""
    lines = render_markdown(off_result).splitlines()
    assert lines[0] == "# Your massage plan"
    assert lines[2].startswith("> **Please note: your clinic has switched off a standard safety precaution")
    assert "Our physician reviews every anticoagulated client before the session." in lines[2]
    page = render_html(off_result)
    body = page.split("<body>\n", 1)[1].splitlines()
    assert body[1].startswith('<p class="notice safety"><strong>Please note: your clinic has switched off')


def test_a_switched_off_safety_rule_is_the_first_cds_hooks_card(off_result: mr.Recommendation) -> None:
    """The first card names the rule and reason, at the indicator its own restriction had (warning here)."""
    cards = to_cds_hooks_cards(off_result)
    first = cards[0]
    assert first["indicator"] == "warning"
    assert "anticoagulants_gentle" in first["summary"]
    assert "Our physician reviews every anticoagulated client" in first["detail"]


def test_a_switched_off_urgent_referral_would_be_a_critical_card(off_result: mr.Recommendation) -> None:
    """Were an urgent referral ever switched off, its card would be critical, as the referral's own card was."""
    urgent = OverrideStamp(
        rule="some_urgent_refer",
        action="disable",
        reason="A reason of real length, for the test.",
        pack="clinic",
        safety=True,
        effects=("refer_urgent",),
    )
    knowledge = off_result.knowledge.model_copy(update={"overrides": (urgent,)})
    result = off_result.model_copy(
        update={"knowledge": knowledge, "warnings": (switched_off_warning(urgent),), "safety_overrides": (urgent,)}
    )
    cards = to_cds_hooks_cards(result)
    assert (cards[0]["indicator"], "some_urgent_refer" in cards[0]["summary"]) == ("critical", True)


def test_a_switched_off_safety_rule_comes_first_in_fhir(off_result: mr.Recommendation) -> None:
    """The CarePlan's first note and the narrative's first paragraph name the switched-off rule."""
    plan = to_fhir_careplan(off_result)
    assert plan["note"][0]["text"].startswith("**SAFETY RULE SWITCHED OFF** (anticoagulants\\_gentle, pack clinic)")
    assert plan["text"]["div"].split("<p>")[1].startswith("<strong>Safety rule anticoagulants_gentle is switched off")


def test_course_review_says_first_that_a_rule_for_a_new_finding_is_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new finding whose safety rule a pack switched off: course add and review put that first."""
    profile = _write(tmp_path, "client.yaml", PROFILE)
    history = tmp_path / "anna.yaml"
    pack = _write(tmp_path, "off.yaml", OFF_PACK)
    start = ["course", "start", "--profile", str(profile), "--out", str(history), "--knowledge", str(pack)]
    assert _run(admin_main, capsys, *start)[0] == 0
    add = ["course", "add", str(history), "--pain-before", "5", "--pain-after", "4"]  # dated today
    code, out, _ = _run(admin_main, capsys, *add, "--health", "anticoagulants", "--knowledge", str(pack))
    assert code == 0
    assert out.startswith("!! safety rule 'anticoagulants_gentle' would apply to this client, but pack 'clinic'")
    code, out, _ = _run(admin_main, capsys, "course", "review", str(history), "--knowledge", str(pack))
    assert out.startswith("!! safety rule 'anticoagulants_gentle'")
    assert "\nCourse review: ON TRACK" in out
    code, out, _ = _run(admin_main, capsys, "course", "review", str(history), "--knowledge", str(pack), "--json")
    assert json.loads(out)["warnings"][0].startswith("safety rule 'anticoagulants_gentle' would apply")


def test_review_of_a_plan_alone_names_the_switched_off_rule(off_kb: mr.KnowledgeBase) -> None:
    """Without a profile, a new finding that a switched-off rule names is still reported first."""
    profile = mr.ClientProfile(areas=["lower_back"], severity=5, phase="chronic", goals=["pain_relief"])
    plan = mr.recommend(profile, off_kb).plan
    assert plan is not None
    session = {"date": dt.date.today().isoformat(), "pain_before": 5, "pain_after": 4, "health": ["anticoagulants"]}
    review = mr.review_progress(plan, [session], off_kb)
    assert review.warnings[0].startswith("safety rule 'anticoagulants_gentle' would apply to this client")


def test_check_lists_a_switched_off_safety_rule_as_a_warning(tmp_path: Path) -> None:
    """check passes the pack but warns about the switched-off rule, at the override's line."""
    pack = _write(tmp_path, "off.yaml", OFF_PACK)
    report = mr.check_knowledge([pack])
    assert report.ok
    assert [(p.severity, p.line, p.rule) for p in report.problems] == [("warning", 4, "anticoagulants_gentle")]


def test_a_one_word_reason_cannot_switch_off_a_safety_rule(tmp_path: Path) -> None:
    """The reason must be at least 20 characters and four words; the error points at the reason."""
    reason = "reason: Our physician reviews every anticoagulated client before the session."
    pack = _write(tmp_path, "thin.yaml", OFF_PACK.replace(reason, "reason: Physician reviews."))
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([pack])
    first = caught.value.problems[0]
    assert (first.line, first.column, first.rule) == (7, 5, "anticoagulants_gentle")
    assert "needs a reason of at least 20 characters and 4 words" in first.message


# 2. Control characters in pack text reach the terminal raw.


def test_escape_sequences_in_a_reason_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reason that would erase the warning on screen is refused at load; no output holds an escape."""
    hostile = OFF_PACK.replace("reason: Our physician", 'reason: "ok\\r\\e[2K\\e[1A\\e[2K\\u202eOur physician').replace(
        "session.", 'session."'
    )
    pack = _write(tmp_path, "hostile.yaml", hostile)
    code, out, err = _run(suggest_main, capsys, *DVT_ARGS, "--health", "anticoagulants", "--knowledge", str(pack))
    assert code == 1
    assert f"{pack}:7:5: overrides.reason: the text holds U+000D (a carriage return)" in err
    assert not any(char in out + err for char in "\r\x1b\u202e")


def test_text_output_replaces_control_characters() -> None:
    """Should a control character ever reach the text renderer, it is shown as U+FFFD, never sent raw."""
    from massage_rules.output.markup import terminal

    assert terminal("ok\r\x1b[2K\u202eend\nnext") == "ok\ufffd\ufffd[2K\ufffdend\nnext"


# 3. Plan thresholds and advice can be replaced silently.


def _course_worsens(kb: mr.KnowledgeBase) -> mr.ProgressReview:
    profile = mr.ClientProfile(areas=["lower_back"], severity=5, phase="chronic", goals=["pain_relief"])
    result = mr.recommend(profile, kb)
    sessions = [
        {"date": dt.date.today().isoformat(), "pain_before": 5, "pain_after": 5},
        {"date": "2099-01-08", "pain_before": 9, "pain_after": 9},
    ]
    return mr.review_progress(result, sessions, kb)


def test_replacing_thresholds_is_an_override_and_cannot_hide_a_worsening(tmp_path: Path) -> None:
    """Pain 5 -> 9 stays WORSENING under a pack's thresholds; the replacement is stamped and said in the review."""
    pack = _write(
        tmp_path,
        "mc.yaml",
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "overrides:\n  - {plan: meaningful_change, reason: Our outcome audit uses a three-point fall as important.}\n"
        "plan:\n  meaningful_change: {pain_points: 3, pain_percent: 40, function_points: 2, worsening_points: 2,\n"
        "    recovered_pain_max: 0, text: Clinic thresholds., sources: [farrar01]}\n",
    )
    kb = mr.load_knowledge([pack])
    review = _course_worsens(kb)
    assert review.status == "worsening"
    assert review.warnings == (
        "this review's thresholds (plan.meaningful_change) come from pack 'clinic', not the core knowledge: "
        "Our outcome audit uses a three-point fall as important.",
    )
    stamp = mr.recommend(mr.ClientProfile(areas=["neck"], severity=3, phase="chronic", goals=["relaxation"]), kb)
    assert [(o.rule, o.action, o.pack) for o in stamp.knowledge.overrides] == [
        ("plan.meaningful_change", "replace", "clinic")
    ]
    assert [p.severity for p in mr.check_knowledge([pack]).problems] == ["warning"]


def test_raising_the_worsening_threshold_is_refused(tmp_path: Path) -> None:
    """The issue's pack, which turned 5 -> 9 into ON TRACK, is a knowledge error at worsening_points."""
    pack = _write(
        tmp_path,
        "mc.yaml",
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "overrides:\n  - {plan: meaningful_change, reason: Our clients flare first and we never stop early.}\n"
        "plan:\n  meaningful_change: {pain_points: 2, pain_percent: 30, function_points: 2,\n"
        "    worsening_points: 5, recovered_pain_max: 0, text: Clinic thresholds., sources: [farrar01]}\n",
    )
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([pack])
    first = caught.value.problems[0]
    assert (first.file, first.line) == (str(pack), 7)
    assert "worsening_points is locked against weakening: 5 is above the 2" in first.message
    assert _course_worsens(mr.load_knowledge()).status == "worsening"


def test_replacing_a_setting_without_an_override_is_refused(tmp_path: Path) -> None:
    """A silent replacement of the status advice is an error naming the setting that was in force."""
    plan_text = (Path(mr.__file__).resolve().parents[2] / "knowledge" / "plan.yaml").read_text(encoding="utf-8")
    advice = plan_text[plan_text.index("  status_advice:") :].split("\nrules:")[0]  # to the plan section's end
    pack = _write(tmp_path, "advice.yaml", 'format: 1\npack: {id: clinic, version: "1"}\nplan:\n' + advice)
    with pytest.raises(mr.KnowledgeError, match=r"replaces plan\.status_advice from .*plan\.yaml:\d+; say so"):
        mr.load_knowledge([pack])


# 4. A pack can pose as the core.


def test_a_pack_cannot_call_itself_core(tmp_path: Path) -> None:
    """id: core on a pack is refused (it was listed as [core, core], its override credited to core)."""
    pack = _write(tmp_path, "core.yaml", 'format: 1\npack: {id: core, version: "0.2.0"}\n')
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([pack])
    assert str(caught.value) == (
        f"{pack}:2:8: pack id 'core' is reserved for the bundled knowledge; give the pack its own id"
    )


def test_two_packs_cannot_share_an_id(tmp_path: Path) -> None:
    """A second pack with an id already loaded is refused, naming the first."""
    one = _write(tmp_path, "one.yaml", 'format: 1\npack: {id: clinic, version: "1"}\n')
    two = _write(tmp_path, "two.yaml", 'format: 1\npack: {id: clinic, version: "2"}\n')
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([one, two])
    assert str(caught.value) == f"{two}:2:8: pack id 'clinic' is already used by {one}:2; give each pack its own id"


def test_a_pack_without_a_header_is_refused_and_the_stamp_names_every_pack(tmp_path: Path) -> None:
    """A headerless pack no longer passes as core-0.2.0; with a header, the version names both packs."""
    bare = _write(tmp_path, "bare.yaml", "format: 1\nfindings: []\n")
    with pytest.raises(mr.KnowledgeError, match=r"bare\.yaml:1:1: has no 'pack: \{id, version\}' header"):
        mr.load_knowledge([bare])
    named = _write(tmp_path, "named.yaml", 'format: 1\npack: {id: clinic, version: "3"}\n')
    kb = mr.load_knowledge([named])
    assert kb.version == f"{mr.load_knowledge().version}+clinic-3"
    assert [p for p, _ in kb.packs] == ["core", "clinic"]


# 5. Markup from pack text reaches outputs unescaped.

MARKUP_PACK = """\
format: 1
pack: {id: clinic, version: "1"}
sources:
  - id: clinic_leaflet
    citation: "Our leaflet <script>alert(1)</script> [click](javascript:alert(2))"
    url: https://clinic.example/leaflet
    evidence: expert_opinion
rules:
  - id: clinic_neck_note
    text: "Neck clients: <img src=x onerror=alert(3)> *always* ask first."
    when: {areas: [neck]}
    note: "<script>alert(4)</script> # not a heading"
    cap_pressure: {max: 3}
    sources: [clinic_leaflet]
"""


@pytest.fixture(scope="module")
def markup_result(tmp_path_factory: pytest.TempPathFactory) -> mr.Recommendation:
    """An answer whose knowledge texts carry HTML and Markdown."""
    pack = _write(tmp_path_factory.mktemp("markup"), "markup.yaml", MARKUP_PACK)
    profile = mr.ClientProfile(areas=["neck"], severity=3, phase="chronic", goals=["relaxation"])
    return mr.recommend(profile, mr.load_knowledge([pack]))


def test_markup_in_pack_text_is_escaped_in_the_handout(markup_result: mr.Recommendation) -> None:
    """The handout shows the texts as written: no raw tag, no link, no emphasis from a pack."""
    handout = render_markdown(markup_result)
    assert "<script>" not in handout
    assert "<img" not in handout
    assert "&lt;img src=x onerror=alert(3)&gt; \\*always\\* ask first." in handout
    assert "clinic.example" not in handout  # no reference list for the client, so no link at all
    page = render_html(markup_result)
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(3)&gt; *always* ask first." in page


def test_markup_in_pack_text_is_escaped_in_cds_hooks_and_fhir(markup_result: mr.Recommendation) -> None:
    """Card details and FHIR annotations are escaped Markdown; the narrative is escaped XHTML."""
    cards = json.dumps(to_cds_hooks_cards(markup_result))
    assert "<script>" not in cards
    assert "<img" not in cards.replace('"summary"', "")  # summaries are plain text by the CDS Hooks spec
    careplan = to_fhir_careplan(markup_result)
    assert all("<script>" not in note["text"] for note in careplan["note"])
    assert "<script>" not in careplan["text"]["div"]


def test_links_are_web_addresses_only(markup_result: mr.Recommendation) -> None:
    """A javascript: URL is refused at load (see bad/javascript_url.yaml), and outputs link only http(s)."""
    assert web_url("javascript:alert(1)") is None
    assert web_url("https://a.example/x y") is None
    assert web_url("https://a.example/x?y=1&z=2") == "https://a.example/x?y=1&z=2"
    bad = markup_result.sources[0].model_copy(update={"url": "javascript:alert(1)"})
    result = markup_result.model_copy(update={"sources": (bad, *markup_result.sources[1:])})
    links = [link["url"] for card in to_cds_hooks_cards(result) for link in card.get("links", [])]
    assert all(url.startswith(("https:", "http:")) for url in links)
    assert "<javascript:" not in render_markdown(result)
    assert "javascript:" not in render_html(result)


def test_markdown_escaping_keeps_the_text() -> None:
    """Escaped text renders as written: HTML as entities, inline marks and a leading block mark backslashed."""
    assert markdown("<b>x</b> & *y*") == "&lt;b&gt;x&lt;/b&gt; &amp; \\*y\\*"
    assert markdown("# title") == "\\# title"
    assert markdown("1. first") == "1\\. first"
    assert markdown("two\nlines") == "two lines"
