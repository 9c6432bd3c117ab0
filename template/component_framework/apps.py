import importlib
import pkgutil

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule


def autodiscover_components() -> None:
    """Import every module of each installed app's `components` package.

    `@registry.register(...)` runs when a module is imported, so a component module added
    to `<app>/components/` is registered without a line anywhere else (the way
    `django.contrib.admin` finds each app's `admin` module). An import error is raised,
    never skipped: a broken component must stop the project at start-up.
    """
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, "components"):
            continue
        name = f"{app_config.name}.components"
        package = importlib.import_module(name)
        for module in pkgutil.iter_modules(getattr(package, "__path__", [])):
            importlib.import_module(f"{name}.{module.name}")


class ComponentFrameworkConfig(AppConfig):
    name = "component_framework"
    verbose_name = "Component framework"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from .adapters.consumer import close_sockets_on_logout

        autodiscover_components()
        # A logged-out user's WebSockets are closed on every worker.
        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="cf-close-sockets-on-logout")
