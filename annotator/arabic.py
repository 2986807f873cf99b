"""Arabic-aware normalisation with an offset map back to the original, and clitic/word-boundary logic.

Matching runs on a *normalised view* of each text (harakat and tatweel removed, alef/yaa/taa-marbuta
forms unified, digits made ASCII, ...). Users only ever see offsets on the ORIGINAL text, so the view
keeps enough information to map every normalised range back:

- one-to-one replacements keep offsets as they are;
- deletions (harakat, tatweel, invisible marks, repeated spaces) are recorded as a sorted list of
  positions; a deleted mark belongs to the character before it, so a span that ends on a letter
  also covers the harakat written on that letter;
- expansions (presentation-form ligatures such as U+FEFB -> "لا") take a slower, general path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from enum import Enum
from functools import lru_cache
from typing import Any

# --- character classes -------------------------------------------------------------------------

HARAKAT = (
    "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670"
)  # tanwin..sukun, maddah/hamza marks, superscript alef
QURANIC_MARKS = "".join(chr(c) for c in range(0x06D6, 0x06EE) if unicodedata.category(chr(c)) == "Mn")
TATWEEL = "\u0640"
INVISIBLE = (
    "\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
ALEF_FORMS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "\u0672": "ا", "\u0673": "ا"}
YAA_FORMS = {"ى": "ي"}
TAA_MARBUTA = {"ة": "ه"}
HAMZA_CARRIERS = {"ؤ": "و", "ئ": "ي"}
PERSIAN_LETTERS = {"ک": "ك", "ی": "ي", "ھ": "ه", "ۀ": "ه", "ە": "ه"}
DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}
DIGIT_PUNCTUATION = {"٫": ".", "٬": ",", "٪": "%"}
UNUSUAL_SPACES = {chr(c): " " for c in (0x09, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)}

#: the conjunctions and prepositions written joined to the next word
CONJUNCTIONS = "وف"
PREPOSITIONS = "بكل"
#: separable proclitic sequences a match may follow inside the same written word: a conjunction,
#: a preposition, or a conjunction then a preposition
PROCLITICS = frozenset([*CONJUNCTIONS, *PREPOSITIONS, *(c + p for c in CONJUNCTIONS for p in PREPOSITIONS)])
#: prefixes that end in the ل of "لل" = ل + ال (the article's alef is not written)
FUSED_PROCLITICS = frozenset(prefix for prefix in PROCLITICS if prefix.endswith("ل"))
#: the letters a proclitic sequence can end with
PROCLITIC_LAST_LETTERS = frozenset(CONJUNCTIONS + PREPOSITIONS)
ARTICLE = "ال"

_MARKS = frozenset(HARAKAT + QURANIC_MARKS + TATWEEL)


class CharTable(dict):
    """A predicate on characters, remembered by character on first sight (a corpus uses few
    distinct characters). Hot loops subscript ``table[char]``: a dict look-up, not a call."""

    #: characters remembered at most (hostile input cannot grow the table without bound)
    LIMIT = 65_536

    def __init__(self, predicate: Callable[[str], bool]) -> None:
        super().__init__()
        self._predicate = predicate

    def __missing__(self, char: str) -> bool:
        value = self._predicate(char)
        if len(self) < self.LIMIT:
            self[char] = value
        return value


#: ``is_word_char`` as a table
WORD_CHAR: dict[str, bool] = CharTable(lambda char: char.isalnum() or char in _MARKS)


def is_word_char(char: str) -> bool:
    """True for characters that belong to a word: letters, digits, and Arabic marks."""
    return WORD_CHAR[char]


class CliticPolicy(str, Enum):
    """Where a span starts when a proclitic is attached to the matched word."""

    EXCLUDE = "exclude"  # "والأمم" -> span "الأمم"; fused "للأمم" -> whole "للأمم"
    INCLUDE = "include"  # the span covers the whole written word, clitics included
    NONE = "none"  # the match must be a whole word: no proclitic allowed


@dataclass(frozen=True)
class NormalizationOptions:
    """Which normalisations a rule pack applies before matching (all on by default but hamza)."""

    harakat: bool = True
    tatweel: bool = True
    alef: bool = True
    yaa: bool = True
    taa_marbuta: bool = True
    hamza_carriers: bool = False
    persian: bool = True
    digits: bool = True
    invisible: bool = True
    spaces: bool = True
    casefold: bool = True

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


# --- the normalised view -------------------------------------------------------------------------


class NormalizedText:
    """A text's normalised view and the map from its offsets back to the original."""

    __slots__ = ("_layers", "_starts", "original", "text")

    def __init__(
        self,
        original: str,
        text: str,
        layers: tuple[list[int], ...] = (),
        starts: list[int] | None = None,
    ) -> None:
        self.original = original
        self.text = text
        # each layer: sorted "insertion points" n_j = d_j - j of the positions d_j deleted by that step
        self._layers = layers
        # general path only: original start of every normalised char (+ sentinel)
        self._starts = starts

    @property
    def is_identity(self) -> bool:
        return not self._layers and self._starts is None

    def original_index(self, index: int) -> int:
        """Original offset of the normalised character at ``index`` (``len(text)`` maps to the end)."""
        if index >= len(self.text):
            return len(self.original)
        if self._starts is not None:
            return self._starts[index]
        for points in reversed(self._layers):
            index += bisect_right(points, index)
        return index

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised range to the original range it covers.

        Deleted marks that follow the last character belong to it; invisible format characters at
        either edge are left out.
        """
        original_start = self.original_index(start)
        if self._starts is None:
            # deletions only: the map is strictly increasing, so the next kept character's offset
            # already lies past the last character of the range and the marks that follow it
            original_end = self.original_index(end)
        else:  # one original character may have become several: end and end - 1 can share it
            original_end = max(self.original_index(end), self.original_index(end - 1) + 1)
        return original_start, self._without_invisible_end(original_start, original_end)

    def _without_invisible_end(self, start: int, end: int) -> int:
        """``end`` moved back over invisible format characters, keeping at least one character."""
        source = self.original
        while end > start + 1 and source[end - 1] in INVISIBLE:
            end -= 1
        return end

    def to_original_all(self, ranges: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """``to_original`` of many (start, end, tag) ranges, tags kept; one binary search per
        offset in the usual case of a single deletion step."""
        if self._starts is not None or len(self._layers) != 1:
            return [(*self.to_original(start, end), tag) for start, end, tag in ranges]
        points, size, final = self._layers[0], len(self.text), len(self.original)
        trim, source = self._without_invisible_end, self.original
        mapped = []
        for start, end, tag in ranges:
            original_start = final if start >= size else start + bisect_right(points, start)
            original_end = final if end >= size else end + bisect_right(points, end)
            if source[original_end - 1] in INVISIBLE:  # rare: most spans end on a letter
                original_end = trim(original_start, original_end)
            mapped.append((original_start, original_end, tag))
        return mapped


class Normalizer:
    """Builds normalised views for one set of options. Cheap to call per text; build once per pack."""

    def __init__(self, options: NormalizationOptions | None = None) -> None:
        self.options = options or NormalizationOptions()
        replacements, deletions = self._character_tables(self.options)
        self._table = str.maketrans({**replacements, **dict.fromkeys(deletions)})
        # The common path finds deleted and replaced characters with the standard library's ``re``
        # (a character class scans Arabic text several times faster there than in ``regex``) and
        # replaces only the characters a text has with str.replace: a third of the time of
        # str.translate, which looks every character up in a dict. Same result, as long as no
        # replacement produces a character that is itself replaced (checked; else translate).
        self._deleted = _character_class(deletions)
        self._replacements = {
            source: target for source, target in replacements.items() if source not in deletions
        }
        self._chained = any(
            char in self._replacements for target in self._replacements.values() for char in target
        )
        self._replaced = _character_class("".join(self._replacements))
        self._expanding = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]")
        self._repeated_spaces = re.compile("(?<= ) ") if self.options.spaces else None

    @staticmethod
    def _character_tables(options: NormalizationOptions) -> tuple[dict[str, str], str]:
        replacements: dict[str, str] = {}
        deletions = ""
        if options.harakat:
            deletions += HARAKAT + QURANIC_MARKS
        if options.tatweel:
            deletions += TATWEEL
        if options.invisible:
            deletions += INVISIBLE
        for enabled, table in (
            (options.alef, ALEF_FORMS),
            (options.yaa, YAA_FORMS),
            (options.taa_marbuta, TAA_MARBUTA),
            (options.hamza_carriers, HAMZA_CARRIERS),
            (options.digits, DIGITS | DIGIT_PUNCTUATION),
            (options.spaces, UNUSUAL_SPACES),
        ):
            if enabled:
                replacements.update(table)
        if options.persian:
            replacements.update({k: v for k, v in PERSIAN_LETTERS.items() if len(k) == 1})
            if options.yaa:
                replacements["ی"] = "ي"
        if options.casefold:
            replacements.update({chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)})
        # chained replacements (ی -> ي) must land on final forms
        for source, target in list(replacements.items()):
            replacements[source] = target.translate(str.maketrans(replacements))
        return replacements, deletions

    def normalize(self, text: str) -> NormalizedText:
        """The normalised view of ``text`` with its offset map."""
        if self._expanding.search(text):
            return self._normalize_general(text)
        layers: list[list[int]] = []
        translated = text
        if self._deleted is not None:
            deleted = [m.start() - j for j, m in enumerate(self._deleted.finditer(text))]
            if deleted:
                layers.append(deleted)
                translated = self._deleted.sub("", text)
        if self._chained:
            translated = translated.translate(self._table)
        elif self._replaced is not None:
            replacements = self._replacements
            for source in set(self._replaced.findall(translated)):
                translated = translated.replace(source, replacements[source])
        if self._repeated_spaces is not None and "  " in translated:
            layers.append([m.start() - j for j, m in enumerate(self._repeated_spaces.finditer(translated))])
            translated = self._repeated_spaces.sub("", translated)
        return NormalizedText(text, translated, tuple(layers))

    def _normalize_general(self, text: str) -> NormalizedText:
        """Character-by-character path for texts with presentation forms (one char -> several)."""
        out: list[str] = []
        starts: list[int] = []
        previous_space = False
        for index, char in enumerate(text):
            presentation_form = "\ufb50" <= char <= "\ufdff" or "\ufe70" <= char <= "\ufefe"
            expanded = unicodedata.normalize("NFKC", char) if presentation_form else char
            piece = expanded.translate(self._table)
            for produced in piece:
                if produced == " " and previous_space and self.options.spaces:
                    continue
                previous_space = produced == " "
                out.append(produced)
                starts.append(index)
        return NormalizedText(text, "".join(out), (), starts)

    def normalize_term(self, term: str) -> str:
        """Normalise a gazetteer term or pattern literal: same characters as texts, single spaces."""
        return " ".join(self.normalize(term).text.split())

    def translate_pattern(self, pattern: str) -> str:
        """Normalise the Arabic literals of a regex pattern (ASCII syntax stays as written)."""
        table = {k: v for k, v in self._table.items() if k >= 0x80}
        return pattern.translate(table)


def _character_class(chars: str) -> re.Pattern[str] | None:
    """A pattern matching any one of ``chars`` (None for none)."""
    return re.compile("[" + re.escape("".join(sorted(set(chars)))) + "]") if chars else None


# --- clitics and word boundaries -----------------------------------------------------------------


#: first words of compound names that news writes both apart and joined: "عبد الله" / "عبدالله"
JOINABLE_FIRST_WORDS = ("عبد", "ابو")


def spelling_variants(term: str) -> list[str]:
    """A normalised term and its other common spellings (compound names written joined)."""
    variants = [term]
    first, _, rest = term.partition(" ")
    if rest and first in JOINABLE_FIRST_WORDS:
        variants.append(first + rest)
    return variants


def fused_article_variant(term: str) -> str | None:
    """The form a term starting with the article takes after the preposition ل: "الامم" -> "لامم"."""
    if term.startswith(ARTICLE) and len(term) > len(ARTICLE) and is_word_char(term[len(ARTICLE)]):
        return "ل" + term[len(ARTICLE) :]
    return None


def clitic_start(text: str, start: int, end: int, policy: CliticPolicy, fused: bool = False) -> int | None:
    """Validate a match ``text[start:end]`` of a normalised text against word boundaries.

    Returns the start the span should have (moved over or onto an attached proclitic according to
    ``policy``), or ``None`` when the match would split a word: it starts inside a word other than
    after a proclitic, or ends inside one. ``fused`` marks a match of the "لل" form of a term with
    the article, whose span always takes in the preposition's ل.
    """
    word = WORD_CHAR
    if end < len(text) and word[text[end]] and word[text[end - 1]]:
        return None
    if start == 0 or not word[text[start - 1]] or not word[text[start]]:
        return None if fused else start
    if policy is CliticPolicy.NONE or text[start - 1] not in PROCLITIC_LAST_LETTERS:
        return None  # inside a word, and not right after a proclitic (most matches in a word)
    word_start = start - 1
    while word_start > 0 and start - word_start < 3 and word[text[word_start - 1]]:
        word_start -= 1
    if word_start > 0 and word[text[word_start - 1]]:
        return None  # more than two letters before the match: not a proclitic
    prefix = text[word_start:start]
    if fused:
        if prefix not in FUSED_PROCLITICS:
            return None
        return start - 1 if policy is CliticPolicy.EXCLUDE else word_start
    if prefix not in PROCLITICS:
        return None
    return start if policy is CliticPolicy.EXCLUDE else word_start


def words(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of every maximal run of word characters."""
    start = None
    for index, char in enumerate(text):
        if is_word_char(char):
            if start is None:
                start = index
        elif start is not None:
            yield start, index
            start = None
    if start is not None:
        yield start, len(text)


@lru_cache(maxsize=1)
def blank_arabic() -> Any:
    """spaCy's blank Arabic pipeline (its tokenizer and vocab), built once per process and shared by
    the token matchers and the export. spaCy is imported here, on first use, not at start-up.
    Callers must not add pipes to it."""
    import spacy

    return spacy.blank("ar")
