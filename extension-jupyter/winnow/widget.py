"""The notebook widget: one of Winnow's browser views (scatter, grid, label) in an output cell.

The view in the browser never talks to the server: it sends each API request over the widget's
comm, and the kernel relays it to the server on loopback and sends the answer back. So the view
works wherever the kernel runs (a remote kernel, JupyterHub, a notebook over SSH), and the
server's token never reaches the browser."""

from __future__ import annotations

import json
import re
import struct
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ipywidgets
from ipywidgets.widgets.trait_types import bytes_serialization
from traitlets import Bytes, Unicode, default

from .client import VIEWS, Client, WinnowError, connect

MODULE_NAME = "winnow-jupyter"
MODULE_VERSION = "0.1.0"
RELAYED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# The requests the views make (widgets/src/api.ts), and only those: the relay is how a page in the
# browser reaches the server, so it must not reach what the views never need (credentials, ingest
# and import jobs naming local files, the runs of a dataset, embeddings in bulk, SQL of its own:
# the views send only the query bar's condition, as a `where`).
_DATASET = r"/api/datasets/[^/]+"
_SAMPLE = _DATASET + r"/samples/\d+"
VIEW_ROUTES = [
    (method, re.compile(pattern))
    for method, pattern in [
        ("GET", _DATASET + r"/samples"),
        ("POST", _DATASET + r"/samples/by-id"),
        ("GET", _SAMPLE),
        ("GET", _SAMPLE + r"/thumbnail"),
        ("GET", _SAMPLE + r"/media"),
        ("POST", _SAMPLE + r"/annotations"),
        ("PUT", _SAMPLE + r"/caption"),
        ("PATCH", _DATASET + r"/annotations/\d+"),
        ("DELETE", _DATASET + r"/annotations/\d+"),
        ("GET", _DATASET + r"/(points|ids|colors|facets|tags|vocabulary)"),
        ("GET", _SAMPLE + r"/position"),
        ("GET", _DATASET + r"/tags/[^/]+/ids"),
        ("POST", _DATASET + r"/conditions"),
        ("GET", _DATASET + r"/selection"),
        ("PUT", _DATASET + r"/selection"),
        ("PATCH", _DATASET + r"/tags/[^/]+"),
        ("POST", r"/api/jobs"),
        ("GET", r"/api/jobs/[^/]+"),
        ("DELETE", r"/api/jobs/[^/]+"),
    ]
]
# The jobs the views start: a selection panel runs `select` with an inline config.
VIEW_JOBS = {"select"}
VIEW_HEIGHT = "560px"
# Enough for a page of thumbnails at once; a slow request (a query, a large image) holds one thread.
RELAY_THREADS = 8
# Each shown view keeps one long poll of its dataset's live selection waiting at the server (up to
# 20 s): they wait in a pool of their own, so open views never take the thumbnails' threads. Past
# this many views at once, the others' polls queue and their selections follow later.
SELECTION_POLL_THREADS = 32
# Sample ids per query when turning a selection into filenames: a short SQL text each.
IDS_PER_QUERY = 2000

_pools: dict[str, ThreadPoolExecutor] = {}
_reconnecting = threading.Lock()


class View(ipywidgets.DOMWidget):
    """A view of a dataset's samples meeting `where`; `.selected` is what is selected in it."""

    _model_name = Unicode("WinnowModel").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("WinnowView").tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    view = Unicode("scatter", help="scatter, grid or label").tag(sync=True)
    dataset = Unicode(help="the dataset's name").tag(sync=True)
    where = Unicode("", help="an SQL condition over the samples view").tag(sync=True)
    # Set by the browser: the selected sample ids as Int32 little-endian, one binary buffer.
    selected_ids = Bytes(b"").tag(sync=True, **bytes_serialization)

    def __init__(self, client: Client, dataset: str, view: str = "scatter", where: str | None = None) -> None:
        if view not in VIEWS:
            raise WinnowError(f"no view named {view!r}: use {', '.join(VIEWS)}", "invalid_argument")
        super().__init__(view=view, dataset=dataset, where=where or "")
        self._client = client
        self.on_msg(self._handle_custom_message)

    @default("layout")
    def _default_layout(self) -> ipywidgets.Layout:
        """A fixed height, the views fill it; `view.layout.height = "800px"` changes it."""
        return ipywidgets.Layout(height=VIEW_HEIGHT, width="100%")

    @property
    def selected_sample_ids(self) -> list[int]:
        """The ids of the samples selected in the browser, in id order."""
        data = self.selected_ids
        count = len(data) // 4
        return sorted(set(struct.unpack(f"<{count}i", data[: count * 4])))

    @property
    def selected(self) -> list[str]:
        """The locations (absolute paths, or URLs for a bucket, as `Dataset.select` returns them) of
        the samples selected in the browser, in id order."""
        ids = self.selected_sample_ids
        filenames: list[str] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ", ".join(str(sample_id) for sample_id in ids[start : start + IDS_PER_QUERY])
            sql = f"SELECT filename FROM samples WHERE sample_id IN ({chunk}) ORDER BY sample_id"
            filenames += [row["filename"] for row in self._client.sql(sql, self.dataset)["rows"]]
        return self._client.dataset(self.dataset).locations(filenames)

    def _handle_custom_message(self, _widget: View, content: Any, _buffers: list[Any]) -> None:
        """The browser's requests (`{type: 'request', id, method, path, body}`), relayed in the
        background: the kernel's message loop must not wait for the server."""
        if isinstance(content, dict) and content.get("type") == "request":
            kind = "selection" if _is_selection_poll(content) else "relay"
            _pool(kind).submit(self._answer, content)

    def _answer(self, request: dict[str, Any]) -> None:
        try:
            status, content_type, body = relay(self._client, request)
            if status == 502 and not self._client.alive():
                # The server went away (stopped, or the machine slept): find or start the
                # workspace's server again rather than leave the view answered 502 for good.
                with _reconnecting:
                    if not self._client.alive():
                        self._client = connect(self._client.workspace)
                status, content_type, body = relay(self._client, request)
        except Exception as error:  # noqa: BLE001  (whatever went wrong, the view waits for an answer)
            status, content_type, body = _error_answer(500, "internal", f"the kernel did not relay: {error}")
        reply = {"type": "response", "id": request.get("id"), "status": status, "content_type": content_type}
        self.send(reply, buffers=[body])


def relay(client: Client, request: dict[str, Any]) -> tuple[int, str, bytes]:
    """One request of the browser, sent to the server: its answer as `(status, content type, body)`.
    A request the relay refuses, or a server that does not answer, is answered as the server
    answers errors (`{"error": {code, message}}`), so the view handles both alike."""
    method, path, body = request.get("method"), request.get("path"), request.get("body")
    refusal = _refusal(method, path)
    if refusal:
        return _error_answer(400, "invalid_argument", refusal)
    not_for_views = _not_for_views(method, path, body)
    if not_for_views:
        return _error_answer(403, "permission_denied", not_for_views)
    try:
        return client.raw(method, path, body)
    except WinnowError as error:
        return _error_answer(504 if error.code == "timeout" else 502, error.code, str(error))


def _refusal(method: Any, path: Any) -> str | None:
    """Why the relay does not send a request on, if it does not: only the server's API is relayed,
    so the widget cannot reach anything else the kernel can."""
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


def _not_for_views(method: str, path: str, body: Any) -> str | None:
    """Why the relay does not send on a well-formed request, if it does not: it is not one the views
    make (VIEW_ROUTES), or a job they do not start (VIEW_JOBS)."""
    route = urllib.parse.urlsplit(path).path
    if not any(method == allowed and pattern.fullmatch(route) for allowed, pattern in VIEW_ROUTES):
        return f"{method} {route} is not a request the views make: the kernel does not relay it"
    if method == "POST" and route == "/api/jobs":
        kind = body.get("kind") if isinstance(body, dict) else None
        if kind not in VIEW_JOBS:
            started = ", ".join(sorted(VIEW_JOBS))
            return f"the views start {started} jobs only, not {kind!r}: run others from the kernel"
    return None


def _error_answer(status: int, code: str, message: str) -> tuple[int, str, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    return status, "application/json", body


def _pool(kind: str) -> ThreadPoolExecutor:
    """The pool of a kind (`relay`: the views' requests, `selection`: their long polls) for every
    widget of the kernel, made on first use."""
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
