"""Stand-ins for the seed's UserListComponent and MetricsComponent (same API, test names).

The admin panel ships the real ones; these let the framework run the seed's own test
bodies (test_seed_api.py) without depending on the app.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from component_framework.adapters.django_model import DjangoModelComponent
from component_framework.adapters.django_views import CacheMixin
from component_framework.core import registry
from component_framework.core.component import Component

User = get_user_model()
PAGE_SIZE = 25


@registry.register("test_seed_user_list")
class UserListComponent(DjangoModelComponent):
    template_name = "framework_tests/counter.html"
    model = User
    state_fields: Any = ["username", "email", "is_active", "date_joined"]

    def mount(self) -> None:
        self.state.update({"query": "", "page": 1, "users": [], "total": 0, "page_count": 1})
        self._load_page()

    def _load_page(self) -> None:
        qs = User.objects.order_by("-date_joined")
        query = self.state.get("query", "").strip()
        if query:
            qs = qs.filter(username__icontains=query) | qs.filter(email__icontains=query)
        total = qs.count()
        start = (self.state["page"] - 1) * PAGE_SIZE
        users = qs[start : start + PAGE_SIZE].values(
            "id", "username", "email", "is_active", "is_staff", "date_joined"
        )
        self.state.update(
            {
                "users": [dict(u) for u in users],
                "total": total,
                "page_count": max(1, -(-total // PAGE_SIZE)),
            }
        )

    def on_search(self, query: str) -> None:
        self.state["query"] = query
        self.state["page"] = 1
        self._load_page()

    def on_toggle_status(self, user_id: int) -> None:
        user = User.objects.get(pk=user_id)
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        for row in self.state["users"]:
            if row["id"] == user_id:
                row["is_active"] = user.is_active
                break


@registry.register("test_seed_metrics")
class MetricsComponent(CacheMixin, Component):
    template_name = "framework_tests/cached.html"
    cache_ttl = 300

    def get_cache_key(self, name: str, params: Any, state: Any) -> str:
        return "admin:metrics"

    def mount(self) -> None:
        self._compute_metrics()

    def _compute_metrics(self) -> None:
        self.state.update(
            {
                "mau": User.objects.filter(is_active=True).count(),
                "mrr": "0",
                "churn_rate": 0.0,
                "refreshed_at": timezone.now().isoformat(),
            }
        )

    def on_refresh(self) -> None:
        self.invalidate_cache()
        self._compute_metrics()
