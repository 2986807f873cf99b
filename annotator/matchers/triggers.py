"""Context-trigger rules: a trigger phrase before (or after) a target; the span is the target only.

Trigger phrases given as terms are found by the pack's shared ``TermIndex``; trigger patterns run as
regexes. From each trigger occurrence the target is matched ANCHORED next to it (forwards after the
trigger, or backwards before it with a reverse regex), so the cost is per trigger, not per text.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from annotator.arabic import CliticPolicy, clitic_start
from annotator.matchers.regexes import CompiledRegex, RegexTimeout, time_limit
from annotator.patterns import compile_pattern
from annotator.rules.macros import TARGET_GROUP, target_source_regex, trigger_target_regex
from annotator.rules.model import TriggerRule


class CompiledTrigger:
    """One trigger rule: how to find its triggers (if by pattern) and its anchored target regex."""

    def __init__(
        self, rule_index: int, config: TriggerRule, policy: CliticPolicy, ignore_case: bool, timeout: float
    ) -> None:
        flags = regex.IGNORECASE if ignore_case else 0
        target = target_source_regex(config.target.pattern, config.target.terms)
        self.rule_index = rule_index
        self.after = config.position == "after"
        self.target = compile_pattern(trigger_target_regex(target, config.between, self.after), flags)
        self.policy = policy
        self.timeout = timeout
        self.trigger_regex = (
            CompiledRegex(rule_index, config.trigger.pattern, 0, policy, ignore_case, timeout)
            if config.trigger.pattern is not None
            else None
        )

    def triggers(
        self, text: str, starts: Iterable[int] | None = None, guarded: bool = False
    ) -> list[tuple[int, int, int]]:
        """Trigger occurrences found by pattern (term triggers come from the shared index); ``starts``
        and ``guarded`` as for ``CompiledRegex.find``."""
        return self.trigger_regex.find(text, starts, guarded) if self.trigger_regex is not None else []

    def targets(
        self, text: str, triggers: list[tuple[int, int]], guarded: bool = False
    ) -> list[tuple[int, int, int]]:
        """The target next to each trigger occurrence, as (start, end, rule_index); ``guarded`` as for
        ``CompiledRegex.find``."""
        hits = []
        seen: set[tuple[int, int]] = set()
        limit = None if guarded else time_limit(self.timeout, text)
        options = {} if limit is None else {"timeout": limit}
        try:
            for trigger_start, trigger_end in triggers:
                if self.after:
                    found = self.target.match(text, 0, trigger_start, **options)
                else:
                    found = self.target.match(text, trigger_end, **options)
                if found is None:
                    continue
                start, end = found.span(TARGET_GROUP)
                if start == end or (start, end) in seen:
                    continue
                adjusted = clitic_start(text, start, end, self.policy)
                if adjusted is not None:
                    seen.add((start, end))
                    hits.append((adjusted, end, self.rule_index))
        except TimeoutError:
            raise RegexTimeout(self.rule_index, limit or 0.0) from None
        return hits
