"""The example notebook (examples/curate-coco128.ipynb) as a newcomer runs it: from copies in a
folder outside the checkout, with no WINNOW_DEMO_IMAGES (it finds coco128 from its Python
environment), twice in one workspace, as a second Run All does."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from kernels import IMAGES, PACKAGE, WINNOW_JS, execute, kernel_environment, outputs_text

EXAMPLE = PACKAGE / "examples" / "curate-coco128.ipynb"


def test_the_example_runs_twice_in_one_workspace_and_the_second_selection_is_version_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WINNOW_DEMO_IMAGES", raising=False)
    tracked = EXAMPLE.read_bytes()
    with kernel_environment(tmp_path, f"node {shlex.quote(str(WINNOW_JS))}") as workspace:
        for run in (1, 2):
            copy = tmp_path / f"run{run}.ipynb"
            shutil.copy(EXAMPLE, copy)
            book = execute(nbformat.read(copy, as_version=4), workspace, timeout=1200)
            assert f"images: {IMAGES}" in outputs_text(book.cells[1])
            results = [cell for cell in book.cells if "result" in cell.metadata.get("tags", [])]
            files = [line for cell in results for line in outputs_text(cell)]
            assert len(files) == 20 and all(Path(f).parent == IMAGES for f in files), files
        shown = subprocess.run(
            ["node", str(WINNOW_JS), "tag", "show", "diverse-20", "--dataset", "coco128", "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        tag = json.loads(shown.stdout)
        assert tag["version"] == 2 and tag["size"] == 20, tag
        assert [v["operation"] for v in tag["history"]] == ["create", "replace"], tag
    assert EXAMPLE.read_bytes() == tracked
