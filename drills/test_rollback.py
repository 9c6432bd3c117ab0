"""A rolled-back transaction broadcasts nothing: `entry_committed` (the only thing the live
feed listens to) is sent once per entry of a committed transaction and never for entries
of a transaction, or a savepoint, that rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from admin_panel.audit import entry_committed
from admin_panel.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


@pytest.fixture
def committed() -> Iterator[list[int]]:
    """Ids of the entries `entry_committed` announced during the test."""
    seen: list[int] = []

    def receiver(sender: Any, entry: AuditEntry, **kwargs: Any) -> None:
        seen.append(entry.pk)

    entry_committed.connect(receiver, sender=AuditEntry, dispatch_uid="reliability-rollback")
    try:
        yield seen
    finally:
        entry_committed.disconnect(dispatch_uid="reliability-rollback", sender=AuditEntry)


def test_rolled_back_transaction_announces_nothing(make_user, committed):
    user = make_user("rb_user")
    committed.clear()
    count = AuditEntry.objects.count()
    with pytest.raises(Boom), transaction.atomic():
        user.first_name = "Never"
        user.save()
        make_user("rb_never_created")
        assert AuditEntry.objects.count() == count + 2  # written inside the transaction
        raise Boom
    assert committed == []
    assert AuditEntry.objects.count() == count

    user.refresh_from_db()
    user.first_name = "Kept"
    user.save()
    assert len(committed) == 1
    assert AuditEntry.objects.count() == count + 1


def test_rolled_back_savepoint_announces_only_the_outer_change(make_user, committed):
    user = make_user("rb_outer")
    committed.clear()
    with transaction.atomic():
        user.first_name = "Outer"
        user.save()
        with pytest.raises(Boom), transaction.atomic():
            make_user("rb_inner_never")
            raise Boom
        assert committed == []  # nothing before the commit either
    assert len(committed) == 1
    entry = AuditEntry.objects.get(pk=committed[0])
    assert entry.changes["first_name"] == ["", "Outer"]
    assert not AuditEntry.objects.filter(target__contains="rb_inner_never").exists()
