"""Install, start, stop and check the embedded local doccano, bound to 127.0.0.1 only.

doccano runs in its own virtual environment (its pydantic 2 clashes with doccano-client's
pydantic 1) under ``ANNOTATOR_HOME/doccano``. Two process groups make a working server: the
gunicorn web server and the Celery worker (without the worker every import and export hangs).
Both are started through ``doccano_launcher.py`` run by the doccano venv's interpreter, never
through doccano's own CLI: that binds to 0.0.0.0 and takes the admin password on its command line.

The admin password lives only in the 0600 credentials file; it reaches doccano through one
environment variable of one short-lived process and is never printed, logged or put in argv.
The processes this module starts are recorded by pid *and* creation time, so that stopping never
touches a process that merely inherited a recycled pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from annotator.atomic import write_text_atomically
from annotator.doccano.local.database import (
    PASSWORD_VARIABLES,
    DoccanoDatabase,
    read_database,
    write_database,
)
from annotator.errors import CredentialsMissing, LocalServerError, PortInUse
from annotator.paths import LocalDoccanoPaths, local_doccano_paths

#: What goes into doccano's virtual environment. Changing this set reinstalls on the next ``up``.
DOCCANO_PINS: tuple[str, ...] = (
    "doccano==1.8.4",  # the server version whose API the doccano adapter is tested against
    "numpy<2",  # pandas, as resolved for doccano 1.8.4, fails to import under numpy 2
    "marshmallow<3.20",  # environs, which reads doccano's settings, breaks on marshmallow 3.20+
    "psycopg2-binary==2.9.13",  # the driver doccano's Django and its Celery broker use for PostgreSQL
)

HOST = "127.0.0.1"
DEFAULT_PORT = 8642
ADMIN_USERNAME = "admin"
#: doccano 1.8.4's login form refuses passwords of 30 characters or more ("Password must be less
#: than 30 characters") and keeps its button disabled, although the REST API accepts them
MAX_LOGIN_PASSWORD = 29
#: random bytes in a generated password: 18 bytes are 24 URL-safe characters (144 bits)
PASSWORD_BYTES = 18
#: The one way the admin password reaches doccano; ``doccano_launcher.py`` reads the same name.
PASSWORD_ENV = "ANNOTATOR_DOCCANO_PASSWORD"
#: How doccano's processes learn their ``DATABASE_URL`` (never holding a password); the launcher
#: reads the same name.
DATABASE_ENV = "ANNOTATOR_DOCCANO_DATABASE"
LAUNCHER = Path(__file__).with_name("doccano_launcher.py")
WEB_WORKERS = 2
STOP_KILL_GRACE = 5.0
LOG_TAIL_LINES = 12
#: psutil derives creation times from the boot time, which the kernel reports with up to a second
#: of jitter between readings; a pid recycled within a second of the original start is no concern.
CREATE_TIME_TOLERANCE = 1.0

#: Environment variables the doccano processes inherit; nothing else of the caller's environment
#: (a stray DATABASE_URL or CELERY_BROKER_URL would silently point doccano elsewhere).
_PASSED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
_PRIVATE_BITS = 0o077

StepCallback = Callable[[str], None]

#: Popen objects of the servers started by this process, kept so that they are reaped (no
#: zombies, no "subprocess still running" warnings) when ``down`` runs in the same process.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _no_step(_: str) -> None:
    """Default progress callback: say nothing."""


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, repr=False)
class Credentials:
    """The admin account of the local doccano. ``repr`` and ``str`` never show the password."""

    url: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, username={self.username!r}, password='********')"


@dataclass(frozen=True)
class ServerInfo:
    """What ``up`` reports: where the server answers and whether this call started it."""

    url: str
    credentials_path: Path
    started: bool
    pids: tuple[int, ...]


@dataclass(frozen=True)
class ServerStatus:
    """What ``status`` reports. ``running``: every recorded process is alive."""

    running: bool
    healthy: bool
    url: str
    pids: tuple[int, ...]
    credentials_path: Path
    log_dir: Path
    webserver_log: Path
    worker_log: Path
    install_log: Path
    #: which database the server uses (or would use), e.g. ``PostgreSQL postgresql://u@h:5432/d``
    database: str = ""


@dataclass(frozen=True)
class Health:
    """One answer of ``/v1/health/``: did doccano answer at all, and are all its checks OK."""

    is_doccano: bool
    healthy: bool
    checks: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# process state: which processes this tool started


@dataclass(frozen=True)
class ProcessRecord:
    """One process group leader started by this tool, identified by pid and creation time."""

    role: str
    pid: int
    create_time: float


@dataclass(frozen=True)
class ServerState:
    """Contents of the state file: the port and the process group leaders of a started server."""

    port: int
    processes: tuple[ProcessRecord, ...]

    def to_json(self) -> str:
        """Serialise for the state file."""
        processes = [{"role": p.role, "pid": p.pid, "create_time": p.create_time} for p in self.processes]
        return json.dumps({"port": self.port, "processes": processes}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ServerState:
        """Parse a state file; ``ValueError`` (or ``KeyError``/``TypeError``) when malformed."""
        data = json.loads(text)
        processes = tuple(
            ProcessRecord(role=str(p["role"]), pid=int(p["pid"]), create_time=float(p["create_time"]))
            for p in data["processes"]
        )
        return cls(port=int(data["port"]), processes=processes)


def read_state(path: Path) -> ServerState | None:
    """The recorded server, or None when no state file exists.

    A state file that cannot be parsed is an error rather than "nothing runs": it may describe
    processes that still hold the port, and guessing which they are is how the wrong ones get killed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return ServerState.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise LocalServerError(
            f"the state file {path} is unreadable ({error})",
            hint="stop any doccano processes it described by hand, then delete the file",
        ) from error


def write_state(path: Path, state: ServerState) -> None:
    """Write the state file atomically (a reader never sees half of it)."""
    write_text_atomically(path, state.to_json())


def verified_process(record: ProcessRecord) -> psutil.Process | None:
    """The live process ``record`` describes, or None if it is gone, a zombie, or a recycled pid."""
    try:
        process = psutil.Process(record.pid)
        if abs(process.create_time() - record.create_time) > CREATE_TIME_TOLERANCE:
            return None  # the pid now belongs to another process
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process


def leader_exited(record: ProcessRecord) -> bool:
    """Whether the recorded process has exited: its pid is unused, or held by its own zombie.

    False while the pid belongs to another process (a recycled pid): that process, and any group
    named after it, is not ours.
    """
    try:
        process = psutil.Process(record.pid)
        same = abs(process.create_time() - record.create_time) <= CREATE_TIME_TOLERANCE
        return same and process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False


def live_processes(state: ServerState) -> list[psutil.Process]:
    """The recorded processes that are still ours and alive."""
    return [p for p in map(verified_process, state.processes) if p is not None]


def record_process(role: str, pid: int) -> ProcessRecord:
    """Record a just-started process with the creation time that identifies it."""
    try:
        create_time = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        create_time = 0.0  # already gone: a record that never verifies
    return ProcessRecord(role=role, pid=pid, create_time=create_time)


def stop_processes(
    records: tuple[ProcessRecord, ...] | list[ProcessRecord], timeout: float = 20.0
) -> list[int]:
    """Stop the recorded process groups: TERM, wait up to ``timeout`` s, then KILL what is left.

    TERM goes to each group *leader* (gunicorn's master, Celery's main process), which stops its
    own children; TERM to the whole group at once left Celery's warm shutdown hanging until the
    KILL in about half of the trials. KILL then goes to the whole group and every leftover.

    Only verified processes (pid and creation time match) and their descendants are touched, plus
    orphans left in the group of a leader that already exited (the kernel does not reuse a pid
    while a process group of that id exists, so those are ours). Returns the pids stopped.
    """
    targets: dict[int, psutil.Process] = {}
    leaders: list[psutil.Process] = []
    for record in records:
        leader = verified_process(record)
        if leader is not None:
            leaders.append(leader)
            targets[leader.pid] = leader
            targets.update((child.pid, child) for child in _descendants(leader))
        elif leader_exited(record):
            orphans = _group_members(record.pid)
            targets.update((orphan.pid, orphan) for orphan in orphans)
            for orphan in orphans:
                _signal(orphan, signal.SIGTERM)
    if not targets:
        return []
    for leader in leaders:
        _signal(leader, signal.SIGTERM)
    left = _wait_gone(list(targets.values()), timeout)
    if left:
        for leader in leaders:
            _signal_group(leader, signal.SIGKILL)
        for process in left:
            _signal(process, signal.SIGKILL)
        left = _wait_gone(left, STOP_KILL_GRACE)
    if left:
        pids = ", ".join(str(p.pid) for p in left)
        raise LocalServerError(f"processes {pids} of the local doccano survived SIGKILL")
    return sorted(targets)


def _descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getpgid(process.pid) == pgid:
                members.append(process)
    return members


def _signal_group(leader: psutil.Process, signum: int) -> None:
    """Signal the whole group of a verified, still running leader (``start_new_session`` made it)."""
    try:
        if leader.is_running() and os.getpgid(leader.pid) == leader.pid:
            os.killpg(leader.pid, signum)
        else:
            leader.send_signal(signum)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def _signal(process: psutil.Process, signum: int) -> None:
    # psutil checks that the pid still belongs to the same process before signalling
    with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
        process.send_signal(signum)


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process so it does not stay a zombie."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.poll()
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _is_gone(process: psutil.Process) -> bool:
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(process.pid)
            return True
        return not process.is_running()
    except psutil.NoSuchProcess:
        _reap(process.pid)
        return True


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited (zombies count as exited); return those still alive."""
    deadline = time.monotonic() + timeout
    left = [p for p in processes if not _is_gone(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if not _is_gone(p)]
    return left


# --------------------------------------------------------------------------------------------
# health and ports


def parse_health(status_code: int, body: str) -> Health:
    """Read an answer of ``/v1/health/`` (asked for as JSON).

    doccano answers a JSON object of check name -> "OK" or an error text, with status 200 when
    every check passes and 500 otherwise. Anything else did not come from doccano.
    """
    try:
        checks = json.loads(body)
    except ValueError:
        return Health(is_doccano=False, healthy=False)
    if not isinstance(checks, dict) or not checks or not all(isinstance(v, str) for v in checks.values()):
        return Health(is_doccano=False, healthy=False)
    if not any("HealthCheck" in key or key.startswith("Cache(") for key in checks):
        return Health(is_doccano=False, healthy=False)
    healthy = status_code == 200 and all(value == "OK" for value in checks.values())
    return Health(is_doccano=True, healthy=healthy, checks=dict(checks))


def probe_health(port: int, timeout: float = 10.0) -> Health | None:
    """Ask ``http://127.0.0.1:port/v1/health/``; None when nothing answers HTTP there."""
    with requests.Session() as session:
        session.trust_env = False  # never send a loopback request through a proxy
        try:
            response = session.get(
                f"http://{HOST}:{port}/v1/health/", headers={"Accept": "application/json"}, timeout=timeout
            )
        except requests.RequestException:
            return None
    return parse_health(response.status_code, response.text)


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether the web server could bind ``host:port`` now (same socket options as gunicorn)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def busy_port_error(port: int, health: Health | None) -> PortInUse:
    """The error for a port that something else holds, saying what answers there if we can tell."""
    if health is not None and health.is_doccano:
        what = "another doccano that this tool did not start from this folder"
    elif health is not None:
        what = "a program that is not doccano"
    else:
        what = "another program"
    free_port = _suggest_port(port)
    return PortInUse(
        f"port {port} on {HOST} is already in use by {what}",
        port=port,
        free_port=free_port,
        hint=f"choose a free port: annotator doccano up --port {free_port}",
    )


def _suggest_port(port: int) -> int:
    for candidate in range(port + 1, min(port + 50, 65536)):
        if port_is_free(candidate):
            return candidate
    return port + 1


# --------------------------------------------------------------------------------------------
# files


def pins_text(pins: tuple[str, ...] = DOCCANO_PINS) -> str:
    """The marker contents that say which pin set an install or database setup was made with."""
    return "\n".join(pins) + "\n"


def _marker_matches(marker: Path, pins: tuple[str, ...] = DOCCANO_PINS) -> bool:
    return _read_marker(marker) == pins_text(pins)


def _read_marker(marker: Path) -> str | None:
    try:
        return marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def generate_password() -> str:
    """A random password that every form of doccano 1.8.4 accepts (24 URL-safe characters)."""
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    assert fits_login_form(password)
    return password


def fits_login_form(password: str) -> bool:
    """Whether doccano's web login form lets a person sign in with ``password``."""
    return 0 < len(password) <= MAX_LOGIN_PASSWORD


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes, held on ``path`` (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, created 0600 from the start (never chmod-ed later)."""
    write_text_atomically(path, text, mode=0o600, fsync=True)


def read_credentials(path: Path) -> Credentials:
    """Read the credentials file; refuse it when other users could read or change it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CredentialsMissing(
            f"no local doccano credentials at {path}", hint="start the local doccano: annotator doccano up"
        ) from None
    if mode & _PRIVATE_BITS:
        raise LocalServerError(
            f"the credentials file {path} is open to other users (mode {mode & 0o777:04o}); "
            "refusing to use it",
            hint=f"make it private (chmod 600 {path}), or delete it and run `annotator doccano up` "
            "to set a new password",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(
            url=str(data["url"]), username=str(data["username"]), password=str(data["password"])
        )
    except (ValueError, KeyError, TypeError) as error:
        raise LocalServerError(
            f"the credentials file {path} is malformed",
            hint="delete it and run `annotator doccano up` to set a new password",
        ) from error


def write_credentials(path: Path, credentials: Credentials) -> None:
    """Store the admin account in the 0600 credentials file."""
    data = {"url": credentials.url, "username": credentials.username, "password": credentials.password}
    write_private_file(path, json.dumps(data, indent=2) + "\n")


def log_tail(path: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines written to a log after byte ``offset``."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env.update(extra or {})
    return env


def _database_env(database: DoccanoDatabase, data: Path) -> dict[str, str]:
    """What doccano's processes need to reach ``database``: its URL and, for PostgreSQL, the
    caller's libpq password variables (only these two, and only when they are set)."""
    env = {DATABASE_ENV: database.doccano_url(data)}
    if database.is_postgresql:
        env.update({key: os.environ[key] for key in PASSWORD_VARIABLES if key in os.environ})
    return env


# --------------------------------------------------------------------------------------------
# the server


class LocalDoccano:
    """The embedded doccano of one ``ANNOTATOR_HOME``, served on ``127.0.0.1:port``."""

    def __init__(
        self,
        paths: LocalDoccanoPaths | None = None,
        port: int = DEFAULT_PORT,
        database: DoccanoDatabase | None = None,
    ) -> None:
        """``database``: what ``up`` should use; None keeps the recorded choice (default SQLite)."""
        if not 0 < port < 65536:
            raise LocalServerError(f"port {port} is not a TCP port number (1-65535)")
        self.paths = paths if paths is not None else local_doccano_paths()
        self.port = port
        self.host = HOST
        self.requested_database = database

    @property
    def database(self) -> DoccanoDatabase:
        """The database ``up`` uses: the one asked for, else the recorded one, else SQLite."""
        if self.requested_database is not None:
            return self.requested_database
        return read_database(self.paths.database_config) or DoccanoDatabase()

    # derived locations (markers and the lock belong to this module's bookkeeping only)

    @property
    def url(self) -> str:
        """Base URL this instance serves on."""
        return f"http://{self.host}:{self.port}"

    @property
    def _install_marker(self) -> Path:
        return self.paths.venv / ".annotator-pins"

    @property
    def _init_marker(self) -> Path:
        return self.paths.data / ".annotator-initialised"

    @property
    def _lock_path(self) -> Path:
        return self.paths.root / ".lock"

    # public API

    def needs_install(self) -> bool:
        """Whether the doccano venv is missing or was installed with another pin set."""
        return not self.paths.python.exists() or not _marker_matches(self._install_marker)

    def install(self, on_step: StepCallback | None = None) -> bool:
        """Create doccano's venv and install the pinned doccano; a no-op when already done.

        Returns whether it installed. Output goes to ``paths.install_log``.
        """
        if not self.needs_install():
            return False
        # a venv shared between homes (ANNOTATOR_DOCCANO_VENV) is installed by one of them at a time
        with _file_lock(self.paths.venv_lock):
            if not self.needs_install():
                return False
            step = on_step or _no_step
            step(f"installing doccano into {self.paths.venv} (first time only, about 90 s)")
            self._install_marker.unlink(missing_ok=True)
            if not self.paths.python.exists():
                self._run_logged(
                    [sys.executable, "-m", "venv", str(self.paths.venv)], "creating doccano's venv"
                )
            pip = [
                str(self.paths.python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                *DOCCANO_PINS,
            ]
            self._run_logged(pip, "installing doccano", env=dict(os.environ))
            self._install_marker.write_text(pins_text(), encoding="utf-8")
            return True

    def up(self, timeout: float = 180.0, on_step: StepCallback | None = None) -> ServerInfo:
        """Start the server (install and set up on first use) and wait until it is healthy.

        Harmless when it already runs: then nothing is started and ``started`` is False.
        ``timeout`` bounds the wait for health after the start, not the first install.
        """
        step = on_step or _no_step
        with self._locked():
            recorded = read_database(self.paths.database_config) or DoccanoDatabase()
            database = self.database
            running = self._reuse_running(timeout)
            if running is not None:
                if database != recorded:
                    raise LocalServerError(
                        f"the local doccano runs on {recorded.describe(self.paths.data)}, "
                        f"not on {database.describe(self.paths.data)}",
                        hint="run `annotator doccano down` first to move it to another database",
                    )
                self._ensure_admin(False, step)  # a running server may still hold an unusable password
                return running
            if not port_is_free(self.port):
                raise busy_port_error(self.port, probe_health(self.port, timeout=2.0))
            self.install(on_step=step)
            if database != recorded or not self.paths.database_config.exists():
                write_database(self.paths.database_config, database)
            self._ensure_secret_key()
            if database.is_postgresql:
                self._check_database(database, step)
            fresh = self._initialise_database(step)
            self._ensure_admin(fresh, step)
            return self._start(timeout, step)

    def status(self) -> ServerStatus:
        """Whether the recorded server runs and answers healthy, with its URL, pids and files."""
        state = read_state(self.paths.state)
        port = state.port if state is not None else self.port
        alive = live_processes(state) if state is not None else []
        running = state is not None and len(alive) == len(state.processes)
        health = probe_health(port) if alive else None
        return ServerStatus(
            running=running,
            healthy=running and health is not None and health.healthy,
            url=f"http://{HOST}:{port}",
            pids=tuple(p.pid for p in alive),
            credentials_path=self.paths.credentials,
            log_dir=self.paths.logs,
            webserver_log=self.paths.webserver_log,
            worker_log=self.paths.worker_log,
            install_log=self.paths.install_log,
            database=self.database.describe(self.paths.data),
        )

    def down(self, timeout: float = 20.0, on_step: StepCallback | None = None) -> list[int]:
        """Stop exactly the processes ``up`` started; return their pids ([] when nothing ran)."""
        step = on_step or _no_step
        with self._locked():
            state = read_state(self.paths.state)
            if state is None:
                return []
            step("stopping the local doccano")
            stopped = stop_processes(state.processes, timeout)
            self.paths.state.unlink(missing_ok=True)
            return stopped

    def credentials(self) -> Credentials:
        """The admin account, read from the 0600 credentials file."""
        return read_credentials(self.paths.credentials)

    # steps of up

    def _reuse_running(self, timeout: float) -> ServerInfo | None:
        """The recorded server if it runs whole; otherwise clean up what is left of it."""
        state = read_state(self.paths.state)
        if state is None:
            return None
        alive = live_processes(state)
        if len(alive) == len(state.processes):
            if state.port != self.port:
                raise LocalServerError(
                    f"the local doccano already runs at http://{HOST}:{state.port}, not on port {self.port}",
                    hint="use it there, or run `annotator doccano down` first to move it",
                )
            if self._wait_healthy({}, state.port, time.monotonic() + timeout, {}):
                return ServerInfo(self.url, self.paths.credentials, False, tuple(p.pid for p in alive))
            raise self._start_failed(
                f"the local doccano runs but did not answer healthy within {timeout:g} s"
            )
        stop_processes(state.processes)  # half of it died: stop the rest and start afresh
        self.paths.state.unlink(missing_ok=True)
        return None

    def _ensure_secret_key(self) -> None:
        if not self.paths.secrets_env.exists():
            write_private_file(self.paths.secrets_env, f"SECRET_KEY={secrets.token_urlsafe(50)}\n")

    def _initialise_database(self, step: StepCallback) -> bool:
        """Create or migrate doccano's database once per pin set and database; return whether it ran."""
        database = self.database
        marker = pins_text() + database.identity() + "\n"
        sqlite_there = database.is_postgresql or (self.paths.data / "db.sqlite3").exists()
        if _read_marker(self._init_marker) == marker and sqlite_there:
            return False
        step(f"setting up doccano's database ({database.describe(self.paths.data)})")
        self.paths.data.mkdir(parents=True, exist_ok=True)
        self._init_marker.unlink(missing_ok=True)
        self._run_logged(self._launcher("init"), "setting up doccano's database", env=self._env())
        self._init_marker.write_text(marker, encoding="utf-8")
        return True

    def _check_database(self, database: DoccanoDatabase, step: StepCallback) -> None:
        """Connect to the PostgreSQL server once, so that a wrong address or password fails now
        with libpq's own message, not as a server that never answers healthy."""
        step(f"connecting to {database.describe(self.paths.data)}")
        log = self.paths.install_log
        offset = _log_size(log)
        try:
            self._run_logged(self._launcher("check-database"), "connecting to the database", env=self._env())
        except LocalServerError:
            raise LocalServerError(
                f"doccano cannot use the database {database.url}:\n" + _indent(log_tail(log, offset, 4)),
                hint="check that the server runs and that the database and user exist; the password "
                "comes from PGPASSWORD or ~/.pgpass (HOST:PORT:DATABASE:USER:PASSWORD, mode 0600)",
            ) from None

    def _env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a doccano process: the allow-list, the database, then ``extra``."""
        return _child_env({**_database_env(self.database, self.paths.data), **(extra or {})})

    def _ensure_admin(self, fresh_database: bool, step: StepCallback) -> None:
        """Create the admin account once; keep the credentials file's URL in step with the port.

        A stored password that doccano's login form refuses (an install made before passwords were
        kept short) is replaced by a new one, set on the server, so that a person can sign in.
        """
        existing = read_credentials(self.paths.credentials) if self.paths.credentials.exists() else None
        if existing is not None and not fresh_database:
            if not fits_login_form(existing.password):
                self._repair_admin_password(existing, step)
            elif existing.url != self.url:
                write_credentials(
                    self.paths.credentials, Credentials(self.url, existing.username, existing.password)
                )
            return
        step(f"creating the doccano account {ADMIN_USERNAME!r}")
        keep = existing is not None and fits_login_form(existing.password)
        password = existing.password if keep and existing is not None else generate_password()
        self.set_admin_password(password)
        write_credentials(self.paths.credentials, Credentials(self.url, ADMIN_USERNAME, password))

    def _repair_admin_password(self, existing: Credentials, step: StepCallback) -> None:
        step(
            f"the stored password of {existing.username!r} is too long for doccano's login form "
            f"(at most {MAX_LOGIN_PASSWORD} characters); setting a new one"
        )
        password = generate_password()
        self.set_admin_password(password, existing.username)
        write_credentials(self.paths.credentials, Credentials(self.url, existing.username, password))

    def set_admin_password(self, password: str, username: str = ADMIN_USERNAME) -> None:
        """Create the superuser ``username`` with ``password``, or set the password if it exists.

        The password reaches doccano through one environment variable of one short-lived process.
        The credentials file is the caller's to update.
        """
        command = self._launcher("createuser", "--username", username)
        self._run_logged(
            command, "setting the doccano admin account", env=self._env({PASSWORD_ENV: password})
        )

    def _start(self, timeout: float, step: StepCallback) -> ServerInfo:
        step(f"starting doccano on {self.url}")
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        offsets = {log: _log_size(log) for log in (self.paths.webserver_log, self.paths.worker_log)}
        records: list[ProcessRecord] = []
        try:
            web = self._spawn(
                self.paths.webserver_log,
                "webserver",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(WEB_WORKERS),
            )
            records.append(record_process("webserver", web.pid))
            worker = self._spawn(self.paths.worker_log, "worker", "--concurrency", "1")
            records.append(record_process("worker", worker.pid))
            write_state(self.paths.state, ServerState(self.port, tuple(records)))
            step("waiting for doccano to answer healthy (about 15 s)")
            children = {"web server": web, "task worker": worker}
            if not self._wait_healthy(children, self.port, time.monotonic() + timeout, offsets):
                raise self._start_failed(f"doccano did not answer healthy within {timeout:g} s", offsets)
        except BaseException:
            stop_processes(records)
            self.paths.state.unlink(missing_ok=True)
            raise
        return ServerInfo(self.url, self.paths.credentials, True, tuple(r.pid for r in records))

    def _wait_healthy(
        self,
        children: Mapping[str, subprocess.Popen[bytes]],
        port: int,
        deadline: float,
        offsets: Mapping[Path, int],
    ) -> bool:
        """Poll health until it is OK (True) or the deadline passes (False); fail if a child exits."""
        while True:
            for role, child in children.items():
                if child.poll() is not None:
                    raise self._child_exited(role, child.returncode, offsets)
            health = probe_health(port)
            if health is not None and health.healthy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)

    # processes and logs

    def _launcher(self, *args: str) -> list[str]:
        """Command line running ``doccano_launcher.py`` in doccano's venv (paths only, no secrets).

        ``-I`` keeps the launcher's own folder (this package) off ``sys.path``; ``-u`` flushes logs.
        """
        return [
            str(self.paths.python),
            "-I",
            "-u",
            str(LAUNCHER),
            "--data",
            str(self.paths.data),
            "--secret-file",
            str(self.paths.secrets_env),
            *args,
        ]

    def _spawn(self, log: Path, *args: str) -> subprocess.Popen[bytes]:
        """Start one server process in its own session, output appended to ``log``."""
        with log.open("ab") as handle:
            handle.write(
                f"\n=== annotator: starting {args[0]} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode()
            )
            handle.flush()
            child = subprocess.Popen(
                self._launcher(*args),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=self.paths.data,
                env=self._env(),
                start_new_session=True,
            )
        _CHILDREN[child.pid] = child
        return child

    def _run_logged(self, command: list[str], what: str, env: dict[str, str] | None = None) -> None:
        """Run a set-up command to completion with its output appended to the install log."""
        log = self.paths.install_log
        log.parent.mkdir(parents=True, exist_ok=True)
        offset = _log_size(log)
        with log.open("ab") as handle:
            handle.write(f"\n=== annotator: {what} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            handle.flush()
            self.paths.data.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.paths.data,
            )
        if result.returncode != 0:
            raise LocalServerError(
                f"{what} failed (exit status {result.returncode}); the log is {log}; its last lines:\n"
                + _indent(log_tail(log, offset)),
                hint=f"if the venv is broken, delete {self.paths.venv} and run `annotator doccano up` again",
            )

    def _child_exited(
        self, role: str, returncode: int | None, offsets: Mapping[Path, int]
    ) -> LocalServerError:
        log = self.paths.webserver_log if role == "web server" else self.paths.worker_log
        tail = log_tail(log, offsets.get(log, 0))
        if role == "web server" and ("Connection in use" in tail or "Address already in use" in tail):
            return busy_port_error(self.port, None)
        return LocalServerError(
            f"the doccano {role} exited (status {returncode}) while starting; the log is {log}; "
            f"its last lines:\n{_indent(tail)}",
            hint=f"all logs are in {self.paths.logs}",
        )

    def _start_failed(self, reason: str, offsets: Mapping[Path, int] | None = None) -> LocalServerError:
        parts = [reason]
        for log in (self.paths.webserver_log, self.paths.worker_log):
            tail = log_tail(log, (offsets or {}).get(log, 0))
            parts.append(f"last lines of {log}:\n{_indent(tail)}")
        return LocalServerError("\n".join(parts), hint=f"all logs are in {self.paths.logs}")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise up/down of one home between processes (a second ``up`` waits, then reuses)."""
        with _file_lock(self._lock_path):
            yield


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines()) or "    (empty)"
