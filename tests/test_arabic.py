"""Normalisation keeps a correct map back to the original text; clitic and boundary rules."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotator.arabic import CliticPolicy, NormalizationOptions, Normalizer, clitic_start


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def test_harakat_are_removed_and_offsets_map_back_to_the_diacritised_word(normalizer: Normalizer) -> None:
    text = "في القاهرةِ الكُبْرى"
    view = normalizer.normalize(text)
    assert view.text == "في القاهره الكبري"
    start = view.text.index("الكبري")
    original = view.to_original(start, start + len("الكبري"))
    assert text[original[0] : original[1]] == "الكُبْرى"


def test_trailing_harakat_belong_to_the_last_letter_of_a_span(normalizer: Normalizer) -> None:
    text = "مِصْرُ اليوم"
    view = normalizer.normalize(text)
    assert view.to_original(0, 3) == (0, 6)
    assert text[0:6] == "مِصْرُ"


def test_tatweel_inside_a_word_is_removed_and_spanned(normalizer: Normalizer) -> None:
    text = "زار مصـــــر أمس"
    view = normalizer.normalize(text)
    assert view.text == "زار مصر امس"
    start, end = view.to_original(4, 7)
    assert text[start:end] == "مصـــــر"


def test_alef_yaa_and_taa_marbuta_forms_are_unified(normalizer: Normalizer) -> None:
    assert normalizer.normalize("أإآٱ ى ة").text == "اااا ي ه"


def test_arabic_indic_and_persian_digits_become_ascii_without_moving_offsets(normalizer: Normalizer) -> None:
    view = normalizer.normalize("عام ٢٠٢١ و۲۰۲۰")
    assert view.text == "عام 2021 و2020"
    assert view.is_identity


def test_invisible_marks_are_dropped_and_never_end_a_span(normalizer: Normalizer) -> None:
    text = "في \u200fليبيا\u200f."
    view = normalizer.normalize(text)
    assert view.text == "في ليبيا."
    start, end = view.to_original(3, 8)
    assert text[start:end] == "ليبيا"


def test_runs_of_spaces_collapse_and_offsets_still_map(normalizer: Normalizer) -> None:
    text = "الأمم   المتحدة  اليوم"
    view = normalizer.normalize(text)
    assert view.text == "الامم المتحده اليوم"
    start, end = view.to_original(0, len("الامم المتحده"))
    assert text[start:end] == "الأمم   المتحدة"


def test_presentation_form_ligature_expands_and_maps_to_the_one_original_character(
    normalizer: Normalizer,
) -> None:
    text = "\ufefb بد"  # the lam-alef ligature
    view = normalizer.normalize(text)
    assert view.text == "لا بد"
    assert view.to_original(0, 2) == (0, 1)
    assert view.to_original(0, 1) == (0, 1)  # half a ligature still covers the whole character
    assert view.to_original(3, 5) == (2, 4)


def test_options_can_switch_a_normalisation_off() -> None:
    keep_taa = Normalizer(NormalizationOptions(taa_marbuta=False, harakat=False))
    assert keep_taa.normalize("مدينةٌ").text == "مدينةٌ"


@pytest.mark.parametrize("prefix", ["و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل"])
def test_each_proclitic_sequence_is_accepted_and_excluded_from_the_span(prefix: str) -> None:
    text = f"{prefix}مصر"
    start = clitic_start(text, len(prefix), len(text), CliticPolicy.EXCLUDE)
    assert start == len(prefix)
    assert clitic_start(text, len(prefix), len(text), CliticPolicy.INCLUDE) == 0
    assert clitic_start(text, len(prefix), len(text), CliticPolicy.NONE) is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("مصرف", 0, 3),  # ends inside a word
        ("المصري", 2, 5),  # the article is not a separable proclitic
        ("تمصر", 1, 4),  # ت is not a proclitic
        ("وبالمصر", 4, 7),  # three letters before the match
    ],
)
def test_a_match_inside_a_word_is_rejected(text: str, start: int, end: int) -> None:
    assert clitic_start(text, start, end, CliticPolicy.EXCLUDE) is None


def test_fused_article_form_keeps_the_lam_of_the_preposition() -> None:
    text = "وللامم"  # و + ل + (ا)لامم
    assert clitic_start(text, 2, 6, CliticPolicy.EXCLUDE, fused=True) == 1
    assert clitic_start(text, 2, 6, CliticPolicy.INCLUDE, fused=True) == 0
    assert clitic_start("لامم", 0, 4, CliticPolicy.EXCLUDE, fused=True) is None


_MIXED = st.sampled_from([*"ليبيا مصر", "\u064e", "\u0651", "\u0640", "\u200f", "  ", "\ufefb", "٣"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_MIXED, min_size=1, max_size=40).map("".join), st.data())
def test_mapping_many_ranges_at_once_agrees_with_mapping_each(text: str, data: st.DataObject) -> None:
    view = Normalizer().normalize(text)
    size = len(view.text)
    assume(size > 0)
    starts = data.draw(st.lists(st.integers(0, size - 1), max_size=8))
    ranges = [(start, data.draw(st.integers(start + 1, size)), tag) for tag, start in enumerate(starts)]
    assert view.to_original_all(ranges) == [(*view.to_original(s, e), tag) for s, e, tag in ranges]


_ANY_FORM = st.sampled_from(
    [*"أإآٱىةؤئکیھ", *"٠٩۴٫٪", "\u064e", "\u0640", "\u200f", "\xa0", "\t", "  ", *"AZaz ليبيا"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_ANY_FORM, max_size=40).map("".join),
    st.fixed_dictionaries({name: st.booleans() for name in NormalizationOptions.names()}),
)
def test_normalising_by_replacement_equals_one_translate_table_for_any_options(
    text: str, switches: dict[str, bool]
) -> None:
    normalizer = Normalizer(NormalizationOptions(**switches))
    expected = text.translate(normalizer._table)
    while normalizer.options.spaces and "  " in expected:
        expected = expected.replace("  ", " ")
    assert normalizer.normalize(text).text == expected
