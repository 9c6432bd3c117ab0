"""The admin panel's own models in the panel: users (under the role rules of
`admin_panel.roles`), subscriptions, user activity (read-only) and the audit trail
(read-only, never deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..models import AuditEntry, Subscription, UserActivity
from ..roles import ROLE_FIELDS, can_manage, is_self, locked_fields
from .options import ModelPanel, action
from .sites import site


@site.register(get_user_model())
class UserPanel(ModelPanel):
    """Users, as the user table shows them; accounts are created with `createsuperuser`
    or by the project's sign-up, not here."""

    list_display = ["username", "email", "is_active", "is_staff", "date_joined"]
    search_fields = ["username", "email"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    ordering = ["-date_joined"]
    sortable_by = ["username", "date_joined"]
    fields = ["username", "email", "first_name", "last_name", "is_active", *ROLE_FIELDS]

    def has_view_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        """Every active member of staff, as on the dashboard's user table (the role rules
        let staff see and edit users); changing them here still needs `change`."""
        return bool(user.is_authenticated and user.is_active and user.is_staff)

    def get_readonly_fields(self, user: Any, obj: models.Model | None = None) -> list[str]:
        """The role rules' locked flags: role flags for staff, one's own flags for all."""
        return sorted(locked_fields(user, obj)) if obj is not None else list(ROLE_FIELDS)

    def has_add_permission(self, user: Any) -> bool:
        return False

    def has_change_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(user, obj) and (obj is None or can_manage(user, obj))

    def has_delete_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(user, obj) and (
            obj is None or (can_manage(user, obj) and not is_self(user, obj))
        )


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

    def get_queryset(self, user: Any = None) -> models.QuerySet[Any]:
        """Only entries of models `user` may view (`site.may_view`), as in the feed."""
        queryset = super().get_queryset(user)
        types = site.viewable_content_types(user) if user is not None else None
        return queryset if types is None else queryset.filter(target_type__in=sorted(types))

    def has_view_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        allowed = super().has_view_permission(user, obj)
        if obj is None or not allowed:
            return allowed
        type_id = obj.target_type_id  # type: ignore[attr-defined]
        return site.may_view(user, ContentType.objects.get_for_id(type_id) if type_id else None)
