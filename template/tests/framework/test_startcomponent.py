"""`manage.py startcomponent`: the refusals (nothing written) and the edits it makes to an
app's urls.py. The command's whole run is proven on a rendered project by the template's
own tests."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from component_framework.scaffold import ComponentNames, ScaffoldError, add_route

NAMES = ComponentNames("report", app_label="shop")
ROUTE = 'path("components/report/", ReportView.as_view(), name="shop_report"),'


def project_files() -> set[Path]:
    """The files of the folders the command writes to (the app, the tests)."""
    app = Path(apps.get_app_config("admin_panel").path)
    return {
        path
        for root in (app, app.parent / "tests")
        for path in root.rglob("*")
        if "__pycache__" not in path.parts
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Sales", "not a valid component name"),
        ("sales-report", "not a valid component name"),
        ("_sales", "not a valid component name"),
        ("sales__report", "not a valid component name"),
        ("x" * 31, "not a valid component name"),
        ("class", "Python keyword"),
        ("user_list", "already registered"),
        ("users", "already has a route"),
    ],
)
def test_invalid_or_taken_names_are_refused_and_nothing_is_written(name, message):
    before = project_files()

    with pytest.raises(CommandError, match=message):
        call_command("startcomponent", name)

    assert project_files() == before


def test_an_unknown_app_is_refused():
    with pytest.raises(CommandError, match="No installed app"):
        call_command("startcomponent", "sales_report", "--app", "nope")


def test_the_route_goes_into_the_last_urlpatterns_list_and_the_import_is_sorted():
    source = (
        "from django.urls import path\n\nfrom . import views\nfrom .zeta import z\n\n"
        'urlpatterns = [\n    path("", views.index),\n]\n\nurlpatterns += []\n'
    )

    edited = add_route(source, NAMES)

    assert edited == (
        "from django.urls import path\n\nfrom . import views\n"
        "from .components.report import ReportView\nfrom .zeta import z\n\n"
        'urlpatterns = [\n    path("", views.index),\n]\n\n'
        f"urlpatterns += [\n    {ROUTE}\n]\n"
    )


def test_a_missing_trailing_comma_is_added():
    source = 'from django.urls import path\n\nurlpatterns = [\n    path("", view)\n]\n'

    edited = add_route(source, NAMES)

    assert f'path("", view),\n    {ROUTE}\n]' in edited
    assert "\n\nfrom .components.report import ReportView\n" in edited
    ast.parse(edited)


def test_a_long_route_is_written_one_argument_per_line():
    names = ComponentNames("quarterly_sales_by_region", app_label="admin_panel")
    source = "from django.urls import path\n\nurlpatterns = []\n"

    edited = add_route(source, names)

    assert max(len(line) for line in edited.splitlines()) <= 88
    assert '        name="admin_panel_quarterly_sales_by_region",\n    ),\n]' in edited


@pytest.mark.parametrize(
    "source",
    [
        'from django.urls import path\n\nurlpatterns = [path("", view)]\n',
        "from django.urls import path\n\nurlpatterns = make_patterns()\n",
        "from django.urls import re_path\n\nurlpatterns = []\n",
    ],
)
def test_urls_it_cannot_edit_safely_are_refused_with_the_lines_to_add(source):
    with pytest.raises(ScaffoldError, match="by hand"):
        add_route(source, NAMES)
