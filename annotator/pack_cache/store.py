"""A private folder of authenticated files: where compiled packs are kept.

The folder is created 0700 and must belong to the current user; every file in it is 0600. Each
entry is ``MAGIC + HMAC-SHA256(key, name + NUL + body) + body``, keyed with a random 32-byte key
kept in the folder (0600, created once per installation). A file that is truncated, altered,
written under another key, or not ours, reads as absent: the caller recompiles and writes it again.
Writers write a temporary file in the same folder and ``os.replace`` it, so two processes writing
the same entry never leave a mixed file, and a reader sees the old file or the new one whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"annotator compiled pack\x00v1\n"
KEY_FILE = "key"
KEY_BYTES = 32
TAG_BYTES = hashlib.sha256().digest_size
SUFFIX = ".pack"
TEMP_PREFIX = ".tmp-"
#: entries kept at most (least recently used go first); a pack's entry is about 6 MB
MAX_ENTRIES = 24
#: a temporary file older than this was left by a writer that died
STALE_TEMP_SECONDS = 3600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class CacheUnusable(Exception):
    """The cache folder cannot be used safely (not ours, not private, not writable): compile without it."""


@dataclass(frozen=True)
class EntryInfo:
    name: str
    size: int
    modified: float


def _owner_ok(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


class PrivateStore:
    """Authenticated entries in a private folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key: bytes | None = None

    # -- the folder and its key ----------------------------------------------------------------

    def _ensure_folder(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.stat(self.folder)
        except OSError as error:
            raise CacheUnusable(f"cannot create {self.folder}: {error.strerror or error}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise CacheUnusable(f"{self.folder} is not a folder")
        if not _owner_ok(info):
            raise CacheUnusable(f"{self.folder} belongs to another user")
        if info.st_mode & 0o077:
            try:
                os.chmod(self.folder, 0o700)
            except OSError as error:
                raise CacheUnusable(f"cannot make {self.folder} private: {error.strerror}") from None

    def _read_key(self) -> bytes | None:
        """The installation's key, if the key file is ours, private and whole."""
        try:
            handle = os.open(self.folder / KEY_FILE, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(handle, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode) or not _owner_ok(info) or info.st_mode & 0o077:
                return None
            key = file.read(KEY_BYTES + 1)
        return key if len(key) == KEY_BYTES else None

    def key(self) -> bytes:
        """The key entries are signed with, created (0600) the first time."""
        if self._key is not None:
            return self._key
        self._ensure_folder()
        key = self._read_key()
        if key is None:
            temporary = self._write_temporary(secrets.token_bytes(KEY_BYTES))
            target = self.folder / KEY_FILE
            try:
                try:
                    os.link(temporary, target)  # never replaces a key another process just made
                except FileExistsError:
                    if self._read_key() is None:  # a damaged or foreign key: its entries become misses
                        os.replace(temporary, target)
                except OSError:  # no hard links on this file system
                    os.replace(temporary, target)
            except OSError as error:
                raise CacheUnusable(f"cannot write {target}: {error.strerror or error}") from None
            finally:
                temporary.unlink(missing_ok=True)
            key = self._read_key()
            if key is None:
                raise CacheUnusable(f"cannot keep a private key in {self.folder}")
        self._key = key
        return key

    def _write_temporary(self, data: bytes | memoryview, *parts: bytes | memoryview) -> Path:
        """A new 0600 file in the folder holding ``data`` and ``parts``."""
        try:
            handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.folder)
        except OSError as error:
            raise CacheUnusable(f"cannot write in {self.folder}: {error.strerror or error}") from None
        path = Path(name)
        try:
            with os.fdopen(handle, "wb") as file:
                os.fchmod(file.fileno(), 0o600)
                file.write(data)
                for part in parts:
                    file.write(part)
        except OSError as error:
            path.unlink(missing_ok=True)
            raise CacheUnusable(f"cannot write in {self.folder}: {error.strerror or error}") from None
        return path

    def _tag(self, name: str, body: bytes | memoryview) -> bytes:
        mac = hmac.new(self.key(), name.encode() + b"\x00", hashlib.sha256)
        mac.update(body)
        return mac.digest()

    # -- entries -------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.folder / f"{name}{SUFFIX}"

    def read(self, name: str) -> memoryview | None:
        """The body written under ``name``, or None if it is absent or fails any check."""
        key_tag_end = len(MAGIC) + TAG_BYTES
        self.key()
        try:
            handle = os.open(self.path(name), os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return None
        try:
            with os.fdopen(handle, "rb") as file:
                info = os.fstat(file.fileno())
                if not stat.S_ISREG(info.st_mode) or not _owner_ok(info):
                    return None
                data = file.read()
        except OSError:
            return None
        if len(data) < key_tag_end or not data.startswith(MAGIC):
            return None
        body = memoryview(data)[key_tag_end:]
        if not hmac.compare_digest(data[len(MAGIC) : key_tag_end], self._tag(name, body)):
            return None
        with contextlib.suppress(OSError):
            os.utime(self.path(name))  # recently used: evicted last
        return body

    def write(self, name: str, body: bytes | memoryview) -> None:
        """Store ``body`` under ``name``, whole or not at all. Raises ``CacheUnusable``."""
        self._ensure_folder()
        temporary = self._write_temporary(MAGIC, self._tag(name, body), body)
        try:
            os.replace(temporary, self.path(name))
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise CacheUnusable(f"cannot write {self.path(name)}: {error.strerror or error}") from None

    def entries(self) -> list[EntryInfo]:
        """Every entry, most recently used first."""
        found = []
        try:
            listing = list(os.scandir(self.folder))
        except OSError:
            return []
        for item in listing:
            if item.name.endswith(SUFFIX) and not item.name.startswith(TEMP_PREFIX):
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                found.append(EntryInfo(item.name[: -len(SUFFIX)], info.st_size, info.st_mtime))
        return sorted(found, key=lambda entry: entry.modified, reverse=True)

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def prune(self, keep: int = MAX_ENTRIES) -> None:
        """Drop all but the ``keep`` most recently used entries, and temporary files left behind."""
        for entry in self.entries()[keep:]:
            with contextlib.suppress(OSError):
                self.remove(entry.name)
        now = time.time()
        try:
            listing = list(os.scandir(self.folder))
        except OSError:
            return
        for item in listing:
            try:
                if item.name.startswith(TEMP_PREFIX) and now - item.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(item.path)
            except OSError:
                pass

    def clear(self) -> int:
        """Remove every entry and the key; the number of entries removed."""
        entries = self.entries()
        for entry in entries:
            self.remove(entry.name)
        (self.folder / KEY_FILE).unlink(missing_ok=True)
        self._key = None
        return len(entries)
