"""Which runtime file (server.json) the kernel package believes: only its user's own, naming a
loopback URL, whose server answers as Winnow serving this very workspace. Small HTTP servers on
loopback stand in for the servers a planted file could point at; none of them may get a request
it should not."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kernels import WINNOW_JS, kernel_environment

import winnow
from winnow.client import (
    DEFAULT_IDLE_TIMEOUT_S,
    Client,
    WinnowError,
    _mismatch,
    _process_alive,
    _running,
    idle_timeout_s,
    is_loopback_url,
)


class HealthHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's `health` and records the path and Authorization."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        body = json.dumps(self.server.health).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def serve_health() -> Iterator[Any]:
    """Starts a health-answering server on a loopback address; returns its port and what it saw."""
    started: list[http.server.ThreadingHTTPServer] = []

    def start(host: str, health: dict[str, Any]) -> http.server.ThreadingHTTPServer:
        server = http.server.ThreadingHTTPServer((host, 0), HealthHandler)
        server.seen = []  # type: ignore[attr-defined]
        server.health = health  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def plant(workspace: Path, url: str, mode: int = 0o600) -> None:
    """A runtime file as an attacker would write it: this live process, a token, `url`."""
    file = workspace / "server.json"
    info = {"url": url, "port": 1, "token": "planted-token", "pid": os.getpid(), "workspace": str(workspace)}
    file.write_text(json.dumps(info))
    file.chmod(mode)


def test_a_planted_file_naming_another_host_is_not_used_and_nothing_is_sent(
    tmp_path: Path, serve_health: Any
) -> None:
    elsewhere = serve_health("127.0.0.2", {"service": "winnow", "workspace": str(tmp_path)})
    port = elsewhere.server_port
    for url in [
        f"http://127.0.0.2:{port}",
        f"http://user:pass@127.0.0.2:{port}",
        f"http://127.0.0.1.{port}.example:{port}",
        "http://10.1.2.3:80",
        "http://example.com",
        "file:///etc/passwd",
    ]:
        plant(tmp_path, url)
        assert _running(str(tmp_path)) is None, url
    assert elsewhere.seen == []
    with pytest.raises(WinnowError, match="not a loopback URL"):
        Client({"url": "http://10.1.2.3:80", "token": "t"})


def test_only_plain_loopback_urls_are_taken() -> None:
    for url in ["http://127.0.0.1:40123", "http://localhost:40123", "http://[::1]:40123"]:
        assert is_loopback_url(url), url
    others = ["http://127.0.0.1", "http://127.0.0.1:1/x", "https://127.0.0.1:1", "http://127.0.0.1:1?a", None]
    for url in others:
        assert not is_loopback_url(url), url


def test_a_loopback_server_of_another_workspace_is_not_used(tmp_path: Path, serve_health: Any) -> None:
    other = tmp_path / "other"
    other.mkdir()
    impostor = serve_health("127.0.0.1", {"service": "winnow", "workspace": str(other)})
    plant(tmp_path, f"http://127.0.0.1:{impostor.server_port}")
    assert _running(str(tmp_path)) is None
    # The same server naming this workspace (through a link: real paths are compared) is used.
    (tmp_path / "link").symlink_to(tmp_path)
    impostor.health = {"service": "winnow", "workspace": str(tmp_path / "link")}  # type: ignore[attr-defined]
    assert _running(str(tmp_path)) is not None
    # And one that does not say it is Winnow is not.
    impostor.health = {"workspace": str(tmp_path)}  # type: ignore[attr-defined]
    assert _running(str(tmp_path)) is None


def test_a_runtime_file_others_may_write_is_not_used(tmp_path: Path, serve_health: Any) -> None:
    server = serve_health("127.0.0.1", {"service": "winnow", "workspace": str(tmp_path)})
    plant(tmp_path, f"http://127.0.0.1:{server.server_port}", mode=0o622)
    assert _running(str(tmp_path)) is None
    assert server.seen == []


def test_a_workspace_the_kernel_starts_a_server_in_is_its_owners_alone(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with kernel_environment(tmp_path, f"node {WINNOW_JS}") as workspace:
            winnow.connect()
            assert (workspace / "server.json").exists()
            modes = {
                name: (workspace / name).stat().st_mode & 0o777 for name in ("", "server.log", "server.json")
            }
    finally:
        os.umask(previous)
    assert modes == {"": 0o700, "server.log": 0o600, "server.json": 0o600}


def test_a_server_with_another_model_folder_is_restarted_by_a_new_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with kernel_environment(tmp_path, f"node {WINNOW_JS}"):
        monkeypatch.setenv("WINNOW_MODEL_DIR", str(tmp_path / "old-models"))
        old = winnow.connect()
        # A new kernel (after JupyterLab restarts) with another model folder: no client cached yet.
        winnow.client._clients.clear()
        monkeypatch.setenv("WINNOW_MODEL_DIR", str(tmp_path / "new-models"))
        new = winnow.connect()
        health = new.health()
    assert new.pid != old.pid
    assert not _process_alive(old.pid)
    assert health is not None
    assert health["settings"]["WINNOW_MODEL_DIR"] == str(tmp_path / "new-models")
    # A server a kernel starts stops by itself once unused (WINNOW_IDLE_TIMEOUT, default 30 minutes).
    assert health["idle_timeout_s"] == DEFAULT_IDLE_TIMEOUT_S
    assert capsys.readouterr().err == (
        f"winnow: restarting the workspace's server: its WINNOW_MODEL_DIR is {tmp_path}/old-models, "
        f"this kernel's is {tmp_path}/new-models\n"
    )


def test_a_server_of_another_version_or_unset_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_COMMAND", f"node {WINNOW_JS}")
    monkeypatch.delenv("WINNOW_MODEL_DIR", raising=False)
    version = json.loads((WINNOW_JS.parents[1] / "package.json").read_text())["version"]
    settings = {"WINNOW_MODEL_DIR": "/elsewhere", "WINNOW_MAX_PIXELS": None}
    assert _mismatch({"version": "0.0.1", "settings": settings}) == (
        f"it runs Winnow 0.0.1, this kernel's is {version}"
    )
    # A server from before versions were reported is one of another version too.
    assert _mismatch({"service": "winnow"}) == (
        f"it runs Winnow a version from before 0.1.0, this kernel's is {version}"
    )
    # What the kernel leaves unset is no objection, and a server too busy to answer is left alone.
    assert _mismatch({"version": version, "settings": settings}) is None
    assert _mismatch(None) is None


@pytest.mark.parametrize(("value", "seconds"), [("", DEFAULT_IDLE_TIMEOUT_S), ("60", 60), ("0", None)])
def test_the_idle_timeout_a_kernel_starts_its_server_with(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: int | None
) -> None:
    monkeypatch.setenv("WINNOW_IDLE_TIMEOUT", value)
    assert idle_timeout_s() == seconds


def test_a_bad_idle_timeout_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_IDLE_TIMEOUT", "half an hour")
    expected = (
        r"^WINNOW_IDLE_TIMEOUT: expected whole seconds \(e\.g\. 1800\), or 0 for never; got 'half an hour'$"
    )
    with pytest.raises(WinnowError, match=expected):
        idle_timeout_s()
