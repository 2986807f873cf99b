"""Overlap resolution: candidate matches -> the spans that are kept. A pure function of its inputs."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from annotator.model import Span
from annotator.rules.model import OverlapPolicy


@dataclass(frozen=True, slots=True)
class Candidate:
    """A match on original offsets, before resolution. ``order`` is the rule's position in the pack."""

    start: int
    end: int
    label: str
    rule: str
    priority: int = 0
    order: int = 0


#: a candidate as a plain tuple, (start, end, label, rule, priority, order): what the engine builds,
#: since a tuple costs a thirtieth of a frozen dataclass to make
CandidateRow = tuple[int, int, str, str, int, int]
#: the order of ``Span`` (its fields in turn), read from a candidate row
_SPAN_ORDER = itemgetter(0, 1, 2, 3)


def _best_per_position(rows: Iterable[CandidateRow]) -> list[CandidateRow]:
    """Merge exact duplicates (same start, end, label): the higher priority, then the earlier rule, stays."""
    best: dict[tuple[int, int, str], CandidateRow] = {}
    for row in rows:
        key = (row[0], row[1], row[2])
        kept = best.get(key)
        if kept is None or (-row[4], row[5]) < (-kept[4], kept[5]):
            best[key] = row
    return list(best.values())


def _longest_first(row: CandidateRow) -> tuple[int, int, int, int]:
    return (row[0] - row[1], -row[4], row[0], row[5])


def _priority_first(row: CandidateRow) -> tuple[int, int, int, int]:
    return (-row[4], row[0] - row[1], row[0], row[5])


def resolve(candidates: Iterable[Candidate], policy: OverlapPolicy = OverlapPolicy.LONGEST) -> list[Span]:
    """Choose the spans to keep, sorted by position.

    - ``longest``: the longest candidate wins; ties go to the higher priority, then the earlier
      start, then the rule written first;
    - ``priority``: the higher priority wins; ties go to the longer candidate, then as above;
    - ``keep_all``: every candidate stays (overlaps allowed); only exact duplicates are merged.
    """
    rows = [(c.start, c.end, c.label, c.rule, c.priority, c.order) for c in candidates]
    return resolve_rows(rows, policy)


def resolve_rows(rows: Iterable[CandidateRow], policy: OverlapPolicy = OverlapPolicy.LONGEST) -> list[Span]:
    """``resolve`` for candidates given as ``CandidateRow`` tuples."""
    unique = _best_per_position(rows)
    if policy is OverlapPolicy.KEEP_ALL:
        chosen = unique
    else:
        unique.sort(key=_longest_first if policy is OverlapPolicy.LONGEST else _priority_first)
        chosen = []
        starts: list[int] = []
        ends: dict[int, int] = {}
        for row in unique:
            start, end = row[0], row[1]
            position = bisect_left(starts, start)
            if position < len(starts) and starts[position] < end:
                continue  # a kept span starts inside this one
            if position > 0 and ends[starts[position - 1]] > start:
                continue  # the kept span before this one reaches into it
            insort(starts, start)
            ends[start] = end
            chosen.append(row)
    chosen.sort(key=_SPAN_ORDER)  # Span's own order, without building Spans to compare them
    return [Span(row[0], row[1], row[2], row[3]) for row in chosen]
