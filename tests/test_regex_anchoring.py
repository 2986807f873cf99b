"""Regex rules run only where a literal prefix of theirs occurs, with exactly the matches of a full scan."""

from __future__ import annotations

from pathlib import Path

import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import annotator.matchers.regexes as regexes
from annotator.arabic import CliticPolicy
from annotator.corpus import read_corpus
from annotator.engine import Annotator
from annotator.matchers.prefixes import SPACES, fold_spaces, literal_prefixes
from annotator.matchers.regexes import LEFT_EDGE, CompiledRegex, left_edge_holds
from annotator.rules import load_pack

REPO = Path(__file__).resolve().parents[1]


def test_prefixes_of_literals_alternatives_and_optional_parts() -> None:
    assert literal_prefixes("abc") == {"abc"}
    assert literal_prefixes("a|bc") == {"a", "bc"}
    assert literal_prefixes("(?:x)?y") == {"xy", "y"}
    assert literal_prefixes("(?<=q)ab(?!c)") == {"ab"}  # lookarounds do not consume
    assert literal_prefixes("[12]x") == {"1x", "2x"}


def test_prefixes_stop_where_the_pattern_stops_being_literal() -> None:
    assert literal_prefixes("ab\\w+c") == {"ab"}
    assert literal_prefixes("(?:ab|abc)d") == {"abcd", "abd"}
    assert literal_prefixes("a+b") == {"a"}


def test_whitespace_is_folded_to_one_space_in_prefixes_and_text() -> None:
    assert literal_prefixes("عبد\\s+الله") == {"عبد "}  # a run of spaces: stop after the first
    assert literal_prefixes("a\tb") == {"a b"}
    assert fold_spaces("a\tb\u00a0c\nd") == "a b c d"
    assert all(char.isspace() or regex.match(r"\s", char) for char in SPACES)
    assert all(char in SPACES for char in map(chr, range(0x110000)) if char.isspace())


def test_ignorecase_prefixes_hold_every_case_variant_the_regex_engine_accepts() -> None:
    assert literal_prefixes("k", ignore_case=True) == {"k", "K", "\u212a"}  # the Kelvin sign
    assert literal_prefixes("(?i)s") == {"s", "S", "\u017f"}  # long s
    assert literal_prefixes("خبر", ignore_case=True) == {"خبر"}


def test_patterns_it_cannot_read_or_that_start_openly_get_no_prefixes() -> None:
    for pattern in (
        "\\w+x",  # starts with an open class
        "a*",  # may match nothing
        "",
        "\\p{Arabic}+",  # regex-only syntax
        "(?r)ab",
        "(?:ab){e<=1}",  # fuzzy matching
        "[[:alpha:]]x",  # POSIX class
    ):
        assert literal_prefixes(pattern) is None, pattern


def test_a_group_name_used_twice_is_readable() -> None:
    assert literal_prefixes("(?:ال|(?P<fused_article>ل))م|(?P<fused_article>ل)ك") == {"الم", "لم", "لك"}


ATOMS = st.sampled_from(
    ["a", "b", "K", "s", "و", "ل", "ال", " ", "\\s", "\\s+", "[ab]", "[وف]", "\\d", "\\w", ".", "1"]
)
LOOKAROUNDS = st.sampled_from(["(?=a)", "(?<!b)", "(?<=ل)", "(?!\\w)", "\\b", ""])


def _patterns() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda pair: f"(?:{pair[0]}|{pair[1]})"),
            inner.map(lambda p: f"(?:{p})?"),
            inner.map(lambda p: f"(?:{p})*"),
            inner.map(lambda p: f"(?:{p})+"),
            inner.map(lambda p: f"(?:{p}){{1,2}}"),
            st.tuples(LOOKAROUNDS, inner).map("".join),
        )

    return st.recursive(ATOMS, extend, max_leaves=8)


#: most patterns start with a literal (else there are no prefixes to test)
HEADS = st.sampled_from(["a", "ل", "ال", "K", "و", "1", " ", "(?:a|ب)", "(?:\\s|x)", "(?<=a)b", ""])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pattern=st.tuples(HEADS, _patterns()).map("".join),
    texts=st.lists(st.text(alphabet="abKkSsſ1 \t\nوفلاكب", max_size=24), min_size=1, max_size=4),
    ignore_case=st.booleans(),
)
def test_anchored_matching_equals_a_full_scan(pattern: str, texts: list[str], ignore_case: bool) -> None:
    try:
        compiled = CompiledRegex(0, pattern, 0, CliticPolicy.EXCLUDE, ignore_case, 2.0)
    except regex.error:
        assume(False)
        return
    prefixes = compiled.prefixes
    assume(prefixes is not None)
    for text in texts:
        folded = fold_spaces(text)
        starts = [index for index in range(len(text)) if any(folded.startswith(p, index) for p in prefixes)]
        assert compiled.find(text, starts) == compiled.find(text), (pattern, text)


def test_the_engine_gives_the_same_spans_with_and_without_anchoring(monkeypatch) -> None:
    pack = load_pack(REPO / "rules" / "starter")
    texts = [example.text for example in read_corpus([REPO / "seeds"])]
    texts += ["في 24 ديسمبر 2021\tوفي\n٣١ كانون\u00a0الأول", "عام  2020 و\tعام 2021"]
    anchored = Annotator(pack)
    monkeypatch.setattr(regexes, "literal_prefixes", lambda pattern, ignore_case=False: None)
    scanned = Annotator(pack)
    assert all(compiled.prefixes is None for compiled in scanned._regexes)
    assert any(compiled.prefixes is not None for compiled in anchored._regexes)
    for text in texts:
        assert anchored.annotate(text) == scanned.annotate(text), text


_EDGE_TEXT = st.lists(st.sampled_from([*"وفبكلمصر", " ", ".", "1", "\u064e"]), max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(_EDGE_TEXT)
def test_the_left_edge_test_in_python_agrees_with_the_left_edge_regex(text: str) -> None:
    edge = regex.compile(LEFT_EDGE)
    for start in range(len(text) + 1):
        assert left_edge_holds(text, start) == (edge.match(text, start) is not None), (text, start)
