"""`SyncAndAsyncMiddleware`: the base of middleware that run in sync and async stacks.

The idiom is django-htmx's `HtmxMiddleware`: both capability flags set, the instance
marked as a coroutine function when the next handler is one, and the switch made inside
`__call__` (Django's handler never sees a swapped dunder method):

    class StampMiddleware(SyncAndAsyncMiddleware):
        def __call__(self, request):
            if self.async_mode:
                return self.__acall__(request)
            return stamp(self.get_response(request))

        async def __acall__(self, request):
            return stamp(await self.get_response(request))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

GetResponse = (
    Callable[[HttpRequest], HttpResponseBase] | Callable[[HttpRequest], Awaitable[HttpResponseBase]]
)


class SyncAndAsyncMiddleware:
    """Stores `get_response` and sets `async_mode`; see the module docstring."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
