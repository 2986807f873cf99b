"""Literal prefixes of a regex: a set of strings one of which every match must start with.

Scanning a whole text with ``finditer`` costs one pass of the regex engine per rule, and the big
term-list macros make that pass slow (a trie of 1,500 given names runs at about 0.5 M chars/s, a
name rule built from several of them at 0.03 M chars/s). When every match of a rule has to start
with one of a set of literal strings, the pack's shared Aho-Corasick pass finds every position
where a match can start, and the regex only runs there (see ``CompiledRegex.find``).

Prefixes are written with every whitespace character folded to a space, so that ``\\s`` adds one
character rather than 29: look for them in ``fold_spaces(text)``, which keeps every offset.

The prefixes are read from the parse tree of Python's own ``re`` parser. It reads the common
syntax exactly as the ``regex`` module does; constructs it does not know (``\\p{..}``, ``(?r)``,
fuzzy matching, POSIX classes, ...) make this module answer ``None``, and the rule is scanned in
full as before. The answer only ever errs towards MORE prefixes (lookarounds are skipped,
prefixes are cut short), so a position it leaves out can never start a match.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

import regex

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

#: prefixes stop growing at this length: long enough to be rare in text, short enough to stay few
MAX_LENGTH = 5
#: a character class is expanded into its characters up to this size
MAX_CLASS = 16
#: more prefixes than this and the rule is scanned in full
MAX_PREFIXES = 50_000

#: every character ``\s`` matches in ``re`` or in ``regex`` (``str.isspace``; Unicode White_Space)
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
_FOLD = str.maketrans(dict.fromkeys(SPACES, " "))
_OTHER_SPACE = re.compile("[" + re.escape(SPACES.replace(" ", "")) + "]")

_OP = sre_constants
_ZERO_WIDTH = {_OP.ASSERT, _OP.ASSERT_NOT, _OP.AT}
_REPEATS = {_OP.MAX_REPEAT, _OP.MIN_REPEAT} | (
    {_OP.POSSESSIVE_REPEAT} if hasattr(_OP, "POSSESSIVE_REPEAT") else set()
)
_GROUPS = {_OP.SUBPATTERN} | ({_OP.ATOMIC_GROUP} if hasattr(_OP, "ATOMIC_GROUP") else set())
#: group names are irrelevant here, and ``re`` refuses a name used twice (``regex`` allows it)
_GROUP_NAME = re.compile(r"\(\?P?<(?![=!])[^>]*>")
#: ``regex`` fuzzy constraints (``(?:abc){e<=1}``), which ``re`` would read as literal braces
_FUZZY = re.compile(r"\{[^{}]*[A-Za-z<>=][^{}]*\}")


class _TooMany(Exception):
    """The prefix set grew past ``MAX_PREFIXES``."""


def fold_spaces(text: str) -> str:
    """``text`` with every whitespace character made a space (same length, same offsets)."""
    return text.translate(_FOLD) if _OTHER_SPACE.search(text) else text


@lru_cache(maxsize=256)
def literal_prefixes(pattern: str, ignore_case: bool = False) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` (a ``regex`` pattern) starts with.

    ``None`` when there is no such set worth using: the pattern can match the empty string or
    start with an open-ended class, uses syntax this module does not read, or has too many.
    """
    if _FUZZY.search(pattern):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = sre_parse.parse(_GROUP_NAME.sub("(?:", pattern))
    except Exception:  # any syntax ``re`` does not read the way ``regex`` does
        return None
    if parsed.state.flags & re.IGNORECASE or _has_scoped_ignorecase(list(parsed)):
        ignore_case = True
    try:
        found = _walk(list(parsed), ("",), ignore_case)
    except _TooMany:
        return None
    if not found or "" in found:
        return None
    return frozenset(_shortest(found))


def _shortest(prefixes: set[str]) -> list[str]:
    """The prefixes without those that extend another one (they mark no other start position)."""
    kept: list[str] = []
    for prefix in sorted(prefixes):
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return kept


def _has_scoped_ignorecase(items: list[Any]) -> bool:
    for op, arg in items:
        if op is _OP.SUBPATTERN and arg[1] & re.IGNORECASE:
            return True
        for child in _children(op, arg):
            if _has_scoped_ignorecase(child):
                return True
    return False


def _children(op: Any, arg: Any) -> list[list[Any]]:
    if op is _OP.SUBPATTERN:
        return [list(arg[-1])]
    if op is _OP.BRANCH:
        return [list(alternative) for alternative in arg[1]]
    if op in _REPEATS:
        return [list(arg[2])]
    if op in _ZERO_WIDTH and op is not _OP.AT:
        return [list(arg[1])]
    if op in _GROUPS:
        return [list(arg)]
    if op is _OP.GROUPREF_EXISTS:
        return [list(branch) for branch in arg[1:] if branch is not None]
    return []


def _walk(items: list[Any], prefixes: tuple[str, ...], ignore_case: bool) -> set[str]:
    """Every way ``prefixes`` can go on when the text continues with a match of ``items``.

    The result holds, for every match, a string the prefixed match starts with (cut short at
    ``MAX_LENGTH`` or wherever the pattern stops being literal).
    """
    finished: set[str] = set()
    while True:
        finished.update(prefix for prefix in prefixes if len(prefix) >= MAX_LENGTH)
        prefixes = tuple(prefix for prefix in prefixes if len(prefix) < MAX_LENGTH)
        if not prefixes or not items:
            return finished.union(prefixes)
        (op, arg), rest = items[0], items[1:]
        chars = _characters(op, arg, ignore_case)
        if chars is not None:
            prefixes = tuple(prefix + char for prefix in prefixes for char in chars)
            if len(prefixes) > MAX_PREFIXES:
                raise _TooMany
            items = rest
        elif op in _ZERO_WIDTH:
            items = rest  # a lookaround only narrows where a match starts
        elif op in _GROUPS:
            items = list(arg[-1] if op is _OP.SUBPATTERN else arg) + rest
        elif op is _OP.BRANCH:
            for alternative in arg[1]:
                finished |= _walk(list(alternative) + rest, prefixes, ignore_case)
                if len(finished) > MAX_PREFIXES:
                    raise _TooMany
            return finished
        elif op in _REPEATS:
            low, high, sub = arg
            if high == 0:
                items = rest
                continue
            if low == 0:
                finished |= _walk(rest, prefixes, ignore_case)
                if high == 1:
                    return finished | _walk(list(sub) + rest, prefixes, ignore_case)
                if all(prefixes):
                    return finished.union(prefixes)  # one repetition or more: stop here
                return finished | _walk(list(sub), prefixes, ignore_case)
            more = high if high == sre_constants.MAXREPEAT else high - 1
            items = list(sub) + ([(op, (low - 1, more, sub))] if more else []) + rest
        else:
            return finished.union(prefixes)  # not literal (\w, ., a back-reference ...): stop here


def _characters(op: Any, arg: Any, ignore_case: bool) -> str | None:
    """The characters a literal or a small character class matches; None for anything else."""
    if op is _OP.LITERAL:
        chars = chr(arg)
    elif op is _OP.IN:
        chars = ""
        for kind, value in arg:
            if kind is _OP.LITERAL:
                chars += chr(value)
            elif kind is _OP.RANGE and value[1] - value[0] < MAX_CLASS:
                chars += "".join(map(chr, range(value[0], value[1] + 1)))
            elif kind is _OP.CATEGORY and value is _OP.CATEGORY_SPACE:
                chars += " "
            else:
                return None  # negated, or a category other than \s
    else:
        return None
    if ignore_case:
        chars = "".join(variant for char in chars for variant in _case_variants(char))
    chars = "".join(dict.fromkeys(chars.translate(_FOLD)))
    return chars if len(chars) <= MAX_CLASS else None


@lru_cache(maxsize=4096)
def _case_variants(char: str) -> str:
    """``char`` and every character ``regex`` matches it with under IGNORECASE."""
    if char.lower() == char and char.upper() == char and char.casefold() == char:
        return char
    return "".join(regex.compile(regex.escape(char), regex.IGNORECASE).findall(_every_character()))


@lru_cache(maxsize=1)
def _every_character() -> str:
    return "".join(map(chr, range(0x30000)))
