"""ASGI application for bench/live_feed.py: the project's real application plus two extras.

* `/ws/bench/bare/`: a bare Channels consumer that joins a group and forwards the HTML it
  is sent, nothing else. It is the baseline the live feed is compared with, on the same
  channel layer, in the same server processes.
* Template renders are counted: every render of a Django template (the backend's
  `Template.render`, which `render_to_string` and `render` go through) increments a Redis
  counter, so the bench can show renders per change across all processes.

Run by the bench as `uvicorn bench.asgi:application` (or daphne); not for production.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from channels.generic.websocket import AsyncWebsocketConsumer

from bench.benchlib import count_renders
from config.asgi import application as project_application

BARE_PATH = "/ws/bench/bare/"
BARE_GROUP = "bench-bare"


class BareForwarder(AsyncWebsocketConsumer):
    """Joins the bench group and sends each message's HTML to its socket."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(BARE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(BARE_GROUP, self.channel_name)

    async def bench_forward(self, event: dict) -> None:
        await self.send(text_data=event["html"])


_bare = BareForwarder.as_asgi()

if os.environ.get("BENCH_RENDER_KEY"):
    count_renders(os.environ["BENCH_REDIS_URL"], os.environ["BENCH_RENDER_KEY"])


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == BARE_PATH:
        return await _bare(scope, receive, send)
    return await project_application(scope, receive, send)
