"""The compiled rule pack: ``Annotator(pack).annotate(text) -> list[Span]``, and documents.

No I/O here. An ``Annotator`` compiles a validated ``RulePack`` once (one Aho-Corasick automaton for
every term-based rule, one regex per regex rule, one spaCy matcher for token rules) and is then a
pure function of the text. It pickles whole (``annotator.pack_cache`` keeps it on disk), except for
spaCy's matcher, which is rebuilt from the token patterns before the first text. The matching
itself is in ``annotator.matchers``; this module runs the matchers in one pass over a text
(``engine.term_keys`` says what the shared automaton's keys mean), resolves their candidates, and
carries names across the paragraphs of a document for ``propagate`` rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from annotator.arabic import NormalizedText, Normalizer
from annotator.engine.term_keys import TermKeys
from annotator.errors import TimeLimitExceeded
from annotator.matchers.alarm import AlarmExpired, TextAlarm
from annotator.matchers.propagate import NameMemory, Propagator
from annotator.matchers.regexes import CompiledRegex, RegexTimeout, time_limit
from annotator.matchers.terms import TermIndex
from annotator.matchers.triggers import CompiledTrigger
from annotator.model import Example, Span
from annotator.resolve import Candidate, CandidateRow, resolve_rows
from annotator.rules.model import (
    GazetteerRule,
    PropagateRule,
    RegexRule,
    RuleKind,
    RulePack,
    TokenRule,
    TriggerRule,
)


class Annotator:
    """A compiled rule pack. Thread-compatible and picklable (spaCy's matcher is rebuilt on first use)."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.normalizer = Normalizer(pack.normalization)
        ignore_case = pack.normalization.casefold
        timeout = pack.match_timeout
        self._terms = TermIndex()
        self._regexes: list[CompiledRegex] = []
        self._triggers: dict[int, CompiledTrigger] = {}
        #: regex rule index -> the prefix key of the strings it requires
        self._required_key: dict[int, int] = {}
        token_rules = []
        self._propagators: list[Propagator] = []
        self._propagated_from: dict[str, int] = {}  # source rule id -> propagator
        keys = self._keys = TermKeys(len(pack.rules))
        for index, rule in enumerate(pack.rules):
            config = rule.config
            if isinstance(config, GazetteerRule):
                self._terms.add(keys.own_terms(index), config.source.terms, rule.clitics)
            elif isinstance(config, RegexRule):
                self._regexes.append(
                    CompiledRegex(index, config.pattern, config.group, rule.clitics, ignore_case, timeout)
                )
                if config.requires:
                    self._required_key[index] = keys.required_string(index)
                    self._terms.add_prefixes(keys.required_string(index), config.requires)
            elif isinstance(config, TriggerRule):
                self._triggers[index] = CompiledTrigger(index, config, rule.clitics, ignore_case, timeout)
                if not config.trigger.is_pattern:
                    self._terms.add(keys.own_terms(index), config.trigger.terms, rule.clitics)
            elif isinstance(config, TokenRule):
                token_rules.append((index, config.patterns, rule.clitics))
                if config.required_words:
                    self._terms.add(keys.required_word(index), config.required_words, rule.clitics)
            elif isinstance(config, PropagateRule):
                for source in config.sources:
                    self._propagated_from.setdefault(source, len(self._propagators))
                self._propagators.append(Propagator(rule.id, rule.label, config, rule.clitics))
        # regex rules (and trigger patterns) whose matches start with known literals run only where
        # the shared automaton saw one of those
        #: rule index -> the prefix key its literal prefixes are reported under (prefix-gated rules)
        self._prefix_key: dict[int, int] = {}
        for compiled in [
            *self._regexes,
            *(t.trigger_regex for t in self._triggers.values() if t.trigger_regex),
        ]:
            if compiled.prefixes is not None:
                self._prefix_key[compiled.rule_index] = keys.prefix(compiled.rule_index)
                self._terms.add_prefixes(self._prefix_key[compiled.rule_index], compiled.prefixes)
        self._always_tokens = {
            index
            for index, rule in enumerate(pack.rules)
            if rule.kind is RuleKind.TOKENS and not rule.config.required_words  # type: ignore[union-attr]
        }
        self._token_rules = token_rules
        self._tokens = None
        self.prepare()
        self._terms.build()
        self._alarm = TextAlarm()
        self._labels = [rule.label for rule in pack.rules]
        self._ids = [rule.id for rule in pack.rules]
        self._priorities = [rule.priority for rule in pack.rules]

    def prepare(self) -> None:
        """Build what pickling leaves out (spaCy's token matcher, if the pack has token rules).

        Called before the first text (never under its time limit) and before worker processes
        fork, so that they share it.
        """
        if self._token_rules and self._tokens is None:
            from annotator.matchers.tokens import CompiledTokens

            self._tokens = CompiledTokens(self._token_rules)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tokens"] = None  # spaCy's vocabulary and matcher: rebuilt from the patterns by prepare
        return state

    def candidates(self, text: str) -> list[Candidate]:
        """Every rule match on ``text`` (original offsets), before overlap resolution.

        Raises ``TimeLimitExceeded`` as ``candidate_rows`` does.
        """
        return [Candidate(*row) for row in self.candidate_rows(text)]

    def candidate_rows(self, text: str) -> list[CandidateRow]:
        """``candidates`` as ``CandidateRow`` tuples (what ``annotate`` resolves).

        Raises ``TimeLimitExceeded`` naming the rule that was running when the text's matching ran
        past the pack's time limit (``match_timeout`` per 10,000 characters; see ``alarm``).
        """
        return self._rows(self.normalizer.normalize(text))

    def _rows(self, view: NormalizedText) -> list[CandidateRow]:
        """``candidate_rows`` of a text already normalised."""
        if self._tokens is None and self._token_rules:
            self.prepare()
        norm = view.text
        hits: list[tuple[int, int, int]] = []
        limit = time_limit(self.pack.match_timeout, norm)
        current = -1  # the rule being matched, to name when the time runs out
        try:
            with self._alarm.armed(limit) as guarded:
                triggers: dict[int, list[tuple[int, int]]] = {}
                token_rules: set[int] = set(self._always_tokens)
                keys = self._keys
                term_hits, prefix_starts = self._terms.scan_all(norm)
                prefix_key = self._prefix_key
                required_key = self._required_key
                for start, end, key in term_hits:
                    if keys.is_required_word(key):
                        token_rules.add(keys.token_rule_of(key))
                    elif key in self._triggers:
                        triggers.setdefault(key, []).append((start, end))
                    else:
                        hits.append((start, end, key))
                # a prefix-gated rule runs only where the scan saw one of its prefixes, at those places
                for compiled in self._regexes:
                    current = compiled.rule_index
                    if current in required_key and required_key[current] not in prefix_starts:
                        continue  # none of the strings it requires is in the text
                    prefix = prefix_key.get(current)
                    if prefix is None or prefix in prefix_starts:
                        starts = None if prefix is None else prefix_starts[prefix]
                        hits.extend(compiled.find(norm, starts, guarded))
                for current, trigger in self._triggers.items():
                    found = triggers.get(current, [])
                    prefix = prefix_key.get(current)
                    if prefix is None or prefix in prefix_starts:
                        starts = None if prefix is None else prefix_starts[prefix]
                        found.extend(hit[:2] for hit in trigger.triggers(norm, starts, guarded))
                    if found:
                        hits.extend(trigger.targets(norm, found, guarded))
                current = -1
                if token_rules and self._tokens is not None:
                    hits.extend(self._tokens.find(norm, token_rules))
        except RegexTimeout as timeout:
            raise TimeLimitExceeded(self._ids[timeout.rule_index], timeout.seconds) from None
        except AlarmExpired:
            rule = self._ids[current] if current >= 0 else "(the term scan and token patterns)"
            raise TimeLimitExceeded(rule, limit) from None
        if not view.is_identity:
            hits = view.to_original_all(hits)
        labels, ids, priorities = self._labels, self._ids, self._priorities
        return [(start, end, labels[i], ids[i], priorities[i], i) for start, end, i in hits]

    @property
    def propagates(self) -> bool:
        """Whether the pack has ``propagate`` rules (spans then depend on the document, not one text)."""
        return bool(self._propagators)

    def annotate(self, text: str) -> list[Span]:
        """The resolved spans of ``text`` (a document of one), on its original offsets, each naming
        its rule."""
        if not text:
            return []
        view = self.normalizer.normalize(text)
        spans = resolve_rows(self._rows(view), self.pack.overlap)
        if self._propagators and spans:
            spans = self._memory().extend("", view, spans)
        return spans

    def _memory(self) -> NameMemory:
        return NameMemory(self._propagators, self._propagated_from, self.normalizer)

    def annotate_example(self, example: Example) -> Example:
        """``example`` (a document of one) with its spans replaced by this pack's spans."""
        return self.annotate_document([example])[0]

    def annotate_document(self, examples: Sequence[Example]) -> list[Example]:
        """The examples of one document (see ``annotator.engine.documents``), in order, with this pack's
        spans; ``propagate`` rules carry the names found in earlier examples to later ones."""
        memory = self._memory() if self._propagators else None
        annotated = []
        for example in examples:
            if not example.text:
                annotated.append(replace(example, spans=()))
                continue
            view = self.normalizer.normalize(example.text)
            try:
                spans = resolve_rows(self._rows(view), self.pack.overlap)
            except TimeLimitExceeded as error:
                raise TimeLimitExceeded(error.rule, error.seconds, example.id) from None
            if memory is not None:
                spans = memory.extend(example.id, view, spans)
            annotated.append(replace(example, spans=tuple(spans)))
        return annotated
