"""Peer benchmark: index a bucket on an S3-compatible server with LightlyStudio.

    bench/.venv/bin/python bench/peers/lightly_studio_s3_ingest.py s3://BUCKET/PREFIX/ \
        --endpoint http://127.0.0.1:PORT [--out DIR] [--limit N]

The S3 credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment.
It indexes the bucket into a fresh DuckDB file under DIR (default bench/out/lightly-studio-s3)
the way a LightlyStudio user would point it at a bucket on a custom endpoint: the
`cloud-storage` extra's s3fs (pinned in bench/peers/requirements.txt) with the endpoint in
AWS_ENDPOINT_URL, which botocore reads, and

    db_manager.connect(db_file=..., cleanup_existing=True)
    ds = lightly_studio.ImageDataset.create(name=...)
    ds.add_images_from_path(path="s3://BUCKET/PREFIX/", embed=False, limit=N)

then the same call a second time (it skips the paths it already has: its incremental re-add),
after clearing s3fs's listing cache, as a later run in a new process would start.
What it does per object (lightly_studio 1.2.0, core/image/add_images.py): the listing is
fsspec's `walk` (one delimited ListObjectsV2 per "folder"), then in
LIGHTLY_STUDIO_REMOTE_IMAGE_PROBE_WORKERS threads (default 32) `fs.exists` (a HEAD), `fs.open`
with a 256 KiB block and PIL reading the header (the first ranged GET), and sample rows
committed every 32 images.

Connections to anything but loopback are refused and counted (`network_attempts`, should be 0);
analytics are off. Logs go to stderr; stdout gets exactly one JSON object.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lightly_studio_setup import count_images, emit, open_dataset, prepare, run

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "out" / "lightly-studio-s3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="s3://bucket/prefix/")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="index only the first N objects")
    args = parser.parse_args()
    out = args.out.resolve()

    db_file = prepare(
        out,
        {"AWS_ENDPOINT_URL": args.endpoint, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"},
        allow_loopback=True,
    )

    from importlib import metadata

    versions = {name: metadata.version(name) for name in ("lightly-studio", "s3fs", "botocore")}
    dataset, db_manager, import_seconds, setup_seconds = open_dataset(db_file)

    def add() -> tuple[float, float, int]:
        before = count_images(dataset)
        started = time.perf_counter()
        cpu = time.process_time()
        dataset.add_images_from_path(path=args.url, embed=False, limit=args.limit)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        return seconds, cpu_seconds, count_images(dataset) - before

    first_seconds, first_cpu, first_added = add()
    # s3fs keeps the listing in its cache for the life of the process; a later run (or another
    # process) lists the bucket again, so the re-add starts without it.
    import s3fs

    for filesystem in list(s3fs.S3FileSystem._cache.values()):
        filesystem.invalidate_cache()
    again_seconds, again_cpu, again_added = add()
    db_manager.close()

    from lightly_studio.dataset import env as ls_env

    report = {
        "peer": "lightly-studio",
        "version": versions["lightly-studio"],
        "s3fs": versions["s3fs"],
        "botocore": versions["botocore"],
        "objects": first_added,
        "seconds": round(first_seconds, 3),
        "objects_per_second": round(first_added / first_seconds) if first_seconds > 0 else None,
        "cpu_seconds": round(first_cpu, 2),
        "incremental": {
            "seconds": round(again_seconds, 3),
            "objects_per_second": round(first_added / again_seconds) if again_seconds > 0 else None,
            "cpu_seconds": round(again_cpu, 2),
            "added": again_added,
        },
        "probe_workers": ls_env.LIGHTLY_STUDIO_REMOTE_IMAGE_PROBE_WORKERS,
        "import_seconds": round(import_seconds, 3),
        "setup_seconds": round(setup_seconds, 3),
        "limit": args.limit,
        "db_bytes": db_file.stat().st_size,
    }
    emit(report)


if __name__ == "__main__":
    run(main)
