"""Shared fixtures and the hypothesis profiles.

CI (``CI=true``) runs the derandomized "ci" profile, so a red run reproduces;
``HYPOTHESIS_PROFILE=long`` runs many more examples for a soak, and
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` runs the fuzz tests long.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

import massage_rules as mr

# The suite must not write to the user's cache folder: the knowledge cache goes to a
# folder of its own (set once, by the first process; xdist workers inherit it).
if "MASSAGE_RULES_CACHE_DIR" not in os.environ:
    _CACHE_DIR = tempfile.mkdtemp(prefix="massage-rules-test-cache-")
    os.environ["MASSAGE_RULES_CACHE_DIR"] = _CACHE_DIR
    atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The fuzz tests in tests/fuzz run under this for a soak: hundreds of thousands of examples in all.
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def kb() -> mr.KnowledgeBase:
    """The bundled knowledge base, loaded once."""
    return mr.load_knowledge()
