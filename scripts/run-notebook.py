"""Executes a notebook in a fresh kernel (nbclient), saves the executed copy, and prints the text the
cells tagged `result` printed. Used by `npm run demo -- --headless`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT_S = 1800


def printed(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
    )


def main(source: str, executed: str) -> int:
    notebook = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="winnow-kernel-") as sockets:
        # IPC sockets in a private folder: the kernel is reachable by this user only, not over TCP.
        kernel = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel")
        )
        client = NotebookClient(
            notebook,
            km=kernel,
            timeout=CELL_TIMEOUT_S,
            resources={"metadata": {"path": "."}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            nbformat.write(notebook, executed)
            # The kernel's traceback ends with the exception's one-line message: that is what to show.
            last = [line for line in str(error).splitlines() if line.strip()]
            print(
                f"demo: a cell failed ({executed}): {last[-1] if last else error}",
                file=sys.stderr,
            )
            return 1
        finally:
            # A client given its kernel manager leaves the kernel running; shut down here, it does
            # not find its parent gone and warn about it on the way out.
            if kernel.has_kernel:
                kernel.shutdown_kernel()
    nbformat.write(notebook, executed)
    for cell in notebook.cells:
        if "result" in cell.get("metadata", {}).get("tags", []):
            sys.stdout.write(printed(cell))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
