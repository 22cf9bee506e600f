"""The profile flags `--age` and `--cleared`: shared by suggest, course start and explain, checked like any field."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from massage_rules.cli import admin
from massage_rules.cli.profile_flags import PROFILE_FLAGS
from massage_rules.cli.suggest import build_parser, main
from massage_rules.models import ClientProfile

NEW_BACK = ["--area", "lower_back", "--cause", "posture", "--severity", "5", "--phase", "subacute"]
NEW_BACK += ["--goal", "pain_relief"]
OVER_FIFTY = "back_pain_over_fifty_ask"


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main([*NEW_BACK, *argv, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def _questions(data: dict[str, Any]) -> list[str]:
    return [q["rule"] for q in data["screening_questions"]]


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main([*NEW_BACK, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def test_every_profile_field_has_a_flag() -> None:
    """The flags give every field of ClientProfile, so a therapist at the terminal can say all a file can."""
    assert set(PROFILE_FLAGS) == set(ClientProfile.model_fields)


def test_age_raises_the_age_linked_question(capsys: pytest.CaptureFixture[str]) -> None:
    """`--age 58` reaches the profile, and new back pain over fifty puts its screening question first."""
    data = _json(capsys, "--age", "58")
    assert data["profile"]["age"] == 58
    assert OVER_FIFTY in _questions(data)
    assert all(OVER_FIFTY in t["after_screening"] for t in data["techniques"])
    assert OVER_FIFTY not in _questions(_json(capsys, "--age", "35"))


def test_cleared_answers_the_question_no(capsys: pytest.CaptureFixture[str]) -> None:
    """`--cleared RULE` answers the question "no": it is not asked again and no technique waits for it."""
    data = _json(capsys, "--age", "58", "--cleared", OVER_FIFTY)
    assert data["profile"]["cleared"] == [OVER_FIFTY]
    assert OVER_FIFTY not in _questions(data)
    assert not any(OVER_FIFTY in t["after_screening"] for t in data["techniques"])


def test_cleared_repeats_and_is_normalised(capsys: pytest.CaptureFixture[str]) -> None:
    """`--cleared` repeats; each id is normalised and the list sorted, like the other list flags."""
    data = _json(capsys, "--cleared", "Leg-Swelling Clot Ask", "--cleared", OVER_FIFTY)
    assert data["profile"]["cleared"] == [OVER_FIFTY, "leg_swelling_clot_ask"]


def test_flags_override_the_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --profile, --age and --cleared replace the file's values, as every other profile flag does."""
    client = tmp_path / "client.yaml"
    client.write_text(
        "areas: [lower_back]\nseverity: 5\nphase: subacute\ngoals: [pain_relief]\nage: 30\n"
        "cleared: [leg_swelling_clot_ask]\n",
        encoding="utf-8",
    )
    assert main(["--profile", str(client), "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert (from_file["profile"]["age"], from_file["profile"]["cleared"]) == (30, ["leg_swelling_clot_ask"])
    assert main(["--profile", str(client), "--age", "58", "--cleared", OVER_FIFTY, "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert (both["profile"]["age"], both["profile"]["cleared"]) == (58, [OVER_FIFTY])


def test_an_unknown_cleared_id_names_the_questions_and_a_close_one(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt --cleared is exit 2: the field, a close match, and every screening-question id of the knowledge."""
    err = _error(capsys, "--cleared", "back_pain_over_fity_ask")
    assert err.startswith("suggest: bad profile: cleared[0]: 'back_pain_over_fity_ask' is not a known screening")
    assert f"did you mean '{OVER_FIFTY}'?" in err
    assert "(allowed: acute_trunk_pain_unexplained_ask, " in err
    assert "leg_swelling_clot_ask" in err
    assert "plantar_fasciitis.confirm" in err  # a complaint's confirming question is one too


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("200", "age: must be from 0 to 130, not 200"),
        ("fifty", "age: must be a whole number of years from 0 to 130, not the text 'fifty'"),
        ("-5", "age: must be a whole number of years from 0 to 130, not the text '-5'"),
        ("58.5", "age: must be a whole number of years from 0 to 130, not the text '58.5'"),
    ],
)
def test_a_bad_age_is_a_profile_error(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An age that is not a whole number of years from 0 to 130 is exit 2, naming the field and the range."""
    assert _error(capsys, "--age", value) == f"suggest: bad profile: {message}\n"


def test_batch_refuses_the_new_flags_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--batch reads every field from its file, so --age or --cleared beside it is a usage error."""
    path = tmp_path / "clients.csv"
    path.write_text("areas,severity,phase,goals\nneck,3,acute,relaxation\n", encoding="utf-8")
    for flag, value in (("--age", "58"), ("--cleared", OVER_FIFTY)):
        assert main(["--batch", str(path), flag, value]) == 2
        assert "drop --profile and the profile flags" in capsys.readouterr().err


def _subparser(parser: argparse.ArgumentParser, *path: str) -> argparse.ArgumentParser:
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


@pytest.mark.parametrize("path", [(), ("course", "start"), ("explain",)], ids=["suggest", "course start", "explain"])
def test_every_command_that_takes_a_profile_takes_the_same_flags(path: tuple[str, ...]) -> None:
    """suggest, course start and explain share one set of profile flags, so each has --age and --cleared."""
    parser = _subparser(admin.build_parser(), *path) if path else build_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert {"--profile", "--area", "--health", "--condition", "--age", "--cleared"} <= flags


def test_explain_reads_age_and_cleared(capsys: pytest.CaptureFixture[str]) -> None:
    """explain takes --age and --cleared and checks them as suggest does: a bad one is exit 2 naming the field."""
    argv = ["explain", "--technique", "swedish", *NEW_BACK, "--age", "58"]
    assert admin.main([*argv, "--cleared", OVER_FIFTY, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["technique"] == "swedish"
    assert admin.main([*argv, "--cleared", "over_fifty"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("massage-rules explain: cleared[0]: 'over_fifty' is not a known screening question")
    assert f"did you mean '{OVER_FIFTY}'" in err


def test_text_says_how_to_answer_with_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """The report's "Ask first" tells the terminal user the flag to re-run with; re-run, the question is gone."""
    assert main([*NEW_BACK, "--age", "58"]) == 0
    out = capsys.readouterr().out
    assert "Ask first" in out
    assert f"\n    if no: add --cleared {OVER_FIFTY}\n" in out
    assert main([*NEW_BACK, "--age", "58", "--full"]) == 0
    full = capsys.readouterr().out
    assert "    if yes: add --health cancer_history, unexplained_weight_loss" in full
    assert f"\n    if no: add --cleared {OVER_FIFTY}\n" in full
    assert main([*NEW_BACK, "--age", "58", "--cleared", OVER_FIFTY]) == 0
    assert "Ask first" not in capsys.readouterr().out


def test_course_start_keeps_age_and_cleared_in_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """course start takes --age and --cleared; its report names the flag that answers, and the file keeps both."""
    import yaml

    out = tmp_path / "anna.yaml"
    assert admin.main(["course", "start", *NEW_BACK, "--age", "58", "--out", str(out)]) == 0
    assert f"if no: add --cleared {OVER_FIFTY}" in capsys.readouterr().out
    assert admin.main(["course", "start", *NEW_BACK, "--age", "58", "--cleared", OVER_FIFTY, "--out", str(out),
                       "--force"]) == 0  # fmt: skip
    assert "Ask first" not in capsys.readouterr().out
    profile = yaml.safe_load(out.read_text(encoding="utf-8"))["profile"]
    assert (profile["age"], profile["cleared"]) == (58, [OVER_FIFTY])
