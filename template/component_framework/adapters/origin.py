"""`WebSocketOriginValidator`: WebSockets pass the Origin check Django's CSRF runs on POSTs.

    application = ProtocolTypeRouter({
        "websocket": WebSocketOriginValidator(AuthMiddlewareStack(URLRouter(routes))),
    })

Browsers send cookies with a cross-site WebSocket handshake and CSRF tokens do not apply
to it, so the Origin header is the only defence against another site opening a socket
with the user's session. The rules are those of `CsrfViewMiddleware`'s Origin check:

- the Origin equals the request's own origin: scheme (`ws` -> `http`, `wss` -> `https`,
  or what `SECURE_PROXY_SSL_HEADER` says), host AND port of the `Host` header, with that
  host allowed by `ALLOWED_HOSTS`; or
- the Origin is in `CSRF_TRUSTED_ORIGINS`, exactly or under a wildcard
  (`https://*.example.com` trusts its subdomains, on the default port only).

A missing, `null` or other Origin is refused before the application runs (the handshake
gets a 403).
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.http import is_same_domain

#: WebSocket schemes and the HTTP schemes a browser's Origin names for them.
HTTP_SCHEMES = {"ws": "http", "wss": "https"}


def handshake_request(scope: dict[str, Any]) -> HttpRequest:
    """The handshake as a Django request (headers, host, scheme), to reuse Django's rules."""
    scheme = HTTP_SCHEMES.get(scope.get("scheme", "ws"), scope.get("scheme", "http"))
    http_scope = {**scope, "type": "http", "method": "GET", "scheme": scheme}
    return ASGIRequest(http_scope, io.BytesIO())


def origin_allowed(request: HttpRequest) -> bool:
    """Django's CSRF Origin rules for `request`'s Origin header (False when it has none)."""
    origin = request.META.get("HTTP_ORIGIN")
    if not origin or origin == "null":
        return False
    try:
        own_origin = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    except DisallowedHost:
        pass
    else:
        if origin == own_origin:
            return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in (entry for entry in trusted if "*" not in entry):
        return True
    wildcards: defaultdict[str, list[str]] = defaultdict(list)
    for entry in trusted:
        if "*" in entry:
            parsed = urlsplit(entry)
            wildcards[parsed.scheme].append(parsed.netloc.lstrip("*"))
    try:
        parsed_origin = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed_origin.netloc, host) for host in wildcards[parsed_origin.scheme]
    )


class WebSocketOriginValidator:
    """ASGI middleware: refuse WebSocket handshakes whose Origin fails `origin_allowed`."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(handshake_request(scope)):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
