"""Peer benchmark: index a folder of images with LightlyStudio (PyPI `lightly-studio`).

    bench/.venv/bin/python bench/peers/lightly_studio_ingest.py FOLDER [--out DIR] [--limit N]

Indexes FOLDER into a fresh DuckDB file under DIR (default bench/out/lightly-studio), the way
LightlyStudio's Python API does it for a user:

    db_manager.connect(db_file=..., cleanup_existing=True)
    ds = lightly_studio.ImageDataset.create(name=...)
    ds.add_images_from_path(path=FOLDER, embed=False, limit=N)

`embed=False` skips the embedding step, which is the only part of this path that loads a model
(MobileCLIP by default, downloaded on first use). It then calls `add_images_from_path` a second
time on the same folder: LightlyStudio skips paths it already has (by absolute path only), so
that is its equivalent of an unchanged re-ingest.

Runs fully offline: usage analytics (PostHog, on by default) are turned off through
LIGHTLY_STUDIO_ANALYTICS_ENABLED=false, the Hugging Face hub is put in offline mode, its
cache dir points inside DIR, and every outgoing socket connection is refused and counted
(`network_attempts` in the report; it should be 0).

Logs and progress bars go to stderr; stdout gets exactly one JSON object.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lightly_studio_setup import count_images, emit, open_dataset, prepare, run

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "out" / "lightly-studio"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="index only the first N files")
    args = parser.parse_args()
    folder = args.folder.resolve()
    out = args.out.resolve()

    db_file = prepare(out, {}, allow_loopback=False)

    from importlib import metadata

    version = metadata.version("lightly-studio")
    dataset, db_manager, import_seconds, setup_seconds = open_dataset(db_file)

    def add() -> tuple[float, int]:
        before = count_images(dataset)
        started = time.perf_counter()
        dataset.add_images_from_path(path=str(folder), embed=False, limit=args.limit)
        seconds = time.perf_counter() - started
        return seconds, count_images(dataset) - before

    first_seconds, first_added = add()
    again_seconds, again_added = add()
    files = first_added
    db_manager.close()

    report = {
        "peer": "lightly-studio",
        "version": version,
        "files": files,
        "seconds": round(first_seconds, 3),
        "files_per_second": round(files / first_seconds) if first_seconds > 0 else None,
        "unchanged_readd": {
            "seconds": round(again_seconds, 3),
            "files_per_second": round(files / again_seconds) if again_seconds > 0 else None,
            "added": again_added,
            "skipped_existing": files - again_added,
        },
        "import_seconds": round(import_seconds, 3),
        "setup_seconds": round(setup_seconds, 3),
        "limit": args.limit,
        "db_path": str(db_file),
        "db_bytes": db_file.stat().st_size,
        "torch_imported": "torch" in sys.modules,
        "notes": (
            "ImageDataset.add_images_from_path(path, embed=False[, limit]) into a fresh DuckDB file "
            "(db_manager.connect(db_file=..., cleanup_existing=True)); seconds is that call alone "
            "(import and DB/schema creation reported separately). Per file it lists the folder "
            "(fsspec find + isfile stat), stats it again, opens it and reads the image header with "
            "PIL for width/height (no pixel decode), then inserts sample + image rows with a commit "
            "every 32 files. It stores file_name, file_path_abs, width, height, a random UUID and "
            "timestamps, no size/mtime/hash. The second call (unchanged_readd) lists and stats the "
            "folder again, then skips every file whose absolute path is already in the dataset "
            "(one IN-list query per batch) without opening it, so it would not notice a changed "
            "file. No embeddings, analytics off, network blocked."
        ),
    }
    emit(report)


if __name__ == "__main__":
    run(main)
