"""Parse one line of a JSONL input strictly, so that no record can crash a later stage.

Python's ``json`` accepts things that break the tool further on: nesting deep enough to exhaust
the interpreter's stack (``RecursionError``), integers of thousands of digits (``ValueError`` past
the interpreter's int/str limit), escapes of lone surrogates such as ``"\\ud800"`` (a ``str`` that
UTF-8 cannot encode, so hashing or writing it fails), and ``NaN``/``Infinity`` (not JSON: the
output would not be valid JSON either). Each is refused here with a reason a person can act on.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: deepest nesting of arrays and objects accepted in one record (meta is meant to be small and flat)
MAX_DEPTH = 100
#: longest integer accepted, in digits (a 128-bit id has 39)
MAX_DIGITS = 100

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LONG_DIGITS = re.compile(f"[0-9]{{{MAX_DIGITS + 1}}}")


class JsonLineError(ValueError):
    """A line is not a JSON value this tool accepts; ``reason`` says why and what to do."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class _Refused(Exception):
    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number", hint="write null, or the value as a string")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:20]} is out of range", hint="write it as a string")
    return value


def parse_line(line: str) -> Any:
    """The JSON value of ``line``; raise ``JsonLineError`` for anything the tool cannot carry."""
    try:
        value = json.loads(line, parse_constant=_constant, parse_float=_finite)
    except _Refused as refused:
        raise JsonLineError(refused.reason, refused.hint) from None
    except RecursionError:
        raise JsonLineError(*_too_deep()) from None
    except json.JSONDecodeError as error:
        raise JsonLineError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except ValueError:  # the interpreter's limit on int <-> str conversion
        raise JsonLineError(*_too_long()) from None
    # cheap scans of the raw line decide whether the value needs walking at all
    if (
        line.count("[") + line.count("{") > MAX_DEPTH
        or _LONG_DIGITS.search(line)
        or _SURROGATE_ESCAPE.search(line)
    ):
        _walk(value)
    return value


def _too_deep() -> tuple[str, str]:
    return (
        f"nested more than {MAX_DEPTH} levels deep",
        "keep records flat: text, id, spans and a small meta object",
    )


def _too_long() -> tuple[str, str]:
    return (
        f"a number has more than {MAX_DIGITS} digits",
        "write long ids as strings (in quotes)",
    )


def _walk(value: Any) -> None:
    """Check depth, integer size and lone surrogates everywhere in ``value`` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise JsonLineError(*_too_deep())
            for key, child in item.items():
                _check_string(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise JsonLineError(*_too_deep())
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_string(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 10**MAX_DIGITS:
            raise JsonLineError(*_too_long())


def _check_string(text: str) -> None:
    found = _SURROGATE.search(text)
    if found:
        raise JsonLineError(
            f"the escape \\u{ord(found.group()):04x} is a lone surrogate, not a character",
            hint="surrogate escapes must come in pairs (\\ud83d\\ude00); fix or remove it",
        )
