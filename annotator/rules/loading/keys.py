"""The keys each part of a rule pack may have, and helpers the loader's checks share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import regex

from annotator.rules.extends import EXTENDS_KEY
from annotator.rules.model import RuleKind

PACK_KEYS = {
    "name",
    "version",
    "description",
    "labels",
    "normalize",
    "clitics",
    "overlap",
    "match_timeout",
    "macros",
    "rule_files",
    "examples",
    "profiles",
    "documents",
    "guard",
    EXTENDS_KEY,
    "disable",
    "priorities",
}
#: keys only a pack that extends another may set
EXTENDING_ONLY_KEYS = ("disable", "priorities")
#: keys a pack that extends another takes from its base and may not set itself
INHERITED_KEYS = ("normalize", "clitics", "overlap", "match_timeout", "documents", "guard")
EXTENDS_KEYS = {"pack", "profile"}
GUARD_KEYS = {"files", "labels", "max_rate"}
PROFILE_KEYS = {"description", "skip", "examples"}
DOCUMENT_KEYS = {"key", "max_examples", "max_chars"}
LABEL_KEYS = {"colour", "color", "description"}
RULE_FILE_KEYS = {"rules", "description"}
COMMON_RULE_KEYS = {"id", "kind", "label", "priority", "clitics", "description", "examples", "profiles"}
KIND_KEYS: dict[RuleKind, set[str]] = {
    RuleKind.GAZETTEER: {"terms", "files"},
    RuleKind.REGEX: {"pattern", "group", "requires"},
    RuleKind.TOKENS: {"pattern", "patterns"},
    RuleKind.TRIGGER: {"trigger", "target", "position", "between"},
    RuleKind.PROPAGATE: {"from", "forms", "exclude", "min_chars"},
}
TERM_SOURCE_KEYS = {"terms", "files", "pattern"}
MACRO_SOURCE_KEYS = {"terms", "files"}
TOKEN_WORD_KEY = "WORD"
DOCUMENT_KEY = regex.compile(r"^meta(?:\.[^.\s]+)+$")
RULE_ID = regex.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
LABEL_NAME = regex.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
COLOUR = regex.compile(r"^#[0-9a-fA-F]{6}$")
#: the longest time limit a pack may set for one regex on one text (seconds)
MAX_MATCH_TIMEOUT = 3600.0


def _why(error: BaseException) -> str:
    """The reason an error gives, for a problem message."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def _uses_regex(value: Any) -> bool:
    """Whether a token pattern uses spaCy's REGEX operator anywhere."""
    if isinstance(value, dict):
        return any(key == "REGEX" or _uses_regex(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_uses_regex(item) for item in value)
    return False


def _stems_words(token: dict) -> Any:
    """The words of a token's ``{"_": {"stems": {"INTERSECTS": [...]}}}`` (the WORD key), or None."""
    extensions = token.get("_")
    stems = extensions.get("stems") if isinstance(extensions, dict) else None
    return stems.get("INTERSECTS") if isinstance(stems, dict) else None


def _file_names(value: Any) -> tuple[str, ...]:
    """The ``files`` of a term source as written (problems with them are reported by ``terms``)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def read_term_file(path: Path) -> list[tuple[int, str]]:
    """(line number, term) for every term line of a gazetteer file: UTF-8, ``#`` comments, blanks skipped.

    Raises ``UnicodeDecodeError``/``OSError`` for the caller to report.
    """
    terms = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            term = line.strip()
            if term and not term.startswith("#"):
                terms.append((number, term))
    return terms
