"""Scoring files: what ``annotator evaluate`` does, as a library call.

``evaluate_files`` reads the gold and the predictions (a ``--gold``/``--pred`` pair of files, or
``annotator export`` folders read as batches of the loop), scores them (``evaluate``), measures
the correction effort, and returns a ``FileEvaluation``: the scores with everything the command
prints, its ``--json`` data (``to_json``) and its HTML report (``write_html``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.corpus import ReadReport, read_corpus
from annotator.errors import UsageError
from annotator.evaluation.effort import Effort, measure_effort
from annotator.evaluation.evaluate import Evaluation, evaluate
from annotator.evaluation.report import Batch, read_batch, write_report
from annotator.pack_cache import compile_pack

#: the report's title
TITLE = "annotator evaluate"


@dataclass
class FileEvaluation:
    """What ``evaluate_files`` found: the scores, the effort, and what the report names."""

    evaluation: Evaluation
    #: the effort of ``pred`` against ``gold`` (asked for, and no batches given), else None
    effort: Effort | None = None
    #: the export folders read, in the order given, each with its own effort
    batches: list[Batch] = field(default_factory=list)
    #: every effort measured, by name: each batch's, then the prediction file's
    efforts: dict[str, Effort] = field(default_factory=dict)
    #: what was compared, as the report's header lists it
    sources: dict[str, str] = field(default_factory=dict)
    #: the ``--rules`` pack's fingerprint and its label colours (None without a pack)
    fingerprint: str | None = None
    label_colours: dict[str, str] | None = None

    def to_json(self, top: int) -> dict[str, Any]:
        """The scores with ``top`` frequent errors of each kind, the effort and each batch's effort."""
        data = self.evaluation.to_json(top)
        if self.effort is not None:
            data["effort"] = self.effort.to_json()
        if self.batches:
            data["batches"] = {batch.name: batch.effort.to_json() for batch in self.batches}
        return data

    def write_html(self, path: str | Path, top: int = 10) -> Path:
        """Write the self-contained HTML report to ``path`` atomically (``OutputError`` if it
        cannot be written; a previous file is then left as it was)."""
        return write_report(
            path,
            self.evaluation,
            title=TITLE,
            sources=self.sources,
            efforts=self.efforts or None,
            label_colours=self.label_colours,
            top=top,
        )


def evaluate_files(
    gold: Path | None = None,
    pred: Path | None = None,
    *,
    batches: Sequence[Path] = (),
    label_map: Mapping[str, str] | None = None,
    labels: Collection[str] | None = None,
    effort: bool = False,
    rules: Path | None = None,
    report: ReadReport | None = None,
) -> FileEvaluation:
    """Score ``pred`` against ``gold``, or, without them, the ``batches`` (export folders) together.

    ``label_map`` renames labels and ``labels`` keeps only those (after the map), as ``evaluate``
    does. ``effort`` measures the correction effort of ``pred`` (taken as what was pushed) when
    no batch is given; each batch always has its own. ``rules``: the pack whose fingerprint and
    label colours the report shows (compiled through the pack cache); without it the fingerprints
    come from the batches' manifests. What reading met goes to ``report``.

    Raises ``UsageError`` unless both ``gold`` and ``pred`` or at least one batch are given,
    ``RulePackError`` for an invalid pack, ``InputError`` for a file or folder that cannot be read.
    """
    if (gold is None) != (pred is None) or (gold is None and not batches):
        raise UsageError(
            "give both --gold and --pred, or one --batch EXPORT_DIR or more",
            hint="annotator evaluate --gold exports/x/gold.jsonl --pred exports/x/pushed.jsonl",
        )
    pack = compile_pack(rules).pack if rules is not None else None  # through the cache: no recompile
    read = [read_batch(folder, report, name=str(folder)) for folder in batches]
    if gold is not None and pred is not None:
        gold_examples = list(read_corpus([gold], report))
        predicted = list(read_corpus([pred], report))
    else:
        gold_examples = [example for batch in read for example in batch.gold]
        predicted = [example for batch in read for example in batch.pushed]
    result = evaluate(
        gold_examples, predicted, label_map=label_map, labels=set(labels) if labels is not None else None
    )
    measured = measure_effort(predicted, gold_examples) if effort and not read else None
    efforts = {batch.name: batch.effort for batch in read}
    if measured is not None:
        efforts[str(pred)] = measured
    fingerprint = pack.fingerprint if pack else None
    return FileEvaluation(
        evaluation=result,
        effort=measured,
        batches=read,
        efforts=efforts,
        sources=evaluation_sources(gold, pred, read, fingerprint),
        fingerprint=fingerprint,
        label_colours={label.name: label.colour for label in pack.labels} if pack else None,
    )


def evaluation_sources(
    gold: Path | None, pred: Path | None, batches: Sequence[Batch], fingerprint: str | None
) -> dict[str, str]:
    """What the report compared: the files as given, each batch, and the rule pack (``fingerprint``,
    or else the packs named in the batches' manifests)."""
    sources = {}
    if gold is not None and pred is not None:
        sources = {"gold": str(gold), "predictions": str(pred)}
    for index, batch in enumerate(batches, 1):
        sources[f"batch {index}"] = f"{batch.name} ({len(batch.gold):,} gold examples)"
    packs = [fingerprint] if fingerprint else sorted({pack for batch in batches for pack in batch.packs})
    if packs:
        sources["rule pack"] = ", ".join(packs)
    return sources
