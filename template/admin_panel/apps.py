from django.apps import AppConfig


class AdminPanelConfig(AppConfig):
    name = "admin_panel"
    verbose_name = "Admin panel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access, audit, components  # noqa: F401 - importing registers components

        # First: a change's socket re-checks are sent before its audit entry (access.py).
        access.connect_signals()
        audit.connect_signals()
