"""The benchmarks still run: `bench/run.py --short`, the command docs/performance.md names,
renders the PostgreSQL + Redis project (uvicorn, every feature) and runs every bench in it.

Only that each bench completes and prints its tables is checked, never a figure: timings
depend on the machine, and a test must not fail on a busy CI runner. Each short run makes
and drops its own database and cache key prefix.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conftest import record_timings, run

pytestmark = pytest.mark.render

BENCHES = ("user_table", "model_panel", "kpi", "live_feed", "audit_overhead", "page_weight")
TABLE = re.compile(r"^== .+ ==$", re.MULTILINE)


def test_every_bench_runs_in_short_mode(
    template_src: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    timings: list[tuple[str, float]] = []
    command = [sys.executable, "bench/run.py", "--short", "--project", str(tmp_path / "project")]
    try:
        result = run(command, template_src, timings=timings, label="bench/run.py --short")
    finally:
        record_timings(request, "bench (postgresql-redis)", timings)

    report = result.stdout  # the benches' own reports; their servers log to stderr
    sections = re.split(r"^\$ uv run python bench/", report, flags=re.MULTILINE)[1:]
    ran = {section.split(".py", 1)[0]: section for section in sections}
    assert set(ran) == set(BENCHES), report[-4000:]
    for name, section in ran.items():
        assert f"# bench {name} (short)" in section, section[-4000:]
        assert TABLE.search(section), section[-4000:]
        assert "Traceback" not in section, section[-4000:]
