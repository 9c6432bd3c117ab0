"""Reproduce the figures of docs/performance.md: render a project, install it, run every bench.

    uv run python bench/run.py                        # full size (1,000,000 users; see below)
    uv run python bench/run.py --users 100000         # a smaller user table
    uv run python bench/run.py --short                # every bench small and quick (CI)
    uv run python bench/run.py user_table --seed 42   # some of the benches only
    uv run python bench/run.py --project ../my-panel  # an existing project instead

Run from the template repository. Without `--project`, or when its folder does not exist
yet, the working tree (uncommitted edits included) is rendered there as a PostgreSQL +
Redis project (`database=postgresql`, slug `bench_panel`, every other answer its default:
uvicorn, the live feed, the KPI dashboard) and installed with `uv sync`. The default folder,
`.bench/project`, is rendered again on every run so it measures the code as it stands.

This folder (`bench/`) is then copied into the project, where each bench that applies to the
project's answers runs as `uv run python bench/<name>.py`: its figures go to this terminal,
and it can be run again by hand from there. The benches keep to their own database
(`<database>_bench`, where a full run loads its data once and later runs reuse it, or a
throw-away one with `--short`) and to their own cache keys and channel names.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_PROJECT = REPO / ".bench" / "project"
ANSWERS = {"database": "postgresql", "project_slug": "bench_panel"}
# Files of this folder that are not benches.
HELPERS = {"__init__", "asgi", "benchlib", "run", "settings"}
FALLBACK_REDIS_URL = "redis://127.0.0.1:6379/0"


def _always(answers: dict) -> bool:
    return True


@dataclass(frozen=True)
class Benchmark:
    """A bench script, the projects it applies to, and the options of this command it takes."""

    name: str
    applies: Callable[[dict], bool] = _always
    options: tuple[str, ...] = ()


# In the order of docs/performance.md.
BENCHMARKS = (
    Benchmark("user_table", options=("users", "seed")),
    Benchmark("model_panel", options=("seed",)),
    Benchmark("kpi", applies=lambda answers: bool(answers.get("use_metrics"))),
    Benchmark("live_feed", applies=lambda answers: bool(answers.get("use_audit_feed"))),
    Benchmark("audit_overhead"),
    Benchmark("page_weight", options=("users",)),
)


def uv() -> str:
    """The uv binary: the one running us (`uv run` exports UV), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        sys.exit("uv is not installed (python3 -m pip install uv)")
    return found


def project_env() -> dict[str, str]:
    """This environment minus what would point the project at ours (virtualenv, settings)."""
    leaky = {"VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    return {key: value for key, value in os.environ.items() if key not in leaky}


def bench_env(answers: dict) -> dict[str, str]:
    """The project's environment; Redis for a project without it (several processes share it)."""
    env = project_env()
    if not answers.get("redis_url"):
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", FALLBACK_REDIS_URL)
    return env


def render(project: Path) -> None:
    """Render the working tree into `project` as a PostgreSQL + Redis project and install it."""
    import copier

    print(f"# rendering {REPO} into {project} ({ANSWERS})", flush=True)
    copier.run_copy(
        str(REPO),
        str(project),
        data=ANSWERS,
        vcs_ref="HEAD",  # the working tree, uncommitted edits included
        defaults=True,
        overwrite=True,
        unsafe=False,
        quiet=True,
    )
    subprocess.run([uv(), "sync", "--quiet"], cwd=project, env=project_env(), check=True)


def check_table_is_complete() -> None:
    """A bench added to this folder must be added to BENCHMARKS too, or no one runs it."""
    scripts = {path.stem for path in BENCH_DIR.glob("*.py")} - HELPERS
    missing = scripts - {bench.name for bench in BENCHMARKS}
    if missing:
        sys.exit(f"bench/run.py does not know {sorted(missing)}: add them to BENCHMARKS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("benches", nargs="*", help="benches to run (default: all that apply)")
    parser.add_argument("--project", type=Path, help=f"project folder (default {DEFAULT_PROJECT})")
    parser.add_argument("--short", action="store_true", help="small and quick")
    parser.add_argument("--users", type=int, help="users in the table (default 1,000,000)")
    parser.add_argument("--seed", type=int, help="random seed of the user table's search terms")
    args = parser.parse_args()
    check_table_is_complete()
    unknown = set(args.benches) - {bench.name for bench in BENCHMARKS}
    if unknown:
        parser.error(f"no such bench: {', '.join(sorted(unknown))}")

    project = (args.project or DEFAULT_PROJECT).resolve()
    if args.project is None or not project.exists():
        render(project)
    answers_file = project / ".copier-answers.yml"
    if not answers_file.is_file():
        sys.exit(f"{project} is not a project rendered from this template (no {answers_file.name})")
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    copy = project / "bench"
    if copy.exists() and not (copy / "benchlib.py").is_file():
        sys.exit(f"{copy} is not a copy of this folder: move it away first")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(BENCH_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))

    chosen = [
        bench
        for bench in BENCHMARKS
        if bench.applies(answers) and (not args.benches or bench.name in args.benches)
    ]
    skipped = [bench.name for bench in BENCHMARKS if not bench.applies(answers)]
    if skipped:
        print(f"# not for this project's answers: {', '.join(skipped)}", flush=True)
    results: list[tuple[str, int, float]] = []
    for bench in chosen:
        command = [uv(), "run", "python", f"bench/{bench.name}.py"]
        if args.short:
            command.append("--short")
        for option in bench.options:
            value = getattr(args, option)
            if value is not None:
                command += [f"--{option}", str(value)]
        print(f"\n$ uv {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        status = subprocess.run(command, cwd=project, env=bench_env(answers), check=False)
        results.append((bench.name, status.returncode, time.monotonic() - started))

    print("\n# benches run")
    for name, code, seconds in results:
        outcome = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"#   {name:<15} {outcome:<16} {seconds:6.1f} s")
    return 0 if results and all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
