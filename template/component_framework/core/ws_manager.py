"""The seed's import path of the WebSocket consumer and its helpers.

They live with the other Django adapters, in `component_framework.adapters.consumer` (the
Channels glue); `from component_framework.core.ws_manager import ComponentConsumer` keeps
working through this module.
"""

from ..adapters.consumer import (
    CLOSE_BAD_DATA,
    CLOSE_LOGGED_OUT,
    CLOSE_POLICY,
    CLOSE_REFUSED,
    CLOSE_TOO_BIG,
    ComponentConsumer,
    SharedGroup,
    aclose_user_sockets,
    agroup_send_html,
    arecheck_user_sockets,
    close_sockets_on_logout,
    close_user_sockets,
    group_send_html,
    recheck_user_sockets,
    user_group,
)

__all__ = [
    "CLOSE_BAD_DATA",
    "CLOSE_LOGGED_OUT",
    "CLOSE_POLICY",
    "CLOSE_REFUSED",
    "CLOSE_TOO_BIG",
    "ComponentConsumer",
    "SharedGroup",
    "aclose_user_sockets",
    "agroup_send_html",
    "arecheck_user_sockets",
    "close_sockets_on_logout",
    "close_user_sockets",
    "group_send_html",
    "recheck_user_sockets",
    "user_group",
]
