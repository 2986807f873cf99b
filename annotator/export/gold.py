"""Write a gold corpus in every requested format, verify it by reading every file back, and write
its manifest (counts per label and per format, rule packs, checksums, adjustments).

The files are written and verified in a staging folder and moved into the export folder only when
all of them read back right (the manifest last): a failed export leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.atomic import StagedFolder
from annotator.corpus import PreAnnotationWriter
from annotator.errors import InputError, OutputError, VerificationFailed
from annotator.export.align import Adjustment, non_overlapping, tokens_for, trim_spans
from annotator.export.formats import (
    FORMATS,
    AlignedExample,
    FormatError,
    read_conll,
    read_docbins,
    read_hf,
    read_jsonl,
    write_conll,
    write_docbins,
    write_hf,
    write_jsonl,
)
from annotator.export.split import split_examples, split_of
from annotator.model import Example, Span

__all__ = ["ExportReport", "Unrepresentable", "export_gold", "split_of"]

MANIFEST = "manifest.json"
#: what the rules had pre-annotated, for ``annotator evaluate --effort``
PUSHED_FILE = "pushed.jsonl"
FILE_NAMES = {
    "jsonl": ["gold.jsonl"],
    "spacy": ["train.spacy", "dev.spacy"],
    "conll": ["gold.conll"],
    "hf": ["hf.jsonl", "labels.json"],
}


@dataclass(frozen=True)
class Unrepresentable:
    example: str
    span: Span
    formats: tuple[str, ...]
    reason: str


@dataclass
class ExportReport:
    folder: Path
    examples: int = 0
    spans: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    per_format: dict[str, dict[str, Any]] = field(default_factory=dict)
    split: dict[str, int] = field(default_factory=dict)
    #: how the split was decided (a sentence for the user)
    split_how: str = ""
    #: every label of the project (labels.json lists them all), used or not
    label_set: list[str] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    unrepresentable: list[Unrepresentable] = field(default_factory=list)
    manifest: Path | None = None


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_gold(
    examples: list[Example],
    folder: str | Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    dev_share: float = 0.2,
    seed: int = 13,
    source: dict[str, Any] | None = None,
    label_set: Iterable[str] = (),
    pushed: list[Example] | None = None,
) -> ExportReport:
    """Write ``examples`` (gold text and spans) to ``folder`` in ``formats``; verify; write the manifest.

    ``label_set`` is the project's whole label set (labels that no example uses are still listed in
    ``labels.json`` and the manifest); ``pushed``, when given, is written to ``pushed.jsonl``.
    Raises ``VerificationFailed`` if any file does not read back to the same spans, ``InputError``
    if there is nothing to export; on any failure no file of this export is left in ``folder``.
    """
    unknown = [name for name in formats if name not in FORMATS]
    if unknown:
        raise OutputError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    if not examples:
        raise InputError("no examples to export")
    out = Path(folder)
    report = ExportReport(out)
    ordered = sorted(examples, key=lambda e: e.id)
    split = split_examples([example.id for example in ordered], dev_share, seed)
    report.split_how = split.how
    items: list[AlignedExample] = []
    for example in ordered:
        gold, adjustments = trim_spans(example)
        report.adjustments.extend(adjustments)
        items.append(AlignedExample(gold, tokens_for(gold.text, gold.spans), split.sides[example.id]))
        report.spans += len(gold.spans)
        report.labels.update(span.label for span in gold.spans)
    report.examples = len(items)
    report.split = split.counts
    token_formats = tuple(name for name in formats if name in ("spacy", "conll", "hf"))
    for item in items:
        _, left_out = non_overlapping(item.example.spans)
        for span in left_out:
            report.unrepresentable.append(
                Unrepresentable(
                    item.example.id,
                    span,
                    token_formats,
                    "overlaps a longer span: BIO tags and doc.ents hold one label per token "
                    "(the span is kept in gold.jsonl and in the DocBin's doc.spans['sc'])",
                )
            )
    report.label_set = sorted(set(label_set) | set(report.labels))
    with StagedFolder(out, last=MANIFEST) as staged:
        stage = staged.path
        try:
            if "jsonl" in formats:
                write_jsonl(stage / "gold.jsonl", items)
            if "spacy" in formats:
                write_docbins(stage, items)
            if "conll" in formats:
                write_conll(stage / "gold.conll", items)
            if "hf" in formats:
                write_hf(stage, items, report.label_set)
        except FormatError as error:
            raise VerificationFailed(f"export failed: {error}") from None
        except OSError as error:
            raise OutputError(f"{out}: cannot write the export ({error.strerror or error})") from None
        if pushed is not None:
            with PreAnnotationWriter(stage / PUSHED_FILE) as writer:
                for example in sorted(pushed, key=lambda e: e.id):
                    writer.write(example)
        _verify(stage, items, formats, report)
        _write_manifest(stage, report, formats, dev_share, seed, source or {}, pushed is not None)
        staged.commit()
    report.manifest = out / MANIFEST
    return report


def _verify(out: Path, items: list[AlignedExample], formats: tuple[str, ...], report: ExportReport) -> None:
    """Read every written file back and compare with the gold, example by example."""
    gold_all = {
        item.example.id: sorted(Span(s.start, s.end, s.label) for s in item.example.spans) for item in items
    }
    gold_kept = {key: non_overlapping(spans)[0] for key, spans in gold_all.items()}
    texts = {item.example.id: item.example.text for item in items}
    read_back: dict[str, tuple[dict[str, list[Span]], dict[str, list[Span]]]] = {}
    if "jsonl" in formats:
        read_back["jsonl"] = (read_jsonl(out / "gold.jsonl"), gold_all)
        with (out / "gold.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["text"] != texts[record["id"]]:
                    raise VerificationFailed(f"gold.jsonl: the text of {record['id']} changed on the way")
    if "spacy" in formats:
        ents, spans = read_docbins([out / "train.spacy", out / "dev.spacy"])
        read_back["spacy"] = (spans, gold_all)
        read_back["spacy ents"] = (ents, gold_kept)
    if "conll" in formats:
        read_back["conll"] = (read_conll(out / "gold.conll", texts), gold_kept)
    if "hf" in formats:
        read_back["hf"] = (read_hf(out, texts), gold_kept)
    problems = []
    for name, (found, expected) in read_back.items():
        for example_id, spans in expected.items():
            got = found.get(example_id)
            if got is None:
                problems.append(f"{name}: example {example_id} is missing")
            elif got != spans:
                problems.append(f"{name}: example {example_id} has {len(got)} spans, expected {len(spans)}")
        counts = Counter(span.label for spans in found.values() for span in spans)
        report.per_format[name] = {
            "examples": len(found),
            "spans": sum(counts.values()),
            "labels": dict(counts),
        }
    for example_id, spans in gold_all.items():
        for span in spans:
            if span.end > len(texts[example_id]):
                problems.append(f"example {example_id}: span {span} is outside the text")
    if problems:
        raise VerificationFailed("export verification failed: " + "; ".join(problems[:10]))


def _write_manifest(
    out: Path,
    report: ExportReport,
    formats: tuple[str, ...],
    dev_share: float,
    seed: int,
    source: dict[str, Any],
    with_pushed: bool,
) -> Path:
    files = {name: {file: _checksum(out / file) for file in FILE_NAMES[name]} for name in formats}
    manifest = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "examples": report.examples,
        "spans": report.spans,
        "labels": dict(sorted(report.labels.items())),
        "label_set": report.label_set,
        "split": {"seed": seed, "dev_share": dev_share, **report.split, "how": report.split_how},
        "formats": {name: {**report.per_format.get(name, {}), "files": files[name]} for name in formats},
        "spacy_entities": report.per_format.get("spacy ents"),
        "adjustments": [
            {
                "example": a.example,
                "before": a.before.key,
                "after": a.after.key if a.after else None,
                "reason": a.reason,
            }
            for a in report.adjustments
        ],
        "unrepresentable": [
            {"example": u.example, "span": u.span.key, "formats": list(u.formats), "reason": u.reason}
            for u in report.unrepresentable
        ],
        "pushed": {PUSHED_FILE: _checksum(out / PUSHED_FILE)} if with_pushed else None,
        "verified": True,
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
