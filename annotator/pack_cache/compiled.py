"""Load a rule pack compiled: from the cache when nothing it depends on has changed.

An entry is named by two digests: its *scope* (the build digest, the pack folder's resolved path
and the profile) and its *content* (every file of the pack). A hit is unpickled and used as it is;
it holds the compiled ``Annotator`` (its ``RulePack`` included) and every regex pattern the load
and compile used. On a miss the pack is loaded and compiled as always (so every pack error is
reported as always, and an invalid pack is never kept), with the patterns of the scope's previous
entry handed back to the compiler: after editing one rule, only the patterns that changed are
compiled again. The new entry then replaces the old one.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import regex

from annotator.engine import Annotator
from annotator.pack_cache.digest import build_digest, pack_digest
from annotator.pack_cache.store import CacheUnusable, PrivateStore
from annotator.paths import pack_cache_dir, pack_cache_disabled
from annotator.patterns import PatternKey, PatternMemo
from annotator.rules.model import RulePack


@dataclass(frozen=True)
class CompiledPack:
    """A compiled pack, the patterns it was compiled from, and where it came from."""

    annotator: Annotator
    patterns: Mapping[PatternKey, regex.Pattern] = field(repr=False)
    from_cache: bool = False
    #: why the cache could not be used this time (for a warning), or None
    cache_note: str | None = None

    @property
    def pack(self) -> RulePack:
        return self.annotator.pack

    def compile(self, pack: RulePack) -> Annotator:
        """An annotator for ``pack``: this one for this pack; otherwise (one rule alone, say) a new
        one compiled from this pack's patterns, so that no pattern is compiled twice."""
        if pack is self.annotator.pack:
            return self.annotator
        with PatternMemo(self.patterns).active():
            return Annotator(pack)


def store_for(cache: bool | str | Path) -> PrivateStore | None:
    """The store ``cache`` names: True the default folder (unless ``ANNOTATOR_NO_PACK_CACHE`` is
    set), a path that folder, False none."""
    if cache is False:
        return None
    if cache is True:
        return None if pack_cache_disabled() else PrivateStore(pack_cache_dir())
    return PrivateStore(Path(cache).expanduser().resolve())


def _names(root: Path, profile: str | None, store: PrivateStore) -> tuple[str, str]:
    """(entry name, scope) of a pack folder and profile; raises ``OSError`` if a file is unreadable."""
    scope = hashlib.sha256(
        "\x00".join((build_digest(), str(root.resolve()), profile or "")).encode()
    ).hexdigest()[:32]
    return f"{scope}-{pack_digest(root, skip=store.folder)}", scope


def _decode(body: memoryview, name: str) -> tuple[Annotator, dict[PatternKey, regex.Pattern]] | None:
    """The entry's annotator and patterns, or None if it is not what ``name`` promises."""
    try:
        entry = pickle.loads(body)
    except Exception:  # an authenticated entry that still does not load (library skew): a miss
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("name") != name
        or not isinstance(entry.get("annotator"), Annotator)
        or not isinstance(entry.get("patterns"), dict)
    ):
        return None
    return entry["annotator"], entry["patterns"]


def _encode(name: str, compiled: CompiledPack) -> bytes:
    entry = {"name": name, "annotator": compiled.annotator, "patterns": dict(compiled.patterns)}
    return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


def _compile(root: Path, profile: str | None, memo: PatternMemo, note: str | None) -> CompiledPack:
    from annotator.rules.loader import load_pack, select_profile

    with memo.active():
        annotator = Annotator(select_profile(load_pack(root), profile))
    return CompiledPack(annotator, memo.used, from_cache=False, cache_note=note)


def compile_pack(
    path: str | Path, profile: str | None = None, *, cache: bool | str | Path = True
) -> CompiledPack:
    """The pack in folder ``path`` narrowed to ``profile``, compiled, through the cache ``cache``
    (see ``store_for``).

    Raises ``RulePackError`` for an invalid pack or an unknown profile, exactly as ``load_pack``
    does; a cache that cannot be used is never an error (``cache_note`` says why it was skipped).
    """
    root = Path(path)
    store = store_for(cache)
    if store is None or not root.is_dir():  # no folder: load_pack says so
        return _compile(root, profile, PatternMemo(), None)
    try:
        name, scope = _names(root, profile, store)
    except OSError as error:  # an unreadable file: no key, so no cache (the loader reports it if it matters)
        return _compile(root, profile, PatternMemo(), f"cannot read {error.filename}: {error.strerror}")
    seed: dict[PatternKey, regex.Pattern] = {}
    try:
        body = store.read(name)
        decoded = _decode(body, name) if body is not None else None
        if decoded is not None:
            return CompiledPack(decoded[0], decoded[1], from_cache=True)
        for entry in store.entries():  # the scope's previous entry: its patterns, handed back
            if entry.name.startswith(scope) and entry.name != name:
                previous = store.read(entry.name)
                decoded = _decode(previous, entry.name) if previous is not None else None
                if decoded is not None:
                    seed = decoded[1]
                    break
    except CacheUnusable as unusable:
        return _compile(root, profile, PatternMemo(), str(unusable))
    compiled = _compile(root, profile, PatternMemo(seed), None)
    try:
        body = _encode(name, compiled)
    except (pickle.PicklingError, TypeError, AttributeError) as error:  # a matcher that cannot be kept
        return CompiledPack(compiled.annotator, compiled.patterns, cache_note=f"cannot pickle it: {error}")
    try:
        store.write(name, body)
        for entry in store.entries():
            if entry.name.startswith(scope) and entry.name != name:
                store.remove(entry.name)
        store.prune()
    except (CacheUnusable, OSError) as error:
        return CompiledPack(compiled.annotator, compiled.patterns, cache_note=str(error))
    return compiled


def load_compiled(
    path: str | Path, profile: str | None = None, *, cache: bool | str | Path = True
) -> Annotator:
    """The compiled ``Annotator`` of the pack in ``path`` (narrowed to ``profile``), through the cache.

    The library entry point for anything that annotates with a pack (a CLI command, a Dask worker):
    a warm call unpickles instead of loading and compiling. ``cache``: True for the default folder
    (``ANNOTATOR_PACK_CACHE``, else ``$ANNOTATOR_HOME/cache/packs``; ``ANNOTATOR_NO_PACK_CACHE=1``
    switches it off), a folder, or False to compile afresh. Raises ``RulePackError`` as ``load_pack``.
    """
    return compile_pack(path, profile, cache=cache).annotator
