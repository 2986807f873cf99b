"""Named regex macros (``{MONTH}``, ``{GIVEN_NAME}`` ...) and compact regexes built from term lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import regex

from annotator.arabic import ARTICLE, CONJUNCTIONS, PREPOSITIONS, spelling_variants

#: ``{NAME}``, but not the ``{..}`` of ``\p{N}``, ``\P{L}`` or ``\N{...}``
MACRO_REFERENCE = regex.compile(r"(?<!\\[pPN])\{([A-Z][A-Z0-9_]*)\}")
#: the longest regex a pattern may become once its macros are expanded: several times the largest
#: pattern of the ar-news pack (about 350,000 characters), far below what macro "bombs" reach
MAX_EXPANDED_CHARS = 2_000_000

#: macros every pack has; packs may not redefine them
BUILTIN_MACROS: dict[str, str] = {
    # the article, or its fused form after the preposition ل ("للأمم": ل + ل[ا]لأمم)
    "AL": rf"(?:ال|(?<=(?<!\w)[{CONJUNCTIONS}]?ل)(?P<fused_article>ل))",
    "PROCLITIC": rf"(?:[{CONJUNCTIONS}]?[{PREPOSITIONS}]|[{CONJUNCTIONS}])",
    "WORD": r"\w+",
    "NUMBER": r"[0-9]+(?:[.,][0-9]+)*",
}


class MacroError(ValueError):
    """A macro reference cannot be expanded (unknown name or a cycle)."""


def terms_to_regex(terms: Iterable[str]) -> str:
    """A trie-shaped regex matching exactly the given (normalised) terms as whole words.

    Longer alternatives are tried first; a space in a term matches any run of spaces; terms with
    the article also match their fused form after ل ("للجيش" for "الجيش"), through the ``{AL}``
    macro's group; compound names also match their joined spelling ("عبدالله").
    """
    with_article: dict = {}
    without: dict = {}
    for written in terms:
        for term in spelling_variants(written):
            if not term:
                continue
            trie, rest = (
                (with_article, term[2:]) if term.startswith(ARTICLE) and len(term) > 2 else (without, term)
            )
            node = trie
            for char in rest:
                node = node.setdefault(char, {})
            node[""] = {}
    branches = []
    if with_article:
        branches.append(BUILTIN_MACROS["AL"] + "(?:" + _trie_pattern(with_article) + ")")
    if without:
        branches.append(_trie_pattern(without))
    if not branches:
        return r"(?!)"
    return f"(?:{'|'.join(branches)})(?!\\w)"


def _trie_pattern(node: dict) -> str:
    ends_here = "" in node
    # A space in a term matches one whitespace character (texts are normalised to single spaces,
    # as for gazetteer terms). No repeat operators at all: the regex module prepares state for
    # every repeat of a pattern on each match, which made big term lists cost microseconds per call.
    branches = [
        (r"\s" if char == " " else regex.escape(char)) + _trie_pattern(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        # the longer continuation is tried first; the shorter term remains possible
        return f"(?:{body}|)"
    return body


def expand_macros(pattern: str, macros: Mapping[str, str], limit: int = MAX_EXPANDED_CHARS) -> str:
    """Replace ``{NAME}`` references recursively; raise ``MacroError`` for unknown names, cycles,
    and expansions longer than ``limit`` characters (macros that use each other twice double at
    every level: thirty levels are a billion characters)."""
    expanded: dict[str, str] = {}

    def expand(text: str, stack: tuple[str, ...]) -> str:
        def replace(match: regex.Match) -> str:
            name = match.group(1)
            if name in stack:
                raise MacroError(f"macro cycle: {' -> '.join((*stack, name))}")
            if name not in macros:
                raise MacroError(f"unknown macro {{{name}}}")
            if name not in expanded:
                expanded[name] = "(?:" + expand(macros[name], (*stack, name)) + ")"
            return expanded[name]

        result = MACRO_REFERENCE.sub(replace, text)
        if len(result) > limit:
            raise MacroError(
                f"macros expand to more than {limit:,} characters" + (f" in {{{stack[-1]}}}" if stack else "")
            )
        return result

    try:
        return expand(pattern, ())
    except RecursionError:
        raise MacroError("macros nest too deeply") from None


#: the group holding a trigger rule's target inside its target regex
TARGET_GROUP = "target"


def trigger_target_regex(target: str, between: str, after: bool) -> str:
    """The regex a trigger rule's target is matched with, anchored next to each trigger: the gap
    ``between`` and the ``target`` pattern as ONE regex (so the gap can give back what the target
    needs), reversed when the target comes before its trigger. The pack loader validates exactly
    this string, so the engine's compile of it is a hit in ``regex``'s cache."""
    if after:
        return f"(?r)(?P<{TARGET_GROUP}>{target})(?:{between})"
    return f"(?:{between})(?P<{TARGET_GROUP}>{target})"


def target_source_regex(pattern: str | None, terms: Iterable[str]) -> str:
    """A trigger target as a regex: its pattern, or its terms as one."""
    return pattern if pattern is not None else terms_to_regex(terms)
