"""Fuzzing with hypothesis: random Unicode text through normalise -> match -> resolve with the REAL
packs, and random or malformed rule YAML through the loader and ``annotator rules check``.

The example budgets below are quoted in docs/reliability.md; change both together. For a deeper
search, ANNOTATOR_FUZZ_SCALE=20 runs twenty times as many examples (minutes, not seconds).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from annotator.arabic import HARAKAT, INVISIBLE, QURANIC_MARKS, TATWEEL, NormalizationOptions, Normalizer
from annotator.cli import main
from annotator.engine import Annotator
from annotator.errors import RulePackError
from annotator.model import Span
from annotator.resolve import Candidate, resolve
from annotator.rules import RulePack, load_pack, loader
from annotator.rules.model import OverlapPolicy
from tests.seeds import seed_paragraphs

ROOT = Path(__file__).resolve().parent.parent
PACK_NAMES = ("starter", "ar-news")

#: a multiplier of every budget below
SCALE = float(os.environ.get("ANNOTATOR_FUZZ_SCALE", "1"))


def budget(examples: int) -> int:
    """``examples`` times ANNOTATOR_FUZZ_SCALE."""
    return max(1, round(examples * SCALE))


#: examples per property (docs/reliability.md quotes these)
TEXT_EXAMPLES = budget(500)
LONG_TEXT_EXAMPLES = budget(20)
MARKS_EXAMPLES = budget(300)
NORMALISE_EXAMPLES = budget(1000)
RESOLVE_EXAMPLES = budget(1000)
YAML_EXAMPLES = budget(400)
CLI_EXAMPLES = budget(150)

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def fuzz(examples: int) -> settings:
    """The suite's hypothesis settings with ``examples`` examples."""
    return settings(FUZZ, max_examples=examples)


# -- text --------------------------------------------------------------------------------------

ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x064B)] + list("پچژگکیھۀە")
MARKS = list(HARAKAT + QURANIC_MARKS + TATWEEL)
INVISIBLES = [*INVISIBLE, "\u2060", "\ufe0f"]  # word joiner and a variation selector too
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u202f", "\u3000"]
DIGITS = list("0123456789") + [chr(0x0660 + i) for i in range(10)] + [chr(0x06F0 + i) for i in range(10)]
PUNCTUATION = list(".,،؛؟!()[]«»\"'-:/٪٫٬")
EMOJI = ["😀", "👍", "👍🏽", "🇱🇾", "🇪🇬🇹🇳", "👨\u200d👩\u200d👧", "🏳️\u200d🌈", "❤️", "𝔸"]
OTHER_SCRIPTS = [
    "Libya",
    "UN",
    "NATO",
    "Tripoli",
    "שלום",
    "Москва",
    "北京",
    "Ελλάδα",
    "café",
    "cafe\u0301",
    "İ",
]
PROCLITICS = ["", "", "", "و", "ب", "ل", "ف", "ك", "وب", "ول", "فب", "ال", "وال", "بال", "لل", "ولل"]


def _seed_words() -> list[str]:
    """Words and multi-word names from the seed article and both packs' gazetteers."""
    words = {word for paragraph in seed_paragraphs() for word in paragraph.split()}
    for pack in PACK_NAMES:
        for path in sorted((ROOT / "rules" / pack / "gazetteers").rglob("*.txt")):
            lines = path.read_text(encoding="utf-8").splitlines()
            words.update(line.strip() for line in lines[:60] if line.strip() and not line.startswith("#"))
    return sorted(words)


SEED_WORDS = _seed_words()
SEED_PARAGRAPHS = seed_paragraphs()
#: the seed article cut at commas and full stops: short stretches of real news, full of entities
CLAUSES = sorted(
    {clause.strip() for line in SEED_PARAGRAPHS for clause in re.split("[،.]", line) if clause.strip()}
)

words = st.builds(
    lambda clitic, word: clitic + word, st.sampled_from(PROCLITICS), st.sampled_from(SEED_WORDS)
)
clauses = st.sampled_from(CLAUSES)
pieces = st.one_of(
    words,
    words,
    clauses,
    st.sampled_from(SPACES),
    st.sampled_from(ARABIC_LETTERS),
    st.sampled_from(MARKS),
    st.sampled_from(INVISIBLES),
    st.sampled_from(DIGITS),
    st.sampled_from(PUNCTUATION),
    st.sampled_from(EMOJI),
    st.sampled_from(OTHER_SCRIPTS),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),  # presentation forms
    st.characters(codec="utf-8"),  # anything a UTF-8 file can hold
)
#: what comes between two pieces: mostly a word break, sometimes nothing (pieces run together)
gaps = st.sampled_from([" ", " ", " ", " ", "", "", "\u00a0", "، ", "\n", " و", "\u200f "])


def _joined(items: list[tuple[str, str]]) -> str:
    """Pieces and the gaps after them, as one text."""
    return "".join(piece + gap for piece, gap in items)


texts = st.one_of(
    st.lists(st.tuples(pieces, gaps), max_size=60).map(_joined),
    st.sampled_from(["", " ", "\n", "\u200f", "\t \u00a0 ", "ـــ", "\u064b\u064c"]),
)


def _long(text: str, length: int) -> str:
    """``text`` repeated to exactly ``length`` characters (a whole article on one line)."""
    return (text * (length // max(1, len(text)) + 1))[:length]


long_texts = st.builds(
    _long,
    st.lists(
        st.tuples(st.one_of(pieces, st.sampled_from(SEED_PARAGRAPHS)), gaps), min_size=5, max_size=40
    ).map(_joined),
    st.integers(min_value=20_000, max_value=60_000),
)

DELETABLE = set(MARKS) | set(INVISIBLE)


class Packs(dict):
    """The repository's real packs, each loaded and compiled once, when first asked for (ar-news
    takes a while)."""

    def __missing__(self, name: str) -> tuple[RulePack, Annotator]:
        pack = load_pack(ROOT / "rules" / name)
        self[name] = (pack, Annotator(pack))
        return self[name]


@pytest.fixture(scope="module")
def packs() -> Packs:
    """The real packs, shared by this module's tests."""
    return Packs()


def check_spans(pack: RulePack, text: str, spans: list[Span]) -> None:
    """Every invariant a span list must keep, whatever the text."""
    rules = {rule.id: rule for rule in pack.rules}
    assert pack.overlap is not OverlapPolicy.KEEP_ALL
    assert spans == sorted(spans)
    previous_end = 0
    for span in spans:
        assert 0 <= span.start < span.end <= len(text), span
        assert span.start >= previous_end, f"{span} overlaps the span before it"
        previous_end = span.end
        assert span.rule in rules, span
        assert span.label == rules[span.rule].label
        assert span.label in pack.label_names
        surface = text[span.start : span.end]
        assert surface.strip(), f"{span} covers only white space: {surface!r}"
        assert text[span.start] not in DELETABLE, f"{span} starts on a removed mark: {surface!r}"
        assert text[span.end - 1] not in INVISIBLE, f"{span} ends on an invisible mark: {surface!r}"


@pytest.mark.parametrize("name", PACK_NAMES)
@fuzz(TEXT_EXAMPLES)
@given(text=texts)
@example(text="")
@example(text="ـــ\u200f\u200d")
@example(text="زار الوفد 🇱🇾 ليبيا و\u200fمصر ثم ﻻ بالقاهرة")
@example(text="الرئيسُ المصريّ عبدُ الفتّاح السيسيّ في القــاهرة يوم ٢٤ ديسمبر ٢٠٢١")
def test_random_unicode_text_gives_valid_spans_on_the_original_text(
    packs: Packs, name: str, text: str
) -> None:
    pack, annotator = packs[name]
    spans = annotator.annotate(text)
    check_spans(pack, text, spans)
    event("with spans" if spans else "without spans")


@pytest.mark.parametrize("name", PACK_NAMES)
@fuzz(LONG_TEXT_EXAMPLES)
@given(text=long_texts)
def test_very_long_lines_give_valid_spans(packs: Packs, name: str, text: str) -> None:
    pack, annotator = packs[name]
    spans = annotator.annotate(text)
    check_spans(pack, text, spans)
    event("with spans" if spans else "without spans")


def _mark_up(base: str, inserts: list[str]) -> str:
    """``base`` with harakat/tatweel after Arabic letters and invisible marks between characters."""
    out = []
    for index, char in enumerate(base):
        out.append(char)
        extra = inserts[index % len(inserts)]
        if extra and (extra in INVISIBLE or "\u0621" <= char <= "\u064a"):
            out.append(extra)
    return "".join(out)


def _strip(text: str) -> str:
    """``text`` without the marks normalisation removes (harakat, tatweel, invisible marks)."""
    return "".join(char for char in text if char not in DELETABLE)


plain_pieces = st.one_of(words, clauses, st.sampled_from([" ", " ", "، ", ". ", " 2021 ", " ١٥ "]))


@pytest.mark.parametrize("name", PACK_NAMES)
@fuzz(MARKS_EXAMPLES)
@given(
    base=st.lists(plain_pieces, min_size=1, max_size=25).map("".join).map(_strip),
    inserts=st.lists(st.sampled_from([*MARKS, *INVISIBLE, "", "", ""]), min_size=1, max_size=7),
)
def test_harakat_tatweel_and_invisible_marks_do_not_change_what_is_found(
    packs: Packs, name: str, base: str, inserts: list[str]
) -> None:
    """Normalisation never moves what users see: marking a text up finds the same spans, each
    covering the same letters plus the marks written on them."""
    pack, annotator = packs[name]
    marked = _mark_up(base, inserts)
    plain = annotator.annotate(base)
    decorated = annotator.annotate(marked)
    check_spans(pack, marked, decorated)
    event("with spans" if plain else "without spans")
    assert [(s.label, s.rule) for s in decorated] == [(s.label, s.rule) for s in plain]
    assert [_strip(marked[s.start : s.end]) for s in decorated] == [base[s.start : s.end] for s in plain]


options = st.builds(NormalizationOptions, **{name: st.booleans() for name in NormalizationOptions.names()})


@fuzz(NORMALISE_EXAMPLES)
@given(options, texts, st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=5))
@example(NormalizationOptions(), "ﻻ\u064e ﷲ ﷺ ﻷ", [(0.0, 1.0)])
def test_normalised_offsets_are_monotonic_and_map_back_inside_the_text(
    options: NormalizationOptions, text: str, ranges: list[tuple[float, float]]
) -> None:
    view = Normalizer(options).normalize(text)
    norm = view.text
    mapped = [view.original_index(index) for index in range(len(norm) + 1)]
    assert mapped == sorted(mapped), "original_index must be non-decreasing"
    assert all(0 <= offset < len(text) for offset in mapped[:-1])
    assert mapped[-1] == len(text)
    removed = set()
    if options.harakat:
        removed |= set(HARAKAT + QURANIC_MARKS)
    if options.tatweel:
        removed.add(TATWEEL)
    if options.invisible:
        removed |= set(INVISIBLE)
    assert not removed & set(norm), "a character the options remove is still there"
    if options.spaces:
        assert "  " not in norm
    for low, high in ranges:
        if not norm:
            break
        start = int(low * (len(norm) - 1))
        end = start + 1 + int(high * (len(norm) - start - 1))
        original_start, original_end = view.to_original(start, end)
        assert 0 <= original_start < original_end <= len(text)
        if options.harakat and options.tatweel and options.invisible:
            assert text[original_start] not in DELETABLE


# -- overlap resolution ------------------------------------------------------------------------

candidates = st.lists(
    st.builds(
        lambda start, length, label, rule, priority: Candidate(
            start, start + length, label, f"r{rule}", priority, rule
        ),
        st.integers(0, 60),
        st.integers(1, 15),
        st.sampled_from(["PER", "LOC", "ORG"]),
        st.integers(0, 5),
        st.integers(-2, 2),
    ),
    max_size=25,
)


@fuzz(RESOLVE_EXAMPLES)
@given(candidates, st.sampled_from(list(OverlapPolicy)))
def test_resolve_keeps_a_maximal_set_of_non_overlapping_candidates(
    found: list[Candidate], policy: OverlapPolicy
) -> None:
    kept = resolve(found, policy)
    offered = {(c.start, c.end, c.label, c.rule) for c in found}
    assert kept == sorted(kept)
    assert all((s.start, s.end, s.label, s.rule) in offered for s in kept)
    if policy is OverlapPolicy.KEEP_ALL:
        assert {s.key for s in kept} == {(c.start, c.end, c.label) for c in found}
        return
    for first, second in itertools.pairwise(kept):
        assert first.end <= second.start
    for candidate in found:  # nothing was dropped that overlaps no kept span
        assert any(s.start < candidate.end and candidate.start < s.end for s in kept)


# -- rule YAML ---------------------------------------------------------------------------------

HEADER = """\
name: fuzz
version: "1"
labels:
  PER: {colour: "#e6194b"}
  LOC: {colour: "#3cb44b"}
"""
#: every key the loader accepts, in a fixed order for hypothesis; rules start with their required keys
PACK_KEYS = sorted(loader.PACK_KEYS)
RULE_KEYS = [
    "id",
    "kind",
    "label",
    *sorted((loader.COMMON_RULE_KEYS | set().union(*loader.KIND_KEYS.values())) - {"id", "kind", "label"}),
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "PER",
            "LOC",
            "gazetteer",
            "regex",
            "tokens",
            "trigger",
            "before",
            "exclude",
            "longest",
            "keep_all",
            "x" * 300,
            "a\x00b",
            "../../etc/passwd",
            "/etc/passwd",
            "gazetteers/../../x.txt",
            "{MONTH}",
            "{NOPE}",
            "(a+)+$",
            "(?:a|a)+b",
            "(" * 40,
            "[القاهرة]",
            "في [القاهرة](LOC)",
            "[a](",
        ]
    ),
)
regexes = st.text(alphabet=st.sampled_from(list("()[]{}?*+|\\^$.:<>=!PpLN,#-_ ab0مصر")), max_size=25)


def _nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and mappings of ``children``; keys are often ones the loader knows."""
    keys = st.one_of(st.sampled_from([*RULE_KEYS, *PACK_KEYS, "TEXT", "WORD", "IN"]), st.text(max_size=8))
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4))


values = st.recursive(st.one_of(scalars, regexes), _nested, max_leaves=12)
rules_documents = st.one_of(
    values,
    st.fixed_dictionaries(
        {"rules": st.lists(st.dictionaries(st.sampled_from(RULE_KEYS), values, max_size=8), max_size=4)}
    ),
    st.fixed_dictionaries(
        {
            "rules": st.lists(
                st.fixed_dictionaries(
                    {
                        "id": st.sampled_from(["a", "b.c", "a"]),
                        "kind": st.sampled_from(["gazetteer", "regex", "tokens", "trigger"]),
                        "label": st.sampled_from(["PER", "LOC", "ORG"]),
                    },
                    optional={key: values for key in RULE_KEYS[3:]},
                ),
                max_size=3,
            )
        }
    ),
)
headers = st.one_of(
    values,
    st.fixed_dictionaries(
        {"name": st.just("fuzz"), "labels": st.just({"PER": None, "LOC": {"colour": "#3cb44b"}})},
        optional={key: values for key in PACK_KEYS if key not in ("name", "labels")},
    ),
)


def _dump(document: Any) -> str:
    """A generated document as YAML text."""
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


STARTER_FILES = {
    path.name: path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "rules" / "starter").glob("*.yaml"))
}
YAML_NOISE = [
    *":-[]{}&*!|>'\"%@`#,? \t\n",
    "  ",
    "\n  ",
    "!!python/object/apply:os.system ['true']",
    "*a",
    "&a ",
    "<<: *a",
]


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, str]:
    """A starter pack file with a few random edits: cuts, duplications, noise, re-indentation."""
    name = draw(st.sampled_from(sorted(STARTER_FILES)))
    text = STARTER_FILES[name]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "copy", "noise", "indent"]))
        if edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif edit == "copy":
            text = text[:at] + text[max(0, at - 30) : at] + text[at:]
        elif edit == "noise":
            text = text[:at] + draw(st.sampled_from(YAML_NOISE)) + text[at:]
        else:
            lines = text.split("\n")
            line = at % len(lines)
            lines[line] = " " * draw(st.integers(0, 7)) + lines[line].lstrip()
            text = "\n".join(lines)
    return name, text


class Scratch:
    """Fresh pack folders for every example, under one module-wide temporary folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.counter = itertools.count()

    def pack(self, files: dict[str, bytes], base: Path | None = None) -> Path:
        """A pack of ``files`` over a copy of ``base`` (else a header and one gazetteer)."""
        root = self.base / f"p{next(self.counter)}"
        if base is not None:
            shutil.copytree(base, root)
        else:
            (root / "gazetteers").mkdir(parents=True)
            (root / "gazetteers" / "g.txt").write_text("مصر\nليبيا\n", encoding="utf-8")
            (root / "pack.yaml").write_text(HEADER, encoding="utf-8")
        for name, content in files.items():
            (root / name).write_bytes(content)
        return root


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """Fresh pack folders for this module's examples."""
    return Scratch(tmp_path_factory.mktemp("fuzz-packs"))


def load_or_pack_error(root: Path) -> RulePack | None:
    """Load a pack; a ``RulePackError`` is the only acceptable failure."""
    try:
        pack = load_pack(root)
    except RulePackError as error:
        assert error.problems, "an error must list its problems"
        assert all(problem.message for problem in error.problems)
        event("refused")
        return None
    event("loaded")
    return pack


@fuzz(YAML_EXAMPLES)
@given(rules=rules_documents, header=headers, with_header=st.booleans())
def test_random_rule_yaml_documents_load_or_raise_a_rule_pack_error(
    scratch: Scratch, rules: Any, header: Any, with_header: bool
) -> None:
    files = {"rules.yaml": _dump(rules).encode()}
    if with_header:
        files["pack.yaml"] = _dump(header).encode()
    load_or_pack_error(scratch.pack(files))


@fuzz(YAML_EXAMPLES)
@given(
    files=st.one_of(
        mangled().map(lambda item: {item[0]: item[1].encode("utf-8")}),
        st.binary(max_size=300).map(lambda raw: {"loc.yaml": raw}),
        st.binary(max_size=300).map(lambda raw: {"pack.yaml": raw}),
        st.text(max_size=300).map(lambda text: {"per.yaml": text.encode("utf-8", "surrogatepass")}),
    )
)
def test_malformed_and_binary_rule_files_raise_only_rule_pack_errors(
    scratch: Scratch, files: dict[str, bytes]
) -> None:
    """The starter pack with one of its files mangled, or replaced by random bytes or text."""
    load_or_pack_error(scratch.pack(files, base=ROOT / "rules" / "starter"))


@contextlib.contextmanager
def captured() -> Iterator[io.StringIO]:
    """stdout and stderr of an in-process CLI run, together."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


@fuzz(CLI_EXAMPLES)
@given(
    files=st.one_of(
        mangled().map(lambda item: {item[0]: item[1].encode("utf-8")}),
        rules_documents.map(lambda doc: {"rules.yaml": _dump(doc).encode()}),
        st.binary(max_size=200).map(lambda raw: {"rules.yaml": raw}),
    )
)
def test_rules_check_on_broken_packs_exits_3_without_a_traceback(
    scratch: Scratch, files: dict[str, bytes]
) -> None:
    root = scratch.pack(files, base=ROOT / "rules" / "starter" if "rules.yaml" not in files else None)
    loaded = load_or_pack_error(root)
    with captured() as output:
        code = main(["rules", "check", str(root)])
    assert "Traceback" not in output.getvalue()
    if loaded is None:
        assert code == 3, output.getvalue()
        assert "problem" in output.getvalue()
    else:
        assert code in (0, 8, 9), output.getvalue()


def test_every_presentation_form_maps_back_to_its_one_original_character() -> None:
    """The general path (one character -> several letters) maps every letter of a ligature back
    to the ligature, for every assigned code point of U+FB50-U+FEFE."""
    normalizer = Normalizer()
    checked = 0
    for code in range(0xFB50, 0xFEFF):
        char = chr(code)
        if unicodedata.category(char) == "Cn":
            continue
        view = normalizer.normalize("ب" + char + "ب")
        mapped = [view.original_index(index) for index in range(len(view.text))]
        assert mapped[0] == 0 and mapped[-1] == 2, (hex(code), view.text)
        assert set(mapped[1:-1]) <= {1}, hex(code)
        checked += 1
    assert checked > 600
