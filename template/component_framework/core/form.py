"""`FormComponent`: a component whose `submit` event is validated by a pydantic schema.

    class ProfileSchema(BaseModel):
        email: EmailStr

    @registry.register("profile")
    class Profile(FormComponent):
        schema = ProfileSchema

        def on_submit(self):
            save(self.validated_data.email)   # only ever called with valid data

On invalid data `self.errors` is `{field: message}`, the submitted values are put back
into `self.state` (so the form re-renders with them) and `on_submit` is not called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pydantic import BaseModel, ValidationError

from .component import Component
from .errors import InvalidEvent

SUBMIT_EVENT = "submit"


class FormComponent(Component):
    """A component with a pydantic `schema` validating the `submit` event's fields."""

    schema: ClassVar[type[BaseModel] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validated_data: Any = None

    def get_schema_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Hook: drop or refuse fields before validation (e.g. role gating).

        Raise `PermissionDenied` to refuse the whole submission with a 403.
        """
        return payload

    def get_event_arguments(
        self, event: str, handler: Callable[..., Any], payload: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if event != SUBMIT_EVENT or self.schema is None:
            return super().get_event_arguments(event, handler, payload)
        data = self.get_schema_data(dict(payload))
        for name in data:
            if name not in self.schema.model_fields:
                raise InvalidEvent(f"Unexpected field {name[:64]!r}.")
        try:
            self.validated_data = self.schema.model_validate(data)
        except ValidationError as exc:
            self.errors = form_errors(exc)
            self.state.update(data)
            return None
        self.errors = {}
        return {}

    def on_submit(self) -> None:
        """Called with `self.validated_data` set, only when the schema accepted the data."""


#: Messages of the pydantic errors a form field commonly meets, by error type.
TYPE_MESSAGES = {
    "literal_error": gettext_lazy("Select one of the choices."),
    "enum": gettext_lazy("Select one of the choices."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "decimal_max_digits": gettext_lazy("The number has too many digits."),
    "decimal_max_places": gettext_lazy("The number has too many decimal places."),
    "decimal_whole_digits": gettext_lazy("The number has too many digits."),
    "greater_than_equal": gettext_lazy("The number is too small."),
    "less_than_equal": gettext_lazy("The number is too large."),
    "bool_parsing": gettext_lazy("Enter yes or no."),
    "date_parsing": gettext_lazy("Enter a valid date."),
    "date_from_datetime_parsing": gettext_lazy("Enter a valid date."),
    "datetime_parsing": gettext_lazy("Enter a valid date and time."),
    "datetime_from_date_parsing": gettext_lazy("Enter a valid date and time."),
}


def form_errors(exc: ValidationError) -> dict[str, str]:
    """`{field: message}` from a pydantic error (model-level errors under `__all__`)."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "__all__"
        errors.setdefault(field, error_message(error))
    return errors


def error_message(error: Any) -> str:
    """One pydantic error as shown next to its field, in the active language: the commonest
    errors in words of ours, a validator's own (translated) `ValueError` text as it is."""
    if error["type"] == "missing" or (
        error["type"] == "string_too_short" and error["ctx"]["min_length"] == 1
    ):
        return _("This field is required.")
    if error["type"] == "string_too_long":
        limit = error["ctx"]["max_length"]
        return ngettext(
            "Use at most %(limit)d character.", "Use at most %(limit)d characters.", limit
        ) % {"limit": limit}
    message = TYPE_MESSAGES.get(error["type"])
    if message is not None:
        return str(message)
    return str(error["msg"]).removeprefix("Value error, ")
