"""Load a rule pack folder into a validated ``RulePack``, collecting EVERY problem at once.

A pack is a folder with ``pack.yaml`` (labels, policies, macros), rule files (``*.yaml``) and plain
gazetteer text files. A pack may ``extends`` another (see ``loading.extending``): it inherits the
base's policies, labels, macros and rules (as one of its profiles runs them), may disable some of
those rules or change their priority, and adds rules of its own.

``_PackLoader`` holds the shared state (labels, macros, rule ids, the problems found), reads the
YAML, and walks the pack and its rule files; the checks of each part live in ``annotator.rules.
loading``, one mixin per concern: the header's policies, extending a base pack, macros, term
sources and patterns, one validator per rule kind, and examples.

The loader checks every key strictly (unknown keys are errors, with a suggestion), every label,
macro, regex, token pattern and file path, and raises one ``RulePackError`` listing all problems
with file, line and rule id.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import regex

from annotator.arabic import CliticPolicy, Normalizer
from annotator.errors import Problem, RulePackError
from annotator.rules.extends import EXTENDS_KEY
from annotator.rules.loading.examples import ExampleChecks
from annotator.rules.loading.extending import ExtendingChecks
from annotator.rules.loading.header import HeaderChecks
from annotator.rules.loading.keys import (
    COMMON_RULE_KEYS,
    EXTENDING_ONLY_KEYS,
    KIND_KEYS,
    MAX_MATCH_TIMEOUT,
    PACK_KEYS,
    RULE_FILE_KEYS,
    RULE_ID,
    _why,
)
from annotator.rules.loading.keys import read_term_file as read_term_file  # annotator.rules.read_term_file
from annotator.rules.loading.kinds import KindChecks
from annotator.rules.loading.macros import MacroChecks
from annotator.rules.loading.terms import TermChecks
from annotator.rules.macros import BUILTIN_MACROS
from annotator.rules.model import (
    HEADER,
    PACK_FILE,
    LabelSpec,
    Location,
    OverlapPolicy,
    Rule,
    RuleKind,
    RulePack,
)
from annotator.rules.yaml_source import LocatedDict, LocatedList, YamlSyntaxError, load_yaml


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


class _PackLoader(HeaderChecks, ExtendingChecks, MacroChecks, TermChecks, KindChecks, ExampleChecks):
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

    def problem(self, where: Location, message: str) -> None:
        """Record a problem found at ``where`` (file, line and rule)."""
        self.problems.append(Problem(where.file, where.line, where.rule, message))

    def check_keys(
        self,
        mapping: LocatedDict,
        allowed: set[str],
        where: Location,
        what: str,
        required: Iterable[str] = (),
    ) -> None:
        for key in mapping:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(
                    where.at(mapping.line_of(key)),
                    f"unknown key '{key}' in {what}{suggestion}; "
                    f"expected one of: {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in mapping:
                self.problem(where.at(mapping.line), f"{what} needs '{key}'")

    def parse(self, path: Path) -> Any:
        relative = self.relative(path)
        try:
            data, duplicates = load_yaml(path)
        except YamlSyntaxError as error:
            self.problem(Location(relative, error.line), error.message)
            return None
        except OSError as error:
            self.problem(Location(relative), f"cannot read: {error.strerror or error}")
            return None
        for key, line in duplicates:
            self.problem(
                Location(relative, line), f"duplicate key '{key}' (the later value would silently win)"
            )
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
        if self.inside_pack(PACK_FILE, HEADER) is None:  # a link to a file elsewhere
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
        self.check_keys(header, PACK_KEYS, HEADER, "pack.yaml", required=("name", "labels"))
        for key in EXTENDING_ONLY_KEYS:
            if key in header:
                self.problem(
                    HEADER.at(header.line_of(key)),
                    f"'{key}' changes the rules of a base pack: it needs 'extends: BASE_PACK'",
                )

        name = self.string(header, "name", HEADER, default=self.root.name)
        version = str(header.get("version", "0"))
        normalization = self.normalization(header)
        self.normalizer = Normalizer(normalization)
        self.casefold = normalization.casefold
        self.labels = self.label_specs(header)
        clitics = self.enum(header, "clitics", CliticPolicy, CliticPolicy.EXCLUDE, HEADER)
        overlap = self.enum(header, "overlap", OverlapPolicy, OverlapPolicy.LONGEST, HEADER)
        timeout = header.get("match_timeout", 2.0)
        # NaN would switch the limit off and the regex engine treats huge values as "time is up"
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= MAX_MATCH_TIMEOUT
        ):
            self.problem(
                HEADER.at(header.line_of("match_timeout")),
                f"match_timeout must be seconds > 0 and at most {MAX_MATCH_TIMEOUT:g}",
            )
            timeout = 2.0
        self.read_macros(header)

        rules: list[Rule] = []
        for rule_file in self.rule_files(header):
            rules.extend(self.rules_in(rule_file, clitics))
        examples = self.examples(header, HEADER, None)
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

    def string(self, mapping: LocatedDict, key: str, where: Location, default: str = "") -> str:
        value = mapping.get(key, default)
        if not isinstance(value, str) or (key in mapping and not value.strip()):
            self.problem(where.at(mapping.line_of(key)), f"'{key}' must be a non-empty string")
            return default
        return value

    def enum(self, mapping: LocatedDict, key: str, enum: Any, default: Any, where: Location) -> Any:
        if key not in mapping:
            return default
        try:
            return enum(mapping[key])
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            self.problem(where.at(mapping.line_of(key)), f"'{key}' must be one of: {choices}")
            return default

    def rule_files(self, header: LocatedDict) -> list[Path]:
        listed = header.get("rule_files")
        if listed is None:
            found = sorted(
                path
                for path in self.root.iterdir()
                if path.suffix in (".yaml", ".yml") and path.name != PACK_FILE
            )
            return [path for path in found if self.inside_pack(path.name, Location(path.name))]
        if not isinstance(listed, LocatedList) or not all(isinstance(item, str) for item in listed):
            self.problem(HEADER.at(header.line_of("rule_files")), "'rule_files' must be a list of file names")
            return []
        files = []
        for index, item in enumerate(listed):
            path = self.inside_pack(item, HEADER.at(listed.line_of(index)))
            if path is not None:
                if path.is_file():
                    files.append(path)
                else:
                    self.problem(HEADER.at(listed.line_of(index)), f"rule file {item} does not exist")
        return files

    def inside_pack(self, name: str, where: Location) -> Path | None:
        """Resolve a path written in the pack; refuse anything outside the pack folder.

        Symbolic links are followed first, so a link inside the pack that points outside is refused
        like ``../`` and absolute paths.
        """
        try:
            candidate = (self.root / name).resolve()
            candidate.is_file()  # raises for a name the file system cannot hold
        except (OSError, ValueError) as error:  # a NUL byte, a name too long, a symlink loop
            self.problem(where, f"path {name!r} is not usable: {_why(error)}")
            return None
        if not candidate.is_relative_to(self.root.resolve()):
            self.problem(where, f"path {name} points outside the rule pack; keep files inside it")
            return None
        return candidate

    # -- rules -------------------------------------------------------------------------------

    def rules_in(self, path: Path, pack_clitics: CliticPolicy) -> list[Rule]:
        source = Location(self.relative(path))
        data = self.parse(path)
        if data is None:
            return []
        if not isinstance(data, LocatedDict):
            self.problem(source.at(1), "a rule file must be a mapping with a 'rules' list")
            return []
        self.check_keys(data, RULE_FILE_KEYS, source, "a rule file", required=("rules",))
        raw_rules = data.get("rules", LocatedList(line=data.line))
        if not isinstance(raw_rules, LocatedList):
            self.problem(source.at(data.line_of("rules")), "'rules' must be a list")
            return []
        rules = []
        for index, raw in enumerate(raw_rules):
            if not isinstance(raw, LocatedDict):
                self.problem(source.at(raw_rules.line_of(index)), "each rule must be a mapping")
                continue
            rule = self.rule(raw, source.file, pack_clitics)
            if rule is not None:
                rules.append(rule)
        return rules

    def rule(self, raw: LocatedDict, file: str, pack_clitics: CliticPolicy) -> Rule | None:
        """The rule in mapping ``raw`` of rule file ``file``, or ``None`` after reporting why not."""
        rule_id = raw.get("id")
        valid_id = isinstance(rule_id, str) and RULE_ID.match(rule_id) is not None
        if not valid_id:
            self.problem(Location(file, raw.line), "a rule needs an 'id' (letters, digits, '.', '_', '-')")
            rule_id = f"<rule at line {raw.line}>"
        where = Location(file, raw.line, rule_id)
        if valid_id and rule_id in self.rule_ids:
            self.problem(where, f"duplicate rule id (first at {self.rule_ids[rule_id]})")
        elif valid_id:
            self.rule_ids[rule_id] = where
        kind = self.enum(raw, "kind", RuleKind, None, where)
        if "kind" not in raw:
            self.problem(where, "a rule needs a 'kind': gazetteer, regex, tokens, trigger or propagate")
        allowed = COMMON_RULE_KEYS | (KIND_KEYS[kind] if kind else set().union(*KIND_KEYS.values()))
        self.check_keys(raw, allowed, where, f"a {kind.value if kind else ''} rule".replace("  ", " "))
        label = raw.get("label")
        if not isinstance(label, str) or label not in self.labels:
            known = ", ".join(self.labels) or "none declared"
            self.problem(where.at(raw.line_of("label")), f"unknown label {label!r}; pack labels: {known}")
        priority = raw.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            self.problem(where.at(raw.line_of("priority")), "'priority' must be an integer")
            priority = 0
        clitics = self.enum(raw, "clitics", CliticPolicy, pack_clitics, where)
        validators = {
            RuleKind.GAZETTEER: self.gazetteer,
            RuleKind.REGEX: self.regex_rule,
            RuleKind.TOKENS: self.token_rule,
            RuleKind.TRIGGER: self.trigger_rule,
            RuleKind.PROPAGATE: self.propagate_rule,
        }
        config = validators[kind](raw, where) if kind is not None else None
        profiles = raw.get("profiles", [])
        if not isinstance(profiles, list) or not all(isinstance(name, str) and name for name in profiles):
            self.problem(where.at(raw.line_of("profiles")), "'profiles' must be a list of profile names")
            profiles = []
        examples = self.examples(raw, where, label if isinstance(label, str) else None)
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
            location=where,
            profiles=tuple(profiles),
        )
