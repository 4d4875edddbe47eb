"""The relay through a comm: a page in the browser (a view, JupyterLab's side panel) sends its API
requests over a comm, and the kernel sends them on to the server on loopback and the answers back.
So the page works wherever the kernel runs (a remote kernel, JupyterHub, a notebook over SSH), and
the server's token never reaches the browser. Each comm relays only the requests its page makes
(an allow-list of its own)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

from .client import Client, WinnowError, connect

RELAYED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Enough for a page of thumbnails at once; a slow request (a query, a large image) holds one thread.
RELAY_THREADS = 8
# Each shown view keeps one long poll of its dataset's live selection waiting at the server (up to
# 20 s): they wait in a pool of their own, so open views never take the thumbnails' threads. Past
# this many views at once, the others' polls queue and their selections follow later.
SELECTION_POLL_THREADS = 32

# Why a well-formed request is not sent on (it is not one the page makes), or None to send it.
NotAllowed = Callable[[str, str, Any], Optional[str]]
# Sends one answer to the page: the message, and the body as its one binary buffer.
Send = Callable[[dict, bytes], None]

_pools: dict[str, ThreadPoolExecutor] = {}
_reconnecting = threading.Lock()


class CommRelay:
    """Answers a page's requests (`{type: 'request', id, method, path, body}`) with
    `{type: 'response', id, status, content_type}` and the body as the message's one buffer."""

    def __init__(self, client: Client, not_allowed: NotAllowed, send: Send) -> None:
        self.client = client
        self._not_allowed = not_allowed
        self._send = send

    def submit(self, content: Any) -> None:
        """Relays a request in the background: the kernel's message loop must not wait for the server."""
        if isinstance(content, dict) and content.get("type") == "request":
            kind = "selection" if _is_selection_poll(content) else "relay"
            _pool(kind).submit(self.answer, content)

    def answer(self, request: dict[str, Any]) -> None:
        try:
            status, content_type, body = relay(self.client, request, self._not_allowed)
            if status == 502 and not self.client.alive():
                # The server went away (stopped, or the machine slept): find or start the
                # workspace's server again rather than leave the page answered 502 for good.
                with _reconnecting:
                    if not self.client.alive():
                        self.client = connect(self.client.workspace)
                status, content_type, body = relay(self.client, request, self._not_allowed)
        except Exception as error:  # noqa: BLE001  (whatever went wrong, the page waits for an answer)
            status, content_type, body = _error_answer(500, "internal", f"the kernel did not relay: {error}")
        reply = {"type": "response", "id": request.get("id"), "status": status, "content_type": content_type}
        self._send(reply, body)


def relay(client: Client, request: dict[str, Any], not_allowed: NotAllowed) -> tuple[int, str, bytes]:
    """One request of the page, sent to the server: its answer as `(status, content type, body)`.
    A request the relay refuses, or a server that does not answer, is answered as the server
    answers errors (`{"error": {code, message}}`), so the page handles both alike."""
    method, path, body = request.get("method"), request.get("path"), request.get("body")
    refusal = _refusal(method, path)
    if refusal:
        return _error_answer(400, "invalid_argument", refusal)
    refused = not_allowed(method, path, body)
    if refused:
        return _error_answer(403, "permission_denied", refused)
    try:
        return client.raw(method, path, body)
    except WinnowError as error:
        return _error_answer(504 if error.code == "timeout" else 502, error.code, str(error))


def route_of(path: str) -> str:
    """The path without its query string, as allow-lists match it."""
    return urllib.parse.urlsplit(path).path


def _refusal(method: Any, path: Any) -> str | None:
    """Why the relay does not send a request on, if it does not: only the server's API is relayed,
    so the page cannot reach anything else the kernel can."""
    if method not in RELAYED_METHODS:
        return f"the kernel relays {', '.join(sorted(RELAYED_METHODS))}, not {method!r}"
    if not isinstance(path, str) or not path.startswith("/api/"):
        return f"the kernel relays /api/ paths only, not {path!r}"
    if any(character <= " " or character == "\x7f" for character in path):
        return "the path has a space or a control character"
    segments = urllib.parse.unquote(urllib.parse.urlsplit(path).path).split("/")
    if "." in segments or ".." in segments:
        return "the path has a . or .. segment"
    return None


def _error_answer(status: int, code: str, message: str) -> tuple[int, str, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    return status, "application/json", body


def _pool(kind: str) -> ThreadPoolExecutor:
    """The pool of a kind (`relay`: the pages' requests, `selection`: the views' long polls) for
    every comm of the kernel, made on first use."""
    if kind not in _pools:
        threads = SELECTION_POLL_THREADS if kind == "selection" else RELAY_THREADS
        _pools[kind] = ThreadPoolExecutor(threads, thread_name_prefix=f"winnow-{kind}")
    return _pools[kind]


def _is_selection_poll(request: dict[str, Any]) -> bool:
    """A view's long poll of the live selection (`GET …/selection?after=VERSION`)."""
    path = request.get("path")
    if request.get("method") != "GET" or not isinstance(path, str):
        return False
    parts = urllib.parse.urlsplit(path)
    return parts.path.endswith("/selection") and "after" in urllib.parse.parse_qs(parts.query)
