"""A panel's filters: which request parameters each `list_filter` field reads, how they are
checked, and the ORM lookups they become.

    booleans        status=true / false
    choices         status=<one of the field's choice values>
    foreign keys    user=<primary key>
    dates, times    created_from=2026-01-01  created_to=2026-01-31   (days, both included)

A value that does not fit its field is a `BadRequest` naming the parameter (400), never a
database error. Parameters no filter reads are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from component_framework.core.errors import BadRequest

#: Related objects a foreign-key filter lists as choices; past it the filter takes an id.
MAX_RELATED_CHOICES = 100
#: Seconds the related objects of a foreign-key filter are kept in the cache, so that list
#: requests do not read them each time (an object added meanwhile shows up after this).
RELATED_CHOICES_TTL = 30
#: Longest value a filter parameter may hold.
MAX_VALUE_CHARS = 100


@dataclass(frozen=True)
class ListFilter:
    """One `list_filter` entry: its field, its kind and the parameters it reads."""

    field: models.Field[Any, Any]
    kind: str  # "boolean", "choice", "related" or "date"

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return capfirst(str(self.field.verbose_name))

    @property
    def params(self) -> tuple[str, ...]:
        if self.kind == "date":
            return (f"{self.name}_from", f"{self.name}_to")
        return (self.name,)

    def lookups(self, values: Mapping[str, str]) -> dict[str, Any]:
        """ORM lookups for this filter's (non-empty) `values`; `BadRequest` if one is bad."""
        found: dict[str, Any] = {}
        for param in self.params:
            raw = values.get(param, "")
            if raw == "":
                continue
            if len(raw) > MAX_VALUE_CHARS:
                raise BadRequest(_("The value of %(param)s is too long.") % {"param": param})
            try:
                found.update(self._lookup(param, raw))
            except (ValueError, TypeError, ValidationError):
                raise BadRequest(
                    _("Invalid value for %(param)s: %(value)r.") % {"param": param, "value": raw}
                ) from None
        return found

    def _lookup(self, param: str, raw: str) -> dict[str, Any]:
        if self.kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return {self.name: raw == "true"}
        if self.kind == "choice":
            if raw not in {str(value) for value, _label in self.field.flatchoices}:
                raise ValueError(raw)
            return {self.name: self.field.to_python(raw)}
        if self.kind == "related":
            target = self.field.target_field  # type: ignore[attr-defined]
            value = target.to_python(raw)
            target.run_validators(value)  # in the column's range
            return {self.field.attname: value}
        day = dt.date.fromisoformat(raw)
        if param.endswith("_to"):
            day += dt.timedelta(days=1)
        if isinstance(self.field, models.DateTimeField):
            start: Any = dt.datetime.combine(day, dt.time())
            if timezone.is_naive(start) and timezone.get_current_timezone():
                start = timezone.make_aware(start)
        else:
            start = day
        return {f"{self.name}__{'lt' if param.endswith('_to') else 'gte'}": start}

    def choices(self, user: Any, can_view_related: bool) -> list[tuple[str, str]] | None:
        """(value, label) pairs offered to `user`, or None when the filter takes typed text.

        A foreign key lists related objects only for users who may view that model, and only
        when there are few."""
        if self.kind == "boolean":
            return [("true", _("Yes")), ("false", _("No"))]
        if self.kind == "choice":
            return [(str(value), str(label)) for value, label in self.field.flatchoices]
        if self.kind == "related" and can_view_related:
            return related_choices(self.field.related_model)  # type: ignore[arg-type]
        return None


def related_choices(model: type[models.Model]) -> list[tuple[str, str]] | None:
    """(pk, label) of `model`'s objects when there are at most `MAX_RELATED_CHOICES`, else
    None; from the cache when it holds them (`RELATED_CHOICES_TTL`)."""
    key = f"admin_panel:filter_choices:{model._meta.label_lower}"
    cached = cache.get(key)
    if cached is not None:
        return [tuple(pair) for pair in cached["choices"]] if cached["choices"] else None
    few = list(model._default_manager.all()[: MAX_RELATED_CHOICES + 1])
    choices = [(str(obj.pk), str(obj)) for obj in few] if len(few) <= MAX_RELATED_CHOICES else None
    cache.set(key, {"choices": choices}, RELATED_CHOICES_TTL)
    return choices


def list_filter(field: models.Field[Any, Any]) -> ListFilter:
    """The filter of `field`; `ValueError` for a field that cannot be filtered on."""
    if isinstance(field, models.BooleanField):
        return ListFilter(field, "boolean")
    if field.choices:
        return ListFilter(field, "choice")
    if field.many_to_one or field.one_to_one:
        return ListFilter(field, "related")
    if isinstance(field, models.DateField):  # DateTimeField included
        return ListFilter(field, "date")
    raise ValueError(
        f"{field.model._meta.label}.{field.name} cannot be a list_filter: use a boolean, "
        "a field with choices, a foreign key or a date."
    )


def filter_lookups(filters: list[ListFilter], values: Mapping[str, str]) -> dict[str, Any]:
    """All ORM lookups of `values` (request parameters); `BadRequest` for a bad one."""
    lookups: dict[str, Any] = {}
    for item in filters:
        lookups.update(item.lookups(values))
    return lookups
