"""The magics in a real kernel (nbclient runs a notebook built here) and the Python API in this
process, both against one real `winnow serve` over coco128 (128 images) with SqueezeNet on the CPU."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from kernels import IMAGES, WINNOW_JS, execute, kernel_environment, outputs_text

import winnow
from winnow.client import Client

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
    "selected = %winnow selected\nassert sorted(selected) == sorted(files), (selected, files)",
    "%%winnow sql --dataset coco\nSELECT count(*) AS n FROM samples",
    "table = _\nn = table['n'][0] if hasattr(table, 'columns') else table[0]['n']\n"
    "assert int(n) == 128, table",
    "%winnow embed --dataset nope",
    "%winnow embed --model squeezenet1.1",
    "after_errors = 'the kernel goes on'",
    "ingested",
    "analyzed",
    f"imported = %winnow import --dataset coco --yolo {shlex.quote(str(IMAGES.parent / 'labels'))} "
    f"--classes {shlex.quote(str(IMAGES.parent / 'classes.yaml'))} --as annotations --task human\n"
    "assert imported['target'] == 'annotations' and imported['records'] > 0, imported\n"
    "imported",
]
SUMMARY_CELLS = (13, 14, 15)
SELECT_CELL = 4
MISSING_DATASET_CELL = 10
BAD_ARGUMENTS_CELL = 11
ERROR_CELLS = {MISSING_DATASET_CELL, BAD_ARGUMENTS_CELL}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh workspace; the server is started as `node …/winnow.js`."""
    with kernel_environment(
        tmp_path_factory.mktemp("winnow"), f"node {shlex.quote(str(WINNOW_JS))}"
    ) as directory:
        yield directory


@pytest.fixture(scope="module")
def notebook(workspace: Path) -> nbformat.NotebookNode:
    """The notebook, executed in a kernel of this Python (so it imports this source tree)."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    for index in ERROR_CELLS:
        book.cells[index].metadata["tags"] = ["raises-exception"]
    return execute(book, workspace, timeout=600)


def test_the_cells_run_and_their_checks_pass(notebook: nbformat.NotebookNode) -> None:
    for index, cell in enumerate(notebook.cells):
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert bool(errors) == (index in ERROR_CELLS), (cell.source, outputs_text(cell))


def test_a_job_shows_a_progress_bar_in_a_notebook(notebook: nbformat.NotebookNode) -> None:
    cell = notebook.cells[SELECT_CELL]
    assert [output.output_type for output in cell.outputs] == ["display_data", "execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in cell.outputs[0]["data"]


def test_a_job_shows_no_progress_in_a_script(workspace: Path, notebook: nbformat.NotebookNode) -> None:
    script = "import winnow, sys\nwinnow.connect().analyze('coco', typicality=True)\nprint('ok')"
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (finished.returncode, finished.stdout, finished.stderr) == (0, "ok\n", "")


def test_a_summary_shows_as_one_line(notebook: nbformat.NotebookNode) -> None:
    ingested, analyzed, imported = (outputs_text(notebook.cells[index]) for index in SUMMARY_CELLS)
    assert imported[-1].startswith("imported "), imported  # after its progress bar
    assert "yolo records for" in imported[-1] and "as annotations of task human" in imported[-1]
    assert len(ingested) == 1 and ingested[0].startswith("ingested coco: 128 samples (128 images, 0 videos)")
    assert analyzed == [analyzed[0]] and analyzed[0].startswith("analyzed coco: typicality as metadata")
    assert "near-duplicate groups" in analyzed[0]


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


def test_an_interrupt_cancels_the_job_on_the_server(
    notebook: nbformat.NotebookNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = winnow.connect()
    started: dict[str, str] = {}

    def interrupted_while_following(self: Client, job_id: str, kind: str) -> dict[str, Any]:
        started["id"] = job_id
        raise KeyboardInterrupt  # what Ctrl-C (or the notebook's ■) raises while the job runs

    monkeypatch.setattr(Client, "_follow", interrupted_while_following)
    with pytest.raises(KeyboardInterrupt):
        client.embed("coco", model="mobilenetv2-int8", device="cpu")
    deadline = time.monotonic() + 60
    job = client.request("GET", f"/api/jobs/{started['id']}")
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.request("GET", f"/api/jobs/{started['id']}")
    assert job["state"] == "cancelled", job
