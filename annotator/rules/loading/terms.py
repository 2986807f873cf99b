"""Term sources (inline terms, term files, a pattern) and the check of every pattern that compiles.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's shared state and
``problem``/``check_keys``."""

from __future__ import annotations

from typing import Any

import regex

from annotator.patterns import compile_pattern
from annotator.rules.loading.keys import (
    TERM_SOURCE_KEYS,
    _file_names,
    _why,
    read_term_file,
)
from annotator.rules.macros import (
    MacroError,
    expand_macros,
)
from annotator.rules.model import Location, TermSource
from annotator.rules.yaml_source import LocatedDict, LocatedList


class TermChecks:
    """Term sources (inline terms, term files, a pattern) and the check of every pattern that compiles."""

    def terms(self, raw: LocatedDict, where: Location) -> tuple[str, ...]:
        """Inline ``terms`` and the terms of every listed ``files`` entry, normalised and de-duplicated."""
        collected: list[str] = []
        inline = raw.get("terms", LocatedList(line=raw.line))
        if not isinstance(inline, LocatedList) or not all(isinstance(term, str) for term in inline):
            self.problem(where.at(raw.line_of("terms")), "'terms' must be a list of strings")
            inline = []
        collected.extend(inline)
        files = raw.get("files", LocatedList(line=raw.line))
        if isinstance(files, str):
            files = LocatedList([files], line=raw.line_of("files"))
        if not isinstance(files, LocatedList) or not all(isinstance(name, str) for name in files):
            self.problem(where.at(raw.line_of("files")), "'files' must be a list of paths inside the pack")
            files = LocatedList(line=raw.line)
        for index, name in enumerate(files):
            line = files.line_of(index)
            path = self.inside_pack(name, where.at(line))
            if path is None:
                continue
            if not path.is_file():
                self.problem(where.at(line), f"gazetteer file {name} does not exist")
                continue
            try:
                collected.extend(term for _, term in read_term_file(path))
            except UnicodeDecodeError as error:
                self.problem(where.at(line), f"gazetteer file {name} is not UTF-8 (byte {error.start})")
            except OSError as error:
                self.problem(where.at(line), f"cannot read gazetteer file {name}: {error.strerror or error}")
        normalised = dict.fromkeys(self.normalizer.normalize_term(term) for term in collected)
        normalised.pop("", None)
        return tuple(normalised)

    def compile_pattern(self, pattern: Any, where: Location, what: str, validate: bool = True) -> str | None:
        """``pattern`` with its literals normalised and macros expanded, compiled to check it
        (unless the caller compiles it inside a larger pattern: ``validate=False``); ``None``
        after reporting a problem."""
        if not isinstance(pattern, str) or not pattern:
            self.problem(where, f"{what} must be a non-empty regex string")
            return None
        try:
            expanded = expand_macros(self.normalizer.translate_pattern(pattern), self.macros)
        except MacroError as error:
            self.problem(where, f"{what}: {error}")
            return None
        if validate:
            error = self.compile_error(expanded)
            if error is not None:
                self.problem(where, f"{what} is not a valid regex: {error} in {pattern!r}")
                return None
        return expanded

    def compile_error(self, expanded: str) -> str | None:
        """Why ``expanded`` does not compile, or ``None`` when it does."""
        try:
            compile_pattern(expanded, self.regex_flags)
        except (regex.error, RecursionError) as error:
            return _why(error)
        return None

    def term_source(self, raw: Any, where: Location, what: str, validate: bool = True) -> TermSource | None:
        if isinstance(raw, str):
            pattern = self.compile_pattern(raw, where, what, validate)
            return TermSource(pattern=pattern) if pattern else None
        if not isinstance(raw, LocatedDict):
            self.problem(where, f"{what} must be a regex or a mapping with terms, files or pattern")
            return None
        self.check_keys(raw, TERM_SOURCE_KEYS, where, what)
        if "pattern" in raw:
            if "terms" in raw or "files" in raw:
                self.problem(where.at(raw.line), f"{what}: give either pattern or terms/files, not both")
            pattern = self.compile_pattern(
                raw["pattern"], where.at(raw.line_of("pattern")), f"{what} pattern", validate
            )
            return TermSource(pattern=pattern) if pattern else None
        reported = len(self.problems)
        terms = self.terms(raw, where)
        if not terms:
            if len(self.problems) == reported:
                self.problem(where.at(raw.line), f"{what} has no terms")
            return None
        return TermSource(terms=terms, files=_file_names(raw.get("files")))
