"""Losing staff or active status closes the user's live sockets (admin_panel.access)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from admin_panel import access
from admin_panel.components import UserListComponent
from component_framework.core.ws_manager import user_group
from component_framework.testing import MockRenderer

pytestmark = pytest.mark.django_db(transaction=True)


async def listen(user_pk):
    """A channel in the user's socket group, as each of their WebSockets has."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(user_pk), channel)
    return layer, channel


async def next_message(layer, channel, wait: float = 2.0):
    try:
        return await asyncio.wait_for(layer.receive(channel), wait)
    except TimeoutError:
        return None


@sync_to_async
def set_flags(user, **flags):
    for name, value in flags.items():
        setattr(user, name, value)
    user.save()


async def test_removing_the_staff_flag_anywhere_closes_the_sockets(staff):
    layer, channel = await listen(staff.pk)
    await set_flags(staff, is_staff=False)
    assert await next_message(layer, channel) == {"type": "cf.close"}


async def test_deactivating_through_the_table_closes_the_sockets(superuser, staff, monkeypatch):
    monkeypatch.setattr(UserListComponent, "renderer", MockRenderer())
    layer, channel = await listen(staff.pk)

    @sync_to_async
    def toggle():
        component = UserListComponent(user=superuser)
        component.mount()
        component.on_toggle_status(staff.pk)

    await toggle()
    assert await next_message(layer, channel) == {"type": "cf.close"}


async def test_other_changes_leave_the_sockets_open(superuser):
    layer, channel = await listen(superuser.pk)
    await set_flags(superuser, first_name="Still", is_superuser=False)  # still active staff
    assert await next_message(layer, channel, wait=0.3) is None


def test_a_channel_layer_outage_does_not_fail_the_demotion(staff, monkeypatch):
    def down(user_pk):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(access, "close_user_sockets", down)
    staff.is_staff = False
    staff.save()  # autocommit: the close runs (and fails) right here, and is only logged
    staff.refresh_from_db()
    assert staff.is_staff is False


async def test_a_rolled_back_demotion_closes_nothing(staff):
    layer, channel = await listen(staff.pk)

    @sync_to_async
    def demote_then_roll_back():
        with transaction.atomic():
            staff.is_staff = False
            staff.save()
            transaction.set_rollback(True)

    await demote_then_roll_back()
    assert await next_message(layer, channel, wait=0.3) is None
