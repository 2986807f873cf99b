"""Regex rules: Unicode-aware patterns on the normalised text, with a per-rule time limit."""

from __future__ import annotations

import regex

from annotator.arabic import CliticPolicy, clitic_start

#: a match may start at a word start, after a proclitic, or on a non-word character
LEFT_EDGE = r"(?:(?<!\w)|(?=\W)|(?<=(?<!\w)[وف]?[بكل])|(?<=(?<!\w)[وف]))"
FUSED_GROUP = "fused_article"


class RegexTimeout(Exception):
    """A rule's regex ran past its time limit on one text."""

    def __init__(self, rule_index: int) -> None:
        super().__init__(rule_index)
        self.rule_index = rule_index


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
        flags = regex.IGNORECASE if ignore_case else 0
        self.rule_index = rule_index
        self.compiled = regex.compile(LEFT_EDGE + "(?:" + pattern + ")", flags)
        self.group = group
        self.policy = policy
        self.timeout = timeout
        self.has_fused = FUSED_GROUP in self.compiled.groupindex

    def find(self, text: str) -> list[tuple[int, int, int]]:
        hits = []
        try:
            for found in self.compiled.finditer(text, timeout=self.timeout):
                start, end = found.span(self.group)
                if start < 0 or start == end:
                    continue
                fused = self.has_fused and found.start(FUSED_GROUP) == start
                adjusted = clitic_start(text, start, end, self.policy, fused)
                if adjusted is not None:
                    hits.append((adjusted, end, self.rule_index))
        except TimeoutError:
            raise RegexTimeout(self.rule_index) from None
        return hits
