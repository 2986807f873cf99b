"""Regex rules: Unicode-aware patterns on the normalised text, under a time limit.

The pack's ``match_timeout`` is the time allowed for a text of up to ``TIMEOUT_CHARS`` characters;
a longer text gets proportionally more, so that an honest pattern, whose time grows with the
length of the text, is not stopped on a long paragraph, while a catastrophically backtracking one,
whose time explodes on a short stretch, still is. The engine keeps the limit for a text's whole
matching pass with a timer (``alarm``) and calls ``find`` with ``guarded=True``; otherwise every
``regex`` call carries the limit itself.

When every match of a rule must start with one of a set of literal strings (``literal_prefixes``),
the engine's Aho-Corasick pass reports where those occur, and ``find`` runs the regex anchored at
just those positions instead of scanning the whole text; the matches are exactly the same.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import regex

from annotator.arabic import (
    CONJUNCTIONS,
    PREPOSITIONS,
    PROCLITIC_LAST_LETTERS,
    CharTable,
    CliticPolicy,
    clitic_start,
)
from annotator.matchers.prefixes import literal_prefixes
from annotator.patterns import compile_pattern

#: a match may start at a word start, after a proclitic, or on a non-word character
LEFT_EDGE = rf"(?:(?<!\w)|(?=\W)|(?<=(?<!\w)[{CONJUNCTIONS}]?[{PREPOSITIONS}])|(?<=(?<!\w)[{CONJUNCTIONS}]))"
FUSED_GROUP = "fused_article"
#: the text length that ``match_timeout`` covers; longer texts get a proportionally longer limit
TIMEOUT_CHARS = 10_000
#: ``\w`` as the regex engine sees it, by character (LEFT_EDGE's sense of a word character)
_REGEX_WORD: dict[str, bool] = CharTable(lambda char: regex.match(r"\w", char) is not None)


def left_edge_holds(text: str, start: int) -> bool:
    """Whether ``LEFT_EDGE`` matches at ``start``, decided in Python (a regex call per start position cost
    more than the rest of the test): a word start, a non-word character, or a word character after
    a proclitic sequence ([وف]?[بكل] or [وف]) that starts its word."""
    if start == 0:
        return True
    previous = text[start - 1]
    if not _REGEX_WORD[previous] or (start < len(text) and not _REGEX_WORD[text[start]]):
        return True
    if previous not in PROCLITIC_LAST_LETTERS:
        return False
    if start == 1 or not _REGEX_WORD[text[start - 2]]:
        return True
    if previous in PREPOSITIONS and text[start - 2] in CONJUNCTIONS:
        return start == 2 or not _REGEX_WORD[text[start - 3]]
    return False


def time_limit(timeout: float, text: str) -> float:
    """The time one rule may spend on ``text``: ``timeout`` per ``TIMEOUT_CHARS`` characters."""
    return timeout * max(1.0, len(text) / TIMEOUT_CHARS)


class RegexTimeout(Exception):
    """A rule's regex ran past its time limit on one text."""

    def __init__(self, rule_index: int, seconds: float) -> None:
        super().__init__(rule_index, seconds)
        self.rule_index = rule_index
        self.seconds = seconds


class CompiledRegex:
    """One regex rule ready to run: compiled pattern, span group, clitic policy."""

    def __init__(
        self,
        rule_index: int,
        pattern: str,
        group: int | str,
        policy: CliticPolicy,
        ignore_case: bool,
        timeout: float,
    ) -> None:
        self.flags = regex.IGNORECASE if ignore_case else 0
        self.rule_index = rule_index
        self.pattern = pattern
        self.group = group
        self.policy = policy
        self.timeout = timeout
        #: literal strings every match starts with (None: the whole text is scanned)
        self.prefixes = literal_prefixes(pattern, ignore_case)
        self._scanner: regex.Pattern | None = None
        #: the pattern tried at given start positions (None: the rule has no literal prefixes)
        self.at_starts: regex.Pattern | None = None
        if self.prefixes is None:
            self.has_fused = FUSED_GROUP in self.scanner.groupindex
        else:
            # runs at given starts check LEFT_EDGE apart and match the pattern exactly as the pack loader
            # compiled it to validate it, so that this compile is a hit in regex's own cache
            self.at_starts = compile_pattern(pattern, self.flags)
            self.has_fused = FUSED_GROUP in self.at_starts.groupindex

    @property
    def scanner(self) -> regex.Pattern:
        """The pattern behind LEFT_EDGE, for a scan of the whole text (compiled when first needed)."""
        if self._scanner is None:
            self._scanner = compile_pattern(LEFT_EDGE + "(?:" + self.pattern + ")", self.flags)
        return self._scanner

    def find(
        self, text: str, starts: Iterable[int] | None = None, guarded: bool = False
    ) -> list[tuple[int, int, int]]:
        """(start, end, rule_index) of every match; with ``starts``, only matches starting there.

        ``starts`` must include every position where one of ``prefixes`` occurs: the regex then
        runs anchored at those positions, in order, skipping those inside the previous match,
        which gives exactly the matches of a scan of the whole text. ``guarded``: the caller keeps
        the time limit (``alarm.TextAlarm``), so no call carries its own.
        """
        hits = []
        limit = None if guarded else time_limit(self.timeout, text)
        if starts is None or self.at_starts is None:
            if limit is None:
                matches: Iterable[regex.Match] = self.scanner.finditer(text)
            else:
                matches = self.scanner.finditer(text, timeout=limit)
        else:
            matches = self._matches_at(self.at_starts, text, starts, limit)
        try:
            for found in matches:
                start, end = found.span(self.group)
                if start < 0 or start == end:
                    continue
                fused = self.has_fused and found.start(FUSED_GROUP) == start
                adjusted = clitic_start(text, start, end, self.policy, fused)
                if adjusted is not None:
                    hits.append((adjusted, end, self.rule_index))
        except TimeoutError:
            raise RegexTimeout(self.rule_index, limit or 0.0) from None
        return hits

    def _starts(self, text: str, starts: Iterable[int]) -> Iterator[int]:
        """The positions of ``starts`` where LEFT_EDGE holds, in order."""
        for start in sorted(set(starts)):
            if left_edge_holds(text, start):
                yield start

    def _matches_at(
        self, pattern: regex.Pattern, text: str, starts: Iterable[int], limit: float | None
    ) -> Iterable[regex.Match]:
        """The matches of ``scanner.finditer``, tried only at ``starts``; under the same time limit
        unless ``limit`` is None (the caller keeps it).

        ``LEFT_EDGE`` is zero-width, so ``LEFT_EDGE(?:pattern)`` matches at a position exactly when
        ``LEFT_EDGE`` holds there and ``pattern`` matches there, with the same match.
        """
        match = pattern.match
        deadline = None if limit is None else time.monotonic() + limit
        position = 0
        for start in self._starts(text, starts):
            if start < position:
                continue
            if deadline is None:
                found = match(text, start)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("regex timed out")
                found = match(text, start, timeout=remaining)
            if found is not None:
                position = found.end()
                yield found
