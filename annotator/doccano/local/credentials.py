"""The local doccano's admin credentials: the 0600 credentials file and the passwords in it.

A password is generated at random, short enough for doccano 1.8.4's login form; it is stored only
in a file created private (0600) from the start and written atomically, and a credentials file
other users could read or change is refused. ``Credentials`` never shows the password in its
``repr`` or ``str``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from annotator.atomic import write_text_atomically
from annotator.errors import CredentialsMissing, LocalServerError

#: doccano 1.8.4's login form refuses passwords of 30 characters or more ("Password must be less
#: than 30 characters") and keeps its button disabled, although the REST API accepts them
MAX_LOGIN_PASSWORD = 29
#: random bytes in a generated password: 18 bytes are 24 URL-safe characters (144 bits)
PASSWORD_BYTES = 18
_PRIVATE_BITS = 0o077


@dataclass(frozen=True, repr=False)
class Credentials:
    """The admin account of the local doccano. ``repr`` and ``str`` never show the password."""

    url: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, username={self.username!r}, password='********')"


def generate_password() -> str:
    """A random password that every form of doccano 1.8.4 accepts (24 URL-safe characters)."""
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    assert fits_login_form(password)
    return password


def fits_login_form(password: str) -> bool:
    """Whether doccano's web login form lets a person sign in with ``password``."""
    return 0 < len(password) <= MAX_LOGIN_PASSWORD


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
