"""Live access follows authority: the panel's sockets close when a user loses the right to
see the panel, whatever took it away.

The framework does the work (`component_framework.adapters.revocation`: what it watches,
and what to call after writes that send no signals); this module only switches it on for
the panel. `connect_signals()` runs before the audit trail's (`AdminPanelConfig.ready`): on
commit the re-check of a demoted user's sockets is then sent before the audit entry that
records the demotion is broadcast, so they close without receiving it.
"""

from __future__ import annotations

from component_framework.adapters import revocation


def connect_signals() -> None:
    """Start re-checking sockets on authority changes (before `audit.connect_signals()`)."""
    revocation.connect_signals()
