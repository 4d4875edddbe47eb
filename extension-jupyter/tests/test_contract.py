"""The kernel package takes its job options from core's contract (winnow/contract.json): the
fields it marks as paths are sent absolute, the others as given. Against a real server."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernels import IMAGES, WINNOW_JS, kernel_environment

import winnow
from winnow.contract import path_fields


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with kernel_environment(
        tmp_path_factory.mktemp("winnow"), f"node {shlex.quote(str(WINNOW_JS))}"
    ) as directory:
        yield directory


def test_the_contract_marks_the_import_files_as_paths() -> None:
    assert path_fields("import") == {
        "yolo",
        "classes",
        "coco",
        "lightlyMetadata",
        "lightlyPredictions",
        "metadata",
        "embeddings",
        "filenames",
    }


def test_an_import_sends_its_paths_absolute_and_its_names_as_given(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("000000000009.jpg", "000000000025.jpg"):
        shutil.copy(IMAGES / name, photos / name)
    client = winnow.connect()
    client.ingest(str(photos), "photos")
    # Relative to this process's folder, which the server does not share.
    monkeypatch.chdir(IMAGES.parent)
    imported = client.import_labels(
        "photos", yolo="labels", classes="classes.yaml", as_="annotations", task="human"
    )
    assert (imported["target"], imported["task"], imported["samples"]) == ("annotations", "human", 2)
