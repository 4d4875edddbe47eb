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
import contextlib
import ipaddress
import json
import os
import resource
import shutil
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "out" / "lightly-studio-s3"

network_attempts: list[str] = []


def is_loopback(host: object) -> bool:
    if host in ("localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except (ValueError, AttributeError):
        return False


def loopback_only() -> None:
    """Refuse (and record) every connection that is neither loopback nor a Unix socket."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        if isinstance(address, tuple) and is_loopback(address[0]):
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
        if is_loopback(host):
            return real_getaddrinfo(host, *rest, **kwargs)
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
    parser.add_argument("url", help="s3://bucket/prefix/")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="index only the first N objects")
    args = parser.parse_args()
    out = args.out.resolve()

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.chdir(out)
    db_file = out / "lightly_studio.db"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": args.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "LIGHTLY_STUDIO_ANALYTICS_ENABLED": "false",
            "LIGHTLY_STUDIO_MODEL_CACHE_DIR": str(out / "cache"),
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(out / "hf"),
            "TRANSFORMERS_OFFLINE": "1",
            "DO_NOT_TRACK": "1",
            "TQDM_DISABLE": "1",
        }
    )
    os.environ.pop("LIGHTLY_STUDIO_DATABASE_URL", None)
    loopback_only()

    from importlib import metadata

    versions = {name: metadata.version(name) for name in ("lightly-studio", "s3fs", "botocore")}
    t0 = time.perf_counter()
    import lightly_studio as ls
    from lightly_studio.database import db_manager

    import_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    db_manager.connect(db_file=str(db_file), cleanup_existing=True)
    dataset = ls.ImageDataset.create(name="bench")
    setup_seconds = time.perf_counter() - t0

    def add() -> tuple[float, float, int]:
        before = count_images(dataset.session, dataset.collection_id)
        started = time.perf_counter()
        cpu = time.process_time()
        dataset.add_images_from_path(path=args.url, embed=False, limit=args.limit)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        return seconds, cpu_seconds, count_images(dataset.session, dataset.collection_id) - before

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
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "network_attempts": len(network_attempts),
    }
    if network_attempts:
        report["network_attempted"] = network_attempts[:5]
    print(json.dumps(report), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        main()
