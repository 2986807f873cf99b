"""Small hand-made gold and predictions for the report tests: what the report must show is known."""

from __future__ import annotations

from annotator.model import Example, Span

TEXT = "استقبل رئيس المجلس الرئاسي محمد المنفي في طرابلس وفدا من الاتحاد الأوروبي"
#: a gold span no rule finds: the report must show it, in Arabic, among the misses
MISSED = "المجلس الرئاسي"
#: a span a rule makes that the gold does not have
WRONG = "الأوروبي"
#: made on every example: enough hits to be judged
JUDGED_RULES = ("per.names", "loc.cities")
#: one hit, one false positive: too few to judge
FEW_RULE = "loc.regions"
EXAMPLES = 12


def _span(text: str, surface: str, label: str, rule: str = "") -> Span:
    start = text.index(surface)
    return Span(start, start + len(surface), label, rule)


def gold_and_predicted() -> tuple[list[Example], list[Example]]:
    """``EXAMPLES`` copies of ``TEXT``: the rules find the person and the city everywhere, miss the
    two organisations, and one rule tags "الأوروبي" as a place in the first example only."""
    gold, predicted = [], []
    for index in range(EXAMPLES):
        name = f"ex-{index:02d}"
        gold.append(
            Example(
                name,
                TEXT,
                tuple(
                    sorted(
                        (
                            _span(TEXT, MISSED, "ORG"),
                            _span(TEXT, "محمد المنفي", "PER"),
                            _span(TEXT, "طرابلس", "LOC"),
                            _span(TEXT, "الاتحاد الأوروبي", "ORG"),
                        )
                    )
                ),
            )
        )
        spans = [_span(TEXT, "محمد المنفي", "PER", "per.names"), _span(TEXT, "طرابلس", "LOC", "loc.cities")]
        if index == 0:
            spans.append(_span(TEXT, WRONG, "LOC", FEW_RULE))
        predicted.append(Example(name, TEXT, tuple(sorted(spans))))
    return gold, predicted
