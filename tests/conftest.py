"""Shared helpers for the template's own tests.

The tests render the template (copier's Python API) into temporary directories and run the
rendered project's own commands there. Everything that talks to a rendered project goes
through `run()`, which records how long each step took so the session summary can print
per-rendering timings (also under pytest-xdist, through the reports' user_properties).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent

# Real services, as on the development and CI machines (DESIGN.md §5).
REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"

# Every git command (ours and copier's own during updates) needs an identity; a fresh CI
# machine has no global git configuration.
for _key, _value in {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
}.items():
    os.environ.setdefault(_key, _value)


def uv_executable() -> str:
    """The uv binary: the one running us (`uv run` exports UV), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("uv is not installed (python3 -m pip install uv)")
    return found


def shared_uv_cache() -> str:
    """One uv cache for every rendering, so each `uv sync` links wheels instead of fetching."""
    if os.environ.get("UV_CACHE_DIR"):
        return os.environ["UV_CACHE_DIR"]
    return subprocess.run(
        [uv_executable(), "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()


# Variables of the outer environment that would leak into a rendered project and change what
# it tests: its settings come from its own defaults plus what each step passes explicitly.
_LEAKY_VARIABLES = {
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "PYTHONPATH",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "CSRF_TRUSTED_ORIGINS",
    "TIME_ZONE",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_CURRENT_TEST",
}


def project_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a command run inside a rendered project."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_VARIABLES}
    env["UV_CACHE_DIR"] = shared_uv_cache()
    env.setdefault("UV_LINK_MODE", "copy" if sys.platform == "darwin" else "hardlink")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Four renderings share two cores: the load drill (drills/test_load.py) runs 15 s instead
    # of 60 s in each (it prints which; `RELIABILITY_LOAD_SECONDS=60 uv run pytest` for 60 s).
    env.setdefault("RELIABILITY_LOAD_SECONDS", "15")
    env.update(extra or {})
    return env


class StepFailed(AssertionError):
    """A command inside a rendered project exited non-zero."""


def run(
    cmd: list[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timings: list[tuple[str, float]] | None = None,
    label: str | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` in `cwd`; raise StepFailed with its output when it exits non-zero."""
    started = time.monotonic()
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=project_env(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if timings is not None:
        timings.append((label or " ".join(cmd[:3]), time.monotonic() - started))
    if result.returncode != 0:
        raise StepFailed(
            f"`{' '.join(cmd)}` exited {result.returncode} in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-12000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def _ignore_unknown_tags(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


class _CopierYamlLoader(yaml.SafeLoader):
    """copier.yml uses `!include`; the tests only need the questions, not the included data."""


_CopierYamlLoader.add_multi_constructor("!", _ignore_unknown_tags)


def template_questions() -> dict[str, dict]:
    """The questions asked by copier.yml (settings starting with `_` left out)."""
    questions: dict[str, dict] = {}
    text = (REPO / "copier.yml").read_text(encoding="utf-8")
    for document in yaml.load_all(text, Loader=_CopierYamlLoader):
        for key, value in (document or {}).items():
            if not key.startswith("_"):
                questions[key] = value
    return questions


def _template_files() -> list[Path]:
    """The files of the template as they stand: tracked and new, minus what git ignores."""
    if (REPO / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [Path(name) for name in listed.split("\0") if name and (REPO / name).is_file()]
    skip = {
        ".git",
        ".venv",
        ".bench",
        "demo",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "site",
    }
    return [
        path.relative_to(REPO)
        for path in REPO.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(REPO).parts)
    ]


def snapshot_template(dest: Path) -> Path:
    """Copy the template (work tree as it is, committed or not) to `dest`, without .git.

    Rendering from a plain directory skips copier's git clone, and a snapshot taken once
    keeps a long test run independent of edits made to the work tree meanwhile.
    """
    for relative in _template_files():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, target)
    return dest


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain-directory snapshot of the template, shared by the tests of one worker."""
    return snapshot_template(tmp_path_factory.mktemp("template-src"))


def record_timings(
    request: pytest.FixtureRequest, rendering: str, timings: list[tuple[str, float]]
) -> None:
    """Attach step timings to the test report; the session summary prints them."""
    for step, seconds in timings:
        request.node.user_properties.append(("step-timing", (rendering, step, seconds)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    per_rendering: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for reports in terminalreporter.stats.values():
        for report in reports:
            # The teardown report carries every property the test recorded, failed or not.
            if getattr(report, "when", None) != "teardown":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == "step-timing":
                    rendering, step, seconds = value
                    per_rendering[rendering].append((step, seconds))
    if not per_rendering:
        return
    terminalreporter.section("step timings (seconds)")
    for rendering in sorted(per_rendering):
        steps = per_rendering[rendering]
        total = sum(seconds for _, seconds in steps)
        terminalreporter.write_line(f"{rendering}: {total:.1f}s in all")
        for step, seconds in steps:
            terminalreporter.write_line(f"    {seconds:7.1f}  {step}")


def readme_setup_command(project: Path) -> str:
    """The rendered README's set-up command (its first shell line), without the server it starts."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```bash\n(.+)\n```", readme)
    assert found, "the rendered README has no shell command"
    *setup, serve = found.group(1).split(" && ")
    assert serve.startswith(("uv run uvicorn", "uv run daphne")), f"not a server: {serve}"
    return " && ".join(setup)


def iter_files(root: Path) -> Iterator[Path]:
    """Every file of a rendered project, minus its virtualenv and caches."""
    skip = {".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".git", "staticfiles"}
    for path in root.rglob("*"):
        if path.is_file() and not skip.intersection(path.relative_to(root).parts):
            yield path


# Longest first: under `-n auto --dist loadscope` each class/module goes to one worker in
# collection order, so starting the slow renderings early keeps the wall time short.
_SLOW_FIRST = (
    "TestPostgresqlRedisDaphne",
    "TestDefaults",
    "test_bench.py",
    "test_update.py",
    "test_render_matrix",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for position, marker in enumerate(_SLOW_FIRST):
            if marker in item.nodeid:
                return position
        return len(_SLOW_FIRST)

    items.sort(key=rank)
