"""`manage.py startcomponent NAME [--app APP]`: a new staff-only component, ready to run.

    uv run python manage.py startcomponent sales_report

Creates (never overwriting a file):

    <app>/components/sales_report.py           SalesReportComponent and SalesReportView
    <app>/templates/<app>/sales_report.html    its template
    tests/<app>/test_sales_report.py           a test that passes as generated

and adds:

    the route `<app>_sales_report` (components/sales-report/) to the last `urlpatterns`
    list of <app>/urls.py, with the view's import;
    a section showing the component to <app>/templates/<app>/extra_components.html, the
    page include for added components, when the app has one.

The component is registered without any other edit: the framework imports every module of
an app's `components` package at start-up. Every check runs before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from ...core.registry import registry
from ...scaffold import ComponentNames, ScaffoldError, add_route, add_section, check_name

#: Page include that lists added components (optional; see the module docstring).
PAGE_INCLUDE = "extra_components.html"


class Command(BaseCommand):
    help = "Create a staff-only component: class, view, template, route, page section, test."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="component name, e.g. sales_report")
        parser.add_argument("--app", default="admin_panel", help="app label (admin_panel)")

    def handle(self, *args: Any, name: str, app: str, **options: Any) -> None:
        try:
            check_name(name)
        except ScaffoldError as exc:
            raise CommandError(str(exc)) from None
        try:
            app_config = apps.get_app_config(app)
        except LookupError:
            raise CommandError(f"No installed app with the label {app!r}.") from None
        names = ComponentNames(name, app_config.label)
        app_dir = Path(app_config.path)
        root = app_dir.parent
        if name in registry:
            raise CommandError(f"A component named {name!r} is already registered.")
        if _reverses(names.url_name):
            raise CommandError(f"The URL name {names.url_name!r} is already in use.")

        components_dir = app_dir / "components"
        template_dir = app_dir / "templates" / app_config.label
        if (app_dir / "components.py").exists():
            raise CommandError(
                f"{_shown(app_dir / 'components.py', root)} is a module: startcomponent "
                f"needs a `components` package in {app_config.label}."
            )
        new_files = {
            components_dir / f"{name}.py": names.module_text(),
            template_dir / f"{name}.html": names.template_text(),
            root / "tests" / app_config.label / f"test_{name}.py": names.test_text(),
        }
        for path in new_files:
            if path.exists():
                raise CommandError(f"{_shown(path, root)} already exists; nothing was written.")

        urls = app_dir / "urls.py"
        if not urls.is_file():
            raise CommandError(f"{_shown(urls, root)} not found: the component's route goes there.")
        urls_source = urls.read_text(encoding="utf-8")
        if f'"{names.route}"' in urls_source:
            raise CommandError(f"{_shown(urls, root)} already has a route {names.route!r}.")
        try:
            edits = {urls: add_route(urls_source, names)}
        except ScaffoldError as exc:
            raise CommandError(f"{_shown(urls, root)}: {exc}") from None
        page = template_dir / PAGE_INCLUDE
        if page.is_file():
            edits[page] = add_section(page.read_text(encoding="utf-8"), names)

        for path in new_files:
            _make_dirs(path.parent, packages=path.parent != template_dir)
        for path, text in new_files.items():
            with path.open("x", encoding="utf-8") as file:
                file.write(text)
        for path, text in edits.items():
            path.write_text(text, encoding="utf-8")

        for path in [*new_files, *edits]:
            verb = "Created" if path in new_files else "Updated"
            self.stdout.write(f"{verb} {_shown(path, root)}")
        if page not in edits:
            self.stdout.write(f'Show it on a page: {{% component "{name}" %}}')
        self.stdout.write(
            self.style.SUCCESS(
                f"Component {name!r} is ready: uv run pytest tests/{app_config.label}"
            )
        )


def _reverses(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def _make_dirs(directory: Path, *, packages: bool) -> None:
    """Create `directory` and its missing parents, as Python packages if `packages`."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for new in reversed(missing):
        new.mkdir()
        if packages:
            (new / "__init__.py").touch()


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
