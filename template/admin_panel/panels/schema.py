"""The pydantic schema of a panel's form, built from the model's fields.

Pydantic checks what a form field can hold (types, lengths, choices, e-mail addresses);
the model's own rules (validators, uniqueness, constraints) are checked by `full_clean()`
when the object is saved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models
from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
)

TEXT_FIELDS = (models.CharField, models.TextField)


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() == "" else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _aware(value: Any) -> Any:
    """A `datetime-local` input's value is in the panel's time zone."""
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _email(value: str) -> str:
    """An e-mail address by Django's rule, refused in the active language."""
    if value == "":
        return value  # a blank address is the model's rule to judge (`blank`)
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    return value


def field_type(field: models.Field[Any, Any]) -> Any:
    """The pydantic type of one model field's form value."""
    if field.choices:
        kind: Any = Literal[tuple(value for value, _label in field.flatchoices if value != "")]
    elif isinstance(field, models.BooleanField):
        kind = bool
    elif isinstance(field, models.EmailField):
        kind = Annotated[str, AfterValidator(_email)]
    elif isinstance(field, models.DecimalField):
        kind = Annotated[
            Decimal, Field(max_digits=field.max_digits, decimal_places=field.decimal_places)
        ]
    elif isinstance(field, models.IntegerField):
        # The column's range: a value the database would refuse never reaches it.
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        kind = Annotated[int, Field(ge=low, le=high)]
    elif isinstance(field, models.FloatField):
        kind = float
    elif isinstance(field, models.DateTimeField):
        kind = Annotated[dt.datetime, AfterValidator(_aware)]
    elif isinstance(field, models.DateField):
        kind = dt.date
    elif field.many_to_one or field.one_to_one:
        kind = field_type(field.target_field)  # type: ignore[attr-defined]
    else:
        limit = getattr(field, "max_length", None)
        min_length = 0 if field.blank else 1
        kind = Annotated[str, Field(min_length=min_length, max_length=limit)]
    return kind


def build_schema(model: type[models.Model], names: list[str]) -> type[BaseModel]:
    """A schema with one entry per form field in `names` (unknown fields refused)."""
    fields: dict[str, Any] = {}
    for name in names:
        field = model._meta.get_field(name)
        kind = field_type(field)
        if field.null or (field.blank and not isinstance(field, TEXT_FIELDS)):
            kind = Annotated[kind | None, BeforeValidator(_blank_to_none)]
            fields[name] = (kind, None)
        elif isinstance(field, models.BooleanField):
            fields[name] = (kind, False)
        elif isinstance(field, TEXT_FIELDS):
            kind = Annotated[kind, BeforeValidator(_strip)]
            fields[name] = (kind, "" if field.blank else ...)
        else:
            fields[name] = (kind, ...)
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{model.__name__}PanelSchema", __config__=ConfigDict(extra="forbid"), **fields
    )
