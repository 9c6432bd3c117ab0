"""Scale-out: the KPI numbers cached by server process A are what process B serves
(same `refreshed_at`), and a refresh through A is what B serves next."""

from __future__ import annotations

import re

from .clients import Browser
from .cluster import Cluster

METRICS_URL = "/admin-panel/components/metrics/"
_REFRESHED_RE = re.compile(r'<time datetime="([^"]*)" data-testid="metrics-refreshed-at"')


def refreshed_at(body: str) -> str:
    match = _REFRESHED_RE.search(body)
    assert match and match.group(1), "no refreshed-at time in the metrics card"
    return match.group(1)


def test_kpis_cached_by_a_are_served_by_b(redis_cluster: Cluster):
    a, b = redis_cluster.servers[:2]
    on_a, on_b = Browser(a), Browser(b)
    on_a.login("rel_staff2")
    on_b.login("rel_staff3")

    first = on_a.load(METRICS_URL)
    assert first.status == 200
    computed_by_a = refreshed_at(first.body)
    served_by_b = on_b.load(METRICS_URL)
    assert served_by_b.status == 200
    assert refreshed_at(served_by_b.body) == computed_by_a

    refreshed = on_a.event(METRICS_URL, "refresh")
    assert refreshed.status == 200
    recomputed_by_a = refreshed_at(refreshed.body)
    assert recomputed_by_a > computed_by_a
    after = on_b.load(METRICS_URL)
    print(
        f"\nA computed {computed_by_a}, B served it; A refreshed {recomputed_by_a}, B served "
        f"{refreshed_at(after.body)}"
    )
    assert refreshed_at(after.body) == recomputed_by_a
