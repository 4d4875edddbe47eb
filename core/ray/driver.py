"""Runs the shards of `winnow embed --ray` on a Ray cluster: one long-lived engine per slot of CPUs.

The engine spawns `<python> core/ray/driver.py`, writes one request as a single line of JSON on stdin
and reads events from stdout, one JSON object a line:

    {"event": "connected", "nodes": 2, "cpus": 4.0}
    {"event": "shard", "shard": "0003-of-0016", "result": {..., "node": "10.0.0.5", "node_id": "…", "pid": 7}}
    {"event": "failed", "shard": "0004-of-0016", "error": "one line"}
    {"event": "done"}                                              (exit 0)
    {"event": "cancelled"}                                         (SIGINT or SIGTERM, exit 130)

Exit 2 when ray is not importable or the request is malformed, 3 when the cluster cannot be reached;
both with one line on stderr. Only the standard library and ray; Python 3.9 or newer.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from typing import IO, Any, NoReturn

try:
    import ray
except ImportError:
    ray = None  # reported in main(), so that the engine gets one clear line

# The protocol's own streams. Ray's C++ core and its Python logging may print to fd 1 and 2; main()
# points fd 1 at stderr, so nothing but events reaches the engine's reader, and silences fd 2 while
# ray.init retries (it logs every few seconds), so that a failure to connect is one line.
events: IO[str] = sys.stdout
diagnostics: IO[str] = sys.stderr
# ray.init retries an address where no GCS answers for minutes; the port check below catches most of
# that at once, the watchdog the rest (a port that takes connections but is no GCS, an overloaded head).
CONNECT_TIMEOUT_S = 60.0


class Engine:
    """A Ray actor: one long-lived `embed-shard --serve` on its node, fed one shard at a time.

    The engine keeps the model loaded and the storage clients open between shards, so a shard costs
    its images and not a start-up. Defined in the driver, which runs as __main__, so cloudpickle
    sends it by value: the nodes need ray and the engine, not this file. Manifests go to the engine
    on stdin, never on a command line. A failed shard raises; the driver runs it again (on this or
    another engine) up to its retries, as it does when the actor's worker dies.
    """

    def __init__(self, runtime: list[str]) -> None:
        self.runtime = runtime
        self.process: subprocess.Popen[bytes] | None = None
        # The engine's stderr, kept in a file: read only when it dies, never a pipe left to fill up.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the actor's lifetime

    def run(self, manifest: dict[str, Any]) -> dict[str, Any]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [*self.runtime, "embed-shard", "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
            )
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write((json.dumps(manifest) + "\n").encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # it died: the empty answer below says why
        answer = self.process.stdout.readline()
        if not answer:
            status = self.process.wait()
            self.log.seek(0)
            raise RuntimeError(_last_line(self.log.read()) or f"embed-shard exited with status {status}")
        try:
            result = json.loads(answer)
        except ValueError:
            raise RuntimeError(f"embed-shard printed no JSON result: {answer[:200]!r}") from None
        if not isinstance(result, dict):
            raise TypeError(f"embed-shard printed no JSON object: {answer[:200]!r}")
        if "error" in result:
            raise RuntimeError(str(result["error"]))
        # Several nodes can share an IP (raylets on one machine): node_id tells them apart.
        node_id = ray.get_runtime_context().get_node_id()
        return {**result, "node": ray.util.get_node_ip_address(), "node_id": node_id, "pid": os.getpid()}


def _last_line(output: bytes) -> str:
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")


def emit(event: dict[str, Any]) -> None:
    try:
        events.write(json.dumps(event) + "\n")
        events.flush()
    except BrokenPipeError:
        # The engine is gone: nobody reads, but the tasks should still be cancelled or finish.
        pass


def fail(message: str, status: int) -> NoReturn:
    diagnostics.write(" ".join(message.split()) + "\n")
    diagnostics.flush()
    # os._exit: fail() also runs on the connect watchdog's thread, and ray.init may hold the main one.
    os._exit(status)


def one_line(error: BaseException) -> str:
    # A RayTaskError's text carries the remote traceback; its cause is what Engine.run raised.
    cause = getattr(error, "cause", None)
    text = str(cause) if isinstance(cause, BaseException) else str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def read_request() -> dict[str, Any]:
    # One line (JSON.stringify's output), so the engine need not close stdin.
    try:
        request = json.loads(sys.stdin.readline())
    except ValueError as error:
        fail(f"the request on stdin is not JSON: {error}", 2)
    if not isinstance(request, dict):
        fail("the request on stdin is not a JSON object", 2)
    request.setdefault("address", "auto")
    request.setdefault("runtime", ["winnow"])
    request.setdefault("num_cpus", 1)
    request.setdefault("max_retries", 3)
    runtime, shards = request["runtime"], request.get("shards")
    if not isinstance(request["address"], str):
        fail("the request's address is not a string", 2)
    if not isinstance(runtime, list) or not runtime or not all(isinstance(a, str) for a in runtime):
        fail("the request's runtime is not a non-empty list of strings", 2)
    num_cpus, retries = request["num_cpus"], request["max_retries"]
    if isinstance(num_cpus, bool) or not isinstance(num_cpus, (int, float)) or num_cpus < 0:
        fail("the request's num_cpus is not a number of CPUs", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        fail("the request's max_retries is not a whole number", 2)
    if not isinstance(shards, list) or not all(
        isinstance(s, dict) and isinstance(s.get("shard"), str) and isinstance(s.get("manifest"), dict)
        for s in shards
    ):
        fail('the request\'s shards are not a list of {"shard": name, "manifest": {...}}', 2)
    return request


def connect(address: str, on_signal: Callable[[int, Any], None]) -> None:
    """ray.init, or exit 3 with one line: at once when nothing listens at the address."""
    target = os.environ.get("RAY_ADDRESS", "") if address == "auto" else address
    if target and "://" not in target:
        host, _, port = target.rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
        except (OSError, ValueError) as error:
            fail(f"cannot reach the Ray cluster at {address}: {error}", 3)
    watchdog = threading.Timer(
        CONNECT_TIMEOUT_S,
        fail,
        [f"cannot reach the Ray cluster at {address}: no answer in {CONNECT_TIMEOUT_S:.0f} s", 3],
    )
    watchdog.daemon = True
    watchdog.start()
    # Python runs signal handlers between bytecodes, and ray.init can sit in C++ for minutes (it also
    # swaps in its own SIGTERM handler). The C-level handler still writes each signal's number to the
    # wakeup fd: a thread reads it and ends the driver.
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)

    def watch_signals() -> None:
        while data := os.read(wakeup_read, 1):  # b"" once connect() closes the pipe
            if data[0] in (signal.SIGINT, signal.SIGTERM):
                emit({"event": "cancelled"})
                os._exit(130)

    threading.Thread(target=watch_signals, daemon=True).start()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except Exception as error:  # noqa: BLE001 - ConnectionError, ValueError ("auto" and no cluster), ...
        fail(f"cannot reach the Ray cluster at {address}: {one_line(error)}", 3)
    finally:
        signal.signal(signal.SIGTERM, on_signal)  # ray.init's handler would sys.exit(15)
        signal.set_wakeup_fd(-1)
        os.close(wakeup_write)
        watchdog.cancel()
        os.dup2(diagnostics.fileno(), sys.stderr.fileno())
        os.close(devnull)


def main() -> None:
    global events, diagnostics
    if ray is None:
        print(
            f"ray is not installed in {sys.executable}: pip install ray (the same version as the cluster)",
            file=sys.stderr,
        )
        sys.exit(2)
    refs: dict[Any, tuple[Any, dict[str, Any]]] = {}
    interrupted = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal interrupted
        if not refs:  # nothing submitted yet: nothing to cancel
            emit({"event": "cancelled"})
            os._exit(130)
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    request = read_request()
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    diagnostics = os.fdopen(os.dup(sys.stderr.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    connect(request["address"], on_signal)

    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    emit({"event": "connected", "nodes": nodes, "cpus": ray.cluster_resources().get("CPU", 0)})

    # One engine per slot of num_cpus CPUs, as many as there are shards at most. SPREAD: Ray's default
    # fills one node to half its CPUs before it uses the next, while an engine may use more cores
    # than num_cpus asks for; shards are alike, so even is best. max_restarts: an engine whose worker
    # died comes back (a fresh process), so the pool keeps its size.
    cpus = ray.cluster_resources().get("CPU", 1)
    slots = max(1, int(cpus // request["num_cpus"])) if request["num_cpus"] else len(request["shards"])
    actor = ray.remote(Engine).options(
        num_cpus=request["num_cpus"], max_restarts=-1, scheduling_strategy="SPREAD"
    )
    idle = [actor.remote(request["runtime"]) for _ in range(min(slots, len(request["shards"])))]
    queue: deque[dict[str, Any]] = deque(request["shards"])
    tries: dict[str, int] = {}
    while (queue or refs) and not interrupted:
        while idle and queue:
            engine, shard = idle.pop(), queue.popleft()
            refs[engine.run.remote(shard["manifest"])] = (engine, shard)
        # A timeout, so that the signal handler gets to run while shards are long.
        ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.5)
        for ref in ready:
            engine, shard = refs.pop(ref)
            idle.append(engine)
            name = shard["shard"]
            try:
                emit({"event": "shard", "shard": name, "result": ray.get(ref)})
            except ray.exceptions.RayError as error:  # the shard raised, or its engine's worker died
                tries[name] = tries.get(name, 0) + 1
                if tries[name] > request["max_retries"]:
                    emit({"event": "failed", "shard": name, "error": one_line(error)})
                else:
                    diagnostics.write(f"shard {name} failed ({one_line(error)}): running it again\n")
                    queue.append(shard)
    if interrupted:
        # The engines' workers are killed; each engine sees its parent gone and stops (embed-shard).
        for engine, _ in refs.values():
            ray.kill(engine)
        emit({"event": "cancelled"})
        sys.exit(130)
    emit({"event": "done"})
    ray.shutdown()


if __name__ == "__main__":
    main()
