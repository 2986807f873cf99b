"""Propagate rules: later mentions of a name that another rule found earlier in the same document.

Like GATE's orthographic matcher: once "كوفي عنان" is found, a later "عنان" in the same document is
the same person. A ``NameMemory`` lives for one document. After each example's spans are resolved,
the spans of a propagate rule's source rules give FORMS (the whole name, its last word, its first
and last words); every later occurrence of a known form, in this example after its source or in a
later example, becomes a span of the propagate rule, pointing at its source mention. A propagated
mention only fills a gap: it never replaces or overlaps a span the other rules found, and it is
never a source itself. The first source of a form wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.arabic import (
    ARTICLE,
    CliticPolicy,
    NormalizedText,
    Normalizer,
    clitic_start,
    fused_article_variant,
    spelling_variants,
)
from annotator.model import Span
from annotator.rules.model import PropagateRule


@dataclass(frozen=True)
class Propagator:
    """A compiled propagate rule."""

    rule_id: str
    label: str
    config: PropagateRule
    clitics: CliticPolicy


@dataclass(frozen=True)
class _Form:
    propagator: int  # index into the memory's propagators
    paragraph: int  # the source's position in the document
    example: str  # the source example's id
    start: int
    end: int


def name_forms(normalised: str, config: PropagateRule) -> list[str]:
    """The forms a name (normalised, single spaces) propagates as, per ``config``.

    ``exclude`` words are never a form on their own; a last word after an excluded word (a particle
    such as بن or ابو) keeps it: "اسامه بن لادن" propagates as "بن لادن" and "اسامه بن لادن".
    """
    words = normalised.split()
    if not words:
        return []
    if words[0].startswith("لل"):  # the fused form of the article after ل: "للامم المتحده"
        words[0] = ARTICLE + words[0][2:]
    excluded = frozenset(config.exclude)
    tail = words[-1:]
    if len(words) >= 2 and words[-2] in excluded:
        tail = words[-2:]
    forms = []
    if "full" in config.forms:
        forms.append(" ".join(words))
    if len(words) > len(tail) and "last" in config.forms:
        forms.append(" ".join(tail))
    if len(words) > len(tail) + 1 and "first_last" in config.forms:
        forms.append(" ".join([words[0], *tail]))
    return [
        form
        for form in dict.fromkeys(forms)
        if form not in excluded
        and form.split()[-1] not in excluded
        and all(len(word) >= config.min_chars or word in excluded for word in form.split())
    ]


class NameMemory:
    """The forms known so far in one document, and the spans they add to each of its examples."""

    def __init__(
        self, propagators: list[Propagator], sources: dict[str, int], normalizer: Normalizer
    ) -> None:
        self._propagators = propagators
        self._sources = sources  # source rule id -> propagator index
        self._normalizer = normalizer
        self._forms: dict[str, _Form] = {}
        #: what to look for: (string, fused, form), with the spelling variants and the لل form
        self._needles: list[tuple[str, bool, _Form]] = []
        self._paragraph = -1

    def extend(self, example_id: str, view: NormalizedText, spans: list[Span]) -> list[Span]:
        """``spans`` (one example's resolved spans, in document order) plus its propagated mentions;
        ``view`` is the example's normalised text."""
        self._paragraph += 1
        text = view.original
        for span in spans:
            propagator = self._sources.get(span.rule)
            if propagator is not None:
                self._learn(propagator, example_id, span, text[span.start : span.end])
        if not self._needles:
            return spans
        hits = self._find(view.text)
        if not hits:
            return spans
        if not view.is_identity:
            hits = view.to_original_all(hits)
        taken = [(span.start, span.end) for span in spans]
        added = []
        for start, end, slot in sorted(hits, key=lambda hit: (hit[0], hit[0] - hit[1])):
            form = self._needles[slot][2]
            if form.paragraph == self._paragraph and start < form.end:
                continue  # before (or inside) its own source
            if any(start < kept_end and kept_start < end for kept_start, kept_end in taken):
                continue
            propagator = self._propagators[form.propagator]
            taken.append((start, end))
            added.append(
                Span(
                    start,
                    end,
                    propagator.label,
                    propagator.rule_id,
                    source=(form.example, form.start, form.end),
                )
            )
        return sorted([*spans, *added]) if added else spans

    def _learn(self, propagator: int, example_id: str, span: Span, surface: str) -> None:
        normalised = self._normalizer.normalize_term(surface)
        config = self._propagators[propagator].config
        for form in name_forms(normalised, config):
            if form in self._forms:
                continue
            known = _Form(propagator, self._paragraph, example_id, span.start, span.end)
            self._forms[form] = known
            for variant in spelling_variants(form):
                self._needles.append((variant, False, known))
                fused = fused_article_variant(variant)
                if fused is not None and self._propagators[propagator].clitics is not CliticPolicy.NONE:
                    self._needles.append((fused, True, known))

    def _find(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, needle) of every occurrence of a known form in the normalised ``text`` that
        respects word boundaries and the propagate rule's clitic policy (as gazetteer terms do).

        A document knows a few dozen forms, so ``str.find`` per form beats building an automaton."""
        hits = []
        for slot, (needle, fused, form) in enumerate(self._needles):
            policy = self._propagators[form.propagator].clitics
            position = text.find(needle)
            while position >= 0:
                end = position + len(needle)
                start = clitic_start(text, position, end, policy, fused)
                if start is not None:
                    hits.append((start, end, slot))
                position = text.find(needle, position + 1)
        return hits
