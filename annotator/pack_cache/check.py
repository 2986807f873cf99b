"""A rule pack checked: compiled through the cache, its examples and guard run, its rules counted.

``check_pack`` is ``annotator rules check`` for one pack as a library call. It lives here, not in
``rules.examples``, because it compiles through the pack cache, a later layer than the rules; the
examples and the guard themselves are run by ``rules.examples`` with the compiled pack's patterns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from annotator.pack_cache.compiled import compile_pack
from annotator.rules.examples import ExampleOutcome, GuardOutcome, check_examples_and_guard
from annotator.rules.model import GazetteerRule, RulePack


@dataclass(frozen=True)
class PackCheck:
    """What checking a pack found: every example and the guard passed (else it raised), and counts."""

    pack: RulePack
    #: every rule example, pack example and profile example, each passed
    examples: list[ExampleOutcome]
    #: what each rule of the guard's labels tagged in the guard prose, worst first (empty: no guard)
    guard: list[GuardOutcome]
    #: the pack's rules per kind (``RuleKind`` value), e.g. {"gazetteer": 12, "regex": 3}
    rules_per_kind: dict[str, int]
    #: the terms of the pack's gazetteer rules (inline and from files)
    gazetteer_terms: int
    #: why the pack cache could not be used, or None
    cache_note: str | None = None

    @property
    def guard_spans(self) -> int:
        """Every span the rules tagged in the guard prose."""
        return sum(len(outcome.spans) for outcome in self.guard)


def check_pack(
    path: str | Path,
    *,
    cache: bool | str | Path = True,
    on_cache_note: Callable[[str], None] | None = None,
) -> PackCheck:
    """Compile the pack in folder ``path`` through the pack cache ``cache`` (``store_for``), run every
    example and the guard with its patterns, and count its rules per kind and its gazetteer terms.

    ``on_cache_note`` is called, before the examples run, with why the cache could not be used.
    Raises ``RulePackError`` for an invalid pack (every problem listed), ``RuleExamplesFailed`` when
    an example does not produce its spans or a rule tags more than the guard allows.
    """
    compiled = compile_pack(path, cache=cache)
    if compiled.cache_note and on_cache_note is not None:
        on_cache_note(compiled.cache_note)
    pack = compiled.pack
    examples, guard = check_examples_and_guard(pack, compiled.compile)
    return PackCheck(
        pack,
        examples,
        guard,
        rules_per_kind=dict(Counter(rule.kind.value for rule in pack.rules)),
        gazetteer_terms=sum(
            len(rule.config.source.terms) for rule in pack.rules if isinstance(rule.config, GazetteerRule)
        ),
        cache_note=compiled.cache_note,
    )
