"""The guard: rules are run on prose without entities, and a rule that tags too much there fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import RuleExamplesFailed, RulePackError
from annotator.rules.examples import check_examples, run_guard
from tests.packs import DEFAULT_HEADER, pack_of

RULES = """\
rules:
  - id: per.given
    kind: gazetteer
    label: PER
    terms: [جمال]
  - id: date.day
    kind: gazetteer
    label: DATE
    terms: [الخميس]
"""
PROSE = "# prose\nيتمتع الريف بجمال الطبيعة يوم الخميس.\nجمال الطبيعة لا يوصف.\n"


def _header(max_rate: float) -> str:
    return (
        DEFAULT_HEADER + f"guard:\n  files: [prose.txt]\n  labels: [PER, LOC, ORG]\n  max_rate: {max_rate}\n"
    )


def test_a_rule_that_tags_guard_prose_above_the_rate_fails_rules_check(tmp_path: Path) -> None:
    pack = pack_of(tmp_path, RULES, _header(2.0), **{"prose.txt": PROSE})
    with pytest.raises(RuleExamplesFailed) as raised:
        check_examples(pack)
    message = str(raised.value)
    assert "[rule per.given]" in message
    assert "tags 2 spans in prose that has none" in message and "'جمال'" in message
    assert "date.day" not in message  # DATE is not a guarded label


def test_a_rule_within_the_rate_passes_and_is_counted(tmp_path: Path) -> None:
    pack = pack_of(tmp_path, RULES, _header(500.0), **{"prose.txt": PROSE})
    check_examples(pack)
    (outcome,) = run_guard(pack)
    assert (outcome.rule, outcome.spans, outcome.passed) == ("per.given", ("جمال", "جمال"), True)
    assert outcome.rate == pytest.approx(2 * 10_000 / pack.guard.characters)


def test_guard_settings_are_validated(tmp_path: Path) -> None:
    header = DEFAULT_HEADER + "guard:\n  files: [missing.txt]\n  labels: [NOPE]\n  max_rate: -1\n"
    with pytest.raises(RulePackError) as raised:
        pack_of(tmp_path, RULES, header)
    message = str(raised.value)
    assert "guard file missing.txt does not exist" in message
    assert "guard.labels must list pack labels" in message
