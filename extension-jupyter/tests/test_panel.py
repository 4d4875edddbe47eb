"""JupyterLab's side panel, kernel side: `%load_ext winnow` registers the comm target
`winnow.panel`, which answers the panel's read-only requests (datasets, tags, runs) through the
relay and refuses everything else. In a real kernel (nbclient) against a real `winnow serve`; the
comm is the one ipykernel's comm manager hands the target, stood in for by a recorder."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from kernels import WINNOW_JS, copy_images, execute, kernel_environment, outputs_text

from winnow.panel import not_for_panel

IMAGE_COUNT = 3

# The panel's comm as the kernel sees it: `on_msg` takes the handler, `send` records the answers.
PANEL = """\
%load_ext winnow
%winnow ingest IMAGES --dataset few
import json, time
from comm import get_comm_manager

class PanelComm:
    def __init__(self):
        self.replies, self.handler = [], None
    def on_msg(self, handler):
        self.handler = handler
    def send(self, data, buffers=None):
        self.replies.append((data, [bytes(b) for b in buffers or []]))

comm = PanelComm()
get_comm_manager().targets["winnow.panel"](comm, {"content": {"data": {}}})
requests = {
    "datasets": ("GET", "/api/datasets"),
    "tags": ("GET", "/api/datasets/few/tags"),
    "runs": ("GET", "/api/datasets/few/runs"),
    "samples": ("GET", "/api/datasets/few/samples"),
    "create-tag": ("POST", "/api/datasets/few/tags"),
}
for request_id, (method, path) in requests.items():
    comm.handler({"content": {"data": {"type": "request", "id": request_id, "method": method, "path": path}}})
deadline = time.monotonic() + 60
while len(comm.replies) < len(requests) and time.monotonic() < deadline:
    time.sleep(0.02)
print(json.dumps({data["id"]: [data["status"], json.loads(buffers[0])] for data, buffers in comm.replies}))
"""


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The panel comm's answers by request id: `[status, body]`."""
    root = tmp_path_factory.mktemp("winnow-panel")
    images = copy_images(root, IMAGE_COUNT)
    with kernel_environment(root, shlex.quote(str(WINNOW_JS))) as workspace:
        book = nbformat.v4.new_notebook()
        book.cells = [nbformat.v4.new_code_cell(PANEL.replace("IMAGES", shlex.quote(str(images))))]
        cell = execute(book, workspace, timeout=180).cells[0]
        yield json.loads(outputs_text(cell)[-1])


def test_the_panel_reads_datasets_tags_and_runs_through_the_kernel(answers: dict[str, Any]) -> None:
    status, datasets = answers["datasets"]
    assert status == 200
    assert [(dataset["name"], dataset["samples"]) for dataset in datasets] == [("few", IMAGE_COUNT)]
    assert answers["tags"] == [200, []]
    status, runs = answers["runs"]
    assert status == 200 and [run["kind"] for run in runs] == ["ingest"]


def test_the_panel_comm_relays_nothing_else(answers: dict[str, Any]) -> None:
    for request_id in ("samples", "create-tag"):
        status, body = answers[request_id]
        assert status == 403 and body["error"]["code"] == "permission_denied", body
        assert "not a request the side panel makes" in body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/datasets"),
        ("GET", "/api/datasets/coco%20128/tags"),
        ("GET", "/api/datasets/coco/runs?limit=5"),
    ],
)
def test_the_panels_allow_list_takes_what_it_lists(method: str, path: str) -> None:
    assert not_for_panel(method, path, None) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/datasets"),
        ("GET", "/api/health"),
        ("GET", "/api/datasets/coco/samples"),
        ("GET", "/api/datasets/coco/tags/picked/ids"),
        ("PATCH", "/api/datasets/coco/tags/picked"),
        ("DELETE", "/api/datasets/coco/tags"),
        ("GET", "/api/datasets/coco/runs/1"),
        ("POST", "/api/datasets/coco/query"),
        ("POST", "/api/jobs"),
    ],
)
def test_the_panels_allow_list_refuses_the_rest(method: str, path: str) -> None:
    refusal = not_for_panel(method, path, None)
    assert refusal is not None and path.split("?")[0] in refusal
