"""Overlap resolution: candidate matches -> the spans that are kept. A pure function of its inputs."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

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

    @property
    def length(self) -> int:
        return self.end - self.start


#: the order of ``Span`` (its fields in turn), read from a candidate
_SPAN_ORDER = attrgetter("start", "end", "label", "rule")


def _best_per_position(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Merge exact duplicates (same start, end, label): the higher priority, then the earlier rule, stays."""
    best: dict[tuple[int, int, str], Candidate] = {}
    for candidate in candidates:
        key = (candidate.start, candidate.end, candidate.label)
        kept = best.get(key)
        if kept is None or (-candidate.priority, candidate.order) < (-kept.priority, kept.order):
            best[key] = candidate
    return list(best.values())


def resolve(candidates: Iterable[Candidate], policy: OverlapPolicy = OverlapPolicy.LONGEST) -> list[Span]:
    """Choose the spans to keep, sorted by position.

    - ``longest``: the longest candidate wins; ties go to the higher priority, then the earlier
      start, then the rule written first;
    - ``priority``: the higher priority wins; ties go to the longer candidate, then as above;
    - ``keep_all``: every candidate stays (overlaps allowed); only exact duplicates are merged.
    """
    unique = _best_per_position(candidates)
    if policy is OverlapPolicy.KEEP_ALL:
        chosen = unique
    else:
        if policy is OverlapPolicy.LONGEST:
            unique.sort(key=lambda c: (c.start - c.end, -c.priority, c.start, c.order))
        else:
            unique.sort(key=lambda c: (-c.priority, c.start - c.end, c.start, c.order))
        chosen = []
        starts: list[int] = []
        ends: dict[int, int] = {}
        for candidate in unique:
            position = bisect_left(starts, candidate.start)
            if position < len(starts) and starts[position] < candidate.end:
                continue  # a kept span starts inside this one
            if position > 0 and ends[starts[position - 1]] > candidate.start:
                continue  # the kept span before this one reaches into it
            insort(starts, candidate.start)
            ends[candidate.start] = candidate.end
            chosen.append(candidate)
    chosen.sort(key=_SPAN_ORDER)  # Span's own order, without building Spans to compare them
    return [Span(c.start, c.end, c.label, c.rule) for c in chosen]
