"""The seed's two test classes, verbatim but for the import path of the components.

Their setUp replaces a class `renderer` without calling super(): ComponentTestCase must
still isolate the cache and restore the renderer (checked by the last test).
"""

import unittest
from unittest.mock import patch

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase

from component_framework.core.rendering import DjangoTemplateRenderer
from component_framework.testing import ComponentTestCase, MockRenderer
from tests.framework.seed_components import MetricsComponent, UserListComponent

User = get_user_model()


class TestUserListComponent(ComponentTestCase, TestCase):
    def setUp(self):
        UserListComponent.renderer = MockRenderer()
        # Seed the database with test users
        User.objects.create_user(username="alice", email="alice@example.com", is_active=True)
        User.objects.create_user(username="bob", email="bob@example.com", is_active=True)
        User.objects.create_user(username="carol", email="carol@example.com", is_active=False)

    def test_mount_loads_all_users(self):
        component = self.make_component(UserListComponent)
        component.mount()
        self.assertEqual(component.state["total"], 3)
        self.assertEqual(len(component.state["users"]), 3)

    def test_search_filters_results(self):
        component = self.make_component(UserListComponent)
        component.mount()
        component.on_search("alice")
        self.assertEqual(component.state["total"], 1)
        self.assertEqual(component.state["users"][0]["username"], "alice")

    def test_search_resets_to_page_one(self):
        component = self.make_component(UserListComponent)
        component.mount()
        component.state["page"] = 3
        component.on_search("bob")
        self.assertEqual(component.state["page"], 1)

    def test_toggle_status_updates_state(self):
        component = self.make_component(UserListComponent)
        component.mount()
        alice = User.objects.get(username="alice")
        self.assertTrue(alice.is_active)
        component.on_toggle_status(alice.pk)
        alice.refresh_from_db()
        self.assertFalse(alice.is_active)

    def test_toggle_inactive_user_activates(self):
        component = self.make_component(UserListComponent)
        component.mount()
        carol = User.objects.get(username="carol")
        self.assertFalse(carol.is_active)
        component.on_toggle_status(carol.pk)
        carol.refresh_from_db()
        self.assertTrue(carol.is_active)


class TestMetricsComponent(ComponentTestCase, TestCase):
    def setUp(self):
        MetricsComponent.renderer = MockRenderer()

    def test_mount_populates_kpis(self):
        with patch.object(
            MetricsComponent,
            "_compute_metrics",
            lambda self: self.state.update(
                {
                    "mau": 1234,
                    "mrr": "9800.00",
                    "churn_rate": 2.1,
                }
            ),
        ):
            component = self.make_component(MetricsComponent)
            component.mount()
        self.assertEqual(component.state["mau"], 1234)
        self.assertEqual(component.state["mrr"], "9800.00")
        self.assertEqual(component.state["churn_rate"], 2.1)

    def test_cache_hit_skips_db(self):
        """
        When the cache returns a state dict, mount() should not be called.
        Verify by checking that _compute_metrics is never invoked.
        """
        cached_state = {
            "mau": 999,
            "mrr": "5000.00",
            "churn_rate": 1.5,
            "refreshed_at": "2025-01-01T00:00:00",
        }
        with (
            patch(
                "django.core.cache.cache.get",
                return_value=cached_state,
            ) as mock_cache,
            patch.object(MetricsComponent, "_compute_metrics") as mock_compute,
        ):
            component = self.make_component(MetricsComponent)
            component.mount()
        mock_compute.assert_not_called()
        mock_cache.assert_called()
        self.assertEqual(component.state["mau"], 999)

    def test_refresh_invalidates_cache(self):
        """on_refresh() should bust the cache and recompute."""
        with (
            patch.object(MetricsComponent, "invalidate_cache") as mock_inv,
            patch.object(MetricsComponent, "_compute_metrics") as mock_compute,
        ):
            component = self.make_component(MetricsComponent)
            component.on_refresh()
        mock_inv.assert_called_once()
        mock_compute.assert_called_once()


def test_component_test_case_isolates_even_when_setup_skips_super():
    """Runs a ComponentTestCase outside pytest's fixtures: its own wrapper must isolate."""
    seen = {}

    class Probe(ComponentTestCase, SimpleTestCase):
        def setUp(self):
            MetricsComponent.renderer = MockRenderer()

        def test_a_leaves_a_key(self):
            cache.set("admin:metrics", {"mau": "leaked"}, 60)
            seen["renderer_in_test"] = MetricsComponent.renderer

        def test_b_sees_no_key(self):
            seen["cache_in_next_test"] = cache.get("admin:metrics")

    result = unittest.TestResult()
    unittest.TestSuite([Probe("test_a_leaves_a_key"), Probe("test_b_sees_no_key")]).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert isinstance(seen["renderer_in_test"], MockRenderer)
    assert seen["cache_in_next_test"] is None
    assert "renderer" not in MetricsComponent.__dict__
    assert isinstance(MetricsComponent.renderer, DjangoTemplateRenderer)
    assert cache.get("admin:metrics") is None
