"""Tokens that line up with every span.

spaCy's Arabic tokenizer leaves proclitics on the token ("وبطرابلس" is one token), so a gold span
"طرابلس" would start inside a token and be lost by token-level formats. Here tokens are split at
every span boundary, so every span is a whole number of tokens. Spans are also trimmed of
whitespace at their edges (a stray selected space in the UI); each trim is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from annotator.arabic import blank_arabic
from annotator.model import Example, Span


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def is_space(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Adjustment:
    """A change the exporter had to make to a span, and why."""

    example: str
    before: Span
    after: Span | None
    reason: str


def _tokenizer() -> Any:
    return blank_arabic().tokenizer


def trim_spans(example: Example) -> tuple[Example, list[Adjustment]]:
    """Remove whitespace at span edges; drop spans that are only whitespace (reported)."""
    kept: list[Span] = []
    adjustments = []
    for span in example.spans:
        surface = example.text[span.start : span.end]
        start = span.start + (len(surface) - len(surface.lstrip()))
        end = span.end - (len(surface) - len(surface.rstrip()))
        if start >= end:
            adjustments.append(Adjustment(example.id, span, None, "the span holds only whitespace"))
            continue
        if (start, end) != (span.start, span.end):
            trimmed = Span(start, end, span.label, span.rule)
            adjustments.append(
                Adjustment(example.id, span, trimmed, "whitespace at the span's edge was trimmed")
            )
            kept.append(trimmed)
        else:
            kept.append(span)
    unique = tuple(sorted(set(kept)))
    return Example(example.id, example.text, unique, example.meta), adjustments


def tokens_for(text: str, spans: tuple[Span, ...] | list[Span]) -> list[Token]:
    """spaCy's tokens of ``text``, split further wherever a span starts or ends inside a token."""
    boundaries = sorted({offset for span in spans for offset in (span.start, span.end)})
    tokens: list[Token] = []
    for token in _tokenizer()(text):
        start = token.idx
        end = start + len(token.text)
        inner = [b for b in boundaries if start < b < end]
        pieces = [start, *inner, end]
        for a, b in pairwise(pieces):
            tokens.append(Token(a, b, text[a:b]))
    return tokens


def bio_tags(tokens: list[Token], spans: list[Span]) -> list[str]:
    """B-/I-/O tags of ``tokens`` for NON-overlapping ``spans`` that align with tokens."""
    tags = ["O"] * len(tokens)
    starts = {token.start: index for index, token in enumerate(tokens)}
    ends = {token.end: index for index, token in enumerate(tokens)}
    for span in spans:
        first, last = starts[span.start], ends[span.end]
        tags[first] = f"B-{span.label}"
        for index in range(first + 1, last + 1):
            tags[index] = f"I-{span.label}"
    return tags


def non_overlapping(spans: tuple[Span, ...] | list[Span]) -> tuple[list[Span], list[Span]]:
    """Split spans into a non-overlapping set (longest first) and the ones that overlap it."""
    kept: list[Span] = []
    left_out: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start, s.label)):
        if any(span.start < other.end and other.start < span.end for other in kept):
            left_out.append(span)
        else:
            kept.append(span)
    return sorted(kept), sorted(left_out)
