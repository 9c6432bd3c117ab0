"""Render a matrix of answers and run each rendered project's own checks.

One test class per rendering (`TestDefaults`, `TestPostgresqlRedisDaphne`, ...). Each
rendering is set up once (render + `uv sync` on the shared uv cache) and then checked step by
step, one test per step, so a failure names the rendering and the step. Under
`pytest -n auto --dist loadscope` a class runs on one worker, so the renderings run in
parallel and none is made twice. (`loadgroup` would do too, but pytest 9.2 broke it:
pytest-dev/pytest-xdist#1386.)

Which rendered tests run where is a deliberate choice, visible in the test ids
(`test_own_test_suite_passes[with-browser-tests]` / `[-m not browser]`): the browser tests
(marker `browser`, Playwright driving Chromium) are slow, so they run in the
`defaults` rendering only; the others run their suite with `-m "not browser"`.

The drills (`drills/`: several server processes, faults, load, hostile input, query plans)
are the template's, not the project's: `test_drills_pass` copies them into each rendering,
runs the files `DRILLS` selects for its answers with the rendering's own virtualenv (plus
the drills' own dependencies), and takes the copy away again.

The `defaults` rendering takes every default, project slug included (so it is exactly what a
newcomer gets); it still shares nothing with the other renderings: SQLite lives in its own
directory and the rendered test settings prefix every Redis key and channel name per process.
The other renderings get a unique slug (hence a unique PostgreSQL database and cache prefix).
"""

from __future__ import annotations

import re
import secrets
import shutil
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import copier
import pytest

from conftest import (
    POSTGRES_URL,
    REDIS_URL,
    REPO,
    iter_files,
    readme_setup_command,
    record_timings,
    run,
    template_questions,
    uv_executable,
)


@dataclass(frozen=True)
class Answers:
    """One row of the matrix."""

    name: str
    data: dict = field(default_factory=dict)
    unique_slug: str | None = None  # prefix of a per-run slug; None keeps the default slug
    browser_tests: bool = False

    @property
    def pytest_args(self) -> list[str]:
        return [] if self.browser_tests else ["-m", "not browser"]


pytestmark = pytest.mark.render

MATRIX = [
    Answers("defaults", browser_tests=True),
    Answers(
        "postgresql-redis-daphne",
        {
            "database": "postgresql",
            "asgi_server": "daphne",
            "time_zone": "Europe/Paris",
            "language": "de",
            "page_size": 10,
            "metrics_cache_ttl": 60,
        },
        unique_slug="tpl_pg",
    ),
    Answers("toggles-off", {"use_audit_feed": False, "use_metrics": False}, unique_slug="tpl_off"),
    Answers("sqlite-in-memory", {"redis_url": ""}, unique_slug="tpl_mem"),
]

# What a switched-off feature must not leave behind: its files, routes, settings, component
# and template names, imports. Models stay (one migration history for every project), and the
# framework (component_framework/, tests/framework/) is the same in every project, so it is not
# scanned; nor are comment lines (prose may say what the project does not have).
FEATURE_FILE_NAMES = {
    "use_metrics": re.compile(r"metric|chart|kpi", re.IGNORECASE),
    "use_audit_feed": re.compile(r"feed|audit_log|audit_entry|consumers", re.IGNORECASE),
}
FEATURE_TRACES = {
    "use_metrics": re.compile(
        r"admin_metrics|METRICS_CACHE_TTL|MetricsComponent|metrics\.html|kpi\.py"
        r"|(components|admin_panel)\.(metrics|charts)\b|from \.+(metrics|charts) import"
        r"|import (metrics|charts)\b|component [\"']metrics[\"']|register\([\"']metrics[\"']\)"
    ),
    "use_audit_feed": re.compile(
        r"ws/admin/audit|admin_audit_(log|ws)|AuditLog[A-Z]\w*|AuditFeed|audit_log\.html"
        r"|audit_entry\.html|admin_panel\.(feed|consumers)\b|from \.+(feed|consumers) import"
        r"|component [\"']audit_log[\"']|live_feed"
    ),
}
FRAMEWORK_PATHS = ("component_framework", "tests/framework")
COMMENT_LINE = re.compile(r"^\s*(#|\{#|<!--|//)")
# ...and proof that the patterns are meaningful: where the feature is on, these are there.
FEATURE_PRESENCE = {
    "use_metrics": ("config/settings.py", "ADMIN_PANEL_METRICS_CACHE_TTL"),
    "use_audit_feed": ("admin_panel/routing.py", "ws/admin/audit/"),
}

# Files whose rendered text must carry no Jinja referring to the template's answers (a file
# that needed rendering but lacks the .jinja suffix). Django templates (.html) legitimately
# contain {{ }} and {% %}, so they are left out.
TEXT_SUFFIXES = {
    ".py",
    ".toml",
    ".yml",
    ".yaml",
    ".md",
    ".example",
    ".txt",
    ".cfg",
    ".ini",
    ".json",
    ".sh",
    ".env",
}
JINJA_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
JINJA_OPEN = re.compile(r"\{\{|\{%|\{#")

# Every file of drills/ that holds tests, and the answers that must be true (non-empty) for it
# to apply to a rendering: the live feed's drills need the feed, the multi-process ones Redis.
DRILLS: dict[str, tuple[str, ...]] = {
    "test_database_unavailable.py": (),
    "test_faults_database.py": (),
    "test_hostile_http.py": (),
    "test_load.py": (),
    "test_revocation.py": (),
    "test_rollback.py": (),
    "test_user_search_indexes.py": (),
    "test_feed_delivery.py": ("use_audit_feed",),
    "test_hostile_ws.py": ("use_audit_feed",),
    "test_revocation_sockets.py": ("use_audit_feed",),
    "test_faults_redis.py": ("redis_url", "use_audit_feed"),
    "test_multiworker_feed.py": ("redis_url", "use_audit_feed"),
    "test_revocation_multiworker.py": ("redis_url", "use_audit_feed"),
    "test_multiworker_cache.py": ("redis_url", "use_metrics"),
}
# What the drills import beyond a rendering's own dev dependencies.
DRILL_DEPENDENCIES = ("websockets>=13", "hypothesis>=6.100")

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "panel.example.com",
    "REDIS_URL": REDIS_URL,
}


@dataclass
class Rendering:
    """A rendered, installed project and the timings of the steps run in it."""

    answers: Answers
    path: Path
    data: dict
    jinja_outputs: list[Path]
    timings: list[tuple[str, float]] = field(default_factory=list)
    reported: int = 0

    def run(self, cmd: list[str], label: str, env: dict | None = None) -> str:
        result = run(cmd, self.path, env=env, timings=self.timings, label=label)
        return result.stdout + result.stderr

    def report(self, request: pytest.FixtureRequest) -> None:
        record_timings(request, self.answers.name, self.timings[self.reported :])
        self.reported = len(self.timings)

    def answer(self, key: str) -> object:
        return self.data.get(key, template_questions()[key].get("default"))

    def drills(self) -> list[str]:
        """The drill files that apply to this rendering's answers."""
        return [name for name, needs in DRILLS.items() if all(self.answer(k) for k in needs)]


def _jinja_sources(template_src: Path) -> list[Path]:
    """Paths (relative to a rendering) of the files rendered from `.jinja` sources."""
    root = template_src / "template"
    return [
        path.relative_to(root).with_suffix("")
        for path in root.rglob("*.jinja")
        if "{" not in str(path.relative_to(root))
    ]


def _run_readme_setup(rendering: Rendering) -> None:
    """Set a PostgreSQL rendering up as its README says, which creates its (unique) database."""
    command = readme_setup_command(rendering.path)
    rendering.run(["bash", "-c", command], "README setup (createdb, migrate, seed_demo)")


def _drop_postgres_database(rendering: Rendering) -> None:
    """Drop the rendering's database and any test database its suite left behind."""
    name = rendering.data["project_slug"]
    script = (
        "import psycopg\n"
        f"with psycopg.connect({POSTGRES_URL + '/postgres'!r}, autocommit=True) as c:\n"
        "    names = [r[0] for r in c.execute(\n"
        "        'SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s',\n"
        f"        ({name!r}, {'test_' + name + '%'!r})).fetchall()]\n"
        "    for n in names:\n"
        "        c.execute(f'DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)')\n"
    )
    run([uv_executable(), "run", "python", "-c", script], rendering.path)


@pytest.fixture(scope="session")
def renderings(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Rendering]]:
    """Renderings made so far by this worker (each is made once, on first use)."""
    made: dict[str, Rendering] = {}
    yield made
    for rendering in made.values():
        if rendering.answer("database") == "postgresql":
            _drop_postgres_database(rendering)


def make_rendering(
    answers: Answers,
    renderings: dict[str, Rendering],
    template_src: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rendering:
    """Render and install `answers` once per worker; later calls return the same rendering."""
    if answers.name in renderings:
        return renderings[answers.name]
    data = dict(answers.data)
    if answers.unique_slug:
        data["project_slug"] = f"{answers.unique_slug}_{secrets.token_hex(4)}"
    path = tmp_path_factory.mktemp(f"render-{answers.name}") / "project"
    result = renderings[answers.name] = Rendering(answers, path, data, _jinja_sources(template_src))
    started = time.monotonic()
    copier.run_copy(
        str(template_src), str(path), data=data, defaults=True, unsafe=False, quiet=True
    )
    result.timings.append(("copier copy", time.monotonic() - started))
    result.run([uv_executable(), "sync"], "uv sync")
    if result.answer("database") == "postgresql":
        _run_readme_setup(result)
    return result


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Name the rendered suite's selection in the test id, so the browser choice is visible."""
    if "suite_args" in metafunc.fixturenames:
        answers: Answers = metafunc.cls.answers
        label = "with-browser-tests" if answers.browser_tests else "-m not browser"
        metafunc.parametrize("suite_args", [answers.pytest_args], ids=[label])


class RenderingChecks:
    """The checks every rendering goes through; subclasses name the answers."""

    answers: Answers

    @pytest.fixture
    def rendering(
        self,
        renderings: dict[str, Rendering],
        template_src: Path,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Rendering:
        return make_rendering(self.answers, renderings, template_src, tmp_path_factory)

    @pytest.fixture(autouse=True)
    def _report_step_timings(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """After each test, pass on the steps it ran (failed ones too) to the summary."""
        yield
        rendering = request.node.funcargs.get("rendering")
        if rendering is not None:
            rendering.report(request)

    def test_no_jinja_left_behind(self, rendering: Rendering) -> None:
        questions = set(template_questions())
        problems: list[str] = []
        for path in iter_files(rendering.path):
            relative = path.relative_to(rendering.path)
            if re.search(r"\{\{|\{%|%\}|\}\}", str(relative)) or path.suffix == ".jinja":
                problems.append(f"{relative}: unrendered file name")
                continue
            if path.suffix not in TEXT_SUFFIXES:
                continue  # Django templates (.html) contain {{ }} and {% %} of their own
            text = path.read_text(encoding="utf-8", errors="replace")
            if relative in rendering.jinja_outputs and JINJA_OPEN.search(text):
                problems.append(f"{relative}: Jinja delimiters left in a rendered .jinja file")
            for span in JINJA_SPAN.findall(text):
                names = set(re.findall(r"[A-Za-z_]\w*", span))
                if names & questions or any(n.startswith("_copier") for n in names):
                    problems.append(f"{relative}: unrendered {span[:60]!r}")
        assert not problems, "\n".join(problems)

    def test_compiled_translations_are_copied_byte_for_byte(self, rendering: Rendering) -> None:
        """The committed .mo catalogues (no .jinja suffix) reach the project unchanged, so it
        needs no GNU gettext; the project's tests/test_translations.py checks them against
        their .po sources."""
        template = REPO / "template"
        catalogues = sorted(template.glob("*/locale/*/LC_MESSAGES/django.mo"))
        assert catalogues, "no compiled catalogue in the template"
        for source in catalogues:
            copied = rendering.path / source.relative_to(template)
            assert copied.read_bytes() == source.read_bytes(), f"{copied} differs from {source}"

    def test_rendered_files_have_no_template_noise(self, rendering: Rendering) -> None:
        """Conditionals leave no trailing whitespace, runs of blank lines or missing EOLs."""
        problems: list[str] = []
        for relative in rendering.jinja_outputs:
            path = rendering.path / relative
            if not path.is_file() or path.suffix == ".md":
                continue
            text = path.read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), start=1):
                if line != line.rstrip():
                    problems.append(f"{relative}:{number}: trailing whitespace")
            if "\n\n\n\n" in text:
                problems.append(f"{relative}: three or more blank lines in a row")
            if text and not text.endswith("\n"):
                problems.append(f"{relative}: no newline at end of file")
        assert not problems, "\n".join(problems)

    def test_switched_off_features_leave_no_trace(self, rendering: Rendering) -> None:
        problems: list[str] = []
        for toggle, pattern in FEATURE_TRACES.items():
            if rendering.answer(toggle):
                relative, needle = FEATURE_PRESENCE[toggle]
                text = (rendering.path / relative).read_text(encoding="utf-8")
                assert needle in text, f"{toggle} is on but {relative} lacks {needle!r}"
                continue
            for path in iter_files(rendering.path):
                relative = path.relative_to(rendering.path)
                if relative.name == ".copier-answers.yml" or str(relative).startswith(
                    FRAMEWORK_PATHS
                ):
                    continue
                if FEATURE_FILE_NAMES[toggle].search(str(relative)):
                    problems.append(f"{toggle}=false but {relative} was rendered")
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
                for number, line in enumerate(text.splitlines(), start=1):
                    if pattern.search(line) and not COMMENT_LINE.match(line):
                        problems.append(f"{toggle}=false: {relative}:{number}: {line.strip()}")
        assert not problems, "\n".join(problems)

    def test_ruff_check(self, rendering: Rendering) -> None:
        rendering.run([uv_executable(), "run", "ruff", "check", "."], "ruff check")

    def test_ruff_format(self, rendering: Rendering) -> None:
        rendering.run(
            [uv_executable(), "run", "ruff", "format", "--check", "."], "ruff format --check"
        )

    def test_deploy_checks_pass_in_production(self, rendering: Rendering) -> None:
        output = rendering.run(
            [
                uv_executable(),
                "run",
                "python",
                "manage.py",
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
            ],
            "manage.py check --deploy",
            env=PRODUCTION_ENV,
        )
        assert "no issues" in output

    def test_models_and_migrations_agree(self, rendering: Rendering) -> None:
        rendering.run(
            [
                uv_executable(),
                "run",
                "python",
                "manage.py",
                "makemigrations",
                "--check",
                "--dry-run",
            ],
            "makemigrations --check",
            env=PRODUCTION_ENV,
        )

    def test_own_test_suite_passes(self, rendering: Rendering, suite_args: list[str]) -> None:
        label = " ".join(["pytest", *suite_args]) if suite_args else "pytest (browser tests too)"
        output = rendering.run(
            [uv_executable(), "run", "pytest", *suite_args],
            label,
            env={"TRANSLATIONS_COMPLETE": "1"},  # the shipped catalogues cover every page
        )
        summary = output.strip().splitlines()[-1].strip("= ")
        step, seconds = rendering.timings[-1]
        rendering.timings[-1] = (f"{step}: {summary}", seconds)

    def test_drills_pass(self, rendering: Rendering, template_src: Path) -> None:
        copy = rendering.path / "drills"
        shutil.copytree(template_src / "drills", copy)
        try:
            with_dependencies = [arg for dep in DRILL_DEPENDENCIES for arg in ("--with", dep)]
            files = [f"drills/{name}" for name in rendering.drills()]
            pytest_command = ["pytest", "-p", "no:cacheprovider", *files]
            output = rendering.run(
                [uv_executable(), "run", *with_dependencies, *pytest_command],
                f"drills ({len(files)} files)",
            )
        finally:
            shutil.rmtree(copy)
            shutil.rmtree(rendering.path / ".hypothesis", ignore_errors=True)
        summary = output.strip().splitlines()[-1].strip("= ")
        step, seconds = rendering.timings[-1]
        rendering.timings[-1] = (f"{step}: {summary}", seconds)


def test_every_drill_is_selected_for_the_renderings_it_applies_to() -> None:
    assert set(DRILLS) == {path.name for path in (REPO / "drills").glob("test_*.py")}


class TestDefaults(RenderingChecks):
    """Every default (slug included): what a newcomer gets. The one rendering with browser tests."""

    answers = MATRIX[0]

    def test_screenshot_script_saves_the_docs_images(
        self, rendering: Rendering, tmp_path: Path
    ) -> None:
        """scripts/screenshots.py (docs/img) works on what the template renders today."""
        script = REPO / "scripts" / "screenshots.py"
        command = [sys.executable, str(script), "--project", str(rendering.path)]
        run([*command, "--out", str(tmp_path)], REPO, timings=rendering.timings, label="shots")
        for name, (width, window_height) in {
            "panel.png": (1280, 900),
            "panel-mobile.png": (390, 844),
            "panel-dark.png": (1280, 900),
            "panel-mobile-dark.png": (390, 844),
        }.items():
            header = (tmp_path / name).read_bytes()[:24]
            assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"
            size = struct.unpack(">II", header[16:24])
            # Full page: the panel is taller than the window on both.
            assert size[0] == width and size[1] > window_height, f"{name}: {size}"


class TestPostgresqlRedisDaphne(RenderingChecks):
    """PostgreSQL and Redis, served by daphne, with non-default time zone, language, page
    size and TTL."""

    answers = MATRIX[1]


class TestTogglesOff(RenderingChecks):
    """No audit feed, no metrics: nothing of either may be left in the project."""

    answers = MATRIX[2]


class TestSqliteInMemory(RenderingChecks):
    """SQLite and an empty REDIS_URL: local-memory cache and in-memory channel layer."""

    answers = MATRIX[3]
