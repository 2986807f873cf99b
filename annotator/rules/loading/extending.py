"""A pack that ``extends`` another: its base pack, the base's rules rebased, ``disable`` and ``priorities``.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's shared state and
``problem``/``check_keys``, and loads the base pack with a loader of the same class."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from annotator.arabic import Normalizer
from annotator.errors import RulePackError
from annotator.rules.extends import EXTENDS_KEY, MAX_DEPTH, base_folder, written_base
from annotator.rules.loading.keys import EXTENDS_KEYS, INHERITED_KEYS, PACK_KEYS, _why
from annotator.rules.macros import BUILTIN_MACROS
from annotator.rules.model import HEADER, PACK_FILE, Location, Rule, RuleExample, RulePack
from annotator.rules.yaml_source import LocatedDict, LocatedList


class ExtendingChecks:
    """A pack that extends another: its base pack, the base's rules rebased, disable and priorities."""

    def load_extending(self, header: LocatedDict) -> RulePack:
        """The pack in ``pack.yaml`` ``header``, which extends a base pack.

        It inherits the base's labels, normalisation, clitic and overlap policies, time limit,
        macros, document settings, guard, and the base's rules as the named profile (or the
        default) runs them; not the base's pack examples or profiles. It may add labels, macros and
        rules (whose ids must differ from every base rule's), ``disable`` base rules (ids or fnmatch
        patterns) and set base rules' ``priorities``.
        """
        self.check_keys(header, PACK_KEYS, HEADER, "pack.yaml", required=("name", "version"))
        found = self.base(header)
        if found is None:
            raise RulePackError(str(self.root), self.problems)
        base, base_macros = found
        for key in INHERITED_KEYS:
            if key in header:
                self.problem(
                    HEADER.at(header.line_of(key)),
                    f"'{key}' comes from the base pack ({base.fingerprint}); a pack that extends "
                    "another cannot set it (change it in the base, or copy the base)",
                )
        if "profiles" in header:
            self.problem(
                HEADER.at(header.line_of("profiles")),
                "a pack that extends another has no profiles of its own: its decisions hold for the one "
                "base profile it names (extends: {pack: BASE, profile: NAME})",
            )
        name = self.string(header, "name", HEADER, default=self.root.name)
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
                    self.problem(HEADER.at(line), f"label {label_name} is already a label of the base pack")
                else:
                    self.labels[label_name] = spec
        own_macros = header.get("macros")
        if isinstance(own_macros, LocatedDict):
            for macro in own_macros:
                if macro in base_macros and macro not in BUILTIN_MACROS:
                    self.problem(
                        HEADER.at(own_macros.line_of(macro)),
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
                    rule.location,
                    "'profiles': a pack that extends another has no profiles of its own",
                )
        own = self.resolve_propagation(own, also=kept)
        examples = self.examples(header, HEADER, None)
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
            self.check_keys(value, EXTENDS_KEYS, HEADER, "extends", required=("pack",))
        written, profile = written_base(value)
        if (
            written is None
            or not written.strip()
            or (isinstance(value, LocatedDict) and "profile" in value and not (profile and profile.strip()))
        ):
            self.problem(
                HEADER.at(line),
                "'extends' must be a pack folder (relative to this pack, or absolute) or "
                "{pack: FOLDER, profile: NAME}",
            )
            return None
        try:
            folder = base_folder(self.root, written)
        except (OSError, RuntimeError, ValueError) as error:
            self.problem(HEADER.at(line), f"extends: path {written!r} is not usable: {_why(error)}")
            return None
        chain = (*self.chain, self.root.resolve())
        if folder in chain:
            cycle = " -> ".join(str(path) for path in (*chain[chain.index(folder) :], folder))
            self.problem(HEADER.at(line), f"extends: packs extend each other in a cycle: {cycle}")
            return None
        if len(chain) > MAX_DEPTH:
            self.problem(HEADER.at(line), f"extends: more than {MAX_DEPTH} packs extend each other")
            return None
        loader = type(self)(folder, chain)
        try:
            pack = loader.load()
        except RulePackError as error:
            for problem in error.problems:
                self.problem(HEADER.at(line), f"base pack {written}: {problem}")
            return None
        if profile is not None and profile not in pack.profiles:
            known = ", ".join(pack.profiles) or "none"
            self.problem(
                HEADER.at(line), f"extends: the base pack has no profile {profile!r}; profiles: {known}"
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
            return replace(location, file=self.rebased_file(location.file, base_root))

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
                HEADER.at(header.line_of("disable")),
                "'disable' must be a list of base rule ids or patterns",
            )
            return set()
        ids: set[str] = set()
        for index, pattern in enumerate(raw):
            found = {rule.id for rule in inherited if fnmatchcase(rule.id, pattern)}
            if not found:
                self.problem(
                    HEADER.at(raw.line_of(index)),
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
                HEADER.at(header.line_of("priorities")),
                "'priorities' must map base rule ids to integers",
            )
            return {}
        known = {rule.id for rule in inherited}
        priorities = {}
        for rule_id, value in raw.items():
            line = raw.line_of(rule_id)
            if rule_id not in known:
                self.problem(
                    Location(PACK_FILE, line, str(rule_id)), "priorities: no such rule in the base pack"
                )
            elif isinstance(value, bool) or not isinstance(value, int):
                self.problem(
                    Location(PACK_FILE, line, str(rule_id)), "priorities: the priority must be an integer"
                )
            else:
                priorities[str(rule_id)] = value
        return priorities
