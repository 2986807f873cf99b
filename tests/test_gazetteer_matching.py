"""Gazetteer rules: Arabic-aware matching, proclitics, لل, word boundaries, exact original offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packs import gazetteer, surfaces


@pytest.mark.parametrize("proclitic", ["و", "ف", "ب", "ك", "ل", "وب", "ول", "فب", "فل", "وك"])
def test_gazetteer_matches_after_each_proclitic_and_the_span_excludes_it(
    tmp_path: Path, proclitic: str
) -> None:
    annotator = gazetteer(tmp_path, "الأمم المتحدة")
    text = f"دعا الأمين {proclitic}الأمم المتحدة اليوم"
    spans = annotator.annotate(text)
    assert [text[s.start : s.end] for s in spans] == ["الأمم المتحدة"]
    assert spans[0].start == text.index("الأمم")


def test_gazetteer_matches_the_fused_lam_lam_form_and_spans_the_whole_token(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "الأمم المتحدة")
    assert surfaces(annotator, "البعثة السياسية للأمم المتّحدة في ليبيا") == ["للأمم المتّحدة"]
    assert surfaces(annotator, "وللأمم المتحدة دور") == ["للأمم المتحدة"]


def test_a_term_starting_with_lam_after_the_preposition_lam_keeps_its_own_span(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "ليبيا")
    assert surfaces(annotator, "دعم لليبيا") == ["ليبيا"]


def test_no_match_inside_a_longer_word(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "مصر")
    assert surfaces(annotator, "مصرف ليبيا المركزي") == []
    assert surfaces(annotator, "الوفد المصري وصل") == []
    assert surfaces(annotator, "تمصير") == []
    assert surfaces(annotator, "زار مصر ومصر") == ["مصر", "مصر"]


def test_terms_match_with_harakat_tatweel_and_hamza_variants_on_original_offsets(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "الولايات المتحدة", "إيطاليا")
    text = "بين الوِلايات المتّحِدَة وايطـــاليا"
    spans = annotator.annotate(text)
    assert [text[s.start : s.end] for s in spans] == ["الوِلايات المتّحِدَة", "ايطـــاليا"]


def test_include_policy_puts_the_proclitic_inside_the_span(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "القاهرة", clitics="include")
    assert surfaces(annotator, "وصل بالقاهرة") == ["بالقاهرة"]


def test_none_policy_refuses_attached_proclitics(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "لي", clitics="none")
    assert surfaces(annotator, "ولي العهد والسيد لي") == ["لي"]


def test_every_span_names_its_rule_and_equals_its_surface(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "ليبيا", "مصر", "تونس")
    text = "بين ليبيا ومِصْرَ وتونسَ"
    for span in annotator.annotate(text):
        assert span.rule == "g"
        assert text[span.start : span.end].replace("\u064e", "").replace("\u0652", "").replace(
            "\u0650", ""
        ) in {
            "ليبيا",
            "مصر",
            "تونس",
        }


def test_latin_terms_match_case_insensitively(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "BBC", label="ORG")
    assert surfaces(annotator, "قالت bbc و BBC") == ["bbc", "BBC"]


def test_longer_term_wins_over_a_shorter_one_inside_it(tmp_path: Path) -> None:
    annotator = gazetteer(tmp_path, "مجلس الأمن", "مجلس الأمن الدولي", label="ORG")
    assert surfaces(annotator, "صوت مجلس الأمن الدولي ثم مجلس الأمن") == ["مجلس الأمن الدولي", "مجلس الأمن"]
