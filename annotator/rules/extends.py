"""Where a pack that ``extends`` another finds its base, read without the full loader.

``extends: PATH`` or ``extends: {pack: PATH, profile: NAME}`` in ``pack.yaml`` names the base pack
folder, relative to the extending pack's folder (or absolute). The loader validates the key and
reports problems with file and line; the pack cache only needs the base folders, to cover their
files in its digest, and reads them here: a ``pack.yaml`` that does not contain the word
``extends`` is not parsed at all, so a cache hit on an ordinary pack still never imports YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PACK_FILE = "pack.yaml"
EXTENDS_KEY = "extends"
#: how deep a chain of packs extending packs may go (a longer chain is surely a mistake)
MAX_DEPTH = 16


def base_folder(root: Path, written: str) -> Path:
    """The base pack folder that ``written`` (as given in ``root``'s pack.yaml) names, resolved."""
    path = Path(written).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def written_base(value: Any) -> tuple[str | None, str | None]:
    """(path, profile) of an ``extends`` value: a string, or a mapping with ``pack`` and ``profile``;
    (None, None) for anything else (the loader reports it)."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict):
        pack, profile = value.get("pack"), value.get("profile")
        return (pack if isinstance(pack, str) else None), (profile if isinstance(profile, str) else None)
    return None, None


def declared_bases(root: Path) -> list[Path]:
    """Every base folder the pack in ``root`` extends, nearest first (cycles stop the walk).

    Best effort, for the cache's digest: an unreadable or malformed ``pack.yaml`` ends the chain
    there (the loader then reports the problem, and an invalid pack is never cached).
    """
    bases: list[Path] = []
    seen = {root.resolve()}
    current = root
    while len(bases) < MAX_DEPTH:
        try:
            text = (current / PACK_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            break
        if EXTENDS_KEY not in text:
            break
        import yaml

        try:
            header = yaml.safe_load(text)
        except yaml.YAMLError:
            break
        written, _ = written_base(header.get(EXTENDS_KEY) if isinstance(header, dict) else None)
        if written is None:
            break
        try:
            base = base_folder(current, written)
        except (OSError, RuntimeError, ValueError):
            break
        if base in seen:
            break
        bases.append(base)
        seen.add(base)
        current = base
    return bases
