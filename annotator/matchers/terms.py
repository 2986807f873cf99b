"""Literal term matching for every term-based rule of a pack in ONE Aho-Corasick pass.

Gazetteer rules, trigger phrases and token-rule anchor words all register their terms here under a
*slot* (an integer the caller chooses). ``scan`` walks the normalised text once and returns the
boundary-checked hits of every slot.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from annotator.arabic import (
    CliticPolicy,
    clitic_start,
    fused_article_variant,
    is_word_char,
    spelling_variants,
)


class TermIndex:
    """An automaton over normalised terms; each key remembers which slots it serves and how."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[int, int, bool, CliticPolicy]]] = {}
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, slot: int, terms: Iterable[str], policy: CliticPolicy) -> None:
        """Register normalised ``terms`` for ``slot``; terms with the article also match their لل form."""
        for written in terms:
            for term in spelling_variants(written):
                self._entries.setdefault(term, []).append((slot, len(term), False, policy))
                fused = fused_article_variant(term)
                if fused is not None and policy is not CliticPolicy.NONE:
                    self._entries.setdefault(fused, []).append((slot, len(fused), True, policy))
        self._automaton = None

    def __len__(self) -> int:
        return len(self._entries)

    def build(self) -> None:
        automaton = ahocorasick.Automaton()
        for key, payload in self._entries.items():
            automaton.add_word(key, tuple(payload))
        if len(automaton):
            automaton.make_automaton()
        self._automaton = automaton

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, slot) of every term occurrence that respects word boundaries and clitics."""
        automaton = self._automaton
        if automaton is None:
            self.build()
            automaton = self._automaton
        if not len(automaton):  # type: ignore[arg-type]
            return []
        hits: list[tuple[int, int, int]] = []
        length = len(text)
        word = is_word_char
        for last, payload in automaton.iter(text):  # type: ignore[union-attr]
            end = last + 1
            if end < length and word(text[end]) and word(text[last]):
                continue  # ends inside a word
            for slot, size, fused, policy in payload:
                start = end - size
                if (start == 0 or not word(text[start - 1])) and not fused:
                    hits.append((start, end, slot))
                    continue
                adjusted = clitic_start(text, start, end, policy, fused)
                if adjusted is not None:
                    hits.append((adjusted, end, slot))
        return hits
