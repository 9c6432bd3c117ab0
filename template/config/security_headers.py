"""The browser-side security headers: Content-Security-Policy and Permissions-Policy.

The policy itself is `CONTENT_SECURITY_POLICY` in the settings (django-csp). It allows
scripts and styles from this site's own files only: no inline `<script>`, `<style>` or
`style="..."`, and no `eval` (htmx runs with `allowEval: false`, see templates/base.html).

`ContentSecurityPolicyMiddleware` is django-csp's middleware that also lets the page open
a WebSocket to its own host: CSP Level 3 browsers match `ws:`/`wss:` with `'self'`, older
ones need the origin written out, so `connect-src` gets `ws://<host>` (or `wss://` over
HTTPS) of the request.

`PermissionsPolicyMiddleware` sends `settings.PERMISSIONS_POLICY` (the powerful browser
features, camera to USB, denied to this site and anything it would embed).
"""

from __future__ import annotations

from collections.abc import Awaitable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

from component_framework.adapters.middleware import SyncAndAsyncMiddleware


def websocket_origin(request: HttpRequest) -> str | None:
    """`wss://host[:port]` of the request (`ws://` over plain HTTP); None for a bad host."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the page's own WebSocket origin in `connect-src`."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = websocket_origin(request)
        if origin is not None:
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), origin]
            parts.update = update
        return parts


class PermissionsPolicyMiddleware(SyncAndAsyncMiddleware):
    """Adds the `Permissions-Policy` header of `settings.PERMISSIONS_POLICY` to every response."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        return self.add_header(self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return self.add_header(await self.get_response(request))

    @staticmethod
    def add_header(response: HttpResponseBase) -> HttpResponseBase:
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
