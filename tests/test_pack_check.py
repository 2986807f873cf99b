"""``check_pack``, ``annotator rules check`` for one pack as a library call: it compiles through the
pack cache, runs the examples and the guard, and counts the rules per kind and the gazetteer terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import RuleExamplesFailed, RulePackError
from annotator.pack_cache.check import check_pack
from annotator.rules.examples import run_guard
from tests.packs import DEFAULT_HEADER, write_pack

RULES = """\
rules:
  - id: loc.cities
    kind: gazetteer
    label: LOC
    terms: [طرابلس, بنغازي]
    examples:
      - "زار [طرابلس] أمس"
  - id: loc.countries
    kind: gazetteer
    label: LOC
    files: [countries.txt]
  - id: date.year
    kind: regex
    label: DATE
    pattern: '\\d{4}'
    examples:
      - "في عام [2021]"
"""
COUNTRIES = "ليبيا\nمصر\nتونس\n"
GUARDED = DEFAULT_HEADER + "guard:\n  files: [prose.txt]\n  labels: [PER, LOC]\n  max_rate: 500\n"
PROSE = "# prose\nزار طرابلس صديق قديم.\nالطقس جميل اليوم.\n"


def test_the_check_reports_the_rules_per_kind_the_gazetteer_terms_and_the_examples(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack", {"rules.yaml": RULES, "countries.txt": COUNTRIES})
    checked = check_pack(folder)
    assert checked.rules_per_kind == {"gazetteer": 2, "regex": 1}
    assert checked.gazetteer_terms == 2 + 3  # inline and from the file
    assert [(outcome.rule, outcome.passed) for outcome in checked.examples] == [
        ("loc.cities", True),
        ("date.year", True),
    ]
    assert checked.pack.label_names == ("PER", "LOC", "ORG", "DATE")
    assert checked.guard == [] and checked.guard_spans == 0  # the pack has no guard


def test_the_check_returns_what_each_guarded_rule_tagged_in_the_guard_prose(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "pack",
        {"rules.yaml": RULES, "countries.txt": COUNTRIES, "prose.txt": PROSE},
        GUARDED,
    )
    checked = check_pack(folder)
    assert checked.guard == run_guard(checked.pack)
    assert [(outcome.rule, outcome.spans) for outcome in checked.guard] == [
        ("loc.cities", ("طرابلس",)),
        ("loc.countries", ()),
    ]
    assert checked.guard_spans == 1


def test_the_cache_note_is_handed_over_even_when_an_example_then_fails(tmp_path: Path) -> None:
    failing = RULES.replace('"في عام [2021]"', '"في عام 2021"')
    folder = write_pack(tmp_path / "pack", {"rules.yaml": failing, "countries.txt": COUNTRIES})
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    notes: list[str] = []
    with pytest.raises(RuleExamplesFailed) as raised:
        check_pack(folder, cache=blocker / "cache", on_cache_note=notes.append)
    assert raised.value.exit_code == 8
    assert [problem.rule for problem in raised.value.problems] == ["date.year"]
    assert len(notes) == 1 and str(blocker) in notes[0]


def test_an_invalid_pack_is_a_pack_error_listing_every_problem(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack", {"rules.yaml": RULES.replace("kind: regex", "kind: nope")})
    with pytest.raises(RulePackError) as raised:
        check_pack(folder, cache=False)
    assert raised.value.exit_code == 3
    assert [problem.rule for problem in raised.value.problems] == ["loc.countries", "date.year"]
    assert "countries.txt does not exist" in raised.value.problems[0].message
    assert "'kind' must be one of" in raised.value.problems[1].message
