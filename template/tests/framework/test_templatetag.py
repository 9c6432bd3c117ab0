"""`{% component %}`: permission first, cached mount, params in the token, escaping."""

from unittest.mock import patch

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory

from component_framework.core import state as codec
from component_framework.testing import extract_state
from tests.framework.components import CachedComponent, ComputeLog, CounterComponent

pytestmark = [pytest.mark.django_db]


def render(source, user, **context):
    request = RequestFactory().get("/page/")
    request.user = user
    return Template("{% load components %}" + source).render(
        Context({"request": request, **context})
    )


def test_tag_mounts_renders_and_signs(user):
    html = render('{% component "test_counter" %}', user)
    assert '<span class="count">0</span>' in html
    payload = codec.unsign_state(extract_state(html), "test_counter", user)
    assert payload.state["count"] == 0


def test_tag_params_are_carried_in_the_token(staff, user):
    html = render('{% component "test_user_card" user_id=target.pk %}', staff, target=user)
    assert "<h2>user</h2>" in html
    payload = codec.unsign_state(extract_state(html), "test_user_card", staff)
    assert payload.params == {"user_id": user.pk}


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_refused_component_renders_nothing_and_reads_no_cache(staff, user, who):
    CachedComponent.computes = ComputeLog()
    render('{% component "test_cached" %}', staff)  # warm the cache
    viewer = AnonymousUser() if who == "anonymous" else user
    with patch("django.core.cache.cache.get", wraps=cache.get) as cache_get:
        html = render('<main>{% component "test_cached" %}</main>', viewer)
    assert html == "<main></main>"
    cache_get.assert_not_called()


def test_refused_component_is_never_mounted():
    html = render('{% component "test_counter" %}', AnonymousUser())
    assert html == ""
    assert CounterComponent.calls == []


def test_cached_component_renders_from_cache_with_zero_sql(staff, django_assert_num_queries):
    CachedComponent.computes = ComputeLog()
    first = render('{% component "test_cached" %}', staff)
    with django_assert_num_queries(0):
        second = render('{% component "test_cached" %}', staff)
    assert "<b>1</b>" in first and "<b>1</b>" in second
    assert CachedComponent.computes.count == 1


@pytest.mark.parametrize("payload", ["</script><script>x()</script>", '"><img onerror=x()>'])
def test_tag_params_stay_escaped(staff, payload):
    html = render('{% component "test_counter" user_id=payload %}', staff, payload=payload)
    assert payload not in html
    assert "<script>" not in html and "<img" not in html
    assert '<span class="params">&lt;' in html or '<span class="params">&quot;&gt;' in html
    token = codec.unsign_state(extract_state(html), "test_counter", staff)
    assert token.params == {"user_id": payload}
