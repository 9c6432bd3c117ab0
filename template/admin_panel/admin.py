"""The panel's models in Django's admin: visible to staff, never editable there.

Audit entries are evidence, so nobody may add, change or delete them; subscriptions and
activity are shown for inspection only (they are written by the product and `seed_demo`).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, KpiMonth, Subscription, UserActivity


class ReadOnlyAdmin(admin.ModelAdmin):
    """A ModelAdmin with the add, change and delete permissions switched off."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "actor_username", "action", "target", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["target", "actor_username", "object_id"]
    date_hierarchy = "timestamp"
    list_select_related = ["target_type"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "plan", "status", "monthly_amount", "created", "cancelled_at"]
    list_filter = ["status", "plan"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(UserActivity)
class UserActivityAdmin(ReadOnlyAdmin):
    list_display = ["user", "day", "last_seen"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "day"


@admin.register(KpiMonth)
class KpiMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "mau", "mrr", "churn_rate", "as_of", "computed_at"]
