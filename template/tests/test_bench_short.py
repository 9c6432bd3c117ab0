"""The benchmarks in bench/ still run: each one in `--short` mode, checked for its tables.

Only that they complete and print their figures is checked, never the figures themselves:
timings depend on the machine, and a test suite must not fail on a busy CI runner. Each
short run makes and drops its own database (or SQLite file) and cache key prefix, so it
never touches the test database or another run's data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_DIR / "bench"
# Helpers of the benches, not benches.
NOT_BENCHES = {"__init__.py", "benchlib.py", "settings.py", "asgi.py"}
BENCHES = sorted(p.name for p in BENCH_DIR.glob("*.py") if p.name not in NOT_BENCHES)
TABLE = re.compile(r"^== .+ ==$", re.MULTILINE)

pytestmark = pytest.mark.slow


def test_every_bench_is_covered() -> None:
    assert "user_table.py" in BENCHES
    assert "audit_overhead.py" in BENCHES
    assert "page_weight.py" in BENCHES


@pytest.mark.parametrize("bench", BENCHES)
def test_bench_runs_in_short_mode(bench: str) -> None:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the bench picks its own settings
    # The benches that need several processes share Redis: use the project's, or the local
    # one a rendering without Redis still finds on the development and CI machines.
    env["REDIS_URL"] = settings.REDIS_URL or os.environ.get(
        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH_DIR / bench), "--short"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert f"# bench {bench.removesuffix('.py')} (short)" in result.stdout, output[-4000:]
    tables = TABLE.findall(result.stdout)
    assert tables, output[-4000:]
    # The bench's own report (stdout) must be clean. Its servers' logs (stderr) may carry
    # channels-redis's benign "cleaning-up channel" CancelledError when sockets close at exit.
    assert "Traceback" not in result.stdout, output[-4000:]
