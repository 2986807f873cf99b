"""A real, throw-away PostgreSQL server for tests: Debian's binaries, a cluster in a temporary folder.

``initdb`` refuses to run as root, so under root the cluster belongs to the ``postgres`` system user
that Debian's package creates (its folder is made and handed to that user); otherwise it belongs to
whoever runs the tests. It listens on a free port of 127.0.0.1 only, and password authentication
(SCRAM) is required for every connection, as on a team's server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.ports import free_port

SUPERUSER = "annotator_test"


def postgres_bindir() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (newest version), or None."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def unavailable_reason() -> str | None:
    """Why a test PostgreSQL cannot start here, or None when it can."""
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        return (
            "PostgreSQL's server binaries are not installed and could not be installed here "
            "(`make test` installs Debian's postgresql package when it runs as root)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no 'postgres' system user to own the test cluster"
    return None


@dataclass
class PostgresServer:
    """A running throw-away cluster: superuser credentials and where it listens."""

    bindir: Path
    folder: Path
    port: int
    superuser_password: str
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def psql(
        self, sql: str, database: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        """Run ``sql`` through psql over TCP; the unaligned, tuples-only output."""
        env = {**os.environ, "PGPASSWORD": password or self.superuser_password, "PGCONNECT_TIMEOUT": "10"}
        env.pop("PGPASSFILE", None)
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-A",
                "-t",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, owner: str, password: str) -> None:
        """A login role ``owner`` with ``password`` and a database ``name`` it owns."""
        self.psql(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {name} OWNER {owner}")

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{user}@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        """Start the cluster (again) and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses={self.host} -k {self.folder}"
        log = str(self.folder / "log")
        _run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"],
            cwd=self.folder,
        )

    def stop(self) -> None:
        """Stop the cluster (fast shutdown: open connections are cut)."""
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], cwd=self.folder)

    def tool(self, name: str, *args: str) -> str:
        """Run a client program of the same version (pg_dump, pg_restore) as the superuser; its output."""
        env = {**os.environ, "PGPASSWORD": self.superuser_password}
        command = [str(self.bindir / name), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed: {done.stderr.strip()}")
        return done.stdout


def _as_owner() -> dict[str, object]:
    """``subprocess`` arguments that run a command as the cluster's owner."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _run(command: list[str], **kwargs: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **_as_owner(), **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}")


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a fresh cluster (initdb, pg_ctl start) and stop and delete it afterwards."""
    bindir = postgres_bindir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
    server = PostgresServer(bindir, folder, free_port(), secrets.token_urlsafe(18))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    password_file = folder / "superuser-password"
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder, True)
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(server.superuser_password + "\n")
        if os.geteuid() == 0:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(server.data),
                "-U",
                SUPERUSER,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            cwd=folder,
        )
        password_file.unlink()
        server.start()
        cleanup.callback(
            subprocess.run,
            [str(bindir / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
            cwd=folder,
            **_as_owner(),
        )
        yield server
