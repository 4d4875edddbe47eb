"""What the kernel tests share: a kernelspec of this interpreter, the environment a kernel starts
the workspace's server with, executing a notebook, and stopping the server afterwards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

PACKAGE = Path(__file__).resolve().parents[1]
REPO = PACKAGE.parent
SHARED = REPO.parent / "shared"
IMAGES = SHARED / "datasets" / "coco128" / "images"
WINNOW_JS = REPO / "core" / "bin" / "winnow.js"
KERNEL = "winnow-test"


def copy_images(root: Path, count: int) -> Path:
    """`root/images` holding the first `count` coco128 images: a dataset of the test's own."""
    images = root / "images"
    images.mkdir()
    for image in sorted(IMAGES.iterdir())[:count]:
        shutil.copy(image, images)
    return images


@contextmanager
def kernel_environment(root: Path, command: str) -> Iterator[Path]:
    """The workspace folder under `root`, with the environment a kernel (and this process's client)
    start its server with (`command` as WINNOW_COMMAND); the server is stopped on the way out."""
    directory = root / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WINNOW_COMMAND", command)
        env.setenv("WINNOW_WORKSPACE", str(directory))
        env.setenv("WINNOW_MODEL_DIR", str(SHARED / "models"))
        env.setenv("JUPYTER_PATH", str(write_kernelspec(root / "jupyter")))
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PACKAGE), os.environ.get("PYTHONPATH")])))
        try:
            yield directory
        finally:
            stop_server(directory)


def execute(book: nbformat.NotebookNode, workspace: Path, timeout: int) -> nbformat.NotebookNode:
    """Runs the notebook in a kernel of this Python (so it imports this source tree)."""
    client = NotebookClient(
        book, kernel_name=KERNEL, timeout=timeout, resources={"metadata": {"path": str(workspace.parent)}}
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
