"""The data every stage passes on: spans on original offsets, and examples that carry them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span ``text[start:end]`` of the ORIGINAL text, and the rule that made it.

    ``rule`` is empty for spans that come from people (gold) rather than rules. ``source`` is set on
    spans of a ``propagate`` rule: the mention they repeat, as (example id, start, end); it takes no
    part in comparisons.
    """

    start: int
    end: int
    label: str
    rule: str = ""
    source: tuple[str, int, int] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise ValueError(f"a span needs 0 <= start < end, got [{self.start}, {self.end})")
        if not self.label:
            raise ValueError("a span needs a label")

    @property
    def key(self) -> tuple[int, int, str]:
        """Identity for comparisons that ignore which rule made the span."""
        return (self.start, self.end, self.label)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "rule": self.rule,
        }
        if self.source is not None:
            example, start, end = self.source
            record["source"] = {"example": example, "start": start, "end": end}
        return record


@dataclass(frozen=True)
class Example:
    """One unit of annotation (a paragraph, a line, a sentence) with a stable id."""

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def surface(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def check_spans(self) -> None:
        """Raise ``ValueError`` if a span lies outside the text."""
        for span in self.spans:
            if span.end > len(self.text):
                raise ValueError(
                    f"example {self.id}: span [{span.start}, {span.end}) "
                    f"is outside a text of {len(self.text)}"
                )
