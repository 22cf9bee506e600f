"""Many threads sharing one knowledge base get exactly the single-thread answers."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings, strategies as st

import massage_rules as mr
from tests.strategies import profile_fields

KB = mr.load_knowledge()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(profile_fields(KB), min_size=20, max_size=20))
def test_threads_get_single_thread_results(fields: list[dict[str, object]]) -> None:
    """Eight threads calling recommend on one shared base return byte-identical JSON to a serial run."""
    profiles = [mr.ClientProfile(**f) for f in fields]
    expected = [mr.recommend(p, KB).model_dump_json() for p in profiles]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to shake out shared state
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [pool.submit(lambda p=p: mr.recommend(p, KB).model_dump_json()) for p in profiles * 4]
            got = [job.result() for job in jobs]
    finally:
        sys.setswitchinterval(old)
    assert got == expected * 4


def test_threads_loading_default_knowledge_share_one_base() -> None:
    """Concurrent first calls with the bundled default all see an equal, working knowledge base."""
    profile = mr.ClientProfile(areas=["neck"], severity=4, phase="chronic", goals=["pain_relief"])
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: mr.recommend(profile).model_dump_json(), range(12)))
    assert len(set(results)) == 1
