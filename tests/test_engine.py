"""The engine over every rule kind: regex, trigger, token patterns; time limits; parallel runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from annotator.engine import Annotator, annotate_stream, parallel
from annotator.errors import TimeLimitExceeded
from annotator.model import Example
from annotator.rules import load_pack
from tests.packs import DEFAULT_HEADER, pack_of, surfaces
from tests.seeds import seed_paragraphs

MACRO_HEADER = (
    DEFAULT_HEADER
    + """\
macros:
  MONTH: {terms: [يناير, ديسمبر, كانون الأول]}
  DAY: '(?:3[01]|[12][0-9]|0?[1-9])'
  YEAR: '(?:19|20)[0-9]{2}'
  GIVEN: {terms: [خليفة, عبد الفتاح, جوي]}
"""
)


def test_regex_rule_with_macros_matches_both_digit_systems_on_original_offsets(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: date.dmy
    kind: regex
    label: DATE
    pattern: '{DAY}\\s+{MONTH}(?:\\s+{YEAR})?'
"""
    annotator = Annotator(pack_of(tmp_path, rules, MACRO_HEADER))
    assert surfaces(annotator, "في 24 ديسمبر وفي ٣١ كانون الأوّل ٢٠٢١.") == [
        "24 ديسمبر",
        "٣١ كانون الأوّل ٢٠٢١",
    ]
    assert surfaces(annotator, "سجلت 24 إصابة") == []


def test_regex_group_selects_the_span_inside_the_match(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: date.year
    kind: regex
    label: DATE
    pattern: '(?:عام|صيف)\\s+({YEAR})'
    group: 1
"""
    annotator = Annotator(pack_of(tmp_path, rules, MACRO_HEADER))
    spans = annotator.annotate("منذ عام 2011 وفي صيف 2020")
    assert [(s.start, s.end, s.rule) for s in spans] == [(8, 12, "date.year"), (21, 25, "date.year")]


def test_regex_never_matches_inside_a_word(tmp_path: Path) -> None:
    rules = "rules:\n  - id: r\n    kind: regex\n    label: LOC\n    pattern: 'مصر'\n"
    annotator = Annotator(pack_of(tmp_path, rules))
    assert surfaces(annotator, "مصرف والمصري وبمصر") == ["مصر"]


def test_al_macro_matches_the_fused_lam_lam_form(tmp_path: Path) -> None:
    rules = "rules:\n  - id: r\n    kind: regex\n    label: ORG\n    pattern: '{AL}مفوضية العليا'\n"
    annotator = Annotator(pack_of(tmp_path, rules))
    assert surfaces(annotator, "ميزانية للمفوضية العليا والمفوضية العليا") == [
        "للمفوضية العليا",
        "المفوضية العليا",
    ]


def test_trigger_before_target_spans_the_target_only(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: per.title
    kind: trigger
    label: PER
    trigger: {terms: [الرئيس, المشير]}
    between: '\\s+(?:المصري\\s+)?'
    target: '{GIVEN}(?:\\s+[^\\W\\d]{3,})?'
"""
    annotator = Annotator(pack_of(tmp_path, rules, MACRO_HEADER))
    assert surfaces(annotator, "استقبل الرئيس المصري عبد الفتاح السيسي") == ["عبد الفتاح السيسي"]
    assert surfaces(annotator, "دعم المشير خليفة حفتر") == ["خليفة حفتر"]
    assert surfaces(annotator, "والتقى الرئيس أمس") == []
    assert surfaces(annotator, "خليفة حفتر") == []  # no trigger, no span


def test_trigger_after_target_matches_backwards(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: per.before_verb
    kind: trigger
    label: PER
    position: after
    trigger: {terms: [يستقبل, يلتقي]}
    target: {terms: [السيسي, حفتر]}
"""
    annotator = Annotator(pack_of(tmp_path, rules))
    assert surfaces(annotator, "السيسي يستقبل حفتر") == ["السيسي"]


def test_token_pattern_word_key_sees_through_proclitics(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: org.ministry
    kind: tokens
    label: ORG
    pattern:
      - {WORD: وزارة}
      - {TEXT: {IN: [العدل, الخارجية]}}
"""
    annotator = Annotator(pack_of(tmp_path, rules))
    text = "مكتب النائب العام ووزارة العدل وبوزارة الخارجية"
    assert surfaces(annotator, text) == ["وزارة العدل", "وزارة الخارجية"]


def test_catastrophic_regex_is_stopped_by_the_time_limit_and_named(tmp_path: Path) -> None:
    header = DEFAULT_HEADER + "match_timeout: 0.2\n"
    rules = "rules:\n  - id: evil.backtracking\n    kind: regex\n    label: ORG\n    pattern: '(?:a|a)+b'\n"
    annotator = Annotator(pack_of(tmp_path, rules, header))
    example = Example("doc-7", "a" * 40)
    with pytest.raises(TimeLimitExceeded) as caught:
        annotator.annotate_example(example)
    assert caught.value.rule == "evil.backtracking"
    assert "doc-7" in str(caught.value)


@pytest.mark.parametrize("forked", [True, False], ids=["fork-shares-the-compile", "forkserver-compiles"])
def test_parallel_annotation_gives_the_same_results_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    pack = load_pack(Path(__file__).resolve().parent.parent / "rules" / "starter")
    lines = seed_paragraphs()
    examples = [Example(f"e{i}", line) for i, line in enumerate(lines * 30) if line.strip()]
    serial = list(annotate_stream(pack, examples, workers=1))
    monkeypatch.setattr(parallel, "_fork_is_safe", lambda: forked)
    in_parallel = list(annotate_stream(pack, iter(examples), workers=2, chunk_examples=7))
    assert [e.id for e in in_parallel] == [e.id for e in examples]
    assert in_parallel == serial
    assert sum(len(e.spans) for e in serial) > 0


def test_workers_are_forked_only_while_no_other_thread_is_alive() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel._fork_is_safe()
    finally:
        stop.set()
        thread.join()


def test_empty_and_whitespace_texts_have_no_spans(tmp_path: Path) -> None:
    pack = load_pack(Path(__file__).resolve().parent.parent / "rules" / "starter")
    annotator = Annotator(pack)
    assert annotator.annotate("") == []
    assert annotator.annotate("   \n ") == []


def test_regex_rule_with_requires_runs_only_on_texts_holding_one_of_its_strings(tmp_path: Path) -> None:
    rules = (
        "rules:\n  - id: per.surname\n    kind: regex\n    label: PER\n"
        "    pattern: '[^\\W\\d_]+(?:وف|سكي)(?!\\w)'\n    requires: [وف, سكي]\n"
    )
    annotator = Annotator(pack_of(tmp_path, rules))
    assert surfaces(annotator, "فاز كافلنيكوف على بيتروفسكي") == ["كافلنيكوف", "بيتروفسكي"]
    assert annotator.annotate("لا شيء هنا") == []
    # the same matches as without the filter
    plain = Annotator(pack_of(tmp_path / "plain", rules.replace("    requires: [وف, سكي]\n", "")))
    text = "فاز كافلنيكوف ومعروف"
    assert annotator.annotate(text) == plain.annotate(text)
