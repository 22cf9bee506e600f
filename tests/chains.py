"""Clinic packs whose complaints match through other complaints, for the firing and safety property tests."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

import massage_rules as mr

BASE = tuple(sorted((Path(__file__).parent / "knowledge" / "base").glob("*.yaml")))
TECHNIQUES = ["comfort_touch", "deep_tissue", "lymphatic_drainage", "sports_massage", "swedish"]
ROOTS = ["chronic_low_back_pain", "ankle_sprain"]  # the test base's complaints


@st.composite
def chained_packs(draw: st.DrawFn) -> str:
    """A pack of complaints in chains of one to four links, and restrictions and scores keyed on any link."""
    links = draw(st.integers(1, 4))
    lines = ["format: 1", "pack: {id: chains, version: '0.0.1', title: chains}", "conditions:"]
    for i in range(links):
        earlier = [f"zz_link_{j}" for j in range(i)] or ROOTS
        named = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
        extra = draw(st.sampled_from(["", ", goals: [pain_relief, mobility]", ", severity: {min: 3}"]))
        favour = ", ".join(f"{t}: {draw(st.sampled_from([1, 3, 9]))}" for t in draw(_some_techniques))
        lines += [
            f"  - id: zz_link_{i}",
            f"    name: Link {i}",
            "    icd10: []",
            f"    match: {{conditions: [{', '.join(named)}]{extra}}}",
            f"    favour: {{{favour}}}",
            "    text: A complaint matched through another complaint.",
            "    sources: [cherkin11]",
        ]
    lines.append("rules:")
    for i in range(draw(st.integers(1, 5))):
        link = f"zz_link_{draw(st.integers(0, links - 1))}"
        kind = draw(st.sampled_from(["forbid", "cap", "allow", "score"]))
        where = draw(st.sampled_from(["everywhere", "problem_areas"]))
        lines += [f"  - id: zz_rule_{i}", f"    text: Rule {i} on {link}.", f"    when: {{conditions: [{link}]}}"]
        if kind == "forbid":
            techniques = draw(st.none() | _some_techniques)
            listed = "all" if techniques is None else f"[{', '.join(techniques)}]"
            lines.append(f"    forbid: {{techniques: {listed}, where: {where}}}")
        elif kind == "cap":
            lines.append(f"    cap_pressure: {{max: {draw(st.integers(1, 4))}, where: {where}}}")
        elif kind == "allow":
            lines.append(f"    allow_only: [{', '.join(draw(_some_techniques))}]")
        else:
            lines.append(f"    score: {{{draw(st.sampled_from(TECHNIQUES))}: 20}}")
        lines.append("    sources: [cherkin11]")
    return "\n".join(lines) + "\n"


_some_techniques = st.lists(st.sampled_from(TECHNIQUES), min_size=1, max_size=3, unique=True)


def load_with(pack: str, folder: Path) -> mr.KnowledgeBase:
    """The test base plus ``pack``, written to ``folder``."""
    path = folder / "chains.yaml"
    path.write_text(pack, encoding="utf-8")
    return mr.load_knowledge([*BASE, path], bundled=False)


def chain_profiles() -> st.SearchStrategy[mr.ClientProfile]:
    """Profiles that often match the test base's complaints, so that chains fire."""
    return st.builds(
        mr.ClientProfile,
        areas=st.lists(
            st.sampled_from(["lower_back", "ankle_foot", "neck", "full_body", "calf"]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        cause=st.sampled_from([None, "sport", "fall", "posture"]),
        severity=st.integers(0, 10),
        phase=st.sampled_from(["acute", "subacute", "chronic"]),
        goals=st.lists(st.sampled_from(["pain_relief", "mobility", "relaxation"]), min_size=1, max_size=2, unique=True),
        health=st.lists(
            st.sampled_from(["anticoagulants", "varicose_veins@calf", "varicose_veins"]), max_size=2, unique=True
        ),
        conditions=st.lists(st.sampled_from(["chronic_low_back_pain", "ankle_sprain", "zz_link_0"]), max_size=1),
    )
