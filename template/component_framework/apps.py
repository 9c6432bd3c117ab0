from django.apps import AppConfig


class ComponentFrameworkConfig(AppConfig):
    name = "component_framework"
    verbose_name = "Component framework"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from .core.ws_manager import close_sockets_on_logout

        # A logged-out user's WebSockets are closed on every worker.
        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="cf-close-sockets-on-logout")
