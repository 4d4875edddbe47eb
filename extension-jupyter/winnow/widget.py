"""The notebook widget: one of Winnow's browser views (scatter, grid, label) in an output cell.

It is an anywidget: its JavaScript is one ES module carried in this package (`static/views.js`,
built from extension-jupyter/src/anywidget.ts) and sent as the widget's `_esm`, so the view renders
in every host that runs anywidget (JupyterLab, Notebook 7, VS Code, Colab) without a JupyterLab
extension. The view in the browser never talks to the server: it sends each API request over the
widget's comm and the kernel relays it (relay.py), so the view works wherever the kernel runs and
the server's token never reaches the browser."""

from __future__ import annotations

import pathlib
import re
import struct
from typing import Any

import anywidget
import ipywidgets
from ipywidgets.widgets.trait_types import bytes_serialization
from traitlets import Bytes, Unicode, default

from .client import VIEWS, Client, WinnowError
from .contract import view_jobs, view_routes
from .relay import CommRelay, route_of

# Built by `npm run build -w @winnow-curate/jupyterlab` (scripts/setup.sh runs it), carried in the wheel.
VIEWS_MODULE = pathlib.Path(__file__).parent / "static" / "views.js"
# The requests the views make, and the jobs they start, as core declares them once
# (core/src/contract/view-routes.ts, carried here by contract.json): the relay is how a page in the
# browser reaches the server, so it must not reach what the views never need.
VIEW_ROUTES = [(method, re.compile(pattern)) for method, pattern in view_routes()]
VIEW_JOBS = view_jobs()
VIEW_HEIGHT = "560px"
# Sample ids per query when turning a selection into filenames: a short SQL text each.
IDS_PER_QUERY = 2000

# anywidget reads the module when the class is made: say what to do rather than FileNotFoundError.
if not VIEWS_MODULE.is_file():
    raise WinnowError(
        f"{VIEWS_MODULE} is missing: build it with `npm run build -w @winnow-curate/jupyterlab`, then "
        "pip install ./extension-jupyter again",
        "failed_precondition",
    )


class View(anywidget.AnyWidget):
    """A view of a dataset's samples meeting `where`; `.selected` is what is selected in it."""

    _esm = VIEWS_MODULE

    view = Unicode("scatter", help="scatter, grid or label").tag(sync=True)
    dataset = Unicode(help="the dataset's name").tag(sync=True)
    where = Unicode("", help="an SQL condition over the samples view").tag(sync=True)
    # Set by the browser: the selected sample ids as Int32 little-endian, one binary buffer.
    selected_ids = Bytes(b"").tag(sync=True, **bytes_serialization)

    def __init__(self, client: Client, dataset: str, view: str = "scatter", where: str | None = None) -> None:
        if view not in VIEWS:
            raise WinnowError(f"no view named {view!r}: use {', '.join(VIEWS)}", "invalid_argument")
        super().__init__(view=view, dataset=dataset, where=where or "")
        self.relay = CommRelay(client, not_for_views, lambda reply, body: self.send(reply, buffers=[body]))
        self.on_msg(lambda _widget, content, _buffers: self.relay.submit(content))

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
        client = self.relay.client
        filenames: list[str] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ", ".join(str(sample_id) for sample_id in ids[start : start + IDS_PER_QUERY])
            sql = f"SELECT filename FROM samples WHERE sample_id IN ({chunk}) ORDER BY sample_id"
            filenames += [row["filename"] for row in client.sql(sql, self.dataset)["rows"]]
        return client.dataset(self.dataset).locations(filenames)


def not_for_views(method: str, path: str, body: Any) -> str | None:
    """Why the relay does not send on a well-formed request, if it does not: it is not one the views
    make (VIEW_ROUTES), or a job they do not start (VIEW_JOBS)."""
    route = route_of(path)
    if not any(method == allowed and pattern.fullmatch(route) for allowed, pattern in VIEW_ROUTES):
        return f"{method} {route} is not a request the views make: the kernel does not relay it"
    if method == "POST" and route == "/api/jobs":
        kind = body.get("kind") if isinstance(body, dict) else None
        if kind not in VIEW_JOBS:
            started = ", ".join(sorted(VIEW_JOBS))
            return f"the views start {started} jobs only, not {kind!r}: run others from the kernel"
    return None
