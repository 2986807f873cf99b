"""Learned gazetteers: strings annotators tagged that no rule found, kept when they are unambiguous.

Candidates come from the misses (gold spans no rule matched): the surface, or the surface without
a leading proclitic when the pack's clitic policy would leave that proclitic out of a match and the
rest is plausibly the name (it starts with the article, or it is itself a gold surface of the
label). Each candidate's ambiguity is measured with the pack's own matcher: all candidates of a
label become one gazetteer rule (the pack's normalisation and clitic policy), that pack runs once
over the gold texts, and a term keeps a match when the match coincides with a gold span of its
label (in the chosen mode). A term is learned when it matched at least ``term_min_count`` times
and ``term_precision`` of its matches were tagged, and never when it matches the pack's guard
prose (text that has no entities).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from annotator.arabic import ARTICLE, FUSED_PROCLITICS, JOINABLE_FIRST_WORDS, PROCLITICS, CliticPolicy
from annotator.engine import Annotator
from annotator.evaluation.evaluate import tolerant_equal
from annotator.model import Example, Span
from annotator.rules.model import GazetteerRule, Location, Rule, RuleKind, RulePack, TermSource

#: the proclitics, longest first (so that "وب" is tried before "و")
_PREFIXES = sorted(PROCLITICS, key=lambda prefix: (-len(prefix), prefix))


@dataclass
class LearnedTerm:
    """A candidate term of one label, with its evidence."""

    label: str
    term: str  # normalised, as the matcher knows it
    surfaces: Counter[str] = field(default_factory=Counter)  # how the misses wrote it
    misses: int = 0
    matches: int = 0
    tagged: int = 0
    in_guard: int = 0
    kept: bool = False

    @property
    def written(self) -> str:
        """The most frequent way the text spells it (ties: the first in code-point order)."""
        return min(self.surfaces.items(), key=lambda item: (-item[1], item[0]))[0]

    @property
    def share(self) -> float:
        return self.tagged / self.matches if self.matches else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "term": self.written,
            "misses": self.misses,
            "matches": self.matches,
            "tagged": self.tagged,
            "share": round(self.share, 4),
            "guard_matches": self.in_guard,
            "kept": self.kept,
        }


def strip_proclitic(surface: str, policy: CliticPolicy, known: set[str], normalize: Any) -> str:
    """``surface`` without a leading proclitic when the pack's matcher would find the rest after it
    and the rest is plausible (starts with the article, or is a known gold surface); else as it is.

    "لل" + noun becomes the article + noun ("للأمم" -> "الأمم"), as the matcher's fused form.
    """
    if policy is CliticPolicy.NONE:
        return surface
    for prefix in _PREFIXES:
        if not surface.startswith(prefix) or len(surface) <= len(prefix) + 1:
            continue
        rest = surface[len(prefix) :]
        fused = ARTICLE + rest[1:] if prefix in FUSED_PROCLITICS and rest.startswith("ل") else None
        if normalize(rest) in known:
            return rest
        if fused is not None and normalize(fused) in known:
            return fused
        if rest.startswith(ARTICLE):
            return rest
        if fused is not None and len(fused) > len(ARTICLE) + 1:
            return fused  # "للأمم": ل + the article whose alef is not written (measured like any term)
    return surface


def _term_of(matched: str, terms: set[str]) -> str | None:
    """The candidate term a match's normalised text stands for (clitics and fused forms undone)."""
    forms = [matched] + [matched[len(p) :] for p in _PREFIXES if matched.startswith(p)]
    for form in list(forms):
        if form.startswith("ل"):
            forms.append("ا" + form)  # the fused "لامم" of "الامم"
        for first in JOINABLE_FIRST_WORDS:
            if form.startswith(first) and len(form) > len(first):
                forms.append(f"{first} {form[len(first) :]}")
    for form in forms:
        if form in terms:
            return form
    return None


def candidate_terms(
    pack: RulePack, gold: Sequence[Example], misses: Sequence[tuple[int, Span]]
) -> dict[tuple[str, str], LearnedTerm]:
    """The candidates of the misses ((example index, gold span)), by (label, normalised term)."""
    annotator_normalizer = Annotator(replace(pack, rules=())).normalizer
    normalize = annotator_normalizer.normalize_term
    known: dict[str, set[str]] = defaultdict(set)
    for example in gold:
        for span in example.spans:
            known[span.label].add(normalize(example.text[span.start : span.end].strip()))
    candidates: dict[tuple[str, str], LearnedTerm] = {}
    for index, span in misses:
        surface = gold[index].text[span.start : span.end].strip()
        if not surface or "\n" in surface or surface.startswith("#"):
            continue
        written = strip_proclitic(surface, pack.clitics, known[span.label], normalize)
        term = normalize(written)
        if not term:
            continue
        candidate = candidates.setdefault((span.label, term), LearnedTerm(span.label, term))
        candidate.surfaces[written] += 1
        candidate.misses += 1
    return candidates


def measure_terms(
    pack: RulePack,
    gold: Sequence[Example],
    candidates: dict[tuple[str, str], LearnedTerm],
    mode: str,
) -> None:
    """Count each candidate's matches on the gold texts and how many coincide with a gold span of
    its label (``mode``: strict or tolerant), in one pass of one compiled pack; and its matches in
    the pack's guard prose."""
    labels = sorted({label for label, _ in candidates})
    rules = []
    for label in labels:
        terms = tuple(sorted(term for known, term in candidates if known == label))
        rules.append(
            Rule(
                id=f"learned.{label}",
                kind=RuleKind.GAZETTEER,
                label=label,
                config=GazetteerRule(TermSource(terms=terms)),
                clitics=pack.clitics,
                location=Location("(learn)"),
            )
        )
    if not rules:
        return
    annotator = Annotator(replace(pack, rules=tuple(rules), written=tuple(rules), examples=(), profiles={}))
    normalize = annotator.normalizer.normalize_term
    terms_of = {label: {term for known, term in candidates if known == label} for label in labels}
    for example in gold:
        text = example.text
        if not text:
            continue
        by_end: dict[int, list[Span]] = defaultdict(list)
        for span in example.spans:
            by_end[span.end].append(span)
        for candidate in annotator.candidates(text):
            term = _term_of(normalize(text[candidate.start : candidate.end]), terms_of[candidate.label])
            if term is None:
                continue
            found = candidates[(candidate.label, term)]
            found.matches += 1
            match = Span(candidate.start, candidate.end, candidate.label)
            if any(
                (gold_span.key == match.key) if mode == "strict" else tolerant_equal(text, gold_span, match)
                for gold_span in by_end.get(candidate.end, ())
            ):
                found.tagged += 1
    guard = pack.guard
    if guard is not None:
        for text in guard.texts:
            for candidate in annotator.candidates(text):
                if candidate.label not in guard.labels:
                    continue
                term = _term_of(normalize(text[candidate.start : candidate.end]), terms_of[candidate.label])
                if term is not None:
                    candidates[(candidate.label, term)].in_guard += 1


def choose_terms(
    candidates: dict[tuple[str, str], LearnedTerm], min_count: int, min_share: float
) -> list[LearnedTerm]:
    """Mark the candidates worth learning; every candidate, by label then term."""
    for candidate in candidates.values():
        candidate.kept = (
            candidate.matches >= min_count and candidate.share >= min_share and candidate.in_guard == 0
        )
    return [candidates[key] for key in sorted(candidates)]
