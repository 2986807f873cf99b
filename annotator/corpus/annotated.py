"""Writing an annotated stream as pre-annotation JSONL, and what it holds: ``AnnotationSummary``.

``write_annotated`` is the end of ``annotator annotate`` as a library call: it writes every example
of an annotated stream (``engine.annotate_stream`` or a Dask cluster's) to one JSONL file that
appears only when the stream is done, and returns the examples, characters and spans it wrote, per
label and per rule. ``AnnotationSummary.rows`` lays those counts out label by label in the pack's
order, with the rules that found something under each label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.corpus import PreAnnotationWriter
from annotator.model import Example
from annotator.rules.model import RulePack


@dataclass
class AnnotationSummary:
    """What an annotated corpus holds: examples, characters, and spans per label and per rule."""

    examples: int = 0
    chars: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    per_rule: Counter[str] = field(default_factory=Counter)

    @property
    def spans(self) -> int:
        """Every span of every example."""
        return sum(self.labels.values())

    def add(self, example: Example) -> None:
        """Count one annotated example."""
        self.examples += 1
        self.chars += len(example.text)
        for span in example.spans:
            self.labels[span.label] += 1
            self.per_rule[span.rule] += 1

    def rows(self, pack: RulePack) -> list[tuple[str, int | None, str, int | None]]:
        """(label, its spans, rule, its spans) for every label of ``pack``, in the pack's order.

        A label's rules that found something follow it, one row each (the label and its count on
        the first row only, None after); a label whose rules found nothing has one row with no rule.
        """
        by_label: dict[str, list[str]] = {}
        for rule in pack.rules:
            by_label.setdefault(rule.label, []).append(rule.id)
        rows: list[tuple[str, int | None, str, int | None]] = []
        for label in pack.label_names:
            rule_ids = [rule_id for rule_id in by_label.get(label, []) if self.per_rule[rule_id]] or [""]
            for position, rule_id in enumerate(rule_ids):
                rows.append(
                    (
                        label if position == 0 else "",
                        self.labels[label] if position == 0 else None,
                        rule_id,
                        self.per_rule[rule_id] if rule_id else None,
                    )
                )
        return rows


def write_annotated(
    annotated: Iterable[Example],
    output: str | Path,
    on_example: Callable[[Example], None] | None = None,
) -> AnnotationSummary:
    """Write ``annotated`` to ``output`` as pre-annotation JSONL (atomically) and count what it holds.

    ``on_example`` is called after each example is written (a progress bar's tick).
    """
    summary = AnnotationSummary()
    with PreAnnotationWriter(output) as writer:
        for example in annotated:
            writer.write(example)
            summary.add(example)
            if on_example is not None:
                on_example(example)
    return summary
