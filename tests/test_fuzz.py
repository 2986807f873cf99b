"""Fuzzing with hypothesis: random Unicode text through normalise -> match -> resolve with the REAL
packs, and random or malformed rule YAML through the loader and ``annotator rules check``.

The example budgets below are quoted in docs/reliability.md; change both together. For a deeper
search, ANNOTATOR_FUZZ_SCALE=20 runs twenty times as many examples (minutes, not seconds).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import shutil
import traceback
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
from annotator.corpus import read_pre_annotations
from annotator.engine import Annotator
from annotator.errors import RulePackError
from annotator.model import Span
from annotator.resolve import Candidate, resolve
from annotator.rules import RulePack, load_pack, loader
from annotator.rules.model import OverlapPolicy
from tests.packs import DEFAULT_HEADER
from tests.ports import free_port
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


# -- input files -----------------------------------------------------------------------------------
#
# Random corpus FILES (not only texts) through the CLI in-process: JSON structures of any shape and
# depth, numbers past every limit, surrogate escapes, byte strings (invalid UTF-8, NULs, BOMs,
# CR/LF mixes), other encodings (UTF-16, cp1256), CoNLL shapes (bad tags, tabs, missing columns,
# huge lines), and folders with files that are not corpus files. Whatever the file, a command
# ends with 0 or a typed error, never exit 1 or a traceback; on failure there is no output and no
# ``.partial`` file anywhere.

#: input files per run, per command (2,100 in all; docs/reliability.md quotes these)
ANNOTATE_FILE_EXAMPLES = budget(1000)
EVALUATE_FILE_EXAMPLES = budget(700)
PUSH_FILE_EXAMPLES = budget(400)

TINY_RULES = """\
rules:
  - id: loc.g
    kind: gazetteer
    label: LOC
    terms: [ليبيا, مصر, طرابلس, تونس, بنغازي]
  - id: per.g
    kind: gazetteer
    label: PER
    terms: [خليفة حفتر, عقيلة صالح]
  - id: date.year
    kind: regex
    label: DATE
    pattern: '\\b(?:19|20)\\d\\d\\b'
"""
small_ints = st.integers(min_value=-2, max_value=90)
#: texts of a line or two: the pieces of ``texts``, fewer of them (input files hold several)
line_texts = st.one_of(
    st.lists(st.tuples(pieces, gaps), max_size=8).map(_joined),
    st.sampled_from(["", " ", "\u200f", "ـــ", *SEED_PARAGRAPHS[:3]]),
)
labels_text = st.sampled_from(["PER", "LOC", "ORG", "DATE", "", " ", "B-PER", "لوك", "x" * 200])
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    small_ints,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(SEED_WORDS[:50]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=6,
)
span_objects = st.one_of(
    st.fixed_dictionaries(
        {"start": small_ints, "end": small_ints, "label": labels_text},
        optional={"rule": st.one_of(st.text(max_size=8), json_values)},
    ),
    json_values,
)
label_arrays = st.one_of(st.lists(st.one_of(small_ints, labels_text), min_size=2, max_size=4), json_values)
records = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(line_texts, line_texts, line_texts, json_values),
        "id": st.one_of(st.text(max_size=12), st.integers(), st.integers(10**30, 10**120), json_values),
        "meta": st.one_of(st.dictionaries(st.text(max_size=6), json_values, max_size=3), json_values),
        "spans": st.one_of(st.lists(span_objects, max_size=4), json_values),
        "label": st.one_of(st.lists(label_arrays, max_size=3), json_values),
        "Comments": json_values,
        "source": json_values,
    },
)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """A record the reader accepts: a text, maybe an id and meta, spans inside the text."""
    text = draw(line_texts)
    record: dict[str, Any] = {"text": text}
    if draw(st.booleans()):
        record["id"] = draw(st.one_of(st.text(max_size=12), st.integers(-(10**30), 10**30)))
    if draw(st.booleans()):
        record["meta"] = draw(st.dictionaries(st.text(max_size=6), json_scalars, max_size=3))
    if text and draw(st.booleans()):
        spans = []
        for _ in range(draw(st.integers(0, 3))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            spans.append([start, end, draw(st.sampled_from(["PER", "LOC", "ORG", "لوك"]))])
        if draw(st.booleans()):
            record["label"] = spans
        else:
            record["spans"] = [{"start": a, "end": b, "label": c, "rule": "r"} for a, b, c in spans]
    return record


DEPTHS = [2, 50, 99, 100, 101, 150, 900, 1000, 3000, 20000]
DIGIT_COUNTS = [20, 100, 101, 640, 4300, 4301, 6000]


@st.composite
def raw_json_lines(draw: st.DrawFn) -> str:
    """A JSON line written by hand: past a limit, a surrogate escape, a cut, or not JSON at all."""
    kind = draw(st.sampled_from(["deep", "digits", "surrogate", "constant", "cut", "text", "shapes"]))
    if kind == "deep":
        depth = draw(st.sampled_from(DEPTHS))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")]))
        nested = opener * depth + "1" + closer * depth
        where = draw(st.sampled_from(["meta", "text", "spans", "id", "top"]))
        return nested if where == "top" else f'{{"text": "في ليبيا", "{where}": {nested}}}'
    if kind == "digits":
        number = draw(st.sampled_from(["", "-"])) + "9" * draw(st.sampled_from(DIGIT_COUNTS))
        where = draw(st.sampled_from(["id", "meta", "start"]))
        if where == "start":
            return f'{{"text": "في ليبيا", "spans": [{{"start": {number}, "end": 3, "label": "LOC"}}]}}'
        return f'{{"text": "في ليبيا", "{where}": {number}}}'
    if kind == "surrogate":
        escape = draw(st.sampled_from(["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00", "\\uD834"]))
        where = draw(st.sampled_from(["text", "id", "key", "meta", "label"]))
        if where == "key":
            return f'{{"text": "x", "a{escape}": 1}}'
        if where == "label":
            return f'{{"text": "في ليبيا", "label": [[0, 2, "L{escape}"]]}}'
        return (
            f'{{"text": "في ليبيا", "{where}": "a{escape}b"}}'
            if where != "text"
            else f'{{"text": "a{escape}"}}'
        )
    if kind == "constant":
        value = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1e308", "0.5"]))
        return f'{{"text": "في ليبيا", "meta": {{"x": {value}}}, "id": {value}}}'
    if kind == "cut":
        line = json.dumps(draw(records), ensure_ascii=draw(st.booleans()))
        return line[: draw(st.integers(0, len(line)))]
    if kind == "text":
        return draw(line_texts)
    return json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()))


json_lines = st.one_of(
    *[valid_records().map(lambda record: json.dumps(record, ensure_ascii=False))] * 4,
    valid_records().map(lambda record: json.dumps(record, ensure_ascii=True)),
    records.map(lambda record: json.dumps(record, ensure_ascii=False)),
    raw_json_lines(),
)
TAGS = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-", "I-", "X", "b-per", "B-PER-X", "O O", ""]
conll_tokens = st.one_of(
    words, st.sampled_from(ARABIC_LETTERS + DIGITS + PUNCTUATION + EMOJI), st.text(max_size=6)
)


@st.composite
def conll_lines(draw: st.DrawFn) -> str:
    """One line of a CoNLL file, well formed or not."""
    kind = draw(
        st.sampled_from(["token", "token", "token", "blank", "docstart", "comment", "bare", "many", "huge"])
    )
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\t"]))
    if kind == "docstart":
        return "-DOCSTART- -X- O O"
    if kind == "comment":
        return "# id = " + draw(st.text(max_size=8))
    token = draw(conll_tokens)
    separator = draw(st.sampled_from([" ", "\t", "  ", " \t ", "\u00a0"]))
    if kind == "bare":
        return token
    if kind == "many":
        return separator.join([token, "NN", "_", draw(st.sampled_from(TAGS))])
    if kind == "huge":
        token = token * (20_000 // max(1, len(token)))
    return token + separator + draw(st.sampled_from(TAGS))


ENCODINGS = ["utf-8"] * 8 + ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256"]
NEWLINES = ["\n", "\n", "\r\n", "\r"]
BYTE_NOISE = [
    b"\x00",
    b"\x00" * 7,
    b"\xff",
    b"\xfe\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n",
    b"\x85",
]


@st.composite
def encoded(draw: st.DrawFn, lines: st.SearchStrategy[str]) -> bytes:
    """Lines joined by mixed line endings, in a random encoding, with a few random bytes salted in."""
    items = draw(st.lists(lines, min_size=0, max_size=6))
    text = ""
    for item in items:
        text += item + draw(st.sampled_from(NEWLINES))
    if items and draw(st.booleans()):
        text = text.rstrip("\r\n")
    raw = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 3]))):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.one_of(st.sampled_from(BYTE_NOISE), st.binary(max_size=6))) + raw[at:]
    return raw


whole_bytes = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"",
            b"\n",
            b"\n\n\r\n",
            b"\x00" * 64,
            b"\x00\n\x00\x00\n",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b" \t\x00 \n",
        ]
    ),
    st.integers(1, 4000).map(lambda size: b"\x00" * size),
)
input_files = st.one_of(
    st.tuples(st.sampled_from([".jsonl", ".jsonl", ".ndjson"]), encoded(json_lines)),
    st.tuples(st.sampled_from([".conll", ".bio", ".iob", ".conllu"]), encoded(conll_lines())),
    st.tuples(st.sampled_from([".txt", ".txt", ".md"]), encoded(line_texts)),
    st.tuples(st.sampled_from([".txt", ".jsonl", ".conll", ".pdf", ""]), whole_bytes),
)


class InputScratch:
    """A fresh folder per example, so that leftovers (output, .partial) are seen per run."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.counter = itertools.count()
        self.pack = base / "pack"
        (self.pack).mkdir()
        (self.pack / "pack.yaml").write_text(DEFAULT_HEADER, encoding="utf-8")
        (self.pack / "rules.yaml").write_text(TINY_RULES, encoding="utf-8")
        good = self.base / "good.jsonl"
        partner = [
            {"id": "a", "text": "زار خليفة حفتر طرابلس في 2021", "label": [[4, 14, "PER"], [15, 21, "LOC"]]},
            {
                "id": "b",
                "text": "مصر وتونس",
                "spans": [{"start": 0, "end": 3, "label": "LOC", "rule": "loc.g"}],
            },
        ]
        good.write_text("".join(json.dumps(record) + "\n" for record in partner), encoding="utf-8")
        self.good = good

    def place(self, suffix: str, content: bytes, in_folder: bool) -> tuple[Path, Path]:
        """(the example's own folder, the input path to give the command)."""
        root = self.base / f"e{next(self.counter)}"
        root.mkdir()
        if in_folder:
            corpus = root / "corpus"
            (corpus / "sub").mkdir(parents=True)
            (corpus / "sub" / f"input{suffix}").write_bytes(content)
            (corpus / "notes.md").write_text("not a corpus file\n", encoding="utf-8")
            (corpus / "scan.pdf").write_bytes(b"%PDF-1.4\x00\xff")
            return root, corpus
        path = root / f"input{suffix}"
        path.write_bytes(content)
        return root, path


#: a URL where nothing listens (a port that was free a moment ago)
UNREACHABLE = f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pytest.MonkeyPatch]:
    """No doccano credentials anywhere: an empty state folder, no DOCCANO_* variables."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANNOTATOR_HOME", str(tmp_path_factory.mktemp("fuzz-home")))
        for name in ("DOCCANO_URL", "DOCCANO_USERNAME", "DOCCANO_PASSWORD"):
            patch.delenv(name, raising=False)
        yield patch


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> InputScratch:
    """A tiny pack, a well-formed partner file, and fresh folders for this module's input files."""
    return InputScratch(tmp_path_factory.mktemp("fuzz-inputs"))


def run_cli(argv: list[str]) -> tuple[int, str]:
    """(exit code, stdout and stderr) of an in-process CLI run; any escaping exception fails the test."""
    with captured() as output:
        try:
            code = main(argv)
        except BaseException as error:  # whatever escapes main is the bug looked for
            pytest.fail(f"{type(error).__name__} escaped main({argv}):\n{traceback.format_exc()}")
    text = output.getvalue()
    assert "Traceback" not in text, text
    assert code != 1, text
    return code, text


def no_partial_files(root: Path) -> None:
    leftovers = [path for path in root.rglob("*") if path.name.endswith(".partial")]
    assert not leftovers, leftovers


def _strict_json(line: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the output")

    return json.loads(line, parse_constant=refuse)


@fuzz(ANNOTATE_FILE_EXAMPLES)
@given(
    file=input_files, in_folder=st.booleans(), quiet=st.booleans(), workers=st.sampled_from([1] * 29 + [2])
)
@example(
    file=(".jsonl", b'{"text": "x", "a": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"),
    in_folder=False,
    quiet=False,
    workers=1,
)
@example(file=(".jsonl", b'{"text": "abc\\ud800"}\n'), in_folder=False, quiet=False, workers=1)
@example(
    file=(".jsonl", b'{"id": ' + b"9" * 5000 + b', "text": "abc"}\n'), in_folder=False, quiet=False, workers=1
)
@example(file=(".txt", b"\x00" * 100), in_folder=True, quiet=False, workers=1)
def test_any_input_file_annotates_or_fails_with_a_typed_error_and_no_output(
    inputs: InputScratch, file: tuple[str, bytes], in_folder: bool, quiet: bool, workers: int
) -> None:
    suffix, content = file
    root, given = inputs.place(suffix, content, in_folder)
    out = root / "out" / "pre.jsonl"
    argv = ["annotate", str(given), "--rules", str(inputs.pack), "-o", str(out), "--workers", str(workers)]
    code, text = run_cli([*argv, "-q"] if quiet else argv)
    no_partial_files(root)
    if code != 0:
        assert code == 4, text
        assert "error:" in text and str(given.name) in text, text
        assert not out.exists()
        event("refused")
        return
    event("annotated")
    lines = out.read_text(encoding="utf-8").split("\n")[:-1]  # JSON keeps U+2028, U+0085 unescaped
    for line in lines:
        record = _strict_json(line)
        assert isinstance(record["id"], str) and isinstance(record["text"], str)
        assert "\x00" not in record["text"] or record["text"].replace("\x00", "").strip()
        for span in record["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(record["text"])
    assert len(list(read_pre_annotations(out))) == len(lines)
    if in_folder:
        assert "notes.md" in text and "scan.pdf" in text, text  # skipped files are named
    if not lines:
        assert "no examples" in text, text


@fuzz(EVALUATE_FILE_EXAMPLES)
@given(
    file=input_files, side=st.sampled_from(["--gold", "--pred"]), effort=st.booleans(), as_json=st.booleans()
)
def test_any_gold_or_prediction_file_evaluates_or_fails_with_a_typed_error(
    inputs: InputScratch, file: tuple[str, bytes], side: str, effort: bool, as_json: bool
) -> None:
    suffix, content = file
    root, given = inputs.place(suffix, content, in_folder=False)
    other = "--pred" if side == "--gold" else "--gold"
    argv = ["evaluate", side, str(given), other, str(inputs.good), "--top", "2"]
    code, text = run_cli(argv + ["--effort"] * effort + ["--json"] * as_json)
    no_partial_files(root)
    assert code in (0, 4), text
    event("scored" if code == 0 else "refused")
    if code == 0 and as_json:
        assert isinstance(_strict_json(text[text.index("{") :]), dict)


@fuzz(PUSH_FILE_EXAMPLES)
@given(file=input_files)
def test_push_of_any_file_fails_typed_before_or_at_an_unreachable_server(
    inputs: InputScratch, file: tuple[str, bytes], monkeypatch_module: pytest.MonkeyPatch
) -> None:
    """Nothing listens at the URL: a bad file is refused (4) before doccano is asked, a good one
    reaches the network and is told "cannot reach" (5), never "no credentials"."""
    suffix, content = file
    root, given = inputs.place(suffix, content, in_folder=False)
    code, text = run_cli(["push", str(given), "--project", "fuzz", "--url", UNREACHABLE])
    no_partial_files(root)
    assert code in (4, 5), text
    if code == 5:
        assert f"cannot reach {UNREACHABLE}" in text, text
    event("refused" if code == 4 else "unreachable")
