"""Token-pattern rules in spaCy ``Matcher`` syntax, on spaCy's Arabic tokenizer.

spaCy's tokenizer keeps proclitics on the token ("وبطرابلس" is one token), so this module adds a
token extension ``stems``: the token itself and what remains after each possible proclitic (and the
article restored in the fused "لل" form). The rule language's ``WORD`` key compiles to
``{"_": {"stems": {"INTERSECTS": [...]}}}``, so ``{"WORD": "وزارة"}`` also matches "ووزارة".
Texts are tokenised only when they contain one of a rule's required words.
"""

from __future__ import annotations

import json

from annotator.arabic import ARTICLE, FUSED_PROCLITICS, PROCLITICS, CliticPolicy
from annotator.rules.token_syntax import token_nlp


def _first_token_offset(token_text: str, words: set[str], policy: CliticPolicy) -> int:
    """How far into the first token the span starts (past the proclitic the pattern looked through)."""
    if policy is not CliticPolicy.EXCLUDE or token_text in words:
        return 0
    for size in (1, 2):
        prefix, rest = token_text[:size], token_text[size:]
        if prefix in PROCLITICS and rest in words:
            return size
        if prefix in FUSED_PROCLITICS and rest.startswith("ل") and ARTICLE + rest[1:] in words:
            return size - 1
    return 0


class CompiledTokens:
    """Every token rule of a pack in one spaCy Matcher."""

    def __init__(self, rules: list[tuple[int, tuple[str, ...], CliticPolicy]]) -> None:
        from spacy.matcher import Matcher

        self.nlp = token_nlp()
        self.matcher = Matcher(self.nlp.vocab)
        self.policies: dict[int, CliticPolicy] = {}
        self.first_words: dict[int, set[str]] = {}
        for rule_index, patterns, policy in rules:
            decoded = [json.loads(pattern) for pattern in patterns]
            self.matcher.add(str(rule_index), decoded)
            self.policies[rule_index] = policy
            words: set[str] = set()
            for pattern in decoded:
                extensions = pattern[0].get("_")
                stems = extensions.get("stems") if isinstance(extensions, dict) else None
                listed = stems.get("INTERSECTS") if isinstance(stems, dict) else None
                words.update(word for word in listed or () if isinstance(word, str))
            self.first_words[rule_index] = words

    def find(self, text: str, rule_indexes: set[int] | None = None) -> list[tuple[int, int, int]]:
        doc = self.nlp.make_doc(text)
        hits = []
        strings = self.nlp.vocab.strings
        for match_id, start, end in self.matcher(doc):
            rule_index = int(strings[match_id])
            if rule_indexes is not None and rule_index not in rule_indexes:
                continue
            span = doc[start:end]
            offset = _first_token_offset(
                doc[start].text, self.first_words[rule_index], self.policies[rule_index]
            )
            hits.append((span.start_char + offset, span.end_char, rule_index))
        return hits
