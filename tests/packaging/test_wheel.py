"""The built wheel works in a fresh virtual environment, from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import massage_rules as mr

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("massage_rules-*.whl")
    return built


@pytest.mark.slow
def test_wheel_ships_the_knowledge_and_type_marker(wheel: Path) -> None:
    """Every bundled knowledge file and py.typed are inside the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in sorted((ROOT / "knowledge").glob("*.yaml")):
        assert f"massage_rules/knowledge/{path.name}" in names
    assert "massage_rules/py.typed" in names


@pytest.mark.slow
def test_installed_wheel_runs_suggest_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    """In a new venv, `suggest` answers from an unrelated directory with the packaged knowledge."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [
            str(bindir / "suggest"),
            "--area",
            "lower_back",
            "--cause",
            "posture",
            "--severity",
            "6",
            "--phase",
            "chronic",
            "--goal",
            "pain_relief",
            "--json",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["techniques"]
    assert result["knowledge"]["content_hash"] == mr.load_knowledge().content_hash
    files = subprocess.run(
        [
            str(bindir / "python"),
            "-c",
            "import massage_rules.knowledge.load as k; print(k.bundled_knowledge_paths()[0])",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in files
