"""What the human correction says about the pre-annotation: which pushed spans annotators kept,
deleted, relabelled or re-bounded, which spans they had to add, and what share of the final gold
they did not have to type.

Each pushed span falls in exactly one class, decided in this order:

1. kept: the gold has the same start, end and label;
2. relabelled: the gold has the same start and end with another label;
3. re-bounded: it overlaps a still unmatched gold span of the same label;
4. re-bounded and relabelled: it overlaps a still unmatched gold span of another label;
5. deleted: nothing in the gold corresponds to it.

Gold spans left unmatched were added by annotators.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotator.model import Example, Span

CLASSES = ("kept", "relabelled", "rebounded", "rebounded_relabelled", "deleted")


@dataclass
class Effort:
    examples: int = 0
    gold_spans: int = 0
    pushed_spans: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    added: int = 0
    per_rule: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    per_label: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def untyped_share(self) -> float:
        """Share of the final gold spans that came from the pre-annotation unchanged."""
        return self.counts["kept"] / self.gold_spans if self.gold_spans else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "gold_spans": self.gold_spans,
            "pushed_spans": self.pushed_spans,
            **{name: self.counts[name] for name in CLASSES},
            "added": self.added,
            "untyped_share": round(self.untyped_share, 4),
            "per_rule": {rule: dict(counts) for rule, counts in sorted(self.per_rule.items())},
            "per_label": {label: dict(counts) for label, counts in sorted(self.per_label.items())},
        }


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def classify(pushed: Iterable[Span], gold: Iterable[Span]) -> tuple[dict[Span, str], list[Span]]:
    """The class of every pushed span, and the gold spans nobody pushed (added by annotators)."""
    free = list(gold)
    result: dict[Span, str] = {}
    remaining = sorted(pushed)

    def take(predicate: Any, name: str) -> None:
        nonlocal remaining
        left = []
        for span in remaining:
            candidates = [g for g in free if predicate(span, g)]
            if candidates:
                best = max(candidates, key=lambda g: (_overlap(span, g), -abs(g.start - span.start)))
                free.remove(best)
                result[span] = name
            else:
                left.append(span)
        remaining = left

    take(lambda p, g: p.key == g.key, "kept")
    take(lambda p, g: (p.start, p.end) == (g.start, g.end), "relabelled")
    take(lambda p, g: p.label == g.label and _overlap(p, g) > 0, "rebounded")
    take(lambda p, g: _overlap(p, g) > 0, "rebounded_relabelled")
    for span in remaining:
        result[span] = "deleted"
    return result, free


def measure_effort(pushed: Iterable[Example], gold: Iterable[Example]) -> Effort:
    """Compare what was pushed (spans with rule ids) with the corrected gold, example by example (by id)."""
    pushed_by_id = {example.id: example for example in pushed}
    effort = Effort()
    for example in gold:
        before = pushed_by_id.get(example.id)
        if before is None:
            continue
        effort.examples += 1
        gold_spans = [Span(s.start, s.end, s.label) for s in example.spans]
        effort.gold_spans += len(gold_spans)
        effort.pushed_spans += len(before.spans)
        classes, added = classify(before.spans, gold_spans)
        for span, name in classes.items():
            effort.counts[name] += 1
            effort.per_rule[span.rule or "(none)"][name] += 1
            effort.per_label[span.label][name] += 1
        effort.added += len(added)
        for span in added:
            effort.per_label[span.label]["added"] += 1
    return effort
