"""JupyterLab's Winnow side panel, kernel side: `%load_ext winnow` registers the comm target
`winnow.panel`; the panel opens a comm to the kernel of the current notebook and reads the
workspace's datasets, their tags and runs through it, relayed to the server as the views' requests
are (relay.py). The browser never reaches the server, so the panel works with a remote kernel too."""

from __future__ import annotations

import re
from typing import Any

from comm import get_comm_manager

from .client import connect
from .relay import CommRelay, route_of

COMM_TARGET = "winnow.panel"
# What the panel lists, read only: the relay sends nothing else on from it.
PANEL_ROUTES = [
    re.compile(pattern)
    for pattern in [r"/api/datasets", r"/api/datasets/[^/]+/tags", r"/api/datasets/[^/]+/runs"]
]


def register() -> None:
    """Answers the panel's comms on this kernel. Without this target the kernel closes the comm
    the panel opens, and the panel says to run `%load_ext winnow`."""
    get_comm_manager().register_target(COMM_TARGET, open_panel_comm)


def open_panel_comm(comm: Any, _open_message: dict[str, Any]) -> None:
    """One panel's comm: each message is a request, answered on the same comm."""
    relay = CommRelay(connect(), not_for_panel, lambda reply, body: comm.send(reply, buffers=[body]))
    comm.on_msg(lambda message: relay.submit(message["content"]["data"]))


def not_for_panel(method: str, path: str, _body: Any) -> str | None:
    """Why the relay does not send on a request of the panel: it only reads what the panel lists."""
    route = route_of(path)
    if method == "GET" and any(pattern.fullmatch(route) for pattern in PANEL_ROUTES):
        return None
    return f"{method} {route} is not a request the side panel makes: the kernel does not relay it"
