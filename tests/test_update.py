"""`copier update` carries template changes into an edited project.

Every test builds its own template repository with its own tags (v0.1.0, then v0.2.0 with a
template change), so nothing depends on the tags of this repository: the tests pass on a
clean clone. v0.1.0 is the template as it stands (work tree included); v0.2.0 adds changes
of the kinds a release brings (a framework file, the settings, a panel template, the
project's pyproject), placed away from where a project typically edits.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml

from conftest import iter_files, record_timings, run, uv_executable

pytestmark = pytest.mark.render

CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"the edit of {path} changed nothing (its anchor moved?)"
    path.write_text(after, encoding="utf-8")


def prepend(line: str) -> Callable[[str], str]:
    return lambda text: f"{line}\n{text}"


def append(block: str) -> Callable[[str], str]:
    return lambda text: text.rstrip("\n") + "\n" + block


class TemplateRepo:
    """A throwaway git repository of the template whose versions the test tags."""

    def __init__(self, template_src: Path, path: Path) -> None:
        self.path = path
        shutil.copytree(template_src, path)
        git(path, "init", "-q")
        commit_all(path, "template v0.1.0")
        git(path, "tag", "v0.1.0")

    def file(self, relative: str) -> Path:
        return self.path / "template" / relative

    def release(self, tag: str) -> None:
        commit_all(self.path, f"template {tag}")
        git(self.path, "tag", tag)


def render_committed_project(repo: TemplateRepo, dest: Path, data: dict | None = None) -> Path:
    copier.run_copy(
        str(repo.path),
        str(dest),
        data=data or {},
        defaults=True,
        unsafe=False,
        quiet=True,
        vcs_ref="v0.1.0",
    )
    git(dest, "init", "-q")
    commit_all(dest, "Project rendered from template v0.1.0")
    return dest


def update(project: Path, tag: str) -> None:
    copier.run_update(
        str(project),
        vcs_ref=tag,
        defaults=True,
        overwrite=True,
        conflict="inline",
        # Our own template: trusted, so that `_migrations` (if the template declares any) run.
        unsafe=True,
        quiet=True,
    )


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def leftovers(project: Path) -> list[str]:
    """`.rej` files and conflict markers anywhere in the project."""
    found = [str(p.relative_to(project)) for p in iter_files(project) if p.suffix == ".rej"]
    for path in iter_files(project):
        text = path.read_text(encoding="utf-8", errors="replace")
        if CONFLICT_MARKER.search(text):
            found.append(f"{path.relative_to(project)}: conflict markers")
    return found


@pytest.fixture
def template_repo(template_src: Path, tmp_path: Path) -> TemplateRepo:
    return TemplateRepo(template_src, tmp_path / "template-repo")


def test_update_brings_template_change_and_keeps_local_edit(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    edit(
        template_repo.file("config/settings.py.jinja"),
        append('\n# Added by template v0.2.0.\nTEMPLATE_RELEASE = "0.2.0"\n'),
    )
    template_repo.file("UPGRADING_NOTES.md").write_text("# Notes from template v0.2.0\n")
    template_repo.release("v0.2.0")

    project = render_committed_project(template_repo, tmp_path / "project")
    assert answers(project)["_commit"] == "v0.1.0"
    local_line = "# Local edit: this project's own note, kept across template updates."
    edit(project / "config" / "settings.py", prepend(local_line))
    (project / "LOCAL.md").write_text("A file the template does not know.\n")
    commit_all(project, "Local edits")

    update(project, "v0.2.0")

    settings = (project / "config" / "settings.py").read_text(encoding="utf-8")
    assert 'TEMPLATE_RELEASE = "0.2.0"' in settings, "the template's change did not arrive"
    assert settings.startswith(local_line + "\n"), "the local edit was lost"
    assert (project / "UPGRADING_NOTES.md").is_file(), "the template's new file did not arrive"
    assert (project / "LOCAL.md").read_text() == "A file the template does not know.\n"
    assert answers(project)["_commit"] == "v0.2.0"
    assert leftovers(project) == []


def test_conflicting_edit_leaves_standard_inline_markers(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    framework_file = "component_framework/__init__.py"
    edit(template_repo.file(framework_file), prepend("# Template side (v0.2.0) of this line."))
    template_repo.release("v0.2.0")

    project = render_committed_project(template_repo, tmp_path / "project")
    edit(project / framework_file, prepend("# Project side of this line."))
    commit_all(project, "Local edit of a framework file")

    update(project, "v0.2.0")

    merged = (project / framework_file).read_text(encoding="utf-8")
    assert re.search(
        r"^<<<<<<< .*\n# Project side of this line\.\n=======\n"
        r"# Template side \(v0\.2\.0\) of this line\.\n>>>>>>> .*$",
        merged,
        re.MULTILINE,
    ), merged
    assert not [p for p in iter_files(project) if p.suffix == ".rej"]
    assert answers(project)["_commit"] == "v0.2.0"


def test_migration_renames_an_answer_and_keeps_its_value(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    # v0.2.0 renames the answer `author_name` to `maintainer_name`, with the `_migrations`
    # recipe docs/upgrading.md describes (copier/migrations/rename_answer.py).
    copier_yml = template_repo.path / "copier.yml"
    edit(copier_yml, lambda text: text.replace("\nauthor_name:", "\nmaintainer_name:"))
    edit(copier_yml, lambda text: text.replace("author_name.strip()", "maintainer_name.strip()"))
    edit(copier_yml, lambda text: text.replace("in author_name", "in maintainer_name"))
    edit(
        template_repo.file("pyproject.toml.jinja"),
        lambda text: text.replace("{{ author_name }}", "{{ maintainer_name }}"),
    )
    edit(
        copier_yml,
        append(
            "\n_migrations:\n"
            "  - version: v0.2.0\n"
            "    when: \"{{ _stage == 'before' }}\"\n"
            '    command: ["{{ _copier_python }}",'
            ' "{{ _copier_conf.src_path }}/copier/migrations/rename_answer.py",'
            " author_name, maintainer_name]\n"
        ),
    )
    template_repo.release("v0.2.0")

    project = render_committed_project(
        template_repo, tmp_path / "project", data={"author_name": "Ada Lovelace"}
    )
    local_line = "# Local edit: kept across the update."
    edit(project / "pyproject.toml", prepend(local_line))
    commit_all(project, "Local edit of pyproject.toml")

    update(project, "v0.2.0")

    recorded = answers(project)
    assert recorded["maintainer_name"] == "Ada Lovelace", "the renamed answer lost its value"
    assert "author_name" not in recorded
    assert 'name = "Ada Lovelace"' in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert (project / "pyproject.toml").read_text(encoding="utf-8").startswith(local_line)
    assert recorded["_commit"] == "v0.2.0"
    assert leftovers(project) == []


def test_migration_moves_a_file_and_its_local_edit_follows(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    # v0.2.0 moves `.env.example` to `env/example.env`. A `before` migration `git mv`s the
    # project's copy first, so a local edit travels with the file: Copier merges it as a
    # file both sides added and flags the edit with standard markers for the user to keep.
    moved = template_repo.file("env/example.env.jinja")
    moved.parent.mkdir()
    template_repo.file(".env.example.jinja").rename(moved)
    edit(
        template_repo.path / "copier.yml",
        append(
            "\n_migrations:\n"
            "  - version: v0.2.0\n"
            "    when: \"{{ _stage == 'before' }}\"\n"
            "    command: mkdir -p env && git mv .env.example env/example.env\n"
        ),
    )
    template_repo.release("v0.2.0")

    project = render_committed_project(template_repo, tmp_path / "project")
    local_line = "# Local edit: our staging host."
    edit(project / ".env.example", append(local_line + "\n"))
    commit_all(project, "Local edit of .env.example")

    update(project, "v0.2.0")

    assert not (project / ".env.example").exists()
    merged = (project / "env" / "example.env").read_text(encoding="utf-8")
    assert merged.startswith("# Copy to .env for local development"), merged
    assert re.search(
        rf"^<<<<<<< .*\n{re.escape(local_line)}\n=======\n>>>>>>> .*$", merged, re.MULTILINE
    ), merged
    assert leftovers(project) == ["env/example.env: conflict markers"]
    assert answers(project)["_commit"] == "v0.2.0"


def test_changing_an_answer_on_update_removes_the_feature(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """`copier update --defaults -d use_metrics=false` (docs/upgrading.md) drops the feature."""
    project = render_committed_project(template_repo, tmp_path / "project")
    metrics_files = [
        p.relative_to(project) for p in iter_files(project) if "metric" in p.name.lower()
    ]
    assert metrics_files, "the default rendering has no metrics files?"

    copier.run_update(
        str(project),
        vcs_ref="v0.1.0",
        data={"use_metrics": False},
        defaults=True,
        overwrite=True,
        conflict="inline",
        unsafe=True,
        quiet=True,
    )

    assert not [p for p in metrics_files if (project / p).exists()]
    assert "ADMIN_PANEL_METRICS_CACHE_TTL" not in (project / "config" / "settings.py").read_text()
    recorded = answers(project)
    assert recorded["use_metrics"] is False
    assert "metrics_cache_ttl" not in recorded
    assert leftovers(project) == []


# A component a team adds to its project, with its own tests, written against the
# framework's public API (DESIGN.md §3).
LOCAL_COMPONENT = '''"""A component this project added on its own."""

from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.permissions import IsStaff


@registry.register("local_greeting")
class GreetingComponent(Component):
    """Greets someone and counts the greetings."""

    template_name = "admin_panel/local_greeting.html"
    permission_classes = [IsStaff]

    def mount(self) -> None:
        self.state = {"name": self.params.get("name", "world"), "greetings": 0}

    def on_greet(self, name: str) -> None:
        self.state["name"] = name
        self.state["greetings"] += 1
'''

LOCAL_COMPONENT_TEMPLATE = """<div class="local-greeting">Hello {{ state.name }}!</div>
"""

LOCAL_TESTS = '''"""Tests this project added for its own edits."""

import humanize
from django.conf import settings
from django.urls import reverse

from admin_panel.local_greeting import GreetingComponent
from component_framework.core import registry


def test_local_component_is_registered():
    assert registry.get("local_greeting") is GreetingComponent


def test_local_component_handles_its_event():
    component = GreetingComponent(params={"name": "Ada"})
    component.mount()
    component.on_greet(name="Grace")
    assert component.state == {"name": "Grace", "greetings": 1}


def test_changed_setting_is_kept():
    assert settings.ADMIN_PANEL_PAGE_SIZE == 40


def test_extra_dependency_is_installed():
    assert humanize.intcomma(1234567) == "1,234,567"


def test_edited_panel_template_is_served(client, django_user_model):
    staff = django_user_model.objects.create_user(
        username="local-staff", password="local-pass-123", is_staff=True
    )
    client.force_login(staff)
    response = client.get(reverse("admin_panel"))
    assert response.status_code == 200
    assert "Internal use only: edits here are audited." in response.content.decode()
'''

# Outside any block of a child template: in the file, not in the page.
PANEL_RELEASE_MARKER = "<!-- Template v0.2.0 changed this file. -->"
# English only, on purpose: `translate="no"` tells the project's translation test so.
PANEL_BANNER = (
    '<p class="local-banner" translate="no">Internal use only: edits here are audited.</p>'
)


def _panel_template(root: Path) -> Path:
    """The template of the /admin-panel/ page (or its .jinja source), wherever it is kept."""
    for candidate in (
        "admin_panel/templates/admin_panel/index.html",
        "templates/admin_panel/index.html",
    ):
        for name in (candidate + ".jinja", candidate):
            if (root / name).is_file():
                return root / name
    raise AssertionError(f"no admin_panel/index.html under {root}")


def test_update_keeps_typical_edits_and_project_tests_pass(
    template_repo: TemplateRepo, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 7: a project edited as a team would, updated to the next release, still passes."""
    timings: list[tuple[str, float]] = []
    # The next release touches a framework file, the settings, the panel page and pyproject.
    release_marker = "# Template v0.2.0 changed this file."
    edit(template_repo.file("component_framework/__init__.py"), append(f"\n{release_marker}\n"))
    edit(template_repo.file("config/settings.py.jinja"), prepend(release_marker))
    panel_source = _panel_template(template_repo.path / "template")
    edit(panel_source, append(f"{PANEL_RELEASE_MARKER}\n"))
    edit(template_repo.file("pyproject.toml.jinja"), append(f"\n{release_marker}\n"))
    template_repo.release("v0.2.0")

    project = render_committed_project(template_repo, tmp_path / "project")
    # A new component with its template and tests.
    (project / "admin_panel" / "local_greeting.py").write_text(LOCAL_COMPONENT)
    component_templates = project / "admin_panel" / "templates" / "admin_panel"
    component_templates.mkdir(parents=True, exist_ok=True)
    (component_templates / "local_greeting.html").write_text(LOCAL_COMPONENT_TEMPLATE)
    (project / "tests" / "test_local_edits.py").write_text(LOCAL_TESTS)
    # A changed setting.
    edit(
        project / "config" / "settings.py",
        lambda text: re.sub(
            r"^ADMIN_PANEL_PAGE_SIZE = \d+$", "ADMIN_PANEL_PAGE_SIZE = 40", text, flags=re.MULTILINE
        ),
    )
    # An edited panel template.
    edit(
        _panel_template(project),
        lambda text: text.replace("{% block content %}", "{% block content %}\n" + PANEL_BANNER, 1),
    )
    # An extra dependency.
    edit(
        project / "pyproject.toml",
        lambda text: text.replace(
            "dependencies = [\n", 'dependencies = [\n    "humanize>=4.9",\n', 1
        ),
    )
    commit_all(project, "Typical local edits")

    update(project, "v0.2.0")

    assert leftovers(project) == []
    assert answers(project)["_commit"] == "v0.2.0"
    for relative in ("component_framework/__init__.py", "config/settings.py", "pyproject.toml"):
        assert release_marker in (project / relative).read_text(), f"{relative}: no v0.2.0 change"
    panel = _panel_template(project).read_text()
    assert PANEL_RELEASE_MARKER in panel
    assert PANEL_BANNER in panel
    assert "ADMIN_PANEL_PAGE_SIZE = 40" in (project / "config" / "settings.py").read_text()
    assert '"humanize>=4.9"' in (project / "pyproject.toml").read_text()
    assert (project / "admin_panel" / "local_greeting.py").read_text() == LOCAL_COMPONENT
    assert (project / "tests" / "test_local_edits.py").read_text() == LOCAL_TESTS

    try:
        run([uv_executable(), "sync"], project, timings=timings, label="uv sync")
        result = run(
            [uv_executable(), "run", "pytest", "-m", "not browser", "-v"],
            project,
            timings=timings,
            label="pytest -m 'not browser'",
        )
    finally:
        record_timings(request, "updated project", timings)
    local_passed = re.findall(
        r"^tests/test_local_edits\.py::\w+ PASSED", result.stdout, re.MULTILINE
    )
    assert len(local_passed) == 5, result.stdout[-3000:]
