"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSockets are authenticated from the session cookie (AuthMiddlewareStack) and refused
unless their Origin passes Django's CSRF Origin rules: the page's own scheme, host and port
with the host in ALLOWED_HOSTS, or CSRF_TRUSTED_ORIGINS (WebSocketOriginValidator).
"""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from admin_panel.routing import websocket_urlpatterns  # noqa: E402
from component_framework.adapters.origin import WebSocketOriginValidator  # noqa: E402

if not settings.REDIS_URL:
    logging.getLogger("config").warning(
        "REDIS_URL is empty: running single-process with the in-memory cache and channel "
        "layer. Fine for a first run; several workers need Redis (set REDIS_URL)."
    )

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
