"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSockets are authenticated from the session cookie (AuthMiddlewareStack) and refused
unless their Origin header names one of ALLOWED_HOSTS (AllowedHostsOriginValidator).
"""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from admin_panel.routing import websocket_urlpatterns  # noqa: E402

if not settings.REDIS_URL:
    logging.getLogger("config").warning(
        "REDIS_URL is empty: running single-process with the in-memory cache and channel "
        "layer. Fine for a first run; several workers need Redis (set REDIS_URL)."
    )

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
