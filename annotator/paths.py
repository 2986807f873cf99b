"""Every on-disk location the tool uses, in one place so that tests can redirect them.

The tool keeps its local state under ``ANNOTATOR_HOME`` (default: ``.annotator`` in the current
working directory, i.e. inside the project checkout, ignored by git).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HOME_ENV = "ANNOTATOR_HOME"
#: where compiled rule packs are kept (default: ``$ANNOTATOR_HOME/cache/packs``)
PACK_CACHE_ENV = "ANNOTATOR_PACK_CACHE"
#: set to 1 (or true/yes) to compile every pack afresh, neither reading nor writing the cache
NO_PACK_CACHE_ENV = "ANNOTATOR_NO_PACK_CACHE"
#: Where the embedded doccano's virtual environment lives, when not inside ``ANNOTATOR_HOME``: one
#: install (about 90 s) can then serve several homes (the test suite's, a second checkout's).
DOCCANO_VENV_ENV = "ANNOTATOR_DOCCANO_VENV"


def annotator_home() -> Path:
    """Root of the tool's local state."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser().resolve() if configured else Path.cwd().resolve() / ".annotator"


@dataclass(frozen=True)
class LocalDoccanoPaths:
    """Where the embedded doccano lives: its venv, data, logs, credentials and process state."""

    root: Path
    #: doccano's virtual environment when it is shared with another home (default: ``root/venv``)
    shared_venv: Path | None = None

    @property
    def venv(self) -> Path:
        return self.shared_venv if self.shared_venv is not None else self.root / "venv"

    @property
    def venv_lock(self) -> Path:
        """Serialises installs into the venv between homes that share it."""
        return self.venv.with_name(self.venv.name + ".lock")

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def data(self) -> Path:
        """DOCCANO_HOME: the SQLite database and uploaded media."""
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def webserver_log(self) -> Path:
        return self.logs / "webserver.log"

    @property
    def worker_log(self) -> Path:
        return self.logs / "worker.log"

    @property
    def install_log(self) -> Path:
        return self.logs / "install.log"

    @property
    def credentials(self) -> Path:
        """0600 JSON file: url, username, password of the admin account."""
        return self.root / "credentials.json"

    @property
    def secrets_env(self) -> Path:
        """0600 file with the Django secret key of this installation."""
        return self.root / "secret.env"

    @property
    def database_config(self) -> Path:
        """JSON file: the database ``up --database`` chose (a URL without password), if any."""
        return self.root / "database.json"

    @property
    def state(self) -> Path:
        """JSON file: port and the process ids this tool started."""
        return self.root / "state.json"


def local_doccano_paths() -> LocalDoccanoPaths:
    """Paths of the embedded doccano under the current ``ANNOTATOR_HOME`` (and ``ANNOTATOR_DOCCANO_VENV``)."""
    venv = os.environ.get(DOCCANO_VENV_ENV)
    shared = Path(venv).expanduser().resolve() if venv else None
    return LocalDoccanoPaths(annotator_home() / "doccano", shared_venv=shared)


def account_file(url: str, username: str) -> Path:
    """The 0600 file holding the password of an account this tool created on the server at ``url``.

    One folder per server (``host_port``), so that the same user name on two servers never mixes.
    """
    parts = urlsplit(url)
    server = f"{parts.hostname or 'server'}_{parts.port or (443 if parts.scheme == 'https' else 80)}"
    return annotator_home() / "accounts" / server / f"{username}.json"


def push_journal_dir() -> Path:
    """Journals of pushes in flight, so that a killed push can be resumed without duplicates."""
    return annotator_home() / "push-journal"


def pack_cache_dir() -> Path:
    """The private folder of compiled rule packs (``annotator.pack_cache``)."""
    configured = os.environ.get(PACK_CACHE_ENV)
    return Path(configured).expanduser().resolve() if configured else annotator_home() / "cache" / "packs"


def pack_cache_disabled() -> bool:
    """Whether ``ANNOTATOR_NO_PACK_CACHE`` switches the compiled-pack cache off."""
    return os.environ.get(NO_PACK_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
