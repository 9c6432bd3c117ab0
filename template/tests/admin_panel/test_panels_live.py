"""Live rows of model panels: a committed change reaches the open lists of its model,
rendered once; only users who may view the model get them, checked at connect and again
when a permission is taken away."""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client

from admin_panel.models import Subscription
from admin_panel.panels import live
from component_framework.testing import component_socket, session_headers
from config.asgi import application

WS = "/ws/admin/panels/admin_panel/subscription/"
pytestmark = pytest.mark.django_db(transaction=True)


async def headers_for(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return session_headers(client)


@pytest.fixture
def subscription(make_user):
    return Subscription.objects.create(
        user=make_user("payer"), plan="starter", monthly_amount=Decimal("9.00")
    )


@pytest.fixture
def viewers(staff):
    """A group that may view subscriptions, with the staff member in it."""
    group = Group.objects.create(name="viewers")
    group.permissions.add(Permission.objects.get(codename="view_subscription"))
    staff.groups.add(group)
    return group


@sync_to_async
def rename(subscription, plan):
    with transaction.atomic():
        subscription.plan = plan
        subscription.save()


async def test_a_changed_row_arrives_rendered_once_for_every_browser(
    superuser, subscription, monkeypatch
):
    renders = []
    real = live.row_html

    def counting(panel, pk):
        renders.append(pk)
        return real(panel, pk)

    monkeypatch.setattr(live, "row_html", counting)
    headers = await headers_for(superuser)
    async with (
        component_socket(application, WS, headers=headers) as one,
        component_socket(application, WS, headers=headers) as two,
    ):
        assert one.connected and two.connected
        await rename(subscription, "premium")
        received = [await s.communicator.receive_from(timeout=5) for s in (one, two)]
    assert renders == [subscription.pk]
    assert received[0] == received[1]
    row_id = f'id="panel-row-admin_panel-subscription-{subscription.pk}"'
    assert row_id in received[0] and 'hx-swap-oob="true"' in received[0]
    assert "premium" in received[0]


async def test_each_browser_gets_the_row_in_its_page_language(superuser, subscription):
    english = await headers_for(superuser)
    german = [*english, (b"accept-language", b"de-DE,de;q=0.9")]
    async with (
        component_socket(application, WS, headers=english) as one,
        component_socket(application, WS, headers=german) as two,
    ):
        await rename(subscription, "premium")
        received = [await s.communicator.receive_from(timeout=5) for s in (one, two)]
    assert ">Active<" in received[0] and ">Aktiv<" in received[1]


async def test_a_deleted_row_is_marked_gone(superuser, subscription):
    async with component_socket(application, WS, headers=await headers_for(superuser)) as socket:
        await sync_to_async(subscription.delete)()
        html = await socket.communicator.receive_from(timeout=5)
    assert 'data-testid="panel-row-gone"' in html


async def test_staff_without_the_view_permission_are_refused(staff, subscription):
    async with component_socket(application, WS, headers=await headers_for(staff)) as socket:
        assert not socket.connected
        assert socket.close_code == 4403


async def test_staff_with_the_view_permission_get_rows(staff, viewers, subscription):
    async with component_socket(application, WS, headers=await headers_for(staff)) as socket:
        assert socket.connected
        await rename(subscription, "seen")
        assert "seen" in await socket.communicator.receive_from(timeout=5)


async def test_losing_the_permission_closes_the_socket(staff, viewers, subscription):
    async with component_socket(application, WS, headers=await headers_for(staff)) as socket:
        assert socket.connected
        permission = await sync_to_async(Permission.objects.get)(codename="view_subscription")
        await sync_to_async(viewers.permissions.remove)(permission)
        closed = await socket.communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}


async def test_other_models_changes_are_not_sent(superuser, member, subscription):
    async with component_socket(application, WS, headers=await headers_for(superuser)) as socket:

        @sync_to_async
        def rename_member():
            member.first_name = "Elsewhere"
            member.save()

        await rename_member()
        assert await socket.communicator.receive_nothing()
