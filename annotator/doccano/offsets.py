"""Convert texts and spans between this tool (code points, original line endings) and doccano.

doccano's web UI counts UTF-16 code units and mishandles ``\\r\\n``. At the boundary:

- ``\\r\\n`` becomes ``\\n``; the positions of the removed ``\\r`` are kept (in example meta) so the
  original text comes back byte for byte on export;
- offsets become UTF-16 units: a character outside the BMP (an emoji) counts 2.

``encode`` and ``decode`` are exact inverses for every span that does not start or end between
the two halves of a surrogate pair (which cannot happen for spans made here).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import regex

from annotator.errors import VerificationFailed

_ASTRAL = regex.compile(r"[\U00010000-\U0010FFFF]")


class OffsetError(VerificationFailed):
    """A doccano offset falls inside a surrogate pair or outside the text (exit code 7: the data
    that came back from doccano cannot be mapped onto the original text)."""


@dataclass(frozen=True)
class DoccanoText:
    """A text as doccano stores it, and where ``\\r`` characters were removed (doccano indexes)."""

    text: str
    removed_cr: tuple[int, ...] = ()


def _astral_positions(text: str) -> list[int]:
    return [match.start() for match in _ASTRAL.finditer(text)]


def encode_text(text: str) -> DoccanoText:
    """The doccano form of ``text``: ``\\r\\n`` -> ``\\n``."""
    if "\r\n" not in text:
        return DoccanoText(text)
    removed = []
    pieces = text.split("\r\n")
    position = 0
    for piece in pieces[:-1]:
        position += len(piece)
        removed.append(position)  # the \n that follows now sits here
        position += 1
    return DoccanoText("\n".join(pieces), tuple(removed))


def decode_text(stored: DoccanoText) -> str:
    """The original text back from its doccano form."""
    if not stored.removed_cr:
        return stored.text
    pieces = []
    previous = 0
    for position in stored.removed_cr:
        pieces.append(stored.text[previous:position])
        pieces.append("\r")
        previous = position
    pieces.append(stored.text[previous:])
    return "".join(pieces)


class OffsetCodec:
    """Maps offsets of one text between code points of the original and UTF-16 units in doccano."""

    def __init__(self, stored: DoccanoText) -> None:
        self.stored = stored
        self._astral = _astral_positions(stored.text)
        self._cr = list(stored.removed_cr)
        # original index of each removed \r: its doccano index plus the CRs before it
        self._cr_original = [position + index for index, position in enumerate(self._cr)]

    @classmethod
    def for_original(cls, text: str) -> OffsetCodec:
        return cls(encode_text(text))

    def to_doccano(self, offset: int) -> int:
        """Original code-point offset -> doccano UTF-16 offset."""
        point = offset - bisect_left(self._cr_original, offset)
        return point + bisect_left(self._astral, point)

    def from_doccano(self, units: int, *, is_end: bool) -> int:
        """Doccano UTF-16 offset -> original code-point offset."""
        # code point d with d + (astral chars before d) == units
        low, high = 0, len(self.stored.text)
        while low < high:
            middle = (low + high) // 2
            if middle + bisect_left(self._astral, middle) < units:
                low = middle + 1
            else:
                high = middle
        if low > len(self.stored.text) or low + bisect_left(self._astral, low) != units:
            raise OffsetError(f"offset {units} splits a character or lies outside the text")
        count = bisect_left(self._cr, low) if is_end else bisect_right(self._cr, low)
        return low + count

    def spans_to_doccano(self, spans: list[tuple[int, int, str]]) -> list[list]:
        return [[self.to_doccano(s), self.to_doccano(e), label] for s, e, label in spans]

    def spans_from_doccano(self, labels: list[list]) -> list[tuple[int, int, str]]:
        return [
            (self.from_doccano(s, is_end=False), self.from_doccano(e, is_end=True), label)
            for s, e, label in labels
        ]
