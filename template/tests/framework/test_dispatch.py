"""Event dispatch: the one mapping from an event name to an `on_<event>` handler."""

import pytest

from component_framework.core.dispatch import dispatch, handler_events, resolve_handler
from component_framework.core.errors import Forbidden, InvalidEvent
from tests.framework.components import CounterComponent

REFUSED = {
    "_private": "names starting with '_' are private",
    "__init__": "names starting with '_' are private",
    "__class__": "names starting with '_' are private",
    "mount": "lifecycle methods are not events",
    "render": "lifecycle methods are not events",
    "dispatch": "lifecycle methods are not events",
    "": "Event name is required",
    "a.b": "names may contain only letters, digits and '_'",
    "x" * 10_000: "longer than 64 characters",
    "add ": "names may contain only letters, digits and '_'",
    "nope": "Unknown event 'nope'",
}


@pytest.fixture
def counter(make_component):
    component = make_component(CounterComponent)
    component.mount()
    return component


@pytest.mark.parametrize("event", list(REFUSED), ids=lambda e: repr(e[:20]))
def test_refused_event_names_run_nothing(counter, event):
    before = dict(counter.state)
    with pytest.raises(InvalidEvent) as info:
        dispatch(counter, event, {})
    assert REFUSED[event] in info.value.message
    assert len(info.value.message) < 200  # a 10 KB name is not echoed back
    assert counter.state == before
    assert CounterComponent.calls == []


def test_event_calls_only_its_on_handler(counter):
    dispatch(counter, "add", {"amount": "5"})
    assert counter.state["count"] == 5
    assert CounterComponent.calls == ["add"]


def test_instance_attributes_cannot_pose_as_handlers(counter):
    counter.on_evil = lambda: CounterComponent.calls.append("evil")
    with pytest.raises(InvalidEvent, match="Unknown event 'evil'"):
        dispatch(counter, "evil", {})
    assert CounterComponent.calls == []


def test_handler_events_lists_on_methods():
    assert set(handler_events(CounterComponent)) == {
        "add",
        "set_flag",
        "configure",
        "echo",
        "missing_object",
        "reset",
        "ping",
    }


def test_resolve_handler_works_on_the_class():
    assert resolve_handler(CounterComponent, "add") is CounterComponent.on_add


@pytest.mark.parametrize(
    ("payload", "expected"),
    [({"amount": "5"}, 5), ({"amount": 7}, 7), ({"amount": "-2"}, -2), ({}, 1)],
)
def test_int_arguments_are_coerced(counter, payload, expected):
    dispatch(counter, "add", payload)
    assert counter.state["count"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("false", False), ("true", True), ("0", False), ("1", True), ("on", True)],
)
def test_bool_arguments_are_coerced(counter, value, expected):
    dispatch(counter, "set_flag", {"flag": value})
    assert counter.state["flag"] is expected


def test_dict_and_list_arguments_come_from_json_strings(counter):
    dispatch(counter, "configure", {"options": '{"a": "1"}', "tags": '["x", "y"]'})
    assert counter.state["options"] == {"a": 1}
    assert counter.state["tags"] == ["x", "y"]


def test_dict_and_list_arguments_accept_json_values(counter):
    dispatch(counter, "configure", {"options": {"a": 2}, "tags": ["z"]})
    assert counter.state["options"] == {"a": 2}


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("add", {"amount": "5abc"}, "Invalid value for 'amount'"),
        ("add", {"amount": ""}, "Invalid value for 'amount'"),
        ("add", {"amount": "1", "extra": "x"}, "Unexpected argument 'extra'"),
        ("set_flag", {}, "Missing argument 'flag'"),
        ("set_flag", {"flag": "maybe"}, "Invalid value for 'flag'"),
        ("configure", {"options": "{not json", "tags": "[]"}, "Invalid value for 'options'"),
        ("configure", {"options": '{"a": "x"}', "tags": "[]"}, "Invalid value for 'options.a'"),
        ("configure", {"options": "[1]", "tags": "[]"}, "Invalid value for 'options'"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(counter, event, payload, message):
    before = dict(counter.state)
    with pytest.raises(InvalidEvent) as info:
        dispatch(counter, event, payload)
    assert message in info.value.message
    assert counter.state == before
    assert CounterComponent.calls == []


def test_event_permissions_are_checked_before_the_handler(make_component, staff):
    component = make_component(CounterComponent, user=staff)
    component.mount()
    component.state["count"] = 3
    with pytest.raises(Forbidden, match="Superuser access required"):
        dispatch(component, "reset", {})
    assert component.state["count"] == 3
    assert CounterComponent.calls == []


def test_event_permissions_allow_the_right_user(make_component, superuser):
    component = make_component(CounterComponent, user=superuser)
    component.mount()
    component.state["count"] = 3
    dispatch(component, "reset", {})
    assert component.state["count"] == 0
