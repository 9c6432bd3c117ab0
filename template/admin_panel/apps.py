from django.apps import AppConfig
from django.core import checks


class AdminPanelConfig(AppConfig):
    name = "admin_panel"
    verbose_name = "Admin panel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access, audit
        from .database import check_database_exists

        # First: a change's socket re-checks are sent before its audit entry (access.py).
        access.connect_signals()
        audit.connect_signals()
        checks.register(check_database_exists, checks.Tags.database)
        # Model panels: the panel's own, every app's `panels` module, live rows.
        from .panels import live, registrations, site  # noqa: F401
        from .panels.checks import check_panel_indexes

        site.autodiscover()
        checks.register(check_panel_indexes, checks.Tags.database)
