"""Rule decisions: each rule's precision on gold, with its Wilson interval, and what to do with it.

A rule with at least ``min_hits`` spans on gold whose interval's upper bound is below
``min_precision`` is disabled: even the most favourable reading of the evidence says it is wrong
more often than the threshold allows. A rule with fewer spans is left alone and listed as having
too few hits to judge; every other rule is kept (the learned pack never changes priorities). A
rule of a label the gold is not learned for (``--labels``, or a label the gold never uses) is not
judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotator.evaluation.intervals import Interval, wilson
from annotator.rules.model import RulePack

DISABLE = "disable"
KEEP = "keep"
TOO_FEW = "too few hits to judge"
NOT_JUDGED = "label not learned from"


@dataclass(frozen=True)
class RuleDecision:
    """One rule's figures on gold and the decision they lead to."""

    rule: str
    label: str
    tp: int
    fp: int
    interval: Interval
    decision: str

    @property
    def hits(self) -> int:
        return self.tp + self.fp

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "tp": self.tp,
            "fp": self.fp,
            "precision": round(self.interval.estimate, 4),
            "interval": [round(self.interval.low, 4), round(self.interval.high, 4)],
            "decision": self.decision,
        }

    def comment(self) -> str:
        """The figures in a line, for the learned pack.yaml."""
        low, high = self.interval.low, self.interval.high
        return (
            f"tp {self.tp}, fp {self.fp}, precision {self.interval.estimate:.3f}, "
            f"95% interval [{low:.3f}, {high:.3f}]"
        )


def decide_rules(
    pack: RulePack,
    counts: dict[str, tuple[int, int]],
    min_precision: float,
    min_hits: int,
    labels: set[str],
) -> list[RuleDecision]:
    """A decision for every rule the pack runs, in pack order; ``counts`` maps rule id -> (tp, fp),
    ``labels`` are the labels learned from."""
    decisions = []
    for rule in pack.rules:
        tp, fp = counts.get(rule.id, (0, 0))
        interval = wilson(tp, tp + fp)
        if rule.label not in labels:
            decision = NOT_JUDGED
        elif tp + fp < min_hits:
            decision = TOO_FEW
        elif interval.high < min_precision:
            decision = DISABLE
        else:
            decision = KEEP
        decisions.append(RuleDecision(rule.id, rule.label, tp, fp, interval, decision))
    return decisions
