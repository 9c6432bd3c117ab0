"""Live access follows authority in the panel (admin_panel.access switches on the
framework's `component_framework.adapters.revocation`): a change that may take access away
re-checks the user's sockets once it commits; other changes send nothing."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from component_framework.adapters import revocation
from component_framework.adapters.consumer import user_group

pytestmark = pytest.mark.django_db(transaction=True)


def recheck(user) -> dict:
    """The message each of the user's sockets gets (it names the user)."""
    return {"type": "cf.recheck", "user": str(user.pk)}


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


async def test_removing_the_staff_flag_anywhere_rechecks_the_sockets(staff):
    layer, channel = await listen(staff.pk)
    await set_flags(staff, is_staff=False)
    assert await next_message(layer, channel) == recheck(staff)


async def test_changes_to_other_fields_send_nothing(superuser):
    layer, channel = await listen(superuser.pk)
    await set_flags(superuser, first_name="Still", email="still@example.com")
    assert await next_message(layer, channel, wait=0.3) is None


def test_a_channel_layer_outage_does_not_fail_the_demotion(staff, monkeypatch):
    def down(*user_pks):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(revocation, "recheck_user_sockets", down)
    staff.is_staff = False
    staff.save()  # autocommit: the re-check runs (and fails) right here, and is only logged
    staff.refresh_from_db()
    assert staff.is_staff is False


async def test_a_rolled_back_demotion_rechecks_nothing(staff):
    layer, channel = await listen(staff.pk)

    @sync_to_async
    def demote_then_roll_back():
        with transaction.atomic():
            staff.is_staff = False
            staff.save()
            transaction.set_rollback(True)

    await demote_then_roll_back()
    assert await next_message(layer, channel, wait=0.3) is None
