"""The most frequent misses and false positives, each shown in its sentence with spaCy's displaCy.

``evaluate`` keeps, for every error, the text around it as ``left[surface]right`` (30 characters
each side); that is what is shown, with the span highlighted in its label's colour, right to left.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from annotator.evaluation.evaluate import Error

#: appended to a pack's ``#rrggbb`` colour: the highlight is translucent so the text stays legible
HIGHLIGHT_ALPHA = "66"


@dataclass(frozen=True)
class FrequentError:
    """A surface that was missed (or wrongly tagged) ``count`` times, with one place it happened."""

    kind: str
    surface: str
    label: str
    count: int
    #: the rules that made the false positives, most frequent first (empty for misses)
    rules: tuple[tuple[str, int], ...]
    example: str
    text: str
    start: int
    end: int


def split_context(context: str, surface: str) -> tuple[str, int, int]:
    """``"left[surface]right"`` -> the plain text and the span's offsets in it.

    The marked span is the first ``[surface]`` at most 30 characters in (``evaluate`` keeps 30 on
    the left); a context without the mark is returned whole with an empty span at its start."""
    marked = f"[{surface}]"
    at = context.find(marked)
    if at < 0:
        return context, 0, 0
    text = context[:at] + surface + context[at + len(marked) :]
    return text, at, at + len(surface)


def frequent_errors(errors: Iterable[Error], kind: str, count: int) -> list[FrequentError]:
    """The ``count`` most frequent errors of ``kind`` by (surface, label), as ``top_errors`` ranks
    them (most frequent first, then by surface), each with its first occurrence's context."""
    grouped: dict[tuple[str, str], list[Error]] = defaultdict(list)
    for error in errors:
        if error.kind == kind:
            grouped[(error.surface, error.label)].append(error)
    ranked = sorted(grouped.values(), key=lambda group: (-len(group), group[0].surface, group[0].label))
    result = []
    for group in ranked[:count]:
        first = group[0]
        rules = Counter(error.rule for error in group if error.rule)
        text, start, end = split_context(first.context, first.surface)
        result.append(
            FrequentError(
                kind=kind,
                surface=first.surface,
                label=first.label,
                count=len(group),
                rules=tuple(sorted(rules.items(), key=lambda item: (-item[1], item[0]))),
                example=first.example,
                text=text,
                start=start,
                end=end,
            )
        )
    return result


def highlight(error: FrequentError, colours: Mapping[str, str]) -> str:
    """The error's context as displaCy markup: right to left, the span in its label's colour."""
    from spacy import displacy
    from spacy.displacy.templates import TPL_ENT_RTL

    spans = []
    if error.end > error.start:
        spans.append({"start": error.start, "end": error.end, "label": error.label})
    document = {"text": error.text, "ents": spans, "settings": {"lang": "ar", "direction": "rtl"}}
    # displaCy picks its right-to-left entity template when the renderer is built, before it reads
    # the document's settings: hand it the RTL template (label on the left of the highlight)
    options = {"colors": _highlight_colours(colours), "template": TPL_ENT_RTL}
    markup = displacy.render(document, style="ent", manual=True, jupyter=False, options=options)
    return str(markup).strip()


def _highlight_colours(colours: Mapping[str, str]) -> dict[str, str]:
    return {
        label: f"{colour}{HIGHLIGHT_ALPHA}" if len(colour) == 7 and colour.startswith("#") else colour
        for label, colour in colours.items()
    }
