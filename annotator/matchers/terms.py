"""Literal term matching for every term-based rule of a pack in ONE Aho-Corasick pass.

Gazetteer rules, trigger phrases and token rules' required words all register their terms here
under a *key* (an integer the caller chooses; ``annotator.engine.term_keys`` says what the
engine's keys mean). ``scan`` walks the normalised text once and returns the boundary-checked hits
of every key.

Regex rules register the literal prefixes their matches must start with (``add_prefixes``); the
same pass reports where those occur, unchecked, so that each regex runs only there. The pass runs
on the text with its whitespace folded to spaces (as the prefixes are written); a term with a
space only counts where the text really has one.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from annotator.arabic import (
    WORD_CHAR,
    CliticPolicy,
    clitic_start,
    fused_article_variant,
    spelling_variants,
)
from annotator.matchers.prefixes import fold_spaces


class TermIndex:
    """An automaton over normalised terms; each string remembers which keys it serves and how."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[int, int, bool, CliticPolicy]]] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self._frozen = False  # unpickled: the registrations live only in the automaton's payloads

    def add(self, key: int, terms: Iterable[str], policy: CliticPolicy) -> None:
        """Register normalised ``terms`` under ``key``; terms with the article also match their لل form."""
        self._thaw()
        for written in terms:
            for term in spelling_variants(written):
                self._entries.setdefault(term, []).append((key, len(term), False, policy))
                fused = fused_article_variant(term)
                if fused is not None and policy is not CliticPolicy.NONE:
                    self._entries.setdefault(fused, []).append((key, len(fused), True, policy))
        self._automaton = None

    def add_prefixes(self, key: int, prefixes: Iterable[str]) -> None:
        """Report every occurrence of ``prefixes`` (as they are, no boundary check) under ``key``."""
        self._thaw()
        for prefix in prefixes:
            self._prefixes.setdefault(prefix, []).append(key)
        self._automaton = None

    def __len__(self) -> int:
        self._thaw()
        return len(self._entries)

    def __getstate__(self) -> dict:
        """A built index pickles as its automaton alone: every key's payload holds its entries."""
        if self._automaton is None:
            return {"entries": self._entries, "prefixes": self._prefixes}
        return {"automaton": self._automaton}

    def __setstate__(self, state: dict) -> None:
        self._automaton = state.get("automaton")
        self._entries = state.get("entries", {})
        self._prefixes = state.get("prefixes", {})
        self._frozen = self._automaton is not None

    def _thaw(self) -> None:
        """Read the registrations back out of an unpickled automaton (before anything is added)."""
        if not self._frozen:
            return
        self._frozen = False
        assert self._automaton is not None
        for string, (_, entries, prefix_keys, _) in self._automaton.items():
            if entries:
                self._entries[string] = list(entries)
            if prefix_keys:
                self._prefixes[string] = list(prefix_keys)

    def build(self) -> None:
        self._thaw()
        automaton = ahocorasick.Automaton()
        strings = [*self._entries, *(string for string in self._prefixes if string not in self._entries)]
        for string in strings:
            entries = tuple(self._entries.get(string, ()))
            payload = (len(string), entries, tuple(self._prefixes.get(string, ())), " " in string)
            automaton.add_word(string, payload)
        if len(automaton):
            automaton.make_automaton()
        self._automaton = automaton

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, key) of every term occurrence that respects word boundaries and clitics."""
        return self.scan_all(text)[0]

    def scan_all(self, text: str) -> tuple[list[tuple[int, int, int]], dict[int, list[int]]]:
        """The term hits of ``scan``, and the start of every prefix occurrence (unsorted) by prefix key."""
        automaton = self._automaton
        if automaton is None:
            self.build()
            automaton = self._automaton
        hits: list[tuple[int, int, int]] = []
        prefix_starts: dict[int, list[int]] = {}
        if not len(automaton):  # type: ignore[arg-type]
            return hits, prefix_starts
        length = len(text)
        word = WORD_CHAR
        scanned = fold_spaces(text)
        folded = scanned is not text
        for last, (size, entries, prefix_keys, spaced) in automaton.iter(scanned):  # type: ignore[union-attr]
            end = last + 1
            start = end - size
            for prefix_key in prefix_keys:
                found = prefix_starts.get(prefix_key)
                if found is None:
                    prefix_starts[prefix_key] = [start]
                else:
                    found.append(start)
            if not entries or (end < length and word[text[end]] and word[text[last]]):
                continue  # no term, or it ends inside a word
            if spaced and folded and text[start:end] != scanned[start:end]:
                continue  # the term's space is another whitespace character in the text
            for key, _, fused, policy in entries:
                if (start == 0 or not word[text[start - 1]]) and not fused:
                    hits.append((start, end, key))
                    continue
                adjusted = clitic_start(text, start, end, policy, fused)
                if adjusted is not None:
                    hits.append((adjusted, end, key))
        return hits, prefix_starts
