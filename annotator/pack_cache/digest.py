"""What a compiled pack depends on, as digests: the pack folder's files, and the build.

``pack_digest`` covers every file under the pack folder (its path, its kind and its bytes), a
superset of what the loader reads (``pack.yaml``, rule files, gazetteer files, whatever they name),
so that any edit, addition, removal or rename is a different digest. A pack that ``extends``
another depends on the base's files as well: its digest covers every base folder of the chain
(each by resolved path and content), so an edit in a base is never served from a stale entry.
Content is hashed, never trusted from modification times; hashing ar-news (0.5 MB) takes about a
millisecond.

``build_digest`` covers what turns those files into compiled objects: the annotator package's own
source (so an edit to the engine or a matcher is a different build even at the same version), the
Python build, and the libraries whose parsing or compiled formats end up in the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import annotator
from annotator.rules.extends import declared_bases

#: bump when the layout of a cache entry changes
ENTRY_FORMAT = 1
#: libraries that parse the pack or whose objects are pickled into an entry: PyYAML reads the
#: files, regex compiles the patterns (its compiled code is what is kept), pyahocorasick's
#: automaton is kept as it is, spaCy validates token patterns when the pack loads
LIBRARIES = ("PyYAML", "regex", "pyahocorasick", "spacy")


def _field(hasher: Any, *parts: bytes) -> None:
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)


def pack_digest(root: Path, skip: Path | None = None) -> str:
    """SHA-256 over every entry under ``root`` (see ``folder_digest``) and, for a pack that
    ``extends`` others, over each base folder of the chain: its resolved path and its digest.

    Raises ``OSError`` when a file cannot be read.
    """
    own = folder_digest(root, skip)
    bases = declared_bases(root)
    if not bases:
        return own
    hasher = hashlib.sha256()
    _field(hasher, b"pack", own.encode())
    for base in bases:
        _field(hasher, b"base", os.fsencode(base), folder_digest(base, skip).encode())
    return hasher.hexdigest()


def folder_digest(root: Path, skip: Path | None = None) -> str:
    """SHA-256 over every entry under ``root``: relative path, kind, and content or link target.

    Symbolic links are recorded by their target and not followed (the loader refuses any that
    lead outside the pack, and what they lead to inside it is hashed where it lives); special
    files are recorded by kind only. The folder ``skip`` is left out (the cache itself, should it
    live inside the pack: each write would otherwise change the digest). Raises ``OSError`` when a
    file cannot be read.
    """
    hasher = hashlib.sha256()
    base = root.resolve()
    skipped = skip.resolve() if skip is not None else None
    for folder, subfolders, files in os.walk(base, onerror=_raise):
        subfolders[:] = sorted(sub for sub in subfolders if Path(folder, sub) != skipped)
        relative_folder = Path(folder).relative_to(base)
        for name in sorted(files + [sub for sub in subfolders if os.path.islink(os.path.join(folder, sub))]):
            path = os.path.join(folder, name)
            relative = os.fsencode(relative_folder / name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                _field(hasher, b"link", relative, os.fsencode(os.readlink(path)))
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    _field(hasher, b"file", relative, handle.read())
            else:
                _field(hasher, b"other", relative)
    return hasher.hexdigest()


def _raise(error: OSError) -> None:
    raise error


def _normal(project: str) -> str:
    return project.lower().replace("-", "_").replace(".", "_")


def library_versions() -> dict[str, str]:
    """The installed version of each of ``LIBRARIES``.

    Read from the names of the ``<project>-<version>.dist-info`` folders on ``sys.path`` (the
    first one wins, as for imports), which costs a folder listing; ``importlib.metadata`` took
    50 ms to import, a tenth of a warm start. A library found no such way is asked through it.
    """
    wanted = {_normal(name): name for name in LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name[: -len(".dist-info")].partition("-")
                key = _normal(project)
                if key in wanted and wanted[key] not in found:
                    found[wanted[key]] = version
    for name in LIBRARIES:
        if name not in found:
            from importlib.metadata import PackageNotFoundError, version

            try:
                found[name] = version(name)
            except PackageNotFoundError:
                found[name] = "absent"
    return found


@lru_cache(maxsize=1)
def build_digest() -> str:
    """SHA-256 over the entry format, the annotator's version and source, Python and ``LIBRARIES``."""
    hasher = hashlib.sha256()
    _field(
        hasher,
        f"entry format {ENTRY_FORMAT}".encode(),
        f"annotator {annotator.__version__}".encode(),
        sys.version.encode(),
        sys.implementation.cache_tag.encode(),
        platform.machine().encode(),
        f"pickle {pickle.HIGHEST_PROTOCOL}".encode(),
    )
    for name, version in sorted(library_versions().items()):
        _field(hasher, f"{name} {version}".encode())
    package = Path(annotator.__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        _field(hasher, os.fsencode(source.relative_to(package)), source.read_bytes())
    return hasher.hexdigest()
