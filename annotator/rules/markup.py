"""The markup of rule examples: ``"زار الوفد [القاهرة] و[دمشق](LOC)"``.

Square brackets mark a span the rule (or pack) must produce; ``(LABEL)`` right after the closing
bracket names its label (default: the rule's label). ``\\[`` and ``\\]`` are literal brackets.
An example without brackets must produce no span at all.
"""

from __future__ import annotations

import regex

from annotator.rules.model import ExpectedSpan

_LABEL_AFTER = regex.compile(r"\(([A-Za-z][A-Za-z0-9_-]*)\)")


class MarkupError(ValueError):
    """The example's brackets are unbalanced or empty."""


def parse_markup(source: str) -> tuple[str, tuple[ExpectedSpan, ...]]:
    """Return the plain text of an example and the spans its brackets mark."""
    text: list[str] = []
    spans: list[ExpectedSpan] = []
    open_at: int | None = None
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source) and source[index + 1] in "[]":
            text.append(source[index + 1])
            index += 2
            continue
        if char == "[":
            if open_at is not None:
                raise MarkupError(f"nested '[' at character {index}")
            open_at = len("".join(text))
        elif char == "]":
            if open_at is None:
                raise MarkupError(f"']' without '[' at character {index}")
            end = len("".join(text))
            if end == open_at:
                raise MarkupError(f"empty brackets at character {index}")
            label = None
            found = _LABEL_AFTER.match(source, index + 1)
            if found:
                label = found.group(1)
                index = found.end() - 1
            spans.append(ExpectedSpan(open_at, end, label))
            open_at = None
        else:
            text.append(char)
        index += 1
    if open_at is not None:
        raise MarkupError("'[' is never closed")
    return "".join(text), tuple(spans)


def render_markup(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Write spans back into bracket markup (for failure reports)."""
    pieces: list[str] = []
    cursor = 0
    for start, end, label in sorted(spans):
        if start < cursor:  # overlapping spans cannot be shown inline; list them apart
            continue
        pieces.append(text[cursor:start])
        pieces.append(f"[{text[start:end]}]({label})")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
