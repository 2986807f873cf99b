"""Run the examples written in a rule pack, like unit tests for rules.

Each rule's examples run against that rule ALONE (its matches resolved with the pack's overlap
policy) and must produce exactly the bracketed spans; a ``propagate`` rule runs with the rules it
propagates from, and its examples mark their spans too. An example written as a list is one
document of several paragraphs. The pack's own examples run against the whole pack, a profile's
against the pack under that profile. Failures say what was expected and what came out, in the same
bracket markup (paragraphs joined by " ¶ ").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotator.engine import Annotator
from annotator.errors import Problem, RuleExamplesFailed, TimeLimitExceeded
from annotator.model import Example
from annotator.rules.markup import render_markup
from annotator.rules.model import PropagateRule, RuleExample, RulePack

#: how the paragraphs of a document example are joined when a failure is shown
PARAGRAPH_MARK = " ¶ "


@dataclass(frozen=True)
class ExampleOutcome:
    rule: str | None  # None: a pack-level example
    example: RuleExample
    expected: frozenset[tuple[int, int, int, str]]  # (paragraph, start, end, label)
    produced: frozenset[tuple[int, int, int, str]]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.expected == self.produced

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"expected {self._render(self.expected)!r}, got {self._render(self.produced)!r}"

    def _render(self, spans: frozenset[tuple[int, int, int, str]]) -> str:
        return PARAGRAPH_MARK.join(
            render_markup(part.text, sorted(span[1:] for span in spans if span[0] == index))
            for index, part in enumerate(self.example.paragraphs)
        )


def _run(annotator: Annotator, rule: str | None, example: RuleExample, default_label: str) -> ExampleOutcome:
    parts = example.paragraphs
    expected = frozenset(
        (index, s.start, s.end, s.label or default_label)
        for index, part in enumerate(parts)
        for s in part.expected
    )
    document = [Example(f"paragraph-{index + 1}", part.text) for index, part in enumerate(parts)]
    try:
        annotated = annotator.annotate_document(document)
    except TimeLimitExceeded as error:
        return ExampleOutcome(rule, example, expected, frozenset(), error=str(error))
    produced = frozenset((index, *span.key) for index, done in enumerate(annotated) for span in done.spans)
    return ExampleOutcome(rule, example, expected, produced)


#: how a pack (or one rule of it, alone) becomes an annotator: ``Annotator`` itself, or
#: ``CompiledPack.compile``, which reuses the patterns the pack was compiled with
Compile = Callable[[RulePack], Annotator]


def run_examples(pack: RulePack, compiler: Compile = Annotator) -> list[ExampleOutcome]:
    """The outcome of every rule example, pack example and profile example."""
    outcomes = []
    for rule in pack.all_rules:
        if not rule.examples:
            continue
        alone = {rule.id}
        if isinstance(rule.config, PropagateRule):
            alone.update(rule.config.sources)
        annotator = compiler(pack.only(alone))
        outcomes.extend(_run(annotator, rule.id, example, rule.label) for example in rule.examples)
    if pack.examples:
        whole = compiler(pack.with_profile(None))
        outcomes.extend(_run(whole, None, example, "") for example in pack.examples)
    for name, profile in pack.profiles.items():
        if profile.examples:
            under = compiler(pack.with_profile(name))
            outcomes.extend(_run(under, None, example, "") for example in profile.examples)
    return outcomes


@dataclass(frozen=True)
class GuardOutcome:
    """What one rule tagged on the pack's guard prose (every span there is a false positive)."""

    rule: str
    spans: tuple[str, ...]  # the surfaces it tagged
    rate: float  # spans per 10,000 characters
    passed: bool


def run_guard(pack: RulePack, compiler: Compile = Annotator) -> list[GuardOutcome]:
    """Every rule of the guard's labels (under any profile) on the guard prose, worst first."""
    guard = pack.guard
    if guard is None or not guard.texts:
        return []
    from dataclasses import replace

    everything = compiler(replace(pack, rules=pack.all_rules))
    found: dict[str, list[str]] = {}
    for text in guard.texts:
        for span in everything.annotate(text):
            if span.label in guard.labels:
                found.setdefault(span.rule, []).append(text[span.start : span.end])
    size = max(1, guard.characters)
    outcomes = []
    for rule in pack.all_rules:
        if rule.label not in guard.labels:
            continue
        spans = tuple(found.get(rule.id, ()))
        rate = len(spans) * 10_000 / size
        outcomes.append(GuardOutcome(rule.id, spans, rate, rate <= guard.max_rate))
    return sorted(outcomes, key=lambda outcome: (-outcome.rate, outcome.rule))


def check_examples(pack: RulePack, compiler: Compile = Annotator) -> list[ExampleOutcome]:
    """Run every example and the guard; raise ``RuleExamplesFailed`` listing each failure with file,
    line and rule."""
    return check_examples_and_guard(pack, compiler)[0]


def check_examples_and_guard(
    pack: RulePack, compiler: Compile = Annotator
) -> tuple[list[ExampleOutcome], list[GuardOutcome]]:
    """``check_examples``, also returning the guard's outcomes (``run_guard``), so that a caller
    that shows them does not run the guard prose twice."""
    outcomes = run_examples(pack, compiler)
    failures = [
        Problem(o.example.location.file, o.example.location.line, o.rule, o.describe())
        for o in outcomes
        if not o.passed
    ]
    guard = pack.guard
    guarded = run_guard(pack, compiler)
    for outcome in guarded:
        if not outcome.passed and guard is not None:
            shown = ", ".join(repr(surface) for surface in outcome.spans[:5])
            failures.append(
                Problem(
                    ", ".join(guard.files),
                    None,
                    outcome.rule,
                    f"tags {len(outcome.spans)} spans in prose that has none ({outcome.rate:.1f} per 10,000 "
                    f"characters, at most {guard.max_rate:g}): {shown}",
                )
            )
    if failures:
        raise RuleExamplesFailed(str(pack.path), failures)
    return outcomes, guarded
