"""`DjangoModelComponent`: a component backed by a Django model.

@registry.register("user_list")
class UserList(DjangoModelComponent):
    model = User
    state_fields = ["username", "email", "is_active", "date_joined"]

    def mount(self):
        self.state["users"] = [self.serialize(u) for u in User.objects.all()[:25]]
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from ..core.component import Component
from ..core.encoding import plain


class DjangoModelComponent(Component):
    """Adds `model`, `state_fields`, `serialize(obj)` and `get_object(pk)`."""

    model: ClassVar[type[models.Model] | None] = None
    state_fields: ClassVar[list[str]] = []

    def serialize(self, obj: models.Model) -> dict[str, Any]:
        """`{"id": pk, field: value, ...}` for `state_fields`.

        Values keep their types (datetime, date, Decimal, UUID); the state codec carries
        them exactly. Foreign keys are stored as their primary key.
        """
        row: dict[str, Any] = {"id": obj.pk}
        for name in self.state_fields:
            field = obj._meta.get_field(name)
            row[name] = field.value_from_object(obj)
        return row

    def serialize_json(self, obj: models.Model) -> dict[str, Any]:
        """`serialize(obj)` in plain JSON types (`core.encoding.plain`): ISO 8601 dates,
        Decimals and UUIDs as text.

        For payloads that leave the state codec, e.g. a channel-layer `group_send`.
        """
        return plain(self.serialize(obj))

    def get_object(self, pk: Any) -> models.Model:
        """The `model` row with this pk; `DoesNotExist` becomes a JSON 404 in views."""
        if self.model is None:
            raise TypeError(f"{type(self).__name__}.model is not set")
        return self.model._default_manager.get(pk=pk)
