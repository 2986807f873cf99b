"""Which database the embedded doccano keeps its data in: SQLite (the default) or PostgreSQL.

doccano 1.8.4 reads ``DATABASE_URL``, and its Celery broker then uses the same database (kombu's
SQLAlchemy transport), so one PostgreSQL database holds everything. The URL this tool accepts never
holds a password: it would be seen on the command line (``ps``), in the recorded configuration and
in ``doccano status``. libpq finds the password itself, in ``PGPASSWORD`` or in the password file
(``~/.pgpass``, or the file ``PGPASSFILE`` names), and those two are the only variables of the
caller's environment that reach doccano's processes for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from annotator.atomic import write_text_atomically
from annotator.errors import LocalServerError, UsageError

SQLITE = "sqlite"
POSTGRESQL_SCHEMES = ("postgresql", "postgres")
#: libpq's variables that carry the password; passed to doccano's processes when they are set
PASSWORD_VARIABLES = ("PGPASSWORD", "PGPASSFILE")


@dataclass(frozen=True)
class DoccanoDatabase:
    """SQLite in doccano's data folder (``url`` None), or a PostgreSQL URL without a password."""

    url: str | None = None

    @property
    def is_postgresql(self) -> bool:
        return self.url is not None

    def describe(self, data: Path) -> str:
        """What ``status`` shows: the engine and where (never a password: the URL holds none)."""
        if self.url is None:
            return f"SQLite {data / 'db.sqlite3'}"
        return f"PostgreSQL {self.url}"

    def doccano_url(self, data: Path) -> str:
        """``DATABASE_URL`` for doccano.

        doccano requires SSL of a PostgreSQL server unless the URL names an ``sslmode``; without
        one, libpq's own default (``prefer``: SSL when the server offers it) is written in.
        """
        if self.url is None:
            return f"sqlite:///{data / 'db.sqlite3'}"
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not any(key == "sslmode" for key, _ in query):
            query.append(("sslmode", "prefer"))
        return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))

    def identity(self) -> str:
        """One line that changes when the database does (for the set-up markers)."""
        return f"database {self.url or SQLITE}"

    def to_json(self) -> str:
        return json.dumps({"url": self.url} if self.url else {"engine": SQLITE}, indent=2) + "\n"


def parse_database(text: str) -> DoccanoDatabase:
    """``sqlite`` (the default), or ``postgresql://USER@HOST:PORT/DB`` (query options allowed).

    Raises ``UsageError`` for anything else, naming what is wrong; a URL with a password is refused.
    """
    value = text.strip()
    if value.lower() == SQLITE:
        return DoccanoDatabase()
    parts = urlsplit(value)
    if parts.scheme not in POSTGRESQL_SCHEMES:
        raise UsageError(
            f"--database {_shown(value)}: not a PostgreSQL URL",
            hint="give postgresql://USER@HOST:PORT/DATABASE, or sqlite for the embedded default",
        )
    if parts.password is not None:
        raise UsageError(
            "--database: the URL holds a password, which would be visible to every user of this machine "
            "(on the command line) and kept in the recorded configuration",
            hint="give the URL without it and put the password in PGPASSWORD or ~/.pgpass "
            "(a line HOST:PORT:DATABASE:USER:PASSWORD, mode 0600)",
        )
    database = parts.path.lstrip("/")
    if not parts.username or not database or "/" in database:
        raise UsageError(
            f"--database {value}: a PostgreSQL URL needs a user and one database name",
            hint="e.g. postgresql://doccano@db.example.org:5432/doccano",
        )
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise UsageError(f"--database {value}: the port is not a number") from None
    return DoccanoDatabase(urlunsplit(parts._replace(scheme="postgresql", fragment="")))


def _shown(value: str) -> str:
    """A refused value as it may be echoed: anything that looks like a password is masked."""
    parts = urlsplit(value)
    if parts.password is None:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def read_database(path: Path) -> DoccanoDatabase | None:
    """The recorded choice of ``up --database``, or None when none was recorded."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise LocalServerError(
            f"{path} is unreadable ({error})",
            hint="run `annotator doccano up --database URL` (or `--database sqlite`) to record it again",
        ) from None
    url = data.get("url") if isinstance(data, dict) else None
    return parse_database(url) if isinstance(url, str) else DoccanoDatabase()


def write_database(path: Path, database: DoccanoDatabase) -> None:
    """Record the database ``up`` uses from now on (holds no secret)."""
    write_text_atomically(path, database.to_json())
