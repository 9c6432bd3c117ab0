"""The template repository's own Python (tests, scripts, benchmarks, drills) passes its linters."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

OWN_CODE = ["tests", "scripts", "bench", "drills"]


def test_ruff_check_passes_on_own_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *OWN_CODE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_passes_on_own_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *OWN_CODE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_script_is_strict_bash() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    result = subprocess.run(
        ["bash", "-n", str(REPO / ".ci" / "run")], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
