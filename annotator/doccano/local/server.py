"""Install, start, stop and check the embedded local doccano, bound to 127.0.0.1 only.

doccano runs in its own virtual environment (its pydantic 2 clashes with doccano-client's
pydantic 1) under ``ANNOTATOR_HOME/doccano``. Two process groups make a working server: the
gunicorn web server and the Celery worker (without the worker every import and export hangs).
Both are started through ``doccano_launcher.py`` run by the doccano venv's interpreter, never
through doccano's own CLI: that binds to 0.0.0.0 and takes the admin password on its command line.

This module holds ``LocalDoccano``, the steps of install, ``up``, ``status`` and ``down`` in their
order, and the markers that say which pin set an install was made with. The parts it is made of
are modules of their own: ``processes`` (which processes were started, and stopping them),
``health`` (what answers on the port), ``credentials`` (the 0600 credentials file) and ``launch``
(command lines, environments and logs of doccano's processes). It stays above 400 lines because
``LocalDoccano`` alone is about 330: one sequence of steps (install, database, admin account,
start, wait for health) over one state (paths, port, database), which reads best in one place.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from annotator.doccano.local.credentials import (
    MAX_LOGIN_PASSWORD,
    Credentials,
    fits_login_form,
    generate_password,
    read_credentials,
    write_credentials,
    write_private_file,
)
from annotator.doccano.local.database import DoccanoDatabase, read_database, write_database
from annotator.doccano.local.health import HOST, busy_port_error, port_is_free, probe_health
from annotator.doccano.local.launch import (
    PASSWORD_ENV,
    doccano_env,
    indent,
    launcher_command,
    log_size,
    log_tail,
    run_logged,
    spawn,
)
from annotator.doccano.local.processes import (
    ProcessRecord,
    ServerState,
    live_processes,
    read_state,
    record_process,
    stop_processes,
    write_state,
)
from annotator.errors import LocalServerError
from annotator.paths import LocalDoccanoPaths, local_doccano_paths

#: What goes into doccano's virtual environment. Changing this set reinstalls on the next ``up``.
DOCCANO_PINS: tuple[str, ...] = (
    "doccano==1.8.4",  # the server version whose API the doccano adapter is tested against
    "numpy<2",  # pandas, as resolved for doccano 1.8.4, fails to import under numpy 2
    "marshmallow<3.20",  # environs, which reads doccano's settings, breaks on marshmallow 3.20+
    "psycopg2-binary==2.9.13",  # the driver doccano's Django and its Celery broker use for PostgreSQL
)

DEFAULT_PORT = 8642
ADMIN_USERNAME = "admin"
WEB_WORKERS = 2

StepCallback = Callable[[str], None]


def _no_step(_: str) -> None:
    """Default progress callback: say nothing."""


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


# --------------------------------------------------------------------------------------------
# install markers and the lock


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
        self._run_logged(
            launcher_command(self.paths, "init"), "setting up doccano's database", env=self._env()
        )
        self._init_marker.write_text(marker, encoding="utf-8")
        return True

    def _check_database(self, database: DoccanoDatabase, step: StepCallback) -> None:
        """Connect to the PostgreSQL server once, so that a wrong address or password fails now
        with libpq's own message, not as a server that never answers healthy."""
        step(f"connecting to {database.describe(self.paths.data)}")
        log = self.paths.install_log
        offset = log_size(log)
        try:
            self._run_logged(
                launcher_command(self.paths, "check-database"), "connecting to the database", env=self._env()
            )
        except LocalServerError:
            raise LocalServerError(
                f"doccano cannot use the database {database.url}:\n" + indent(log_tail(log, offset, 4)),
                hint="check that the server runs and that the database and user exist; the password "
                "comes from PGPASSWORD or ~/.pgpass (HOST:PORT:DATABASE:USER:PASSWORD, mode 0600)",
            ) from None

    def _env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a doccano process: the allow-list, the database, then ``extra``."""
        return doccano_env(self.database, self.paths.data, extra)

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
        command = launcher_command(self.paths, "createuser", "--username", username)
        self._run_logged(
            command, "setting the doccano admin account", env=self._env({PASSWORD_ENV: password})
        )

    def _start(self, timeout: float, step: StepCallback) -> ServerInfo:
        step(f"starting doccano on {self.url}")
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        offsets = {log: log_size(log) for log in (self.paths.webserver_log, self.paths.worker_log)}
        records: list[ProcessRecord] = []
        try:
            web = spawn(
                self.paths,
                self.paths.webserver_log,
                self._env(),
                "webserver",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(WEB_WORKERS),
            )
            records.append(record_process("webserver", web.pid))
            worker = spawn(self.paths, self.paths.worker_log, self._env(), "worker", "--concurrency", "1")
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

    # set-up commands, errors and the lock

    def _run_logged(self, command: list[str], what: str, env: dict[str, str] | None = None) -> None:
        """Run a set-up command to completion with its output appended to the install log.

        Every set-up command of ``LocalDoccano`` goes through this method (tests replace it).
        """
        run_logged(self.paths, command, what, env)

    def _child_exited(
        self, role: str, returncode: int | None, offsets: Mapping[Path, int]
    ) -> LocalServerError:
        log = self.paths.webserver_log if role == "web server" else self.paths.worker_log
        tail = log_tail(log, offsets.get(log, 0))
        if role == "web server" and ("Connection in use" in tail or "Address already in use" in tail):
            return busy_port_error(self.port, None)
        return LocalServerError(
            f"the doccano {role} exited (status {returncode}) while starting; the log is {log}; "
            f"its last lines:\n{indent(tail)}",
            hint=f"all logs are in {self.paths.logs}",
        )

    def _start_failed(self, reason: str, offsets: Mapping[Path, int] | None = None) -> LocalServerError:
        parts = [reason]
        for log in (self.paths.webserver_log, self.paths.worker_log):
            tail = log_tail(log, (offsets or {}).get(log, 0))
            parts.append(f"last lines of {log}:\n{indent(tail)}")
        return LocalServerError("\n".join(parts), hint=f"all logs are in {self.paths.logs}")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise up/down of one home between processes (a second ``up`` waits, then reuses)."""
        with _file_lock(self._lock_path):
            yield
