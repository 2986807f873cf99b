"""Marked-up examples of a rule, a profile or the pack: parsed and checked against the pack's labels.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's labels and ``problem``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from annotator.rules.markup import MarkupError, parse_markup
from annotator.rules.model import Location, RuleExample
from annotator.rules.yaml_source import LocatedDict, LocatedList


class ExampleChecks:
    """Marked-up examples of a rule, a profile or the pack: parsed and checked against the pack's labels."""

    def examples(self, raw: LocatedDict, where: Location, rule_label: str | None) -> tuple[RuleExample, ...]:
        """The marked-up ``examples`` of a rule (``where.rule`` set) or of the pack or a profile."""
        items = raw.get("examples", LocatedList(line=raw.line))
        if not isinstance(items, LocatedList):
            self.problem(where.at(raw.line_of("examples")), "'examples' must be a list of marked-up texts")
            return ()
        examples = []
        for index, item in enumerate(items):
            line = items.line_of(index)
            # a list of texts is one document of several paragraphs (for propagate rules)
            parts = item if isinstance(item, list) and item else [item]
            paragraphs = [self.example(part, where.at(line)) for part in parts]
            if all(paragraph is not None for paragraph in paragraphs):
                first, *following = paragraphs
                examples.append(replace(first, following=tuple(following)))  # type: ignore[arg-type]
        return tuple(examples)

    def example(self, item: Any, where: Location) -> RuleExample | None:
        """One marked-up example text, or ``None`` after reporting what is wrong with it."""
        if not isinstance(item, str) or not item.strip():
            self.problem(where, "an example must be a non-empty string such as 'في [القاهرة]'")
            return None
        try:
            text, expected = parse_markup(item)
        except MarkupError as error:
            self.problem(where, f"example markup: {error}")
            return None
        for span in expected:
            if span.label is None and where.rule is None:
                self.problem(where, "pack examples must name labels: [القاهرة](LOC)")
            elif span.label is not None and span.label not in self.labels:
                self.problem(where, f"example uses unknown label {span.label}")
        return RuleExample(text, expected, item, where)
