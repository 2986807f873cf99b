"""Score predicted spans against gold: per label and micro P/R/F1, strict and clitic-tolerant;
per-rule true/false positives; the most frequent false positives and misses with context.

- strict: same start, end and label;
- tolerant: same end and label, and the starts differ only by leading proclitic letters
  (ANERcorp tags "بواشنطن" whole, the rules tag "واشنطن").

Gold and predictions are paired by example id, or by text when the ids do not match (a CoNLL gold
file and predictions made from the same file share texts).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from annotator.arabic import PROCLITICS
from annotator.errors import UsageError
from annotator.model import Example, Span

MODES = ("strict", "tolerant")
#: what may separate a tolerant match's starts: a proclitic, or the ل of a fused "لل"
TOLERATED_PREFIXES = PROCLITICS


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class Error:
    """A false positive or a miss, with where it happened."""

    kind: str  # "false positive" | "miss"
    example: str
    surface: str
    label: str
    rule: str
    context: str


@dataclass
class ModeResult:
    per_label: dict[str, Scores]
    micro: Scores
    per_rule: dict[str, Scores]  # tp/fp of each rule (fn is not attributable to a rule)
    errors: list[Error] = field(default_factory=list)


@dataclass
class Evaluation:
    examples: int
    gold_spans: int
    predicted_spans: int
    modes: dict[str, ModeResult]
    unpaired_gold: int = 0
    unpaired_predictions: int = 0

    def to_json(self, top: int = 20) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "gold_spans": self.gold_spans,
            "predicted_spans": self.predicted_spans,
            "unpaired_gold_examples": self.unpaired_gold,
            "unpaired_predicted_examples": self.unpaired_predictions,
            **{
                mode: {
                    "micro": result.micro.to_json(),
                    "per_label": {label: s.to_json() for label, s in sorted(result.per_label.items())},
                    "per_rule": {rule: s.to_json() for rule, s in sorted(result.per_rule.items())},
                    "top_false_positives": [
                        e.__dict__ for e in top_errors(result.errors, "false positive", top)
                    ],
                    "top_misses": [e.__dict__ for e in top_errors(result.errors, "miss", top)],
                }
                for mode, result in self.modes.items()
            },
        }


def parse_label_map(items: Iterable[str]) -> dict[str, str]:
    """``["PERS=PER", "ORGANIZATION=ORG"]`` (or comma-separated) -> a mapping.

    Raises ``UsageError`` (exit code 2) for an entry that is not ``FROM=TO``.
    """
    mapping = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                continue
            source, separator, target = pair.partition("=")
            if not separator or not source.strip() or not target.strip():
                raise UsageError(
                    f"label map entry {pair!r} must look like FROM=TO", hint="e.g. --map PERS=PER"
                )
            mapping[source.strip()] = target.strip()
    return mapping


def parse_labels(text: str | None) -> list[str] | None:
    """``"PER, LOC,ORG"`` -> ``["PER", "LOC", "ORG"]``; ``None`` or empty: no restriction (None)."""
    if not text:
        return None
    return [label.strip() for label in text.split(",") if label.strip()]


def prepare(
    examples: Iterable[Example], label_map: Mapping[str, str], labels: set[str] | None
) -> list[Example]:
    """Apply the label map and keep only the evaluated labels."""
    prepared = []
    for example in examples:
        spans = []
        for span in example.spans:
            label = label_map.get(span.label, span.label)
            if labels is None or label in labels:
                spans.append(Span(span.start, span.end, label, span.rule))
        prepared.append(Example(example.id, example.text, tuple(sorted(spans)), example.meta))
    return prepared


def pair_examples(
    gold: list[Example], predicted: list[Example]
) -> tuple[list[tuple[Example, Example]], int, int]:
    """Pair gold and predicted examples by id, else by text; return pairs and unpaired counts."""
    by_id = {example.id: example for example in predicted}
    if not any(example.id in by_id for example in gold):
        by_text: dict[str, list[Example]] = defaultdict(list)
        for example in predicted:
            by_text[example.text].append(example)
        pairs = []
        for example in gold:
            candidates = by_text.get(example.text)
            if candidates:
                pairs.append((example, candidates.pop(0)))
        return pairs, len(gold) - len(pairs), len(predicted) - len(pairs)
    pairs = [(example, by_id[example.id]) for example in gold if example.id in by_id]
    return pairs, len(gold) - len(pairs), len(predicted) - len(pairs)


def tolerant_equal(text: str, a: Span, b: Span) -> bool:
    """Same label and end; starts equal or separated only by a proclitic."""
    if a.label != b.label or a.end != b.end:
        return False
    if a.start == b.start:
        return True
    low, high = sorted((a.start, b.start))
    return text[low:high] in TOLERATED_PREFIXES


def match_spans(text: str, gold: list[Span], predicted: list[Span], mode: str) -> list[tuple[Span, Span]]:
    """One-to-one pairs of (gold, predicted) spans that count as equal in ``mode``."""
    pairs = []
    if mode == "strict":
        by_key = {span.key: span for span in gold}
        for span in predicted:
            found = by_key.pop(span.key, None)
            if found is not None:
                pairs.append((found, span))
        return pairs
    free_gold = list(gold)
    for span in predicted:
        for index, candidate in enumerate(free_gold):
            if tolerant_equal(text, candidate, span):
                pairs.append((candidate, span))
                del free_gold[index]
                break
    return pairs


def _context(text: str, span: Span, width: int = 30) -> str:
    left = text[max(0, span.start - width) : span.start]
    right = text[span.end : span.end + width]
    return f"{left}[{text[span.start : span.end]}]{right}".replace("\n", " ")


def evaluate(
    gold: Iterable[Example],
    predicted: Iterable[Example],
    *,
    label_map: Mapping[str, str] | None = None,
    labels: set[str] | None = None,
) -> Evaluation:
    """Score ``predicted`` against ``gold`` in both modes."""
    label_map = label_map or {}
    gold_list = prepare(gold, label_map, labels)
    predicted_list = prepare(predicted, label_map, labels)
    pairs, unpaired_gold, unpaired_predicted = pair_examples(gold_list, predicted_list)
    modes = {}
    for mode in MODES:
        label_counts: dict[str, Counter[str]] = defaultdict(Counter)
        rule_counts: dict[str, Counter[str]] = defaultdict(Counter)
        errors: list[Error] = []
        for gold_example, predicted_example in pairs:
            text = gold_example.text
            if predicted_example.text != text:
                continue
            matched = match_spans(text, list(gold_example.spans), list(predicted_example.spans), mode)
            matched_gold = {id(g) for g, _ in matched}
            matched_pred = {id(p) for _, p in matched}
            for span in predicted_example.spans:
                hit = id(span) in matched_pred
                label_counts[span.label]["tp" if hit else "fp"] += 1
                rule_counts[span.rule or "(none)"]["tp" if hit else "fp"] += 1
                if not hit:
                    errors.append(
                        Error(
                            "false positive",
                            gold_example.id,
                            text[span.start : span.end],
                            span.label,
                            span.rule,
                            _context(text, span),
                        )
                    )
            for span in gold_example.spans:
                if id(span) not in matched_gold:
                    label_counts[span.label]["fn"] += 1
                    errors.append(
                        Error(
                            "miss",
                            gold_example.id,
                            text[span.start : span.end],
                            span.label,
                            "",
                            _context(text, span),
                        )
                    )
        per_label = {label: Scores(c["tp"], c["fp"], c["fn"]) for label, c in label_counts.items()}
        micro = Scores(*(sum(getattr(s, key) for s in per_label.values()) for key in ("tp", "fp", "fn")))
        per_rule = {rule: Scores(c["tp"], c["fp"], 0) for rule, c in rule_counts.items()}
        modes[mode] = ModeResult(per_label, micro, per_rule, errors)
    return Evaluation(
        examples=len(pairs),
        gold_spans=sum(len(g.spans) for g, _ in pairs),
        predicted_spans=sum(len(p.spans) for _, p in pairs),
        modes=modes,
        unpaired_gold=unpaired_gold,
        unpaired_predictions=unpaired_predicted,
    )


def top_errors(errors: list[Error], kind: str, count: int) -> list[Error]:
    """The most frequent errors of a kind (by surface and label), one example context each."""
    grouped: dict[tuple[str, str], list[Error]] = defaultdict(list)
    for error in errors:
        if error.kind == kind:
            grouped[(error.surface, error.label)].append(error)
    ranked = sorted(grouped.values(), key=lambda group: (-len(group), group[0].surface))
    return [
        Error(
            kind,
            group[0].example,
            group[0].surface,
            group[0].label,
            group[0].rule,
            f"{group[0].context}  (x{len(group)})",
        )
        for group in ranked[:count]
    ]
