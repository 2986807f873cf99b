"""Load a rule pack folder into a validated ``RulePack``, collecting EVERY problem at once.

A pack is a folder with ``pack.yaml`` (labels, policies, macros), rule files (``*.yaml``) and plain
gazetteer text files. A pack may ``extends`` another (see ``_PackLoader.load_extending``): it
inherits the base's policies, labels, macros and rules (as one of its profiles runs them), may
disable some of those rules or change their priority, and adds rules of its own.

The loader checks every key strictly (unknown keys are errors, with a suggestion), every label,
macro, regex, token pattern and file path, and raises one ``RulePackError`` listing all problems
with file, line and rule id.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import regex

from annotator.arabic import CliticPolicy, NormalizationOptions, Normalizer
from annotator.errors import Problem, RulePackError
from annotator.patterns import compile_pattern
from annotator.rules.extends import EXTENDS_KEY, MAX_DEPTH, base_folder, written_base
from annotator.rules.macros import (
    BUILTIN_MACROS,
    MACRO_REFERENCE,
    MacroError,
    expand_macros,
    target_source_regex,
    terms_to_regex,
    trigger_target_regex,
)
from annotator.rules.markup import MarkupError, parse_markup
from annotator.rules.model import (
    PACK_FILE,
    PROPAGATION_FORMS,
    DocumentSettings,
    GazetteerRule,
    Guard,
    LabelSpec,
    Location,
    OverlapPolicy,
    Profile,
    PropagateRule,
    RegexRule,
    Rule,
    RuleExample,
    RuleKind,
    RulePack,
    TermSource,
    TokenRule,
    TriggerRule,
    default_colour,
)
from annotator.rules.yaml_source import LocatedDict, LocatedList, YamlSyntaxError, load_yaml

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


def load_pack(path: str | Path) -> RulePack:
    """Load and validate the rule pack in folder ``path``; raise ``RulePackError`` listing all problems.

    A pack that ``extends`` another loads its base (recursively) first; a cycle of packs extending
    each other is a problem of the pack that closes it.
    """
    return _PackLoader(Path(path)).load()


def select_profile(pack: RulePack, profile: str | None) -> RulePack:
    """The pack narrowed to ``profile`` (None: as it is); an unknown profile is a pack error naming
    the known ones. The same as ``pack.with_profile(profile)``, kept for existing callers."""
    return pack.with_profile(profile)


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


class _PackLoader:
    def __init__(self, root: Path, chain: tuple[Path, ...] = ()) -> None:
        self.root = root
        #: the resolved folders of the packs that extend this one, outermost first (cycle detection)
        self.chain = chain
        self.problems: list[Problem] = []
        self.normalizer = Normalizer()
        self.casefold = True
        self.macros: dict[str, str] = dict(BUILTIN_MACROS)
        self.labels: dict[str, LabelSpec] = {}
        self.rule_ids: dict[str, Location] = {}

    @property
    def regex_flags(self) -> int:
        return regex.IGNORECASE if self.casefold else 0

    # -- reporting ---------------------------------------------------------------------------

    def problem(self, file: str, line: int | None, rule: str | None, message: str) -> None:
        self.problems.append(Problem(file, line, rule, message))

    def check_keys(
        self,
        mapping: LocatedDict,
        allowed: set[str],
        file: str,
        rule: str | None,
        what: str,
        required: Iterable[str] = (),
    ) -> None:
        for key in mapping:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(
                    file,
                    mapping.line_of(key),
                    rule,
                    f"unknown key '{key}' in {what}{suggestion}; "
                    f"expected one of: {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in mapping:
                self.problem(file, mapping.line, rule, f"{what} needs '{key}'")

    def parse(self, path: Path) -> Any:
        relative = self.relative(path)
        try:
            data, duplicates = load_yaml(path)
        except YamlSyntaxError as error:
            self.problem(relative, error.line, None, error.message)
            return None
        except OSError as error:
            self.problem(relative, None, None, f"cannot read: {error.strerror or error}")
            return None
        for key, line in duplicates:
            self.problem(relative, line, None, f"duplicate key '{key}' (the later value would silently win)")
        return data

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    # -- the pack ----------------------------------------------------------------------------

    def load(self) -> RulePack:
        pack_file = self.root / PACK_FILE
        if not self.root.is_dir():
            raise RulePackError(
                str(self.root), [Problem(str(self.root), None, None, "no such rule pack folder")]
            )
        if not pack_file.is_file():
            raise RulePackError(
                str(self.root), [Problem(PACK_FILE, None, None, f"missing: a pack folder needs {PACK_FILE}")]
            )
        if self.inside_pack(PACK_FILE, PACK_FILE, None, None) is None:  # a link to a file elsewhere
            raise RulePackError(str(self.root), self.problems)
        header = self.parse(pack_file)
        if header is None and self.problems:
            raise RulePackError(str(self.root), self.problems)
        if not isinstance(header, LocatedDict):  # an empty file too
            raise RulePackError(
                str(self.root), [Problem(PACK_FILE, 1, None, "must be a mapping of settings")]
            )
        if EXTENDS_KEY in header:
            return self.load_extending(header)
        self.check_keys(header, PACK_KEYS, PACK_FILE, None, "pack.yaml", required=("name", "labels"))
        for key in EXTENDING_ONLY_KEYS:
            if key in header:
                self.problem(
                    PACK_FILE,
                    header.line_of(key),
                    None,
                    f"'{key}' changes the rules of a base pack: it needs 'extends: BASE_PACK'",
                )

        name = self.string(header, "name", PACK_FILE, None, default=self.root.name)
        version = str(header.get("version", "0"))
        normalization = self.normalization(header)
        self.normalizer = Normalizer(normalization)
        self.casefold = normalization.casefold
        self.labels = self.label_specs(header)
        clitics = self.enum(header, "clitics", CliticPolicy, CliticPolicy.EXCLUDE, PACK_FILE, None)
        overlap = self.enum(header, "overlap", OverlapPolicy, OverlapPolicy.LONGEST, PACK_FILE, None)
        timeout = header.get("match_timeout", 2.0)
        # NaN would switch the limit off and the regex engine treats huge values as "time is up"
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= MAX_MATCH_TIMEOUT
        ):
            self.problem(
                PACK_FILE,
                header.line_of("match_timeout"),
                None,
                f"match_timeout must be seconds > 0 and at most {MAX_MATCH_TIMEOUT:g}",
            )
            timeout = 2.0
        self.read_macros(header)

        rules: list[Rule] = []
        for rule_file in self.rule_files(header):
            rules.extend(self.rules_in(rule_file, clitics))
        examples = self.examples(header, PACK_FILE, None, None)
        profiles = self.profiles(header, rules)
        rules = self.resolve_propagation(rules)
        documents = self.documents(header)
        guard = self.guard(header)

        if self.problems:
            raise RulePackError(str(self.root), self.problems)
        pack = RulePack(
            name=name,
            version=version,
            path=self.root.resolve(),
            labels=tuple(self.labels.values()),
            rules=tuple(rules),
            normalization=normalization,
            clitics=clitics,
            overlap=overlap,
            match_timeout=float(timeout),
            description=str(header.get("description", "")),
            examples=examples,
            profiles=profiles,
            documents=documents,
            guard=guard,
            written=tuple(rules),
        )
        return pack.with_profile(None)

    # -- a pack that extends another ---------------------------------------------------------------

    def load_extending(self, header: LocatedDict) -> RulePack:
        """The pack in ``pack.yaml`` ``header``, which extends a base pack.

        It inherits the base's labels, normalisation, clitic and overlap policies, time limit,
        macros, document settings, guard, and the base's rules as the named profile (or the
        default) runs them; not the base's pack examples or profiles. It may add labels, macros and
        rules (whose ids must differ from every base rule's), ``disable`` base rules (ids or fnmatch
        patterns) and set base rules' ``priorities``.
        """
        self.check_keys(header, PACK_KEYS, PACK_FILE, None, "pack.yaml", required=("name", "version"))
        found = self.base(header)
        if found is None:
            raise RulePackError(str(self.root), self.problems)
        base, base_macros = found
        for key in INHERITED_KEYS:
            if key in header:
                self.problem(
                    PACK_FILE,
                    header.line_of(key),
                    None,
                    f"'{key}' comes from the base pack ({base.fingerprint}); a pack that extends "
                    "another cannot set it (change it in the base, or copy the base)",
                )
        if "profiles" in header:
            self.problem(
                PACK_FILE,
                header.line_of("profiles"),
                None,
                "a pack that extends another has no profiles of its own: its decisions hold for the one "
                "base profile it names (extends: {pack: BASE, profile: NAME})",
            )
        name = self.string(header, "name", PACK_FILE, None, default=self.root.name)
        version = str(header.get("version", "0"))
        self.normalizer = Normalizer(base.normalization)
        self.casefold = base.normalization.casefold
        self.labels = {label.name: label for label in base.labels}
        if "labels" in header:
            for label_name, spec in self.label_specs(header).items():
                if label_name in self.labels:
                    line = (
                        header["labels"].line_of(label_name)
                        if isinstance(header["labels"], LocatedDict)
                        else None
                    )
                    self.problem(
                        PACK_FILE, line, None, f"label {label_name} is already a label of the base pack"
                    )
                else:
                    self.labels[label_name] = spec
        own_macros = header.get("macros")
        if isinstance(own_macros, LocatedDict):
            for macro in own_macros:
                if macro in base_macros and macro not in BUILTIN_MACROS:
                    self.problem(
                        PACK_FILE,
                        own_macros.line_of(macro),
                        None,
                        f"macro {macro} is defined by the base pack",
                    )
        self.macros = dict(base_macros)
        self.read_macros(header)

        inherited = [self.rebased(rule, base.path) for rule in base.rules]
        for rule in base.all_rules:
            self.rule_ids.setdefault(rule.id, self.rebased(rule, base.path).location)
        disabled = self.disabled(header, inherited)
        priorities = self.priorities(header, inherited)
        kept = [
            replace(rule, priority=priorities.get(rule.id, rule.priority))
            for rule in inherited
            if rule.id not in disabled
        ]
        own: list[Rule] = []
        for rule_file in self.rule_files(header):
            own.extend(self.rules_in(rule_file, base.clitics))
        for rule in own:
            if rule.profiles:
                self.problem(
                    rule.location.file,
                    rule.location.line,
                    rule.id,
                    "'profiles': a pack that extends another has no profiles of its own",
                )
        own = self.resolve_propagation(own, also=kept)
        examples = self.examples(header, PACK_FILE, None, None)
        if self.problems:
            raise RulePackError(str(self.root), self.problems)
        rules = tuple(kept + [replace(rule, profiles=()) for rule in own])
        guard = base.guard
        if guard is not None:
            guard = replace(guard, files=tuple(self.rebased_file(file, base.path) for file in guard.files))
        return RulePack(
            name=name,
            version=version,
            path=self.root.resolve(),
            labels=tuple(self.labels.values()),
            rules=rules,
            normalization=base.normalization,
            clitics=base.clitics,
            overlap=base.overlap,
            match_timeout=base.match_timeout,
            description=str(header.get("description", "")),
            examples=examples,
            profiles={},
            documents=base.documents,
            guard=guard,
            written=rules,
        )

    def base(self, header: LocatedDict) -> tuple[RulePack, dict[str, str]] | None:
        """The base pack ``extends`` names, narrowed to its profile, and the macros it defines;
        ``None`` after reporting why it cannot be had."""
        value = header[EXTENDS_KEY]
        line = header.line_of(EXTENDS_KEY)
        if isinstance(value, LocatedDict):
            self.check_keys(value, EXTENDS_KEYS, PACK_FILE, None, "extends", required=("pack",))
        written, profile = written_base(value)
        if (
            written is None
            or not written.strip()
            or (isinstance(value, LocatedDict) and "profile" in value and not (profile and profile.strip()))
        ):
            self.problem(
                PACK_FILE,
                line,
                None,
                "'extends' must be a pack folder (relative to this pack, or absolute) or "
                "{pack: FOLDER, profile: NAME}",
            )
            return None
        try:
            folder = base_folder(self.root, written)
        except (OSError, RuntimeError, ValueError) as error:
            self.problem(PACK_FILE, line, None, f"extends: path {written!r} is not usable: {_why(error)}")
            return None
        chain = (*self.chain, self.root.resolve())
        if folder in chain:
            cycle = " -> ".join(str(path) for path in (*chain[chain.index(folder) :], folder))
            self.problem(PACK_FILE, line, None, f"extends: packs extend each other in a cycle: {cycle}")
            return None
        if len(chain) > MAX_DEPTH:
            self.problem(PACK_FILE, line, None, f"extends: more than {MAX_DEPTH} packs extend each other")
            return None
        loader = _PackLoader(folder, chain)
        try:
            pack = loader.load()
        except RulePackError as error:
            for problem in error.problems:
                self.problem(PACK_FILE, line, None, f"base pack {written}: {problem}")
            return None
        if profile is not None and profile not in pack.profiles:
            known = ", ".join(pack.profiles) or "none"
            self.problem(
                PACK_FILE, line, None, f"extends: the base pack has no profile {profile!r}; profiles: {known}"
            )
            return None
        return pack.with_profile(profile), loader.macros

    def rebased_file(self, file: str, base_root: Path) -> str:
        """A file named relative to the base pack, named relative to this pack."""
        return os.path.relpath(base_root / file, self.root.resolve())

    def rebased(self, rule: Rule, base_root: Path) -> Rule:
        """A base rule, its locations (and its examples') named relative to this pack, and running
        under no profile (it runs because the chosen base profile runs it)."""

        def moved(location: Location) -> Location:
            return Location(self.rebased_file(location.file, base_root), location.line)

        def example(item: RuleExample) -> RuleExample:
            return replace(
                item,
                location=moved(item.location),
                following=tuple(example(part) for part in item.following),
            )

        return replace(
            rule,
            location=moved(rule.location),
            examples=tuple(example(item) for item in rule.examples),
            profiles=(),
        )

    def disabled(self, header: LocatedDict, inherited: list[Rule]) -> set[str]:
        """The ids of the base rules ``disable`` names (ids or fnmatch patterns)."""
        from fnmatch import fnmatchcase

        raw = header.get("disable")
        if raw is None:
            return set()
        if not isinstance(raw, LocatedList) or not all(isinstance(item, str) and item for item in raw):
            self.problem(
                PACK_FILE,
                header.line_of("disable"),
                None,
                "'disable' must be a list of base rule ids or patterns",
            )
            return set()
        ids: set[str] = set()
        for index, pattern in enumerate(raw):
            found = {rule.id for rule in inherited if fnmatchcase(rule.id, pattern)}
            if not found:
                self.problem(
                    PACK_FILE,
                    raw.line_of(index),
                    None,
                    f"disable: {pattern!r} matches no rule the base pack runs",
                )
            ids |= found
        return ids

    def priorities(self, header: LocatedDict, inherited: list[Rule]) -> dict[str, int]:
        """The new priorities ``priorities`` gives base rules, by rule id."""
        raw = header.get("priorities")
        if raw is None:
            return {}
        if not isinstance(raw, LocatedDict):
            self.problem(
                PACK_FILE,
                header.line_of("priorities"),
                None,
                "'priorities' must map base rule ids to integers",
            )
            return {}
        known = {rule.id for rule in inherited}
        priorities = {}
        for rule_id, value in raw.items():
            line = raw.line_of(rule_id)
            if rule_id not in known:
                self.problem(PACK_FILE, line, str(rule_id), "priorities: no such rule in the base pack")
            elif isinstance(value, bool) or not isinstance(value, int):
                self.problem(PACK_FILE, line, str(rule_id), "priorities: the priority must be an integer")
            else:
                priorities[str(rule_id)] = value
        return priorities

    def documents(self, header: LocatedDict) -> DocumentSettings:
        """The pack's ``documents`` settings: which key groups examples, and the size cap."""
        raw = header.get("documents")
        if raw is None:
            return DocumentSettings()
        line = header.line_of("documents")
        if not isinstance(raw, LocatedDict):
            self.problem(
                PACK_FILE, line, None, "'documents' must be a mapping (key, max_examples, max_chars)"
            )
            return DocumentSettings()
        self.check_keys(raw, DOCUMENT_KEYS, PACK_FILE, None, "documents")
        defaults = DocumentSettings()
        key = raw.get("key", defaults.key)
        if not isinstance(key, str) or not DOCUMENT_KEY.match(key):
            self.problem(
                PACK_FILE, raw.line_of("key"), None, f"documents.key must look like meta.NAME, got {key!r}"
            )
            key = defaults.key
        sizes = {}
        for name in ("max_examples", "max_chars"):
            value = raw.get(name, getattr(defaults, name))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.problem(
                    PACK_FILE, raw.line_of(name), None, f"documents.{name} must be a whole number >= 1"
                )
                value = getattr(defaults, name)
            sizes[name] = value
        return DocumentSettings(key, **sizes)

    def guard(self, header: LocatedDict) -> Guard | None:
        """The pack's ``guard``: prose files (a text per line) where rules of some labels find nothing."""
        raw = header.get("guard")
        if raw is None:
            return None
        if not isinstance(raw, LocatedDict):
            self.problem(
                PACK_FILE,
                header.line_of("guard"),
                None,
                "'guard' must be a mapping (files, labels, max_rate)",
            )
            return None
        self.check_keys(raw, GUARD_KEYS, PACK_FILE, None, "guard", required=("files",))
        files = raw.get("files", [])
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
            self.problem(
                PACK_FILE, raw.line_of("files"), None, "guard.files must be a list of files in the pack"
            )
            return None
        texts: list[str] = []
        for name in files:
            path = self.inside_pack(name, PACK_FILE, raw.line_of("files"), None)
            if path is None:
                continue
            if not path.is_file():
                self.problem(PACK_FILE, raw.line_of("files"), None, f"guard file {name} does not exist")
                continue
            try:
                texts.extend(text for _, text in read_term_file(path))
            except (UnicodeDecodeError, OSError) as error:
                self.problem(PACK_FILE, raw.line_of("files"), None, f"guard file {name}: {_why(error)}")
        labels = raw.get("labels", list(self.labels))
        if not isinstance(labels, list) or not all(label in self.labels for label in labels):
            known = ", ".join(self.labels)
            self.problem(
                PACK_FILE, raw.line_of("labels"), None, f"guard.labels must list pack labels ({known})"
            )
            return None
        rate = raw.get("max_rate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < float("inf"):
            self.problem(
                PACK_FILE,
                raw.line_of("max_rate"),
                None,
                "guard.max_rate must be spans per 10,000 characters, >= 0",
            )
            return None
        return Guard(tuple(files), tuple(texts), tuple(labels), float(rate))

    def resolve_propagation(self, rules: list[Rule], also: Iterable[Rule] = ()) -> list[Rule]:
        """Expand each propagate rule's ``from`` patterns to rule ids; report patterns that name
        nothing, propagate rules, or rules of another label."""
        from dataclasses import replace
        from fnmatch import fnmatchcase

        pool = [*rules, *also]  # the rules a pattern may name (``also``: a base pack's)
        resolved = []
        for rule in rules:
            config = rule.config
            if not isinstance(config, PropagateRule):
                resolved.append(rule)
                continue
            file, line = rule.location.file, rule.location.line
            ids: list[str] = []
            for pattern in config.sources:
                found = [
                    other
                    for other in pool
                    if fnmatchcase(other.id, pattern) and other.kind is not RuleKind.PROPAGATE
                ]
                if not found:
                    self.problem(file, line, rule.id, f"'from': {pattern!r} names no rule to propagate from")
                for other in found:
                    if other.label != rule.label:
                        self.problem(
                            file,
                            line,
                            rule.id,
                            f"'from': {other.id} tags {other.label}, this rule {rule.label}; "
                            "propagate from rules of the same label",
                        )
                    elif other.id not in ids:
                        ids.append(other.id)
            resolved.append(replace(rule, config=replace(config, sources=tuple(ids))))
        return resolved

    def profiles(self, header: LocatedDict, rules: list[Rule]) -> dict[str, Profile]:
        raw = header.get("profiles", LocatedDict(line=header.line))
        if not isinstance(raw, LocatedDict):
            self.problem(PACK_FILE, header.line_of("profiles"), None, "'profiles' must map names to settings")
            return {}
        profiles = {}
        for name, settings in raw.items():
            line = raw.line_of(name)
            if not isinstance(settings, LocatedDict):
                self.problem(PACK_FILE, line, None, f"profile {name} must be a mapping (skip, description)")
                continue
            self.check_keys(settings, PROFILE_KEYS, PACK_FILE, None, f"profile {name}")
            skip = settings.get("skip", [])
            if not isinstance(skip, list) or not all(isinstance(item, str) for item in skip):
                self.problem(
                    PACK_FILE, settings.line_of("skip"), None, f"profile {name}: 'skip' lists rule ids"
                )
                continue
            examples = self.examples(settings, PACK_FILE, None, None)
            profile = Profile(str(name), tuple(skip), str(settings.get("description", "")), examples)
            for pattern in skip:
                if not Profile("", (pattern,)).skipped(tuple(rules)):
                    self.problem(
                        PACK_FILE,
                        settings.line_of("skip"),
                        None,
                        f"profile {name}: {pattern!r} matches no rule",
                    )
            profiles[str(name)] = profile
        for rule in rules:
            for name in rule.profiles:
                if name not in profiles:
                    known = ", ".join(profiles) or "none declared"
                    self.problem(
                        rule.location.file,
                        rule.location.line,
                        rule.id,
                        f"'profiles' names {name!r}, which pack.yaml does not declare (profiles: {known})",
                    )
        return profiles

    def string(self, mapping: LocatedDict, key: str, file: str, rule: str | None, default: str = "") -> str:
        value = mapping.get(key, default)
        if not isinstance(value, str) or (key in mapping and not value.strip()):
            self.problem(file, mapping.line_of(key), rule, f"'{key}' must be a non-empty string")
            return default
        return value

    def enum(
        self, mapping: LocatedDict, key: str, enum: Any, default: Any, file: str, rule: str | None
    ) -> Any:
        if key not in mapping:
            return default
        try:
            return enum(mapping[key])
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            self.problem(file, mapping.line_of(key), rule, f"'{key}' must be one of: {choices}")
            return default

    def normalization(self, header: LocatedDict) -> NormalizationOptions:
        options = header.get("normalize", LocatedDict(line=header.line))
        if not isinstance(options, LocatedDict):
            self.problem(PACK_FILE, header.line_of("normalize"), None, "'normalize' must be a mapping")
            return NormalizationOptions()
        self.check_keys(options, set(NormalizationOptions.names()), PACK_FILE, None, "normalize")
        values = {}
        for key, value in options.items():
            if key in NormalizationOptions.names():
                if not isinstance(value, bool):
                    self.problem(
                        PACK_FILE, options.line_of(key), None, f"normalize.{key} must be true or false"
                    )
                else:
                    values[key] = value
        return NormalizationOptions(**values)

    def label_specs(self, header: LocatedDict) -> dict[str, LabelSpec]:
        raw = header.get("labels")
        specs: dict[str, LabelSpec] = {}
        if raw is None:
            return specs
        if not isinstance(raw, LocatedDict) or not raw:
            self.problem(
                PACK_FILE, header.line_of("labels"), None, "'labels' must map label names to settings"
            )
            return specs
        for index, (name, settings) in enumerate(raw.items()):
            line = raw.line_of(name)
            if not isinstance(name, str) or not LABEL_NAME.match(name):
                self.problem(
                    PACK_FILE, line, None, f"label name {name!r} must be a letter then letters/digits/_/-"
                )
                continue
            settings = settings if settings is not None else LocatedDict(line=line)
            if not isinstance(settings, LocatedDict):
                self.problem(
                    PACK_FILE, line, None, f"label {name} settings must be a mapping (colour, description)"
                )
                continue
            self.check_keys(settings, LABEL_KEYS, PACK_FILE, None, f"label {name}")
            colour = settings.get("colour", settings.get("color", default_colour(index)))
            if not isinstance(colour, str) or not COLOUR.match(colour):
                self.problem(PACK_FILE, line, None, f"label {name} colour must look like #1a2b3c")
                colour = default_colour(index)
            specs[name] = LabelSpec(name, colour.lower(), str(settings.get("description", "")))
        return specs

    def read_macros(self, header: LocatedDict) -> None:
        raw = header.get("macros", LocatedDict(line=header.line))
        if not isinstance(raw, LocatedDict):
            self.problem(PACK_FILE, header.line_of("macros"), None, "'macros' must map NAMES to regexes")
            return
        from_terms: set[str] = set()  # built by terms_to_regex: escaped, valid by construction
        for name, value in raw.items():
            line = raw.line_of(name)
            if not isinstance(name, str) or not regex.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                self.problem(PACK_FILE, line, None, f"macro name {name!r} must be UPPER_CASE")
                continue
            if name in BUILTIN_MACROS:
                self.problem(PACK_FILE, line, None, f"macro {name} is built in and cannot be redefined")
                continue
            if isinstance(value, str):
                self.macros[name] = self.normalizer.translate_pattern(value)
            elif isinstance(value, LocatedDict):
                self.check_keys(value, MACRO_SOURCE_KEYS, PACK_FILE, None, f"macro {name}")
                terms = self.terms(value, PACK_FILE, None)
                if not terms:
                    self.problem(PACK_FILE, line, None, f"macro {name} has no terms")
                self.macros[name] = terms_to_regex(terms)
                from_terms.add(name)
            else:
                self.problem(PACK_FILE, line, None, f"macro {name} must be a regex string or terms/files")
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
                self.problem(PACK_FILE, raw.line_of(name), None, f"macro {name}: {error}")
                self.macros.pop(name)
            except (regex.error, RecursionError) as error:
                self.problem(
                    PACK_FILE, raw.line_of(name), None, f"macro {name} is not a valid regex: {_why(error)}"
                )
                self.macros.pop(name)

    def rule_files(self, header: LocatedDict) -> list[Path]:
        listed = header.get("rule_files")
        if listed is None:
            found = sorted(
                path
                for path in self.root.iterdir()
                if path.suffix in (".yaml", ".yml") and path.name != PACK_FILE
            )
            return [path for path in found if self.inside_pack(path.name, path.name, None, None)]
        if not isinstance(listed, LocatedList) or not all(isinstance(item, str) for item in listed):
            self.problem(
                PACK_FILE, header.line_of("rule_files"), None, "'rule_files' must be a list of file names"
            )
            return []
        files = []
        for index, item in enumerate(listed):
            path = self.inside_pack(item, PACK_FILE, listed.line_of(index), None)
            if path is not None:
                if path.is_file():
                    files.append(path)
                else:
                    self.problem(PACK_FILE, listed.line_of(index), None, f"rule file {item} does not exist")
        return files

    def inside_pack(self, name: str, file: str, line: int | None, rule: str | None) -> Path | None:
        """Resolve a path written in the pack; refuse anything outside the pack folder.

        Symbolic links are followed first, so a link inside the pack that points outside is refused
        like ``../`` and absolute paths.
        """
        try:
            candidate = (self.root / name).resolve()
            candidate.is_file()  # raises for a name the file system cannot hold
        except (OSError, ValueError) as error:  # a NUL byte, a name too long, a symlink loop
            self.problem(file, line, rule, f"path {name!r} is not usable: {_why(error)}")
            return None
        if not candidate.is_relative_to(self.root.resolve()):
            self.problem(file, line, rule, f"path {name} points outside the rule pack; keep files inside it")
            return None
        return candidate

    # -- rules -------------------------------------------------------------------------------

    def rules_in(self, path: Path, pack_clitics: CliticPolicy) -> list[Rule]:
        file = self.relative(path)
        data = self.parse(path)
        if data is None:
            return []
        if not isinstance(data, LocatedDict):
            self.problem(file, 1, None, "a rule file must be a mapping with a 'rules' list")
            return []
        self.check_keys(data, RULE_FILE_KEYS, file, None, "a rule file", required=("rules",))
        raw_rules = data.get("rules", LocatedList(line=data.line))
        if not isinstance(raw_rules, LocatedList):
            self.problem(file, data.line_of("rules"), None, "'rules' must be a list")
            return []
        rules = []
        for index, raw in enumerate(raw_rules):
            if not isinstance(raw, LocatedDict):
                self.problem(file, raw_rules.line_of(index), None, "each rule must be a mapping")
                continue
            rule = self.rule(raw, file, pack_clitics)
            if rule is not None:
                rules.append(rule)
        return rules

    def rule(self, raw: LocatedDict, file: str, pack_clitics: CliticPolicy) -> Rule | None:
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            self.problem(file, raw.line, None, "a rule needs an 'id' (letters, digits, '.', '_', '-')")
            rule_id = f"<rule at line {raw.line}>"
        elif rule_id in self.rule_ids:
            self.problem(file, raw.line, rule_id, f"duplicate rule id (first at {self.rule_ids[rule_id]})")
        else:
            self.rule_ids[rule_id] = Location(file, raw.line)
        kind = self.enum(raw, "kind", RuleKind, None, file, rule_id)
        if "kind" not in raw:
            self.problem(
                file,
                raw.line,
                rule_id,
                "a rule needs a 'kind': gazetteer, regex, tokens, trigger or propagate",
            )
        allowed = COMMON_RULE_KEYS | (KIND_KEYS[kind] if kind else set().union(*KIND_KEYS.values()))
        self.check_keys(
            raw, allowed, file, rule_id, f"a {kind.value if kind else ''} rule".replace("  ", " ")
        )
        label = raw.get("label")
        if not isinstance(label, str) or label not in self.labels:
            known = ", ".join(self.labels) or "none declared"
            self.problem(
                file, raw.line_of("label"), rule_id, f"unknown label {label!r}; pack labels: {known}"
            )
        priority = raw.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            self.problem(file, raw.line_of("priority"), rule_id, "'priority' must be an integer")
            priority = 0
        clitics = self.enum(raw, "clitics", CliticPolicy, pack_clitics, file, rule_id)
        location = Location(file, raw.line)
        config = None
        if kind is RuleKind.GAZETTEER:
            config = self.gazetteer(raw, file, rule_id)
        elif kind is RuleKind.REGEX:
            config = self.regex_rule(raw, file, rule_id)
        elif kind is RuleKind.TOKENS:
            config = self.token_rule(raw, file, rule_id)
        elif kind is RuleKind.TRIGGER:
            config = self.trigger_rule(raw, file, rule_id)
        elif kind is RuleKind.PROPAGATE:
            config = self.propagate_rule(raw, file, rule_id)
        profiles = raw.get("profiles", [])
        if not isinstance(profiles, list) or not all(isinstance(name, str) and name for name in profiles):
            self.problem(file, raw.line_of("profiles"), rule_id, "'profiles' must be a list of profile names")
            profiles = []
        examples = self.examples(raw, file, rule_id, label if isinstance(label, str) else None)
        if config is None or kind is None or not isinstance(label, str) or label not in self.labels:
            return None
        return Rule(
            id=rule_id,
            kind=kind,
            label=label,
            config=config,
            priority=priority,
            clitics=clitics,
            description=str(raw.get("description", "")),
            examples=examples,
            location=location,
            profiles=tuple(profiles),
        )

    # -- term sources, patterns ----------------------------------------------------------------

    def terms(self, raw: LocatedDict, file: str, rule: str | None) -> tuple[str, ...]:
        """Inline ``terms`` and the terms of every listed ``files`` entry, normalised and de-duplicated."""
        collected: list[str] = []
        inline = raw.get("terms", LocatedList(line=raw.line))
        if not isinstance(inline, LocatedList) or not all(isinstance(term, str) for term in inline):
            self.problem(file, raw.line_of("terms"), rule, "'terms' must be a list of strings")
            inline = []
        collected.extend(inline)
        files = raw.get("files", LocatedList(line=raw.line))
        if isinstance(files, str):
            files = LocatedList([files], line=raw.line_of("files"))
        if not isinstance(files, LocatedList) or not all(isinstance(name, str) for name in files):
            self.problem(file, raw.line_of("files"), rule, "'files' must be a list of paths inside the pack")
            files = LocatedList(line=raw.line)
        for index, name in enumerate(files):
            line = files.line_of(index)
            path = self.inside_pack(name, file, line, rule)
            if path is None:
                continue
            if not path.is_file():
                self.problem(file, line, rule, f"gazetteer file {name} does not exist")
                continue
            try:
                collected.extend(term for _, term in read_term_file(path))
            except UnicodeDecodeError as error:
                self.problem(file, line, rule, f"gazetteer file {name} is not UTF-8 (byte {error.start})")
            except OSError as error:
                self.problem(
                    file, line, rule, f"cannot read gazetteer file {name}: {error.strerror or error}"
                )
        normalised = dict.fromkeys(self.normalizer.normalize_term(term) for term in collected)
        normalised.pop("", None)
        return tuple(normalised)

    def compile_pattern(
        self, pattern: Any, file: str, line: int | None, rule: str | None, what: str, validate: bool = True
    ) -> str | None:
        """``pattern`` with its literals normalised and macros expanded, compiled to check it
        (unless the caller compiles it inside a larger pattern: ``validate=False``); ``None``
        after reporting a problem."""
        if not isinstance(pattern, str) or not pattern:
            self.problem(file, line, rule, f"{what} must be a non-empty regex string")
            return None
        try:
            expanded = expand_macros(self.normalizer.translate_pattern(pattern), self.macros)
        except MacroError as error:
            self.problem(file, line, rule, f"{what}: {error}")
            return None
        if validate:
            error = self.compile_error(expanded)
            if error is not None:
                self.problem(file, line, rule, f"{what} is not a valid regex: {error} in {pattern!r}")
                return None
        return expanded

    def compile_error(self, expanded: str) -> str | None:
        """Why ``expanded`` does not compile, or ``None`` when it does."""
        try:
            compile_pattern(expanded, self.regex_flags)
        except (regex.error, RecursionError) as error:
            return _why(error)
        return None

    def term_source(
        self, raw: Any, file: str, line: int | None, rule: str, what: str, validate: bool = True
    ) -> TermSource | None:
        if isinstance(raw, str):
            pattern = self.compile_pattern(raw, file, line, rule, what, validate)
            return TermSource(pattern=pattern) if pattern else None
        if not isinstance(raw, LocatedDict):
            self.problem(
                file, line, rule, f"{what} must be a regex or a mapping with terms, files or pattern"
            )
            return None
        self.check_keys(raw, TERM_SOURCE_KEYS, file, rule, what)
        if "pattern" in raw:
            if "terms" in raw or "files" in raw:
                self.problem(file, raw.line, rule, f"{what}: give either pattern or terms/files, not both")
            pattern = self.compile_pattern(
                raw["pattern"], file, raw.line_of("pattern"), rule, f"{what} pattern", validate
            )
            return TermSource(pattern=pattern) if pattern else None
        reported = len(self.problems)
        terms = self.terms(raw, file, rule)
        if not terms:
            if len(self.problems) == reported:
                self.problem(file, raw.line, rule, f"{what} has no terms")
            return None
        return TermSource(terms=terms, files=_file_names(raw.get("files")))

    def gazetteer(self, raw: LocatedDict, file: str, rule: str) -> GazetteerRule | None:
        if "terms" not in raw and "files" not in raw:
            self.problem(file, raw.line, rule, "a gazetteer rule needs 'terms' or 'files'")
            return None
        reported = len(self.problems)
        terms = self.terms(raw, file, rule)
        if not terms:
            if len(self.problems) == reported:
                self.problem(file, raw.line, rule, "the gazetteer has no terms")
            return None
        return GazetteerRule(TermSource(terms=terms, files=_file_names(raw.get("files"))))

    def regex_rule(self, raw: LocatedDict, file: str, rule: str) -> RegexRule | None:
        if "pattern" not in raw:
            self.problem(file, raw.line, rule, "a regex rule needs 'pattern'")
            return None
        pattern = self.compile_pattern(raw.get("pattern"), file, raw.line_of("pattern"), rule, "'pattern'")
        if pattern is None:
            return None
        group = raw.get("group", 0)
        compiled = compile_pattern(pattern, self.regex_flags)  # the same compile as above: cached
        if isinstance(group, bool) or not isinstance(group, int | str):
            self.problem(file, raw.line_of("group"), rule, "'group' must be a group number or name")
            return None
        if (isinstance(group, int) and not 0 <= group <= compiled.groups) or (
            isinstance(group, str) and group not in compiled.groupindex
        ):
            self.problem(file, raw.line_of("group"), rule, f"the pattern has no group {group!r}")
            return None
        requires = raw.get("requires", [])
        if not isinstance(requires, list) or not all(
            isinstance(item, str) and item.strip() for item in requires
        ):
            self.problem(
                file, raw.line_of("requires"), rule, "'requires' must be a list of non-empty strings"
            )
            return None
        normalised = tuple(dict.fromkeys(self.normalizer.normalize_term(item) for item in requires))
        return RegexRule(pattern, group, normalised)

    def trigger_rule(self, raw: LocatedDict, file: str, rule: str) -> TriggerRule | None:
        for key in ("trigger", "target"):
            if key not in raw:
                self.problem(file, raw.line, rule, f"a trigger rule needs '{key}'")
        position = raw.get("position", "before")
        if position not in ("before", "after"):
            self.problem(file, raw.line_of("position"), rule, "'position' must be before or after")
        between = self.compile_pattern(
            raw.get("between", r"\s+"), file, raw.line_of("between"), rule, "'between'"
        )
        trigger = self.term_source(raw.get("trigger"), file, raw.line_of("trigger"), rule, "'trigger'")
        # the target is compiled once, as the engine runs it: joined to 'between'
        raw_target = raw.get("target")
        target_line = raw.line_of("target")
        target = self.term_source(raw_target, file, target_line, rule, "'target'", validate=False)
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
            self.problem(file, target_line, rule, f"{what} is not a valid regex: {alone} in {written!r}")
        else:
            message = f"'target' after 'between' is not a valid regex: {joined_error}"
            self.problem(file, target_line, rule, message)
        return None

    def propagate_rule(self, raw: LocatedDict, file: str, rule: str) -> PropagateRule | None:
        sources = raw.get("from")
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
            self.problem(
                file,
                raw.line_of("from") if "from" in raw else raw.line,
                rule,
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
                file, raw.line_of("forms"), rule, f"'forms' must list some of: {', '.join(PROPAGATION_FORMS)}"
            )
            return None
        exclude: tuple[str, ...] = ()
        if "exclude" in raw:
            excluded = self.term_source(raw["exclude"], file, raw.line_of("exclude"), rule, "'exclude'")
            if excluded is None:
                return None
            if excluded.is_pattern:
                self.problem(
                    file, raw.line_of("exclude"), rule, "'exclude' takes terms or files, not a pattern"
                )
                return None
            exclude = excluded.terms
        min_chars = raw.get("min_chars", 3)
        if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 1:
            self.problem(file, raw.line_of("min_chars"), rule, "'min_chars' must be a whole number >= 1")
            return None
        return PropagateRule(tuple(sources), tuple(dict.fromkeys(forms)), exclude, min_chars)

    def token_rule(self, raw: LocatedDict, file: str, rule: str) -> TokenRule | None:
        if ("pattern" in raw) == ("patterns" in raw):
            self.problem(file, raw.line, rule, "a tokens rule needs exactly one of 'pattern' or 'patterns'")
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
                file, line, rule, "token patterns must be lists of token mappings (spaCy Matcher syntax)"
            )
            return None
        converted = [self.token_pattern(pattern) for pattern in patterns]
        if _uses_regex(converted):
            self.problem(
                file,
                line,
                rule,
                "token patterns may not use REGEX: spaCy runs it without the pack's time limit; "
                "write a regex rule instead",
            )
            return None
        from annotator.rules.token_syntax import validate_token_patterns  # spaCy is imported only when needed

        messages = validate_token_patterns(converted)
        for message in messages:
            self.problem(file, line, rule, f"bad token pattern: {message}")
        if messages:
            return None
        anchors = self.token_anchors(converted)
        return TokenRule(tuple(json.dumps(pattern, ensure_ascii=False) for pattern in converted), anchors)

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
    def token_anchors(patterns: list[list[dict]]) -> tuple[str, ...]:
        """Words one of which every match must contain (empty: the rule must run on every text)."""
        anchors: set[str] = set()
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
            anchors.update(found)
        return tuple(sorted(anchors))

    # -- examples -----------------------------------------------------------------------------

    def examples(
        self, raw: LocatedDict, file: str, rule: str | None, rule_label: str | None
    ) -> tuple[RuleExample, ...]:
        items = raw.get("examples", LocatedList(line=raw.line))
        if not isinstance(items, LocatedList):
            self.problem(file, raw.line_of("examples"), rule, "'examples' must be a list of marked-up texts")
            return ()
        examples = []
        for index, item in enumerate(items):
            line = items.line_of(index)
            # a list of texts is one document of several paragraphs (for propagate rules)
            parts = item if isinstance(item, list) and item else [item]
            paragraphs = [self.example(part, file, line, rule) for part in parts]
            if all(paragraph is not None for paragraph in paragraphs):
                first, *following = paragraphs
                examples.append(replace(first, following=tuple(following)))  # type: ignore[arg-type]
        return tuple(examples)

    def example(self, item: Any, file: str, line: int | None, rule: str | None) -> RuleExample | None:
        """One marked-up example text, or ``None`` after reporting what is wrong with it."""
        if not isinstance(item, str) or not item.strip():
            self.problem(file, line, rule, "an example must be a non-empty string such as 'في [القاهرة]'")
            return None
        try:
            text, expected = parse_markup(item)
        except MarkupError as error:
            self.problem(file, line, rule, f"example markup: {error}")
            return None
        for span in expected:
            if span.label is None and rule is None:
                self.problem(file, line, rule, "pack examples must name labels: [القاهرة](LOC)")
            elif span.label is not None and span.label not in self.labels:
                self.problem(file, line, rule, f"example uses unknown label {span.label}")
        return RuleExample(text, expected, item, Location(file, line))
