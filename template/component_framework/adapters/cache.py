"""`CacheMixin`: serve a component's mounted state from Django's cache.

    @registry.register("metrics")
    class Metrics(CacheMixin, Component):
        cache_ttl = 300

        def get_cache_key(self, name, params, state):
            return "admin:metrics"

        def mount(self):
            self.state["mau"] = expensive_query()

        def on_refresh(self):
            self.invalidate_cache()
            self.state["mau"] = expensive_query()

`component.mount()` consults `django.core.cache.cache` first even though the subclass
defines its own `mount()` (the mixin wraps it when the class is created). A hit copies
the cached state and runs no query. Entries are kept past `cache_ttl` (until the hard
timeout) so that, once stale, one worker recomputes (it wins a `cache.add` lock) while
the others keep serving the stale value. On a cold miss the lock winner computes and the
others wait briefly for its value, computing themselves only if it does not arrive.

Permissions are not checked here: every caller (view, template tag, consumer) loads
components through `Component.load()`, which checks them before `mount()` runs.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.cache import cache

from ..core.dispatch import HTTP, Source
from ..core.encoding import to_tagged

#: Reserved key stored beside the state: the time (epoch seconds) it stops being fresh.
#: A cached dict without it counts as fresh.
FRESH_KEY = "__cf_fresh_until__"

Mount = Callable[[Any], None]


class CacheMixin:
    """Caches the state `mount()` builds. Put it before `Component` in the bases."""

    #: Seconds a computed state is served as fresh.
    cache_ttl: ClassVar[int] = 60
    #: Seconds a stale state is kept (and served while one worker recomputes).
    cache_stale_ttl: ClassVar[int] = 300
    #: Seconds the recompute lock lives if its holder dies.
    cache_lock_timeout: ClassVar[int] = 30
    #: Seconds a cold-miss loser waits for the winner's value before computing itself.
    cache_fill_wait: ClassVar[float] = 3.0
    cache_fill_poll: ClassVar[float] = 0.05

    _cf_computing: bool = False
    _cf_in_event: bool = False
    _cf_invalidated: bool = False
    #: True when the last `mount()` was answered from the cache.
    cache_hit: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mount = getattr(cls, "mount", None)
        if mount is not None and not getattr(mount, "_cf_cached", False):
            cls.mount = _through_cache(mount)  # type: ignore[method-assign]

    # -- hooks -----------------------------------------------------------------------------

    def get_cache_key(self, name: str, params: Mapping[str, Any], state: Mapping[str, Any]) -> str:
        """Key of the cached state; by default the component name and its params.

        Derive it from `name` and `params` only: `state` is empty on loads. If `mount()`
        reads `self.user`, put the user in the key too.
        """
        text = json.dumps(to_tagged(dict(params)), sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return f"cf:{name}:{digest}"

    def invalidate_cache(self) -> None:
        """Mark the cached state stale; the next load recomputes it (once, under the lock).

        Called inside an event handler, the entry is left as it is and the state after
        that event is written back as the fresh cached state: loads during the refresh keep
        the previous value instead of recomputing it, and loads after it get the new one.
        """
        self._cf_invalidated = True
        if self._cf_in_event:
            return
        key = self._cf_key()
        entry = cache.get(key)
        if isinstance(entry, dict):
            cache.set(key, {**entry, FRESH_KEY: 0}, self._cf_hard_timeout())

    # -- lifecycle overrides ---------------------------------------------------------------

    def handle_event(
        self, event: object, payload: Mapping[str, Any], source: Source = HTTP
    ) -> None:
        # Events bypass the cache, even if a handler calls mount() itself.
        self._cf_in_event = True
        try:
            super().handle_event(event, payload, source)  # type: ignore[misc]
        finally:
            self._cf_in_event = False

    def after_event(self, event: str) -> None:
        super().after_event(event)  # type: ignore[misc]
        if self._cf_invalidated:
            self._cf_invalidated = False
            self._cf_store(self._cf_key())

    # -- machinery -------------------------------------------------------------------------

    def _cf_key(self) -> str:
        return self.get_cache_key(self.get_name(), self.params, self.state)  # type: ignore[attr-defined]

    def _cf_hard_timeout(self) -> int:
        return int(self.cache_ttl) + max(int(self.cache_stale_ttl), 1)

    def _cf_store(self, key: str) -> None:
        entry = {**self.state, FRESH_KEY: time.time() + self.cache_ttl}  # type: ignore[attr-defined]
        cache.set(key, entry, self._cf_hard_timeout())

    def _cf_compute(self, mount: Mount, key: str) -> None:
        self._cf_computing = True
        try:
            mount(self)
        finally:
            self._cf_computing = False
        self._cf_store(key)

    def _cf_use(self, state: dict[str, Any]) -> None:
        self.state.update(copy.deepcopy(state))  # type: ignore[attr-defined]
        self.cache_hit = True

    def _cf_mount(self, mount: Mount) -> None:
        key = self._cf_key()
        lock = f"{key}:lock"
        self.cache_hit = False
        state, fresh = _cached_state(cache.get(key))
        if fresh:
            self._cf_use(state)
            return
        acquired = cache.add(lock, 1, self.cache_lock_timeout)
        if acquired is None:
            # The backend failed and swallowed the error (django-redis IGNORE_EXCEPTIONS):
            # there is no lock to hold or value to wait for: compute at once.
            self._cf_compute(mount, key)
            return
        if acquired is False:
            if state is not None:
                self._cf_use(state)  # stale while another worker recomputes
                return
            filled = self.wait_for_cache_fill(key)
            if filled is not None:
                self._cf_use(filled)
                return
            self._cf_compute(mount, key)  # the winner is slow or gone: compute ourselves
            return
        try:
            # Another worker may have recomputed and let the lock go between the read above
            # and this lock: then its fresh state is there, and computing again would be a
            # second recomputation of the same expiry.
            state, fresh = _cached_state(cache.get(key))
            if fresh:
                self._cf_use(state)
                return
            self._cf_compute(mount, key)
        finally:
            cache.delete(lock)

    def wait_for_cache_fill(self, key: str) -> dict[str, Any] | None:
        """Cold miss, lock held elsewhere: poll for the winner's value (None on timeout)."""
        deadline = time.monotonic() + self.cache_fill_wait
        while time.monotonic() < deadline:
            time.sleep(self.cache_fill_poll)
            state, _ = _cached_state(cache.get(key))
            if state is not None:
                return state
        return None


def _cached_state(entry: Any) -> tuple[dict[str, Any] | None, bool]:
    """(the state in a cache entry or None, whether it is fresh)."""
    if not isinstance(entry, dict):
        return None, False
    fresh_until = entry.get(FRESH_KEY)
    state = {name: value for name, value in entry.items() if name != FRESH_KEY}
    return state, not isinstance(fresh_until, int | float) or fresh_until > time.time()


def _through_cache(mount: Mount) -> Mount:
    @functools.wraps(mount)
    def cached_mount(self: Any) -> None:
        # Nested calls (super().mount(), a recompute, mount() inside an event) run directly.
        if self._cf_computing or self._cf_in_event:
            return mount(self)
        return self._cf_mount(mount)

    cached_mount._cf_cached = True  # type: ignore[attr-defined]
    return cached_mount
