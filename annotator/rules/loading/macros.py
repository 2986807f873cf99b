"""The pack's macros: named regexes, from patterns, terms or term files.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's shared state and
``problem``/``check_keys``."""

from __future__ import annotations

import regex

from annotator.patterns import compile_pattern
from annotator.rules.loading.keys import (
    MACRO_SOURCE_KEYS,
    _why,
)
from annotator.rules.macros import (
    BUILTIN_MACROS,
    MACRO_REFERENCE,
    MacroError,
    expand_macros,
    terms_to_regex,
)
from annotator.rules.model import HEADER
from annotator.rules.yaml_source import LocatedDict


class MacroChecks:
    """The pack's macros: named regexes, from patterns, terms or term files."""

    def read_macros(self, header: LocatedDict) -> None:
        raw = header.get("macros", LocatedDict(line=header.line))
        if not isinstance(raw, LocatedDict):
            self.problem(HEADER.at(header.line_of("macros")), "'macros' must map NAMES to regexes")
            return
        from_terms: set[str] = set()  # built by terms_to_regex: escaped, valid by construction
        for name, value in raw.items():
            line = raw.line_of(name)
            if not isinstance(name, str) or not regex.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                self.problem(HEADER.at(line), f"macro name {name!r} must be UPPER_CASE")
                continue
            if name in BUILTIN_MACROS:
                self.problem(HEADER.at(line), f"macro {name} is built in and cannot be redefined")
                continue
            if isinstance(value, str):
                self.macros[name] = self.normalizer.translate_pattern(value)
            elif isinstance(value, LocatedDict):
                self.check_keys(value, MACRO_SOURCE_KEYS, HEADER, f"macro {name}")
                terms = self.terms(value, HEADER)
                if not terms:
                    self.problem(HEADER.at(line), f"macro {name} has no terms")
                self.macros[name] = terms_to_regex(terms)
                from_terms.add(name)
            else:
                self.problem(HEADER.at(line), f"macro {name} must be a regex string or terms/files")
        for name in list(self.macros):
            if name in BUILTIN_MACROS:
                continue
            try:
                expand_macros(f"{{{name}}}", self.macros)  # unknown names, cycles, explosive growth
                # the macro's own syntax; its expansion is compiled where a rule uses it (compiling
                # every macro expanded, as well, cost seconds on large packs and let a chain of
                # macros that double at each level keep the loader busy for minutes); a term list's
                # trie needs no check, and compiling the large ones took a second
                if name not in from_terms:
                    compile_pattern(MACRO_REFERENCE.sub("(?:)", self.macros[name]))
            except MacroError as error:
                self.problem(HEADER.at(raw.line_of(name)), f"macro {name}: {error}")
                self.macros.pop(name)
            except (regex.error, RecursionError) as error:
                self.problem(
                    HEADER.at(raw.line_of(name)), f"macro {name} is not a valid regex: {_why(error)}"
                )
                self.macros.pop(name)
