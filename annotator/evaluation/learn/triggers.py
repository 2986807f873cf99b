"""Candidate triggers: the words that most often stand right before or right after missed entities.

For a person to review (a title before names, a speech verb after them); nothing here is applied.
Words are counted by their normalised form and shown as the text most often spells them; ``share``
is the part of all the word's occurrences in the gold texts that stand next to a miss of the label
on that side, which separates a real trigger ("الرئيس") from a word that is merely frequent ("في").
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.arabic import words
from annotator.model import Example, Span

SIDES = ("before", "after")


@dataclass(frozen=True)
class TriggerCandidate:
    label: str
    side: str  # the word stands "before" or "after" the missed entity
    word: str  # as the text most often spells it
    count: int  # misses of the label it stands next to, on that side
    occurrences: int  # the word's occurrences in the gold texts
    share: float  # count / occurrences

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "side": self.side,
            "word": self.word,
            "count": self.count,
            "occurrences": self.occurrences,
            "share": round(self.share, 4),
        }


def trigger_candidates(
    gold: Sequence[Example],
    misses: Sequence[tuple[int, Span]],
    normalize: Callable[[str], str],
    top: int = 25,
    min_count: int = 2,
) -> list[TriggerCandidate]:
    """The ``top`` words per label and side that stand next to at least ``min_count`` misses, most
    frequent first (ties: the larger share, then the word)."""
    occurrences: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    bounds: list[list[tuple[int, int]]] = []
    for example in gold:
        found = list(words(example.text))
        bounds.append(found)
        for start, end in found:
            word = example.text[start:end]
            key = normalize(word)
            occurrences[key] += 1
            spellings[key][word] += 1
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for index, span in misses:
        found = bounds[index]
        text = gold[index].text
        ends = [end for _, end in found]
        starts = [start for start, _ in found]
        before = bisect.bisect_right(ends, span.start) - 1
        if before >= 0:
            start, end = found[before]
            counts[(span.label, "before")][normalize(text[start:end])] += 1
        after = bisect.bisect_left(starts, span.end)
        if after < len(found):
            start, end = found[after]
            counts[(span.label, "after")][normalize(text[start:end])] += 1
    candidates = []
    for (label, side), counted in sorted(counts.items()):
        ranked = sorted(
            (
                (count, count / occurrences[key], key)
                for key, count in counted.items()
                if count >= min_count and occurrences[key]
            ),
            key=lambda item: (-item[0], -item[1], item[2]),
        )
        for count, share, key in ranked[:top]:
            written = min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0]
            candidates.append(TriggerCandidate(label, side, written, count, occurrences[key], share))
    return candidates
