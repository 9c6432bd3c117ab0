"""Who may change whom: the panel's role rules, in one place (DESIGN.md §4).

* Staff may edit a user's username, email, names and active flag.
* Only superusers may change `is_staff` / `is_superuser`.
* Staff cannot edit or deactivate a superuser (they could take the account over through
  its email address).
* Nobody can deactivate themselves or remove their own staff or superuser flag.

The user table (toggle) and the edit form both ask these functions, and both refuse with
`Forbidden` (HTTP 403) before anything is saved.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from component_framework.core.errors import Forbidden

ROLE_FIELDS = ("is_staff", "is_superuser")
FLAG_LABELS = {
    "is_active": gettext_lazy("active"),
    "is_staff": gettext_lazy("staff"),
    "is_superuser": gettext_lazy("superuser"),
}


def is_self(actor: Any, target: Any) -> bool:
    return actor.pk is not None and actor.pk == target.pk


def can_manage(actor: Any, target: Any) -> bool:
    """Whether `actor` may edit `target` at all."""
    return bool(actor.is_superuser) or not target.is_superuser


def locked_fields(actor: Any, target: Any) -> frozenset[str]:
    """The flags `actor` may not change on `target` (shown disabled in the form)."""
    locked: set[str] = set()
    if not actor.is_superuser:
        locked.update(ROLE_FIELDS)
    if is_self(actor, target):
        locked.update(("is_active", *ROLE_FIELDS))
    return frozenset(locked)


def check_can_edit(actor: Any, target: Any) -> None:
    if not can_manage(actor, target):
        raise Forbidden(_("Only a superuser can edit a superuser's account."))


def check_can_toggle(actor: Any, target: Any) -> None:
    """Refuse an active-flag toggle the rules forbid."""
    check_can_edit(actor, target)
    if is_self(actor, target):
        raise Forbidden(_("You cannot deactivate your own account."))


def check_flag_change(actor: Any, target: Any, field: str, new_value: bool) -> None:
    """Refuse changing flag `field` of `target` to `new_value` if `actor` may not."""
    if bool(getattr(target, field)) == new_value or field not in locked_fields(actor, target):
        return
    if is_self(actor, target) and not new_value:
        if field == "is_active":
            raise Forbidden(_("You cannot deactivate your own account."))
        raise Forbidden(
            _("You cannot remove your own %(flag)s status.") % {"flag": FLAG_LABELS[field]}
        )
    raise Forbidden(_("Only a superuser can change staff or superuser status."))
