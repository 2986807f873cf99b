"""Overlap resolution is a pure function with a configurable policy."""

from __future__ import annotations

from annotator.model import Span
from annotator.resolve import Candidate, resolve
from annotator.rules.model import OverlapPolicy


def c(
    start: int, end: int, label: str = "LOC", rule: str = "r", priority: int = 0, order: int = 0
) -> Candidate:
    return Candidate(start, end, label, rule, priority, order)


def test_longest_policy_keeps_the_longest_of_overlapping_matches() -> None:
    kept = resolve([c(0, 5, rule="short"), c(0, 12, "ORG", "long"), c(13, 20)], OverlapPolicy.LONGEST)
    assert kept == [Span(0, 12, "ORG", "long"), Span(13, 20, "LOC", "r")]


def test_longest_policy_breaks_ties_by_priority_then_position_then_rule_order() -> None:
    kept = resolve([c(0, 5, "LOC", "low", 0, 0), c(0, 5, "PER", "high", 5, 1)], OverlapPolicy.LONGEST)
    assert kept == [Span(0, 5, "PER", "high")]
    kept = resolve([c(3, 8, rule="later"), c(0, 5, rule="earlier")], OverlapPolicy.LONGEST)
    assert kept == [Span(0, 5, "LOC", "earlier")]
    kept = resolve([c(0, 5, "LOC", "second", 0, 2), c(0, 5, "ORG", "first", 0, 1)], OverlapPolicy.LONGEST)
    assert kept == [Span(0, 5, "ORG", "first")]


def test_priority_policy_lets_a_short_high_priority_match_win() -> None:
    kept = resolve([c(0, 12, rule="long"), c(4, 8, "PER", "short", priority=10)], OverlapPolicy.PRIORITY)
    assert kept == [Span(4, 8, "PER", "short")]


def test_keep_all_policy_keeps_overlaps_but_merges_exact_duplicates() -> None:
    kept = resolve(
        [c(0, 12, rule="a"), c(4, 8, "PER", "b"), c(0, 12, rule="dup", priority=-1)], OverlapPolicy.KEEP_ALL
    )
    assert kept == [Span(0, 12, "LOC", "a"), Span(4, 8, "PER", "b")]


def test_adjacent_spans_do_not_overlap() -> None:
    assert resolve([c(0, 4), c(4, 8), c(8, 9)]) == [
        Span(0, 4, "LOC", "r"),
        Span(4, 8, "LOC", "r"),
        Span(8, 9, "LOC", "r"),
    ]


def test_resolution_does_not_depend_on_input_order() -> None:
    candidates = [c(0, 6), c(2, 9, "ORG", "o"), c(8, 12, "PER", "p"), c(10, 14, rule="q")]
    assert resolve(candidates) == resolve(list(reversed(candidates)))
