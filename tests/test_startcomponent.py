"""`manage.py startcomponent` in a rendered project.

A component generated in a fresh project, whose copy the team then rewords, passes the
project's own checks at once, and the project's security sweep covers it with nothing
registered. A later `copier update` that changes the same files (the panel's routes and
page) merges with the generated additions without a conflict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run, uv_executable
from test_render_matrix import Answers, Rendering, make_rendering, renderings  # noqa: F401
from test_update import TemplateRepo, commit_all, edit, leftovers, render_committed_project, update

pytestmark = pytest.mark.render

DEV = {"DEBUG": "true"}  # manage.py outside the tests needs DEBUG (or a SECRET_KEY)
PANEL = "admin_panel/templates/admin_panel/index.html"

# A test the team adds for the page they reworded: the generated section is on the panel.
PAGE_TEST = '''"""The panel page shows the sales report under the team's own heading."""


def test_the_panel_shows_the_sales_report(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("boss", is_staff=True))

    page = client.get("/admin-panel/").content.decode()

    assert 'data-testid="sales-report-section"' in page
    assert 'data-testid="sales-report-count">0</output>' in page
    assert "Control room" in page
'''


def startcomponent(project: Path, *args: str) -> str:
    result = run(
        [uv_executable(), "run", "python", "manage.py", "startcomponent", *args],
        project,
        env=DEV,
    )
    return result.stdout


def reword(path: Path, old: str, new: str) -> None:
    edit(path, lambda text: text.replace(old, new, 1))


def test_a_generated_component_passes_the_projects_checks_and_the_sweep_covers_it(
    renderings: dict[str, Rendering],  # noqa: F811
    template_src: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    rendering = make_rendering(
        Answers("startcomponent"), renderings, template_src, tmp_path_factory
    )
    project = rendering.path
    templates = project / "admin_panel/templates/admin_panel"
    try:
        output = startcomponent(project, "sales_report")
        assert "Created admin_panel/components/sales_report.py" in output
        assert "Updated admin_panel/urls.py" in output

        # The team rewords the copy: the panel's heading, the section's, a button label.
        reword(project / PANEL, '"Admin panel" %}</h1>', '"Control room" %}</h1>')
        reword(
            templates / "extra_components.html",
            '"Sales report" %}</h2>',
            '"Sales this quarter" %}</h2>',
        )
        reword(templates / "sales_report.html", '"Add one" %}', '"Count one more" %}')
        (project / "tests/admin_panel/test_panel_copy.py").write_text(PAGE_TEST)

        rendering.run([uv_executable(), "run", "ruff", "check", "."], "ruff check")
        rendering.run([uv_executable(), "run", "ruff", "format", "--check", "."], "ruff format")
        suite = rendering.run(
            [uv_executable(), "run", "pytest", "-m", "not browser", "-v"], "pytest -m not browser"
        )
        step, seconds = rendering.timings[-1]
        rendering.timings[-1] = (f"{step}: {suite.strip().splitlines()[-1].strip('= ')}", seconds)
    finally:
        rendering.report(request)

    covered = "[sales_report at /admin-panel/components/sales-report/] PASSED"
    sweep = "tests/test_component_security.py::"
    for test in (
        f"{sweep}test_refused_roles_get_a_json_403_and_change_nothing{covered}",
        f"{sweep}test_superusers_and_staff_load_and_no_event_answers_a_page{covered}",
        f"{sweep}test_components_refuse_anonymous_and_non_staff_wherever_they_load"
        "[sales_report] PASSED",
        "tests/admin_panel/test_sales_report.py::test_staff_load_it_and_send_events PASSED",
        "tests/admin_panel/test_panel_copy.py::test_the_panel_shows_the_sales_report PASSED",
    ):
        assert test in suite, f"not in the suite's output: {test}"
    print("\n".join(line for line in suite.splitlines() if "sales_report" in line))


def test_generated_additions_survive_a_copier_update_of_the_same_files(
    template_src: Path, tmp_path: Path
) -> None:
    repo = TemplateRepo(template_src, tmp_path / "template-repo")
    # The next release adds a route to the panel's own list and a section to its page.
    route = '    path("components/news/", views.index, name="admin_news"),\n'
    edit(
        repo.file("admin_panel/urls.py.jinja"),
        lambda text: text.replace("\n]\n", f"\n{route}]\n", 1),
    )
    include = '  {% include "admin_panel/extra_components.html" %}\n'
    section = '  <section data-testid="release-news"></section>\n'
    edit(repo.file(PANEL + ".jinja"), lambda text: text.replace(include, section + include))
    repo.release("v0.2.0")
    project = render_committed_project(repo, tmp_path / "project")
    run([uv_executable(), "sync"], project)
    startcomponent(project, "sales_report")
    commit_all(project, "startcomponent sales_report")

    update(project, "v0.2.0")

    assert leftovers(project) == []
    urls = (project / "admin_panel/urls.py").read_text(encoding="utf-8")
    assert route in urls
    assert "from .components.sales_report import SalesReportView\n" in urls
    assert 'name="admin_panel_sales_report"' in urls
    assert section + include in (project / PANEL).read_text(encoding="utf-8")
    page_include = project / "admin_panel/templates/admin_panel/extra_components.html"
    assert '{% component "sales_report" %}' in page_include.read_text(encoding="utf-8")
    run([uv_executable(), "run", "python", "manage.py", "check"], project, env=DEV)
