"""Registry lookups and DjangoModelComponent serialisation."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.errors import ComponentNotFound, NotFound
from component_framework.core.state import sign_state, unsign_state
from tests.framework.components import CounterComponent, UserCardComponent


def test_registry_finds_registered_classes():
    assert registry.get("test_counter") is CounterComponent
    assert "test_counter" in registry.names()
    assert CounterComponent.component_name == "test_counter"


@pytest.mark.parametrize("name", ["nope", "", None, 5, "x" * 10_000])
def test_unknown_names_raise_component_not_found(name):
    with pytest.raises(ComponentNotFound) as info:
        registry.get(name)
    assert isinstance(info.value, NotFound) and isinstance(info.value, LookupError)
    assert len(info.value.message) < 120


def test_a_name_cannot_be_taken_twice():
    with pytest.raises(ImproperlyConfigured, match="already registered"):

        @registry.register("test_counter")
        class Impostor(Component):
            pass


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a.b", "<x>", "x" * 65])
def test_invalid_names_are_refused(name):
    with pytest.raises(ImproperlyConfigured):
        registry.register(name)


def test_registering_and_unregistering_a_throwaway_component():
    @registry.register("test_throwaway")
    class Throwaway(Component):
        pass

    assert registry.get("test_throwaway") is Throwaway
    registry.unregister("test_throwaway")
    assert "test_throwaway" not in registry


@pytest.mark.django_db
def test_model_component_serializes_state_fields_exactly(staff, make_component):
    card = make_component(UserCardComponent, params={"user_id": staff.pk}, user=staff)
    card.mount()
    row = card.state["user"]
    assert row["id"] == staff.pk
    assert set(row) == {"id", "username", "email", "is_active", "date_joined"}
    assert isinstance(row["date_joined"], dt.datetime)
    token = sign_state("test_user_card", "c1", staff, card.state)
    assert unsign_state(token, "test_user_card", staff).state == card.state


@pytest.mark.django_db
def test_model_component_serializes_json_safe_for_payloads(staff, make_component):
    card = make_component(UserCardComponent, params={"user_id": staff.pk}, user=staff)
    row = card.serialize_json(staff)
    assert json.loads(json.dumps(row)) == row
    assert row["date_joined"] == staff.date_joined.isoformat()


@pytest.mark.django_db
def test_model_component_get_object_raises_does_not_exist(staff, make_component):
    card = make_component(UserCardComponent, params={"user_id": 0}, user=staff)
    with pytest.raises(UserCardComponent.model.DoesNotExist):
        card.mount()
