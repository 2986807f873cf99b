"""Export folders as batches of the loop: what was pushed, what came back, and the effort between."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from annotator.corpus import ReadReport, read_corpus
from annotator.errors import InputError
from annotator.evaluation.effort import Effort, measure_effort
from annotator.export.gold import FILE_NAMES, MANIFEST, PUSHED_FILE
from annotator.model import Example

GOLD_FILE = FILE_NAMES["jsonl"][0]


@dataclass
class Batch:
    """One export folder: its gold, the spans that were pushed, and the effort between them."""

    name: str
    folder: Path
    gold: list[Example]
    pushed: list[Example]
    effort: Effort
    #: the rule packs that made the pushed spans (``name@version``), from the export's manifest
    packs: tuple[str, ...] = ()


def read_batch(folder: str | Path, report: ReadReport | None = None, name: str | None = None) -> Batch:
    """Read an export folder written by ``annotator export`` (``gold.jsonl`` and ``pushed.jsonl``).

    Raises ``InputError`` when either file is missing (``pushed.jsonl`` is written by exports made
    since the effort measure exists)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not an export folder (it must hold {GOLD_FILE} and {PUSHED_FILE})")
    for file in (GOLD_FILE, PUSHED_FILE):
        if not (folder / file).is_file():
            raise InputError(
                f"{folder}: has no {file}; a batch is a folder written by `annotator export`",
                hint=f"re-export the project: annotator export --project NAME -o {folder}",
            )
    gold = list(read_corpus([folder / GOLD_FILE], report))
    pushed = list(read_corpus([folder / PUSHED_FILE], report))
    return Batch(
        name=name or folder.name or str(folder),
        folder=folder,
        gold=gold,
        pushed=pushed,
        effort=measure_effort(pushed, gold),
        packs=_packs(folder / MANIFEST),
    )


def _packs(manifest: Path) -> tuple[str, ...]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        packs = (data.get("source") or {}).get("rule_packs") or {}
        return tuple(sorted(str(pack) for pack in packs))
    except (OSError, ValueError, AttributeError):  # no manifest, or not one of ours: no fingerprint
        return ()
