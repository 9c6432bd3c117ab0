"""The public API: every name imports flat and from the module the seed names, and each
permission class runs once per request."""

import importlib
import subprocess
import sys

import pytest
from django.template import Context, Template
from django.test import RequestFactory

import component_framework
from component_framework.core.permissions import BasePermission
from component_framework.testing import ComponentClient, extract_state
from tests.framework.components import CounterComponent
from tests.framework.urls import CounterView

#: DESIGN's import paths: name -> the module code written against the seed imports it from.
SEED_PATHS = {
    "registry": "component_framework.core",
    "Component": "component_framework.core.component",
    "FormComponent": "component_framework.core.form",
    "IsStaff": "component_framework.core.permissions",
    "IsSuperuser": "component_framework.core.permissions",
    "IsAuthenticated": "component_framework.core.permissions",
    "AllowAny": "component_framework.core.permissions",
    "ComponentConsumer": "component_framework.core.ws_manager",
    "DjangoModelComponent": "component_framework.adapters.django_model",
    "ComponentView": "component_framework.adapters.django_views",
    "CacheMixin": "component_framework.adapters.django_views",
    "OptimisticMixin": "component_framework.adapters.django_views",
    "ComponentTestCase": "component_framework.testing",
    "MockRenderer": "component_framework.testing",
}


@pytest.mark.parametrize("name", sorted(SEED_PATHS))
def test_seed_name_imports_flat_and_from_its_seed_path(name):
    from_seed_path = getattr(importlib.import_module(SEED_PATHS[name]), name)
    assert getattr(component_framework, name) is from_seed_path


@pytest.mark.parametrize("name", component_framework.__all__)
def test_every_public_name_imports_flat_and_is_listed_by_dir(name):
    namespace: dict[str, object] = {}
    exec(f"from component_framework import {name}", namespace)  # noqa: S102
    assert namespace[name] is not None
    assert name in dir(component_framework)


def test_view_decorator_and_mixin_also_import_from_core_permissions():
    from component_framework.adapters import view_permissions
    from component_framework.core import permissions

    assert permissions.permission_classes is view_permissions.permission_classes
    assert permissions.PermissionRequiredMixin is view_permissions.PermissionRequiredMixin
    assert "permission_classes" in dir(permissions)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        component_framework.Nope  # noqa: B018


def test_importing_the_package_imports_nothing_else():
    # Django imports the package while the app registry fills: it must not load models.
    code = (
        "import sys, component_framework; "
        "print(sorted(m for m in sys.modules if m.startswith(('component_framework.', 'django'))))"
    )
    output = subprocess.run(  # noqa: S603 - runs this interpreter on a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


# -- permissions run once per request --------------------------------------------------------


class Counted(BasePermission):
    """Allows everybody and records each time it is asked."""

    def __init__(self, label, calls):
        self.label, self.calls = label, calls

    def has_permission(self, user, component=None):
        self.calls.append(self.label)
        return True


@pytest.fixture
def calls(monkeypatch):
    calls = []
    monkeypatch.setattr(CounterView, "permission_classes", [Counted("view", calls)])
    monkeypatch.setattr(CounterComponent, "permission_classes", [Counted("component", calls)])
    return calls


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
def test_each_permission_runs_once_per_load_and_per_event(user, calls):
    client = ComponentClient(user)
    token = extract_state(client.load("/t/counter/").content)
    assert sorted(calls) == ["component", "view"]
    calls.clear()
    response = client.event("/t/counter/", "add", token=token)
    assert response.status_code == 200
    assert sorted(calls) == ["component", "view"]


@pytest.mark.django_db
def test_component_tag_runs_each_permission_once(user, calls):
    request = RequestFactory().get("/page/")
    request.user = user
    Template('{% load components %}{% component "test_counter" %}').render(
        Context({"request": request})
    )
    assert calls == ["component"]
