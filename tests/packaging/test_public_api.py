"""The public API: a sorted, complete __all__, a typed package, and a version from metadata."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import massage_rules as mr


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, names only real attributes, and every public attribute is in it."""
    assert list(mr.__all__) == sorted(mr.__all__)
    for name in mr.__all__:
        assert hasattr(mr, name), name
    public = {n for n in vars(mr) if not n.startswith("_") and not isinstance(getattr(mr, n), type(mr))}
    public -= {"annotations", "version", "PackageNotFoundError"}
    assert public <= set(mr.__all__)


def test_version_matches_installed_metadata() -> None:
    """__version__ is what the installed distribution says."""
    assert mr.__version__ == importlib.metadata.version("massage-rules")


def test_package_is_typed() -> None:
    """The py.typed marker ships with the package."""
    assert (Path(mr.__file__).parent / "py.typed").is_file()
