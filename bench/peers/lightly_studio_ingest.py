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
import contextlib
import json
import os
import resource
import shutil
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "out" / "lightly-studio"

network_attempts: list[str] = []


def block_network() -> None:
    """Refuse (and record) every connection that is not a local Unix socket."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def refuse(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        network_attempts.append(repr(address))
        raise OSError(f"bench: network disabled (attempted {address!r})")

    def connect(sock: socket.socket, address: object) -> None:
        refuse(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        refuse(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: object, *rest: object, **kwargs: object) -> list:
        network_attempts.append(f"getaddrinfo({host!r})")
        raise socket.gaierror(f"bench: network disabled (lookup of {host!r})")

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def count_images(session, collection_id) -> int:  # noqa: ANN001
    from sqlalchemy import text

    return session.execute(
        text(
            "SELECT count(*) FROM image JOIN sample USING (sample_id)"
            " WHERE sample.collection_id = :collection_id"
        ),
        {"collection_id": collection_id},
    ).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="index only the first N files")
    args = parser.parse_args()
    folder = args.folder.resolve()
    out = args.out.resolve()

    # A fresh location for everything LightlyStudio writes.
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.chdir(out)  # its default DB path (lightly_studio.db) and .env lookup are relative to cwd
    db_file = out / "lightly_studio.db"
    os.environ.update(
        {
            "LIGHTLY_STUDIO_ANALYTICS_ENABLED": "false",
            "LIGHTLY_STUDIO_MODEL_CACHE_DIR": str(out / "cache"),
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(out / "hf"),
            "TRANSFORMERS_OFFLINE": "1",
            "DO_NOT_TRACK": "1",
            "TQDM_DISABLE": "1",  # its progress bars would flood the benchmark log
        }
    )
    os.environ.pop("LIGHTLY_STUDIO_DATABASE_URL", None)
    block_network()

    from importlib import metadata

    version = metadata.version("lightly-studio")
    t0 = time.perf_counter()
    import lightly_studio as ls
    from lightly_studio.database import db_manager

    import_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    db_manager.connect(db_file=str(db_file), cleanup_existing=True)
    dataset = ls.ImageDataset.create(name="bench")
    setup_seconds = time.perf_counter() - t0

    def add() -> tuple[float, int]:
        before = count_images(dataset.session, dataset.collection_id)
        started = time.perf_counter()
        dataset.add_images_from_path(path=str(folder), embed=False, limit=args.limit)
        seconds = time.perf_counter() - started
        return seconds, count_images(dataset.session, dataset.collection_id) - before

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
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "torch_imported": "torch" in sys.modules,
        "network_attempts": len(network_attempts),
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
    if network_attempts:
        report["network_attempted"] = network_attempts[:5]
    print(json.dumps(report), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    # Anything the library prints goes to stderr; stdout is reserved for the JSON report.
    with contextlib.redirect_stdout(sys.stderr):
        main()
