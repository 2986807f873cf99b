"""Compile rule patterns through a memo that the compiled-pack cache can save and hand back.

``regex`` parses and optimises a pattern in Python: ar-news's name and institution patterns, which
hold tries of thousands of terms, took seconds to compile. A compiled ``regex.Pattern`` pickles as
its compiled code and unpickles without being parsed again, so the pack cache keeps the patterns a
load and compile used. When a pack changes, its previous patterns are handed back through a
``PatternMemo``: only the patterns that really changed are compiled again.

Outside an active memo ``compile_pattern`` is plain ``regex.compile`` (with ``regex``'s own cache).
A memo is looked up by the exact pattern text and flags, so a pattern it hands back is the one a
fresh compile would make (under the same ``regex`` version, which the pack cache's key holds).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import regex

#: a pattern as compiled: its text and its flags
PatternKey = tuple[str, int]


class PatternMemo:
    """Patterns compiled before (``known``), and every pattern asked for while active (``used``)."""

    def __init__(self, known: Mapping[PatternKey, regex.Pattern] | None = None) -> None:
        self._known: dict[PatternKey, regex.Pattern] = dict(known or {})
        #: every pattern compiled or looked up while this memo was active: what is worth keeping
        self.used: dict[PatternKey, regex.Pattern] = {}

    def compile(self, pattern: str, flags: int = 0) -> regex.Pattern:
        """``regex.compile(pattern, flags)``, or the same pattern compiled before."""
        key = (pattern, flags)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = regex.compile(pattern, flags)
        self.used[key] = found
        return found

    @contextmanager
    def active(self) -> Iterator[PatternMemo]:
        """Make ``compile_pattern`` go through this memo inside the block (this context only)."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


_ACTIVE: ContextVar[PatternMemo | None] = ContextVar("annotator_pattern_memo", default=None)


def compile_pattern(pattern: str, flags: int = 0) -> regex.Pattern:
    """Compile a rule pattern: through the active ``PatternMemo`` if there is one.

    Raises ``regex.error`` (and ``RecursionError`` for absurdly nested patterns) like
    ``regex.compile``; a pattern that fails is never remembered.
    """
    memo = _ACTIVE.get()
    if memo is None:
        return regex.compile(pattern, flags)
    return memo.compile(pattern, flags)
