"""The admin panel's own models in the panel: subscriptions, user activity (read-only)
and the audit trail (read-only, never deleted)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..models import AuditEntry, Subscription, UserActivity
from .options import ModelPanel, action
from .sites import site


@action(description=gettext_lazy("Cancel selected subscriptions"))
def cancel(panel: ModelPanel, request: Any, obj: Subscription) -> None:
    if obj.status != Subscription.Status.CANCELLED:
        obj.status = Subscription.Status.CANCELLED
        obj.cancelled_at = timezone.now()
        obj.save()


@site.register(Subscription)
class SubscriptionPanel(ModelPanel):
    list_display = ["plan", "user", "status", "monthly_amount", "created"]
    search_fields = ["plan"]
    list_filter = ["status", "user", "created"]
    ordering = ["-created"]
    actions = [cancel]
    # Every searched and sorted field has its index (migration 0003 and Meta.indexes).


class ReadOnlyPanel(ModelPanel):
    """A list and a history to look at: no add, change or delete, whoever asks."""

    def has_add_permission(self, user: Any) -> bool:
        return False

    def has_change_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return False

    def has_view_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return self.has_perm(user, "view")


@site.register(UserActivity)
class UserActivityPanel(ReadOnlyPanel):
    list_display = ["user", "day", "last_seen"]
    list_filter = ["day"]
    ordering = ["-last_seen"]
    sortable_by = ["last_seen"]  # the indexed one


@site.register(AuditEntry)
class AuditEntryPanel(ReadOnlyPanel):
    list_display = ["timestamp", "actor_username", "action", "target"]
    list_filter = ["action", "timestamp"]
    ordering = ["-timestamp"]
    # No search and one sort: each index on the trail would slow every audited write.
    sortable_by = ["timestamp"]
