"""`UserEditComponent`: the inline edit form of one user, with per-field role gating.

The user being edited is chosen by the server: `UserEditView` reads `user_id` on the
first load only, and it travels in the signed token's params after that, so a submit
cannot be pointed at another user. Flags the actor may not change (`roles.locked_fields`)
are shown disabled; a request that tries to change one anyway is refused with 403 and
nothing is saved.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from accounts.lookalikes import find_lookalike, lookalike_error
from component_framework.adapters.django_views import OptimisticMixin
from component_framework.core import registry
from component_framework.core.form import FormComponent
from component_framework.core.permissions import IsStaff

from ..roles import check_can_edit, check_flag_change, locked_fields
from .user_list import row_view

User = get_user_model()

FLAGS = ("is_active", "is_staff", "is_superuser")
TEXT_FIELDS = ("username", "email", "first_name", "last_name")
TRUE_VALUES = frozenset({"true", "on", "1", "yes"})
FIELD_LABELS = (
    ("username", gettext_lazy("Username"), "text"),
    ("email", gettext_lazy("Email"), "email"),
    ("first_name", gettext_lazy("First name"), "text"),
    ("last_name", gettext_lazy("Last name"), "text"),
)
FLAG_LABELS = (
    ("is_active", gettext_lazy("Active")),
    ("is_staff", gettext_lazy("Staff (may use this panel)")),
    ("is_superuser", gettext_lazy("Superuser (all permissions)")),
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=150)]


class UserEditSchema(BaseModel):
    """What the edit form may submit (pydantic; `EmailStr` via email-validator)."""

    model_config = ConfigDict(extra="forbid")

    username: Name
    email: EmailStr
    first_name: Name = ""
    last_name: Name = ""
    is_active: bool
    is_staff: bool = False
    is_superuser: bool = False

    @field_validator("email", mode="wrap")
    @classmethod
    def email_is_valid(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> str:
        try:
            return handler(value)
        except ValidationError:  # email-validator's reasons are English only
            raise ValueError(_("Enter a valid email address.")) from None

    @field_validator("username")
    @classmethod
    def username_is_valid(cls, value: str) -> str:
        if not value:
            raise ValueError(_("Username cannot be blank."))
        # Checked as it will be stored (NFKC, as Django's normalize_username); kept as typed
        # until then, so that a look-alike's refusal can tell full-width letters from plain.
        stored = User.normalize_username(value)
        limit = User._meta.get_field("username").max_length
        if len(stored) > limit:  # NFKC can lengthen a name (the "ff" ligature)
            raise ValueError(
                _("Use at most %(limit)d characters in a username.") % {"limit": limit}
            )
        try:
            UnicodeUsernameValidator()(stored)
        except DjangoValidationError:
            raise ValueError(
                _("Use only letters, digits and the characters @ . + - _ in a username.")
            ) from None
        return value


def checkbox(value: Any) -> bool:
    """An HTML checkbox's value: absent or unchecked is False."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value).strip().lower() in TRUE_VALUES if value is not None else False


@registry.register("user_edit")
class UserEditComponent(OptimisticMixin, FormComponent):
    """Inline edit form for one user (see the module docstring for the rules).

    State: `user_id`, the form values (`username`, `email`, `first_name`, `last_name`,
    `is_active`, `is_staff`, `is_superuser`), `locked` (flags shown disabled), `saved`
    and `closed`.
    """

    template_name = "admin_panel/user_edit.html"
    schema = UserEditSchema
    permission_classes = [IsStaff]

    def mount(self) -> None:
        target = self._target()
        check_can_edit(self.user, target)
        self._show(target)
        self.state.update(saved=False, closed=False)

    # -- events ----------------------------------------------------------------------------

    def get_schema_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Role gating before validation: refuse locked flags, fill in unchecked boxes."""
        target = self._target()
        check_can_edit(self.user, target)
        locked = locked_fields(self.user, target)
        data = dict(payload)
        for flag in FLAGS:
            if flag in locked:
                if flag in data:
                    check_flag_change(self.user, target, flag, checkbox(data[flag]))
                data[flag] = getattr(target, flag)
            else:
                data[flag] = checkbox(data.get(flag))
        return data

    def on_submit(self) -> None:
        """Save the validated form (uniqueness checked here), audited like any save."""
        data = self.validated_data
        self.state["saved"] = False
        with transaction.atomic():
            target = User.objects.select_for_update().get(pk=self.params["user_id"])
            check_can_edit(self.user, target)
            self.errors = self._uniqueness_errors(target, data)
            if not self.errors:
                for name in (*TEXT_FIELDS, *FLAGS):
                    setattr(target, name, getattr(data, name))
                target.username = User.normalize_username(data.username)
                try:
                    with transaction.atomic():
                        target.save()
                except IntegrityError:
                    # A concurrent save took the name first.
                    self.errors = {"username": _("A user with that username already exists.")}
        if self.errors:
            self.state.update({name: getattr(data, name) for name in (*TEXT_FIELDS, *FLAGS)})
            return
        self._show(target)
        self.state["saved"] = True

    def on_close(self) -> None:
        """Close the form (the row stays as it is)."""
        self.state["closed"] = True

    def get_optimistic_patch(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Show "Saving…" at once on submit; the server's render replaces it."""
        if event == "submit":
            return {"saving": True, "saved": False}
        return None

    # -- template helpers ------------------------------------------------------------------

    @property
    def text_fields(self) -> list[dict[str, Any]]:
        """The text inputs with their values and inline errors."""
        return [
            {
                "name": name,
                "label": label,
                "type": kind,
                "value": self.state.get(name, ""),
                "error": self.errors.get(name, ""),
            }
            for name, label, kind in FIELD_LABELS
        ]

    @property
    def flags(self) -> list[dict[str, Any]]:
        """The checkboxes, with `locked` ones rendered disabled."""
        locked = set(self.state.get("locked", ()))
        return [
            {
                "name": name,
                "label": label,
                "checked": bool(self.state.get(name)),
                "locked": name in locked,
            }
            for name, label in FLAG_LABELS
        ]

    # -- helpers ---------------------------------------------------------------------------

    @property
    def saved_rows(self) -> list[dict[str, Any]]:
        """The edited user's table row, for the out-of-band row update after a save."""
        row = {name: self.state[name] for name in ("username", "email", *FLAGS)}
        row.update(id=self.state["user_id"], date_joined=self.state["date_joined"])
        return [row_view(self.user, row)]

    def _target(self) -> Any:
        return User.objects.get(pk=self.params["user_id"])

    def _show(self, target: Any) -> None:
        self.state.update({name: getattr(target, name) for name in (*TEXT_FIELDS, *FLAGS)})
        self.state.update(
            user_id=target.pk,
            date_joined=target.date_joined,
            locked=sorted(locked_fields(self.user, target)),
        )

    @staticmethod
    def _uniqueness_errors(target: Any, data: UserEditSchema) -> dict[str, str]:
        errors: dict[str, str] = {}
        others = User.objects.exclude(pk=target.pk)
        if others.filter(username=data.username).exists():
            errors["username"] = _("A user with that username already exists.")
        elif (existing := find_lookalike(others, data.username)) is not None:
            errors["username"] = lookalike_error(existing).messages[0]
        if others.filter(email__iexact=data.email).exists():
            errors["email"] = _("A user with that email address already exists.")
        return errors
