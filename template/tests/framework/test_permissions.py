"""Permission classes, composition and the one check path."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from component_framework.core.errors import Forbidden
from component_framework.core.permissions import (
    AllowAny,
    HasPerm,
    IsAuthenticated,
    IsStaff,
    IsSuperuser,
    check_permissions,
)


def person(**flags):
    defaults = {"is_authenticated": True, "is_active": True, "is_staff": False}
    defaults.update(is_superuser=False, pk=1)
    return SimpleNamespace(**{**defaults, **flags})


ANON = AnonymousUser()
USER = person()
STAFF = person(is_staff=True)
ROOT = person(is_staff=True, is_superuser=True)
INACTIVE_STAFF = person(is_staff=True, is_active=False)
INACTIVE_ROOT = person(is_staff=True, is_superuser=True, is_active=False)


@pytest.mark.parametrize(
    ("perm", "allowed"),
    [
        (AllowAny, {"anon", "user", "staff", "root", "inactive_staff", "inactive_root"}),
        (IsAuthenticated, {"user", "staff", "root"}),
        (IsStaff, {"staff", "root"}),
        (IsSuperuser, {"root"}),
        (IsStaff | IsSuperuser, {"staff", "root"}),
        (IsStaff & ~IsSuperuser, {"staff"}),
        (~IsAuthenticated, {"anon", "inactive_staff", "inactive_root"}),
        (IsAuthenticated & (IsSuperuser | ~IsStaff), {"user", "root"}),
    ],
)
def test_who_is_allowed(perm, allowed):
    people = {
        "anon": ANON,
        "user": USER,
        "staff": STAFF,
        "root": ROOT,
        "inactive_staff": INACTIVE_STAFF,
        "inactive_root": INACTIVE_ROOT,
    }
    instance = perm() if isinstance(perm, type) else perm
    assert {name for name, who in people.items() if instance.has_permission(who)} == allowed


def test_refusal_names_the_failing_rule():
    with pytest.raises(Forbidden) as info:
        check_permissions([IsAuthenticated, IsStaff], USER)
    assert info.value.message == "Staff access required"
    assert info.value.status == 403
    assert isinstance(info.value, Forbidden)
    with pytest.raises(Forbidden, match="Superuser access required"):
        check_permissions([IsStaff & IsSuperuser], STAFF)
    with pytest.raises(Forbidden, match="Staff access required"):
        check_permissions([IsStaff | IsSuperuser], USER)
    with pytest.raises(Forbidden, match="Permission denied"):
        check_permissions([~IsStaff], STAFF)


def test_none_user_is_anonymous():
    with pytest.raises(Forbidden, match="Authentication required"):
        check_permissions([IsAuthenticated], None)
    check_permissions([AllowAny], None)


def test_refusal_is_also_a_django_permission_denied():
    from django.core.exceptions import PermissionDenied

    assert issubclass(Forbidden, PermissionDenied)


@pytest.mark.django_db
def test_has_perm_uses_django_permissions(django_user_model):
    user = django_user_model.objects.create_user("perm", password="pw")
    assert not HasPerm("accounts.view_user").has_permission(user)
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    user = django_user_model.objects.get(pk=user.pk)  # fresh permission cache
    assert HasPerm("accounts.view_user").has_permission(user)
    assert (IsStaff | HasPerm("accounts.view_user")).has_permission(user)
    with pytest.raises(Forbidden, match=r"'accounts\.change_user' required"):
        check_permissions([HasPerm("accounts.change_user")], user)
    user.is_active = False
    assert not HasPerm("accounts.view_user").has_permission(user)


def test_composition_is_thread_safe_state_free():
    perm = IsStaff | IsSuperuser
    with pytest.raises(Forbidden, match="Staff access required"):
        check_permissions([perm], USER)
    check_permissions([perm], STAFF)
    with pytest.raises(Forbidden, match="Staff access required"):
        check_permissions([perm], USER)
