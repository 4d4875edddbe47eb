"""The magics in a real kernel (nbclient runs a notebook built here) and the Python API in this
process, both against one real `winnow serve` over coco128 (128 images) with SqueezeNet on the CPU."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import winnow

PACKAGE = Path(__file__).resolve().parents[1]
REPO = PACKAGE.parent
SHARED = REPO.parent / "shared"
IMAGES = SHARED / "datasets" / "coco128" / "images"
KERNEL = "winnow-test"

SELECTION = """\
n_samples: 20
strategies:
  - input: {type: EMBEDDINGS}
    strategy: {type: DIVERSITY}
"""

CELLS = [
    "%load_ext winnow",
    f"ingested = %winnow ingest {shlex.quote(str(IMAGES))} --dataset coco\n"
    "assert ingested['images'] == 128, ingested",
    "embedded = %winnow embed --dataset coco --model squeezenet1.1 --device cpu\n"
    "assert embedded['embedded'] == 128 and embedded['device'] == 'cpu', embedded",
    "analyzed = %winnow analyze --dataset coco --typicality --duplicates 0.05\n"
    "assert analyzed['typicality']['key'] == 'typicality', analyzed",
    f"%%winnow select --dataset coco --tag picked\n{SELECTION}",
    "files = _",
    f"import os\nassert isinstance(files, list) and len(files) == 20, files\n"
    f"assert all(f.startswith({str(IMAGES)!r}) and os.path.isfile(f) for f in files), files",
    "selected = %winnow selected\nassert selected == files",
    "%%winnow sql --dataset coco\nSELECT count(*) AS n FROM samples",
    "table = _\nn = table['n'][0] if hasattr(table, 'columns') else table[0]['n']\n"
    "assert int(n) == 128, table",
    "%winnow embed --dataset nope",
    "%winnow embed --model squeezenet1.1",
    "after_errors = 'the kernel goes on'",
]
SELECT_CELL = 4
MISSING_DATASET_CELL = 10
BAD_ARGUMENTS_CELL = 11
ERROR_CELLS = {MISSING_DATASET_CELL, BAD_ARGUMENTS_CELL}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh workspace, and the environment the kernel (and this process's client) start the server with."""
    root = tmp_path_factory.mktemp("winnow")
    directory = root / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WINNOW_COMMAND", f"node {shlex.quote(str(REPO / 'core' / 'bin' / 'winnow.js'))}")
        env.setenv("WINNOW_WORKSPACE", str(directory))
        env.setenv("WINNOW_MODEL_DIR", str(SHARED / "models"))
        env.setenv("JUPYTER_PATH", str(write_kernelspec(root / "jupyter")))
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PACKAGE), os.environ.get("PYTHONPATH")])))
        try:
            yield directory
        finally:
            stop_server(directory)


@pytest.fixture(scope="module")
def notebook(workspace: Path) -> nbformat.NotebookNode:
    """The notebook, executed in a kernel of this Python (so it imports this source tree)."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    for index in ERROR_CELLS:
        book.cells[index].metadata["tags"] = ["raises-exception"]
    client = NotebookClient(
        book, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(workspace.parent)}}
    )
    client.execute()
    return book


def write_kernelspec(jupyter_dir: Path) -> Path:
    """A kernelspec running this interpreter: the kernel then has the packages pytest has."""
    spec = jupyter_dir / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    return jupyter_dir


def stop_server(directory: Path) -> None:
    """SIGTERM to the server of server.json, then wait until it removes the file on its way out."""
    runtime = directory / "server.json"
    if not runtime.exists():
        return
    try:
        os.kill(json.loads(runtime.read_text())["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not runtime.exists(), "the winnow server did not stop"


def outputs_text(cell: nbformat.NotebookNode) -> list[str]:
    """Every line a cell showed: streams, results and error tracebacks."""
    lines: list[str] = []
    for output in cell.outputs:
        if output.output_type == "stream":
            lines += output.text.splitlines()
        elif output.output_type == "error":
            lines += [line for entry in output.traceback for line in entry.splitlines()]
        elif "text/plain" in output.get("data", {}):
            lines += output.data["text/plain"].splitlines()
    return lines


def test_the_cells_run_and_their_checks_pass(notebook: nbformat.NotebookNode) -> None:
    for index, cell in enumerate(notebook.cells):
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert bool(errors) == (index in ERROR_CELLS), (cell.source, outputs_text(cell))


def test_a_job_shows_no_progress_where_stderr_is_no_terminal(notebook: nbformat.NotebookNode) -> None:
    cell = notebook.cells[SELECT_CELL]
    assert [output.output_type for output in cell.outputs] == ["execute_result"]


def test_a_failed_job_is_one_line(notebook: nbformat.NotebookNode) -> None:
    lines = outputs_text(notebook.cells[MISSING_DATASET_CELL])
    assert len(lines) == 1, lines
    assert lines[0].startswith("WinnowError: no dataset named 'nope'"), lines


def test_bad_arguments_are_one_line(notebook: nbformat.NotebookNode) -> None:
    lines = outputs_text(notebook.cells[BAD_ARGUMENTS_CELL])
    assert lines == ["WinnowError: %winnow embed: the following arguments are required: --dataset"]


def test_the_python_api_attaches_to_the_kernels_server(
    notebook: nbformat.NotebookNode, workspace: Path
) -> None:
    client = winnow.connect()
    assert client.pid == json.loads((workspace / "server.json").read_text())["pid"]
    assert winnow.connect(workspace) is client
    assert [(d["name"], d["samples"]) for d in client.datasets()] == [("coco", 128)]

    coco = client.dataset("coco")
    assert coco.sql("SELECT count(*) AS n FROM samples")["rows"] == [{"n": 128}]
    assert "picked" in [tag["name"] for tag in coco.tags()]
    page = coco.samples(where="width >= 640", limit=5)
    assert page["total"] > 5 and len(page["samples"]) == 5
    assert all(sample["width"] >= 640 for sample in page["samples"])


def test_the_python_api_selects_from_a_dict_config(notebook: nbformat.NotebookNode) -> None:
    config: dict[str, Any] = {
        "n_samples": 5,
        "strategies": [{"input": {"type": "RANDOM"}, "strategy": {"type": "WEIGHTS"}}],
    }
    files = winnow.connect().dataset("coco").select(config, tag="five")
    assert len(files) == 5 and all(Path(name).is_absolute() and Path(name).is_file() for name in files)


def test_server_errors_raise_winnow_error_with_the_code(notebook: nbformat.NotebookNode) -> None:
    with pytest.raises(winnow.WinnowError) as raised:
        winnow.connect().sql("SELECT 1", "nope")
    assert raised.value.code == "not_found"
    assert str(raised.value).startswith("no dataset named 'nope'")
    assert raised.value.__suppress_context__
