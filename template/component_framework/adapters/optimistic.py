"""`OptimisticMixin`: a patch the browser applies before the server answers.

    class Editor(OptimisticMixin, FormComponent):
        def get_optimistic_patch(self, event, payload):
            return {"saving": True} if event == "submit" else None

The patches of all events are rendered into the root element as
`data-cf-optimistic='{"submit": {"saving": true}}'`. component-client.js applies the
patch for an event before sending it: elements with `data-cf-bind="key"` get the value as
text, elements with `data-cf-show="key"` are shown when it is truthy. The server's HTML
replaces the patched DOM; on any error the exact pre-event DOM is restored.
"""

from __future__ import annotations

from typing import Any

from ..core.dispatch import handler_events
from ..core.encoding import dumps


class OptimisticMixin:
    """Adds `data-cf-optimistic` (event -> patch) to the root element."""

    def get_optimistic_patch(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The state keys to show at once when `event` is sent (None: no patch).

        Called at render time for every event the component handles, with an empty
        payload: the patch cannot depend on values the user has not entered yet.
        """
        return None

    def get_root_attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = super().get_root_attributes()  # type: ignore[misc]
        patches = {}
        for event in handler_events(type(self)):  # type: ignore[arg-type]
            patch = self.get_optimistic_patch(event, {})
            if patch is not None:
                patches[event] = patch
        if patches:
            attributes["data-cf-optimistic"] = dumps(patches)
        return attributes
