"""The admin panel's data: the audit trail, subscriptions (revenue), user activity and
the monthly KPI rollup.

All of them exist in every rendered project, whatever features were switched on, so the
migration history is the same everywhere.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from component_framework.core.encoding import JSONEncoder


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    """Audit entries can be added and read, never changed or removed through the ORM."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be deleted.")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: use create().")


class AuditEntry(models.Model):
    """One create, update or delete of a model instance, recorded by `admin_panel.audit`.

    `changes` maps a field name to `[before, after]` (`before` is null for a create, `after`
    for a delete); secret fields appear only as changed, never with their values.
    `target` and `actor_username` are text copies so the entry still reads correctly after
    the user or the object is gone.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("target type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    target = models.CharField(_("target"), max_length=255)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=JSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Indexed with id below (one index serves the feed's order and date filters).
    timestamp = models.DateTimeField(_("time"), default=timezone.now)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["timestamp", "id"], name="audit_timestamp_id")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return gettext("%(who)s: %(action)s %(target)s") % {
            "who": self.actor_username or gettext("system"),
            "action": self.get_action_display(),
            "target": self.target,
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be deleted.")


class Subscription(models.Model):
    """A paying customer's plan. `cancelled_at` is set exactly when `status` is cancelled."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("user"),
    )
    plan = models.CharField(_("plan"), max_length=50)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.ACTIVE
    )
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=10, decimal_places=2)
    created = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            # MRR: sum(monthly_amount) of active rows, answered from the index alone.
            models.Index(fields=["status", "monthly_amount"], name="sub_status_amount"),
            # Churn and the trends: range scans on the two dates.
            models.Index(fields=["created"], name="sub_created"),
            models.Index(fields=["cancelled_at"], name="sub_cancelled_at"),
            # The panel's sortable columns (the list orders by the column, then the id).
            models.Index(fields=["plan", "id"], name="sub_plan_id"),
            models.Index(fields=["monthly_amount", "id"], name="sub_amount_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="active", cancelled_at__isnull=True)
                    | Q(status="cancelled", cancelled_at__isnull=False)
                ),
                name="sub_cancelled_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="sub_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(plan)s (%(status)s) for user #%(user)s") % {
            "plan": self.plan,
            "status": self.get_status_display(),
            "user": self.user_id,
        }


class UserActivity(models.Model):
    """That a user used the site on a given day; `last_seen` is the latest request that day.

    One row per user and day (not one per user) so that monthly active users can be counted
    for any past month, which the 12-month trend needs. Written by
    `admin_panel.middleware.ActivityMiddleware`, at most once per user per throttle period.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activity",
        verbose_name=_("user"),
    )
    day = models.DateField(_("day"))
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("user activity")
        verbose_name_plural = _("user activity")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="activity_user_day")]
        indexes = [
            # MAU: distinct user_id over a last_seen range, answered from the index alone.
            models.Index(fields=["last_seen", "user"], name="activity_seen_user"),
        ]

    def __str__(self) -> str:
        return gettext("user #%(user)s on %(day)s") % {"user": self.user_id, "day": self.day}


class KpiMonth(models.Model):
    """The KPIs at the end of a closed calendar month, written once by `metrics.trends`.

    Past months do not change, so the 12-month trend reads them from here instead of
    rescanning a year of activity on every recompute. Bulk data loads into the past
    (`seed_demo`) clear this table so the months are computed again.
    """

    month = models.DateField(unique=True, help_text="First day of the month.")
    as_of = models.DateTimeField(help_text="The instant the values describe (the month's end).")
    mau = models.PositiveIntegerField()
    mrr = models.DecimalField(max_digits=14, decimal_places=2)
    churn_rate = models.FloatField(help_text="Percent, two decimals.")
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month"]
        verbose_name = "KPI month"

    def __str__(self) -> str:
        return f"KPIs of {self.month:%b %Y}"
