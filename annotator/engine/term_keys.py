"""What the integer keys of the engine's shared ``TermIndex`` mean.

The Aho-Corasick pass reports one integer key per hit, on two channels. For a pack of ``n`` rules
the engine uses these ranges:

- term hits (boundary-checked): key ``i`` is rule ``i``'s own terms (gazetteer terms, trigger
  phrases), and key ``n + i`` is one of token rule ``i``'s required words, whose hit only lets that
  rule run on the text;
- prefix hits (every occurrence, unchecked): key ``i`` is a literal prefix of rule ``i``'s regex
  (a regex rule, or a trigger rule's trigger pattern), and key ``2n + i`` is one of the strings
  regex rule ``i`` requires.

``TermKeys`` is the one place that does this arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TermKeys:
    """The keys a pack of ``rule_count`` rules registers in its ``TermIndex``."""

    rule_count: int

    @staticmethod
    def own_terms(rule: int) -> int:
        """The term key of rule ``rule``'s own terms: a hit is a match (or a trigger) of that rule."""
        return rule

    def required_word(self, rule: int) -> int:
        """The term key of token rule ``rule``'s required words."""
        return self.rule_count + rule

    def is_required_word(self, key: int) -> bool:
        """Whether term key ``key`` is a token rule's required word (not a rule's own term)."""
        return key >= self.rule_count

    def token_rule_of(self, key: int) -> int:
        """The token rule whose required word term key ``key`` is."""
        return key - self.rule_count

    @staticmethod
    def prefix(rule: int) -> int:
        """The prefix key of the literal prefixes of rule ``rule``'s regex."""
        return rule

    def required_string(self, rule: int) -> int:
        """The prefix key of the strings regex rule ``rule`` requires."""
        return 2 * self.rule_count + rule
