"""One engine per workspace: the kernel's client and the `winnow` command in a terminal work on the
same workspace at the same time, both through the server the kernel started, and lose nothing."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kernels import WINNOW_JS, copy_images, kernel_environment

import winnow

IMAGE_COUNT = 12


def test_the_kernel_and_the_command_add_to_one_tag_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    images = copy_images(tmp_path, IMAGE_COUNT)
    with kernel_environment(tmp_path, f"node {WINNOW_JS}") as workspace:
        kernel = winnow.connect()
        kernel.ingest(str(images), "few")
        rows = kernel.sql("SELECT sample_id FROM samples ORDER BY sample_id", "few")["rows"]
        ids = [row["sample_id"] for row in rows]
        kernel.request("PATCH", "/api/datasets/few/tags/shared", {"add": [ids[0]]})

        def from_kernel(sample_id: int) -> int:
            kernel.request("PATCH", "/api/datasets/few/tags/shared", {"add": [sample_id]})
            return 0

        def from_terminal(sample_id: int) -> int:
            command = ["node", str(WINNOW_JS), "--workspace", str(workspace), "tag", "add", "shared"]
            command += [
                "--dataset",
                "few",
                "--sql",
                f"SELECT sample_id FROM samples WHERE sample_id = {sample_id}",
            ]
            return subprocess.run(command, capture_output=True, check=False).returncode

        rest = ids[1:]
        with ThreadPoolExecutor(len(rest)) as pool:
            codes = list(
                pool.map(lambda i: (from_kernel if i % 2 else from_terminal)(rest[i]), range(len(rest)))
            )
        assert codes == [0] * len(rest)
        shown = subprocess.run(
            [
                "node",
                str(WINNOW_JS),
                "--workspace",
                str(workspace),
                "tag",
                "show",
                "shared",
                "--dataset",
                "few",
                "--json",
            ],
            capture_output=True,
            check=True,
        )
        members = kernel.sql(
            "SELECT sample_id FROM tag_members WHERE tag = 'shared' ORDER BY sample_id", "few"
        )
    assert [row["sample_id"] for row in members["rows"]] == ids
    tag = json.loads(shown.stdout)
    # One version per change, none lost or merged: sizes 1, 2, … in the order they were made.
    assert (tag["size"], tag["version"]) == (IMAGE_COUNT, IMAGE_COUNT)
    assert sorted(version["size"] for version in tag["history"]) == list(range(1, IMAGE_COUNT + 1))
