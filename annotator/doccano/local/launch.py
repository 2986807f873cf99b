"""How the annotator runs doccano's own interpreter: command lines, environments and logs.

Every doccano process runs ``doccano_launcher.py`` with the doccano venv's Python, with paths and
options on its command line and never a secret. Its environment is an allow-list of the caller's
variables, the database URL (``DATABASE_ENV``), libpq's password variables for PostgreSQL, and,
for one short-lived process only, the admin password (``PASSWORD_ENV``). Servers start in a
session of their own with their output appended to their log; set-up commands run to completion
with theirs appended to the install log, and a failure quotes the log's last lines.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from annotator.doccano.local.database import PASSWORD_VARIABLES, DoccanoDatabase
from annotator.doccano.local.processes import keep_child
from annotator.errors import LocalServerError
from annotator.paths import LocalDoccanoPaths

#: The one way the admin password reaches doccano; ``doccano_launcher.py`` reads the same name.
PASSWORD_ENV = "ANNOTATOR_DOCCANO_PASSWORD"
#: How doccano's processes learn their ``DATABASE_URL`` (never holding a password); the launcher
#: reads the same name.
DATABASE_ENV = "ANNOTATOR_DOCCANO_DATABASE"
LAUNCHER = Path(__file__).with_name("doccano_launcher.py")
LOG_TAIL_LINES = 12

#: Environment variables the doccano processes inherit; nothing else of the caller's environment
#: (a stray DATABASE_URL or CELERY_BROKER_URL would silently point doccano elsewhere).
_PASSED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


def launcher_command(paths: LocalDoccanoPaths, *args: str) -> list[str]:
    """Command line running ``doccano_launcher.py`` in doccano's venv (paths only, no secrets).

    ``-I`` keeps the launcher's own folder (this package) off ``sys.path``; ``-u`` flushes logs.
    """
    return [
        str(paths.python),
        "-I",
        "-u",
        str(LAUNCHER),
        "--data",
        str(paths.data),
        "--secret-file",
        str(paths.secrets_env),
        *args,
    ]


def doccano_env(
    database: DoccanoDatabase, data: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a doccano process: the allow-list, the database, then ``extra``."""
    return _child_env({**_database_env(database, data), **(extra or {})})


def spawn(paths: LocalDoccanoPaths, log: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """Start one server process in its own session, output appended to ``log``."""
    with log.open("ab") as handle:
        handle.write(
            f"\n=== annotator: starting {args[0]} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode()
        )
        handle.flush()
        child = subprocess.Popen(
            launcher_command(paths, *args),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=paths.data,
            env=env,
            start_new_session=True,
        )
    keep_child(child)
    return child


def run_logged(
    paths: LocalDoccanoPaths, command: list[str], what: str, env: dict[str, str] | None = None
) -> None:
    """Run a set-up command to completion with its output appended to the install log."""
    log = paths.install_log
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log_size(log)
    with log.open("ab") as handle:
        handle.write(f"\n=== annotator: {what} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        handle.flush()
        paths.data.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=paths.data,
        )
    if result.returncode != 0:
        raise LocalServerError(
            f"{what} failed (exit status {result.returncode}); the log is {log}; its last lines:\n"
            + indent(log_tail(log, offset)),
            hint=f"if the venv is broken, delete {paths.venv} and run `annotator doccano up` again",
        )


def log_tail(path: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines written to a log after byte ``offset``."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_size(path: Path) -> int:
    """How many bytes a log holds now (0 when it does not exist): where the next run's output starts."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def indent(text: str) -> str:
    """``text`` indented under an error message, or ``(empty)`` when there is none."""
    return "\n".join(f"    {line}" for line in text.splitlines()) or "    (empty)"


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
