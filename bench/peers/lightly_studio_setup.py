"""What the LightlyStudio peer benchmarks share: an isolated, offline setup, a dataset, a count.

Connections are refused and counted (`network_attempts`, reported; it should be 0), usage
analytics are off, the Hugging Face hub is offline with its cache inside the output folder, and
the library's prints go to stderr so that stdout carries exactly one JSON report.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import resource
import shutil
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

network_attempts: list[str] = []


def is_loopback(host: object) -> bool:
    if host in ("localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except (ValueError, AttributeError):
        return False


def block_network(allow_loopback: bool) -> None:
    """Refuse (and record) every connection but Unix sockets and, when allowed, loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        if allow_loopback and isinstance(address, tuple) and is_loopback(address[0]):
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
        if allow_loopback and is_loopback(host):
            return real_getaddrinfo(host, *rest, **kwargs)
        network_attempts.append(f"getaddrinfo({host!r})")
        raise socket.gaierror(f"bench: network disabled (lookup of {host!r})")

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def prepare(out: Path, env: dict[str, str], allow_loopback: bool) -> Path:
    """A fresh `out` as the working folder (LightlyStudio's default paths are relative to it),
    the offline environment plus `env`, the network blocked; returns the DuckDB file to use."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.chdir(out)
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
            **env,
        }
    )
    os.environ.pop("LIGHTLY_STUDIO_DATABASE_URL", None)
    block_network(allow_loopback)
    return out / "lightly_studio.db"


def open_dataset(db_file: Path):  # noqa: ANN201
    """Imports LightlyStudio and creates an image dataset in a fresh `db_file`; returns it, the
    db manager, and the seconds the import and the setup took."""
    started = time.perf_counter()
    import lightly_studio as ls
    from lightly_studio.database import db_manager

    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    db_manager.connect(db_file=str(db_file), cleanup_existing=True)
    dataset = ls.ImageDataset.create(name="bench")
    return dataset, db_manager, import_seconds, time.perf_counter() - started


def count_images(dataset) -> int:  # noqa: ANN001
    from sqlalchemy import text

    return dataset.session.execute(
        text(
            "SELECT count(*) FROM image JOIN sample USING (sample_id)"
            " WHERE sample.collection_id = :collection_id"
        ),
        {"collection_id": dataset.collection_id},
    ).scalar_one()


def emit(report: dict) -> None:
    """Prints the report, with the process's peak memory and any attempt to leave the machine."""
    report["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report["network_attempts"] = len(network_attempts)
    if network_attempts:
        report["network_attempted"] = network_attempts[:5]
    print(json.dumps(report), file=sys.__stdout__, flush=True)


def run(main: Callable[[], None]) -> None:
    # Anything the library prints goes to stderr; stdout is reserved for the JSON report.
    with contextlib.redirect_stdout(sys.stderr):
        main()
