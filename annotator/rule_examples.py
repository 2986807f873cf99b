"""Run the examples written in a rule pack, like unit tests for rules.

Each rule's examples run against that rule ALONE (its matches resolved with the pack's overlap
policy) and must produce exactly the bracketed spans. The pack's own examples run against the
whole pack. Failures say what was expected and what came out, in the same bracket markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotator.engine import Annotator
from annotator.errors import Problem, RuleExamplesFailed, TimeLimitExceeded
from annotator.rules.markup import render_markup
from annotator.rules.model import RuleExample, RulePack


@dataclass(frozen=True)
class ExampleOutcome:
    rule: str | None  # None: a pack-level example
    example: RuleExample
    expected: frozenset[tuple[int, int, str]]
    produced: frozenset[tuple[int, int, str]]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.expected == self.produced

    def describe(self) -> str:
        if self.error:
            return self.error
        text = self.example.text
        return (
            f"expected {render_markup(text, sorted(self.expected))!r}, "
            f"got {render_markup(text, sorted(self.produced))!r}"
        )


def _run(annotator: Annotator, rule: str | None, example: RuleExample, default_label: str) -> ExampleOutcome:
    expected = frozenset((s.start, s.end, s.label or default_label) for s in example.expected)
    try:
        produced = frozenset(span.key for span in annotator.annotate(example.text))
    except TimeLimitExceeded as error:
        return ExampleOutcome(rule, example, expected, frozenset(), error=str(error))
    return ExampleOutcome(rule, example, expected, produced)


#: how a pack (or one rule of it, alone) becomes an annotator: ``Annotator`` itself, or
#: ``CompiledPack.compile``, which reuses the patterns the pack was compiled with
Compile = Callable[[RulePack], Annotator]


def run_examples(pack: RulePack, compiler: Compile = Annotator) -> list[ExampleOutcome]:
    """The outcome of every rule example and pack example."""
    outcomes = []
    for rule in pack.rules:
        if not rule.examples:
            continue
        alone = compiler(pack.only({rule.id}))
        outcomes.extend(_run(alone, rule.id, example, rule.label) for example in rule.examples)
    if pack.examples:
        whole = compiler(pack)
        outcomes.extend(_run(whole, None, example, "") for example in pack.examples)
    return outcomes


def check_examples(pack: RulePack, compiler: Compile = Annotator) -> list[ExampleOutcome]:
    """Run every example; raise ``RuleExamplesFailed`` listing each failure with file, line and rule."""
    outcomes = run_examples(pack, compiler)
    failures = [
        Problem(o.example.location.file, o.example.location.line, o.rule, o.describe())
        for o in outcomes
        if not o.passed
    ]
    if failures:
        raise RuleExamplesFailed(str(pack.path), failures)
    return outcomes
