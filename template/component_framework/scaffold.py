"""What `manage.py startcomponent` writes: the files of a new component, and the two
additions it makes to an app's files (a route in `urls.py`, a section on a page).

Pure text in, text out (the command does the checks and the writing):

    names = ComponentNames("sales_report", app_label="admin_panel")
    names.module_text()                       # admin_panel/components/sales_report.py
    add_route(urls_source, names)             # urls.py with the route and its import

An edit that cannot be made safely raises `ScaffoldError` naming what to do by hand.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass
from string import Template

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


#: Generated Python lines stay within this width (Black's and Ruff's default line length).
FORMATTED_WIDTH = 88


class ScaffoldError(Exception):
    """A name or a file the scaffold cannot work with; the message says why."""


def check_name(name: str) -> None:
    """Refuse names that cannot be a module, a component name and a URL name at once."""
    if not NAME_RE.match(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(
            f"{name!r} is not a valid component name: use lowercase letters, digits and single "
            "underscores, starting with a letter (at most 30 characters), e.g. sales_report."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"{name!r} is a Python keyword; choose another component name.")


@dataclass(frozen=True)
class ComponentNames:
    """Every name derived from the component's name (`sales_report`) and its app."""

    name: str
    app_label: str

    @property
    def class_prefix(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def component_class(self) -> str:
        return f"{self.class_prefix}Component"

    @property
    def view_class(self) -> str:
        return f"{self.class_prefix}View"

    @property
    def slug(self) -> str:
        """For URLs, element ids and test ids: `sales-report`."""
        return self.name.replace("_", "-")

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def route(self) -> str:
        return f"components/{self.slug}/"

    @property
    def url_name(self) -> str:
        return f"{self.app_label}_{self.name}"

    @property
    def template_name(self) -> str:
        return f"{self.app_label}/{self.name}.html"

    def fill(self, text: str) -> str:
        """`text` with `$name`, `$component_class`, `$url_name`, ... substituted."""
        return Template(text).substitute(
            name=self.name,
            app=self.app_label,
            component_class=self.component_class,
            view_class=self.view_class,
            slug=self.slug,
            title=self.title,
            route=self.route,
            url_name=self.url_name,
            template_name=self.template_name,
        )

    def module_text(self) -> str:
        return self.fill(MODULE)

    def template_text(self) -> str:
        return self.fill(HTML)

    def test_text(self) -> str:
        return self.fill(TEST)

    def route_line(self) -> str:
        """The route, one line, or one argument per line (a trailing comma keeps a
        formatter from joining them) when it would not fit 88 columns once indented."""
        line = self.fill('path("$route", $view_class.as_view(), name="$url_name"),')
        if len(line) <= FORMATTED_WIDTH - 4:
            return line
        return self.fill(
            'path(\n        "$route",\n        $view_class.as_view(),\n'
            '        name="$url_name",\n    ),'
        )

    def import_line(self) -> str:
        line = self.fill("from .components.$name import $view_class")
        if len(line) <= FORMATTED_WIDTH:
            return line
        return self.fill("from .components.$name import (\n    $view_class,\n)")

    def page_section(self) -> str:
        return self.fill(SECTION)


MODULE = '''\
"""$title, for staff (made by `manage.py startcomponent`).

Template: `$template_name`.
Route: `$url_name`, in `$app/urls.py`.
"""

from component_framework.adapters.django_views import ComponentView
from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.permissions import IsStaff


@registry.register("$name")
class $component_class(Component):
    """State: `count`. Events: `increment(by)`."""

    template_name = "$template_name"
    permission_classes = [IsStaff]

    def mount(self) -> None:
        self.state["count"] = 0

    def on_increment(self, by: int = 1) -> None:
        self.state["count"] += by


class $view_class(ComponentView):
    """Staff-only endpoint of the component (a JSON 403 for everyone else, no redirect)."""

    component_name = "$name"
    permission_classes = [IsStaff]
'''

HTML = """\
{% load i18n %}
<div id="$slug-{{ component_id }}" class="card" data-testid="$slug"
     hx-target="this" hx-swap="outerHTML">
  <p class="cf-error" data-cf-error role="alert" data-testid="$slug-error"></p>
  <p>{% translate "Count:" %} <output data-testid="$slug-count">{{ state.count }}</output></p>
  <button type="button" class="button button--small" data-testid="$slug-increment"
          hx-post="{% url '$url_name' %}" hx-vals='{"event": "increment"}'>
    {% translate "Add one" %}
  </button>
</div>
"""

SECTION = """\
{% load i18n %}
<section aria-labelledby="$slug-heading" data-testid="$slug-section">
  <h2 id="$slug-heading" class="section-title">{% translate "$title" %}</h2>
  {% component "$name" %}
</section>
"""

TEST = '''\
"""`$component_class` (made by `manage.py startcomponent`), through the real view.

Every event is also sent by anonymous and non-staff users in `tests/test_component_security.py`,
which finds new components by itself.
"""

from typing import Any

import pytest
from django.urls import reverse

from $app.components.$name import $component_class
from component_framework.testing import ComponentClient

pytestmark = pytest.mark.django_db

URL_NAME = "$url_name"


def test_increment_adds_to_the_count() -> None:
    component = $component_class()
    component.mount()
    component.on_increment(by=2)
    assert component.state["count"] == 2


def test_staff_load_it_and_send_events(django_user_model: Any) -> None:
    client = ComponentClient(django_user_model.objects.create_user("staff", is_staff=True))
    url = reverse(URL_NAME)

    assert client.load(url).status_code == 200
    response = client.event(url, "increment", by="2")

    assert response.status_code == 200
    count = 'data-testid="$slug-count">2</output>'
    assert count in response.content.decode()


def test_non_staff_get_a_json_403(django_user_model: Any) -> None:
    member = django_user_model.objects.create_user("member")
    for user in (None, member):
        response = ComponentClient(user).load(reverse(URL_NAME))

        assert response.status_code == 403
        assert "error" in response.json()
'''


# -- edits of existing files ---------------------------------------------------------------


def _urlpatterns_lists(tree: ast.Module) -> list[ast.List]:
    """The list literals assigned (`=`) or added (`+=`) to `urlpatterns` at module level."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in targets)
        if named and isinstance(node.value, ast.List):
            found.append(node.value)
    return found


def _imports_path(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "django.urls"
        and any(alias.name == "path" and alias.asname is None for alias in node.names)
        for node in tree.body
    )


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the joined `lines`."""
    line = lines[lineno - 1]
    return sum(len(text) for text in lines[: lineno - 1]) + len(line.encode()[:col].decode())


def add_route(source: str, names: ComponentNames) -> str:
    """`source` (an app's urls.py) with the component's route appended to its last
    `urlpatterns` list and the view's import among the relative imports."""
    tree = ast.parse(source)
    by_hand = names.fill(
        'add `from .components.$name import $view_class` and `path("$route", '
        '$view_class.as_view(), name="$url_name")` by hand'
    )
    lists = _urlpatterns_lists(tree)
    if not lists or not _imports_path(tree):
        raise ScaffoldError(
            "urls.py has no `urlpatterns = [...]` list or does not import `path` from "
            f"django.urls: {by_hand}."
        )
    target = lists[-1]
    lines = source.splitlines(keepends=True)
    close = _offset(lines, target.end_lineno or 0, (target.end_col_offset or 0) - 1)
    line_start = source.rfind("\n", 0, close) + 1
    indent = source[line_start:close]
    route = names.route_line()
    if not indent.strip():  # the closing bracket is on a line of its own
        candidates = [source[:line_start] + f"{indent}    {route}\n" + source[line_start:]]
        if target.elts:  # the last element may lack its trailing comma
            last = target.elts[-1]
            end = _offset(lines, last.end_lineno or 0, last.end_col_offset or 0)
            candidates.append(candidates[0][:end] + "," + candidates[0][end:])
    elif not target.elts and source[close - 1] == "[":  # `[]`
        candidates = [source[:close] + f"\n    {route}\n" + source[close:]]
    else:
        raise ScaffoldError(
            f"the closing bracket of urlpatterns is not on a line of its own: {by_hand}."
        )
    for candidate in candidates:
        try:
            ast.parse(candidate)
        except SyntaxError:
            continue
        return _add_import(candidate, names)
    raise ScaffoldError(f"urls.py could not be edited safely: {by_hand}.")


def _add_import(source: str, names: ComponentNames) -> str:
    """Insert the view's import where isort puts it: among the relative imports, sorted."""
    tree = ast.parse(source)
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    module = f"components.{names.name}"
    local = [node for node in imports if isinstance(node, ast.ImportFrom) and node.level == 1]
    lines = source.splitlines(keepends=True)
    line = names.import_line() + "\n"
    for node in local:
        if (node.module or "").lower() > module:
            lines.insert(node.lineno - 1, line)
            return "".join(lines)
    if local:
        lines.insert(local[-1].end_lineno or 0, line)
    else:
        lines.insert(imports[-1].end_lineno or 0, "\n" + line)
    return "".join(lines)


def add_section(page_source: str, names: ComponentNames) -> str:
    """The page include with the component's section appended."""
    if page_source and not page_source.endswith("\n"):
        page_source += "\n"
    return page_source + names.page_section()
