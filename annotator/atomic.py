"""Outputs that appear whole or not at all: a file, or a folder of files.

A file is written to ``.NAME.partial`` beside it and renamed into place when the writer succeeds;
on any failure (an exception, Ctrl-C) the partial file is removed and a previous file of that name
is left as it was. A folder of files (an export) is staged in a private folder and its files are
moved into place only once all of them are written and checked. Both raise ``OutputError`` with
the path and the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import IO

from annotator.errors import OutputError

#: the file that marks a staging folder as this tool's own (only such a folder is ever removed)
STAGING_MARK = ".annotator-staging"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def check_output_file(path: Path) -> None:
    """Refuse, before any work is done, an output path that can never become a file."""
    if path.is_dir():
        raise OutputError(
            f"{path}: is a folder; the output must be a file",
            hint=f"name a file, e.g. {path / 'pre.jsonl'}",
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{path}: cannot write there ({parent} is a file, not a folder)")
            break


class AtomicFile:
    """A text file written under a temporary name and renamed into place on success.

    ``mode`` (e.g. ``0o600``) creates the file with those permissions from the start, so a secret
    is never readable by others, not even for a moment; ``fsync`` forces the text to disk before the
    rename (a file that must survive a crash whole).
    """

    def __init__(self, path: str | Path, *, mode: int | None = None, fsync: bool = False) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.mode = mode
        self.fsync = fsync
        self._handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        check_output_file(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.mode is None:
                self._handle = self.partial.open("w", encoding="utf-8", newline="\n")
            else:  # a fresh file, so that the permissions are ours and not a leftover's
                self.partial.unlink(missing_ok=True)
                descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.mode)
                self._handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({_reason(error)})") from None
        return self._handle

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self._handle is not None
        try:
            if kind is None and self.fsync:
                self._handle.flush()
                os.fsync(self._handle.fileno())
            self._handle.close()
            if kind is None:
                os.replace(self.partial, self.path)
        except OSError as error:
            if kind is None:  # the rename (or the last write, at close) failed: report it
                raise OutputError(f"{self.path}: cannot write ({_reason(error)})") from None
        finally:
            self.partial.unlink(missing_ok=True)


def write_text_atomically(
    path: str | Path, text: str, *, mode: int | None = None, fsync: bool = False
) -> None:
    """Write ``text`` to ``path`` whole or not at all (see ``AtomicFile``). Raises ``OutputError``."""
    with AtomicFile(path, mode=mode, fsync=fsync) as handle:
        handle.write(text)


class StagedFolder:
    """Files written into a private staging folder, moved into ``target`` by ``commit``.

    ``target`` need not exist; if it does not and the run fails, it still does not. Files already
    in ``target`` that the run does not write are left alone. ``last`` names a file moved after all
    the others (a manifest: present only if everything else arrived).

    ``replace=True`` replaces an existing ``target`` whole instead (the caller has checked that it
    may): the staging folder is its sibling, and ``commit`` renames the old folder aside, renames
    the staged one into place and only then removes the old one, so a reader sees one folder or
    the other, never a mixture.
    """

    def __init__(self, target: str | Path, last: str | None = None, *, replace: bool = False) -> None:
        self.target = Path(target)
        self.last = last
        self.replace = replace
        if self.target.exists() and not self.target.is_dir():
            raise OutputError(f"{self.target}: is a file; the output must be a folder")
        if self.target.is_dir() and not replace:
            self.path = self.target / f"{STAGING_MARK}.partial"
        else:
            self.path = self.target.parent / f".{self.target.resolve().name}.partial"

    def __enter__(self) -> StagedFolder:
        if self.path.exists():
            self._remove_stale()
        try:
            self.path.mkdir(parents=True)
            (self.path / STAGING_MARK).touch()
        except OSError as error:
            self._cleanup()
            raise OutputError(f"{self.target}: cannot create the output folder ({_reason(error)})") from None
        return self

    def _remove_stale(self) -> None:
        if not (self.path / STAGING_MARK).is_file():
            raise OutputError(
                f"{self.path} is in the way (a folder this tool did not make)",
                hint="move or remove it, then re-run",
            )
        shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        """Move every staged file into ``target`` (``last`` last) and remove the staging folder."""
        (self.path / STAGING_MARK).unlink()
        try:
            if self.replace and self.target.is_dir():
                self._swap()
                return
            if not self.target.exists():
                os.replace(self.path, self.target)
                return
            names = sorted(p.name for p in self.path.iterdir())
            if self.last in names:
                names.remove(self.last)
                names.append(self.last)
            for name in names:
                os.replace(self.path / name, self.target / name)
            self.path.rmdir()
        except OSError as error:
            raise OutputError(
                f"{self.target}: cannot move the output into place ({_reason(error)})"
            ) from None

    def _swap(self) -> None:
        """Put the staged folder in the place of the existing target (see ``replace``)."""
        previous = self.target.parent / f".{self.target.resolve().name}.previous"
        if previous.exists():
            if not (previous / STAGING_MARK).is_file():
                raise OutputError(
                    f"{previous} is in the way (a folder this tool did not make)",
                    hint="move or remove it, then re-run",
                )
            shutil.rmtree(previous)
        (self.target / STAGING_MARK).touch()  # the old folder, once aside, is ours to remove
        os.replace(self.target, previous)
        try:
            os.replace(self.path, self.target)
        except OSError:
            os.replace(previous, self.target)
            (self.target / STAGING_MARK).unlink(missing_ok=True)
            raise
        shutil.rmtree(previous, ignore_errors=True)

    def _cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._cleanup()
