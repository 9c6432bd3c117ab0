from django.apps import AppConfig
from django.core import checks


class AdminPanelConfig(AppConfig):
    name = "admin_panel"
    verbose_name = "Admin panel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access, audit
        from .database import check_database_exists

        audit.connect_signals()
        access.connect_signals()
        checks.register(check_database_exists, checks.Tags.database)
