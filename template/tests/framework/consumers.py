"""Test consumers and a test ASGI stack shaped like config.asgi (origin check + auth)."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from component_framework.adapters.origin import WebSocketOriginValidator
from component_framework.core.permissions import HasPerm, IsStaff
from component_framework.core.ws_manager import ComponentConsumer
from tests.framework import components  # noqa: F401 - registers the test components


class CounterConsumer(ComponentConsumer):
    """Staff-only (the default) socket for the counter component."""

    component_name = "test_counter"

    async def connect(self) -> None:
        await super().connect()
        if self.accepted:
            await self.group_add("test-counter-watchers")

    async def resume(self, last_id: int) -> None:
        await self.send_json({"resumed_after": last_id})

    async def counter_add(self, message: dict[str, Any]) -> None:
        await self.dispatch_event("add", {"amount": message["amount"]})


class StaffOnlyComponentConsumer(ComponentConsumer):
    """Permissive socket, staff-only component: the component's permissions still apply."""

    component_name = "test_staff_only"
    permission_classes: Any = []


class GroupViewersConsumer(ComponentConsumer):
    """Plain push socket for staff holding `auth.view_group` (directly or through a group)."""

    permission_classes: Any = [IsStaff, HasPerm("auth.view_group")]

    async def connect(self) -> None:
        await super().connect()
        if self.accepted:
            await self.group_add("test-counter-watchers")

    async def resume(self, last_id: int) -> None:
        await self.send_json({"resumed_after": last_id})


application = WebSocketOriginValidator(
    AuthMiddlewareStack(
        URLRouter(
            [
                path("ws/test/counter/", CounterConsumer.as_asgi()),
                path("ws/test/group-viewers/", GroupViewersConsumer.as_asgi()),
            ]
        )
    )
)
