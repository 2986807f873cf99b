"""One validator per rule kind: gazetteer, regex, trigger, propagate and token rules.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's shared state and
``problem``/``check_keys``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from annotator.patterns import compile_pattern
from annotator.rules.loading.keys import (
    TOKEN_WORD_KEY,
    _file_names,
    _stems_words,
    _uses_regex,
)
from annotator.rules.macros import (
    target_source_regex,
    trigger_target_regex,
)
from annotator.rules.model import (
    PROPAGATION_FORMS,
    GazetteerRule,
    Location,
    PropagateRule,
    RegexRule,
    Rule,
    RuleKind,
    TermSource,
    TokenRule,
    TriggerRule,
)
from annotator.rules.yaml_source import LocatedDict


class KindChecks:
    """One validator per rule kind: gazetteer, regex, trigger, propagate and token rules."""

    def gazetteer(self, raw: LocatedDict, where: Location) -> GazetteerRule | None:
        if "terms" not in raw and "files" not in raw:
            self.problem(where, "a gazetteer rule needs 'terms' or 'files'")
            return None
        reported = len(self.problems)
        terms = self.terms(raw, where)
        if not terms:
            if len(self.problems) == reported:
                self.problem(where, "the gazetteer has no terms")
            return None
        return GazetteerRule(TermSource(terms=terms, files=_file_names(raw.get("files"))))

    def regex_rule(self, raw: LocatedDict, where: Location) -> RegexRule | None:
        if "pattern" not in raw:
            self.problem(where, "a regex rule needs 'pattern'")
            return None
        pattern = self.compile_pattern(raw.get("pattern"), where.at(raw.line_of("pattern")), "'pattern'")
        if pattern is None:
            return None
        group = raw.get("group", 0)
        compiled = compile_pattern(pattern, self.regex_flags)  # the same compile as above: cached
        if isinstance(group, bool) or not isinstance(group, int | str):
            self.problem(where.at(raw.line_of("group")), "'group' must be a group number or name")
            return None
        if (isinstance(group, int) and not 0 <= group <= compiled.groups) or (
            isinstance(group, str) and group not in compiled.groupindex
        ):
            self.problem(where.at(raw.line_of("group")), f"the pattern has no group {group!r}")
            return None
        requires = raw.get("requires", [])
        if not isinstance(requires, list) or not all(
            isinstance(item, str) and item.strip() for item in requires
        ):
            self.problem(where.at(raw.line_of("requires")), "'requires' must be a list of non-empty strings")
            return None
        normalised = tuple(dict.fromkeys(self.normalizer.normalize_term(item) for item in requires))
        return RegexRule(pattern, group, normalised)

    def trigger_rule(self, raw: LocatedDict, where: Location) -> TriggerRule | None:
        for key in ("trigger", "target"):
            if key not in raw:
                self.problem(where, f"a trigger rule needs '{key}'")
        position = raw.get("position", "before")
        if position not in ("before", "after"):
            self.problem(where.at(raw.line_of("position")), "'position' must be before or after")
        between = self.compile_pattern(
            raw.get("between", r"\s+"), where.at(raw.line_of("between")), "'between'"
        )
        trigger = self.term_source(raw.get("trigger"), where.at(raw.line_of("trigger")), "'trigger'")
        # the target is compiled once, as the engine runs it: joined to 'between'
        raw_target = raw.get("target")
        target_line = raw.line_of("target")
        target = self.term_source(raw_target, where.at(target_line), "'target'", validate=False)
        if trigger is None or target is None or between is None or position not in ("before", "after"):
            return None
        target_regex = target_source_regex(target.pattern, target.terms)
        joined_error = self.compile_error(trigger_target_regex(target_regex, between, position == "after"))
        if joined_error is None:
            return TriggerRule(trigger, target, position, between)
        # name the part at fault: the target alone, else the target joined to 'between'
        alone = self.compile_error(target_regex)
        if alone is not None:
            written = raw_target.get("pattern") if isinstance(raw_target, LocatedDict) else raw_target
            what = "'target' pattern" if isinstance(raw_target, LocatedDict) else "'target'"
            self.problem(where.at(target_line), f"{what} is not a valid regex: {alone} in {written!r}")
        else:
            message = f"'target' after 'between' is not a valid regex: {joined_error}"
            self.problem(where.at(target_line), message)
        return None

    def propagate_rule(self, raw: LocatedDict, where: Location) -> PropagateRule | None:
        sources = raw.get("from")
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
            self.problem(
                where.at(raw.line_of("from") if "from" in raw else raw.line),
                "a propagate rule needs 'from': the ids (or id patterns) of the rules it propagates",
            )
            return None
        forms = raw.get("forms", list(PROPAGATION_FORMS))
        if (
            not isinstance(forms, list)
            or not forms
            or not all(isinstance(form, str) and form in PROPAGATION_FORMS for form in forms)
        ):
            self.problem(
                where.at(raw.line_of("forms")), f"'forms' must list some of: {', '.join(PROPAGATION_FORMS)}"
            )
            return None
        exclude: tuple[str, ...] = ()
        if "exclude" in raw:
            excluded = self.term_source(raw["exclude"], where.at(raw.line_of("exclude")), "'exclude'")
            if excluded is None:
                return None
            if excluded.is_pattern:
                self.problem(
                    where.at(raw.line_of("exclude")), "'exclude' takes terms or files, not a pattern"
                )
                return None
            exclude = excluded.terms
        min_chars = raw.get("min_chars", 3)
        if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 1:
            self.problem(where.at(raw.line_of("min_chars")), "'min_chars' must be a whole number >= 1")
            return None
        return PropagateRule(tuple(sources), tuple(dict.fromkeys(forms)), exclude, min_chars)

    def resolve_propagation(self, rules: list[Rule], also: Iterable[Rule] = ()) -> list[Rule]:
        """Expand each propagate rule's ``from`` patterns to rule ids; report patterns that name
        nothing, propagate rules, or rules of another label."""
        from fnmatch import fnmatchcase

        pool = [*rules, *also]  # the rules a pattern may name (``also``: a base pack's)
        resolved = []
        for rule in rules:
            config = rule.config
            if not isinstance(config, PropagateRule):
                resolved.append(rule)
                continue
            where = rule.location
            ids: list[str] = []
            for pattern in config.sources:
                found = [
                    other
                    for other in pool
                    if fnmatchcase(other.id, pattern) and other.kind is not RuleKind.PROPAGATE
                ]
                if not found:
                    self.problem(where, f"'from': {pattern!r} names no rule to propagate from")
                for other in found:
                    if other.label != rule.label:
                        self.problem(
                            where,
                            f"'from': {other.id} tags {other.label}, this rule {rule.label}; "
                            "propagate from rules of the same label",
                        )
                    elif other.id not in ids:
                        ids.append(other.id)
            resolved.append(replace(rule, config=replace(config, sources=tuple(ids))))
        return resolved

    def token_rule(self, raw: LocatedDict, where: Location) -> TokenRule | None:
        if ("pattern" in raw) == ("patterns" in raw):
            self.problem(where, "a tokens rule needs exactly one of 'pattern' or 'patterns'")
            return None
        patterns = [raw["pattern"]] if "pattern" in raw else raw["patterns"]
        line = raw.line_of("pattern" if "pattern" in raw else "patterns")
        if (
            not isinstance(patterns, list)
            or not patterns
            or not all(
                isinstance(pattern, list) and pattern and all(isinstance(token, dict) for token in pattern)
                for pattern in patterns
            )
        ):
            self.problem(
                where.at(line), "token patterns must be lists of token mappings (spaCy Matcher syntax)"
            )
            return None
        converted = [self.token_pattern(pattern) for pattern in patterns]
        if _uses_regex(converted):
            self.problem(
                where.at(line),
                "token patterns may not use REGEX: spaCy runs it without the pack's time limit; "
                "write a regex rule instead",
            )
            return None
        from annotator.rules.token_syntax import validate_token_patterns  # spaCy is imported only when needed

        messages = validate_token_patterns(converted)
        for message in messages:
            self.problem(where.at(line), f"bad token pattern: {message}")
        if messages:
            return None
        required_words = self.token_required_words(converted)
        return TokenRule(
            tuple(json.dumps(pattern, ensure_ascii=False) for pattern in converted), required_words
        )

    def token_pattern(self, pattern: list[dict]) -> list[dict]:
        """Normalise the literal values of a token pattern and expand the WORD shorthand."""

        def normal(value: Any) -> Any:
            if isinstance(value, str):
                return self.normalizer.normalize_term(value)
            if isinstance(value, list):
                return [normal(item) for item in value]
            if isinstance(value, dict):
                return {
                    key: (normal(item) if key in ("IN", "NOT_IN", "==", "!=") else item)
                    for key, item in value.items()
                }
            return value

        converted = []
        for token in pattern:
            token = {str(key): value for key, value in token.items()}
            for key in ("TEXT", "ORTH", "LOWER", "NORM"):
                if key in token:
                    token[key] = normal(token[key])
            if TOKEN_WORD_KEY in token:
                value = normal(token.pop(TOKEN_WORD_KEY))
                words = value.get("IN", []) if isinstance(value, dict) else [value]
                token["_"] = {"stems": {"INTERSECTS": words}}
            converted.append(token)
        return converted

    @staticmethod
    def token_required_words(patterns: list[list[dict]]) -> tuple[str, ...]:
        """Words one of which every match must contain (empty: the rule must run on every text)."""
        required: set[str] = set()
        for pattern in patterns:
            found = None
            for token in pattern:
                if token.get("OP", "1") not in ("1", "+", "!"):
                    continue
                stems = _stems_words(token)
                literal = token.get("TEXT", token.get("ORTH", token.get("LOWER", token.get("NORM"))))
                values = stems if stems else (literal.get("IN") if isinstance(literal, dict) else literal)
                if isinstance(values, str):
                    values = [values]
                if isinstance(values, list) and values and all(isinstance(value, str) for value in values):
                    found = values
                    break
            if found is None:
                return ()
            required.update(found)
        return tuple(sorted(required))
