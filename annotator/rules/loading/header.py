"""The pack header's policies: labels, normalisation, documents, guard, profiles.

A mixin of ``annotator.rules.loader._PackLoader``: it uses the loader's shared state and
``problem``/``check_keys``."""

from __future__ import annotations

from annotator.arabic import NormalizationOptions
from annotator.rules.loading.keys import (
    COLOUR,
    DOCUMENT_KEY,
    DOCUMENT_KEYS,
    GUARD_KEYS,
    LABEL_KEYS,
    LABEL_NAME,
    PROFILE_KEYS,
    _why,
    read_term_file,
)
from annotator.rules.model import (
    HEADER,
    DocumentSettings,
    Guard,
    LabelSpec,
    Profile,
    Rule,
    default_colour,
)
from annotator.rules.yaml_source import LocatedDict


class HeaderChecks:
    """The pack header's policies: labels, normalisation, documents, guard, profiles."""

    def documents(self, header: LocatedDict) -> DocumentSettings:
        """The pack's ``documents`` settings: which key groups examples, and the size cap."""
        raw = header.get("documents")
        if raw is None:
            return DocumentSettings()
        line = header.line_of("documents")
        if not isinstance(raw, LocatedDict):
            self.problem(HEADER.at(line), "'documents' must be a mapping (key, max_examples, max_chars)")
            return DocumentSettings()
        self.check_keys(raw, DOCUMENT_KEYS, HEADER, "documents")
        defaults = DocumentSettings()
        key = raw.get("key", defaults.key)
        if not isinstance(key, str) or not DOCUMENT_KEY.match(key):
            self.problem(
                HEADER.at(raw.line_of("key")), f"documents.key must look like meta.NAME, got {key!r}"
            )
            key = defaults.key
        sizes = {}
        for name in ("max_examples", "max_chars"):
            value = raw.get(name, getattr(defaults, name))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.problem(HEADER.at(raw.line_of(name)), f"documents.{name} must be a whole number >= 1")
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
                HEADER.at(header.line_of("guard")),
                "'guard' must be a mapping (files, labels, max_rate)",
            )
            return None
        self.check_keys(raw, GUARD_KEYS, HEADER, "guard", required=("files",))
        files = raw.get("files", [])
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
            self.problem(HEADER.at(raw.line_of("files")), "guard.files must be a list of files in the pack")
            return None
        texts: list[str] = []
        for name in files:
            path = self.inside_pack(name, HEADER.at(raw.line_of("files")))
            if path is None:
                continue
            if not path.is_file():
                self.problem(HEADER.at(raw.line_of("files")), f"guard file {name} does not exist")
                continue
            try:
                texts.extend(text for _, text in read_term_file(path))
            except (UnicodeDecodeError, OSError) as error:
                self.problem(HEADER.at(raw.line_of("files")), f"guard file {name}: {_why(error)}")
        labels = raw.get("labels", list(self.labels))
        if not isinstance(labels, list) or not all(label in self.labels for label in labels):
            known = ", ".join(self.labels)
            self.problem(HEADER.at(raw.line_of("labels")), f"guard.labels must list pack labels ({known})")
            return None
        rate = raw.get("max_rate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < float("inf"):
            self.problem(
                HEADER.at(raw.line_of("max_rate")),
                "guard.max_rate must be spans per 10,000 characters, >= 0",
            )
            return None
        return Guard(tuple(files), tuple(texts), tuple(labels), float(rate))

    def profiles(self, header: LocatedDict, rules: list[Rule]) -> dict[str, Profile]:
        raw = header.get("profiles", LocatedDict(line=header.line))
        if not isinstance(raw, LocatedDict):
            self.problem(HEADER.at(header.line_of("profiles")), "'profiles' must map names to settings")
            return {}
        profiles = {}
        for name, settings in raw.items():
            line = raw.line_of(name)
            if not isinstance(settings, LocatedDict):
                self.problem(HEADER.at(line), f"profile {name} must be a mapping (skip, description)")
                continue
            self.check_keys(settings, PROFILE_KEYS, HEADER, f"profile {name}")
            skip = settings.get("skip", [])
            if not isinstance(skip, list) or not all(isinstance(item, str) for item in skip):
                self.problem(HEADER.at(settings.line_of("skip")), f"profile {name}: 'skip' lists rule ids")
                continue
            examples = self.examples(settings, HEADER, None)
            profile = Profile(str(name), tuple(skip), str(settings.get("description", "")), examples)
            for pattern in skip:
                if not Profile("", (pattern,)).skipped(tuple(rules)):
                    self.problem(
                        HEADER.at(settings.line_of("skip")),
                        f"profile {name}: {pattern!r} matches no rule",
                    )
            profiles[str(name)] = profile
        for rule in rules:
            for name in rule.profiles:
                if name not in profiles:
                    known = ", ".join(profiles) or "none declared"
                    self.problem(
                        rule.location,
                        f"'profiles' names {name!r}, which pack.yaml does not declare (profiles: {known})",
                    )
        return profiles

    def normalization(self, header: LocatedDict) -> NormalizationOptions:
        options = header.get("normalize", LocatedDict(line=header.line))
        if not isinstance(options, LocatedDict):
            self.problem(HEADER.at(header.line_of("normalize")), "'normalize' must be a mapping")
            return NormalizationOptions()
        self.check_keys(options, set(NormalizationOptions.names()), HEADER, "normalize")
        values = {}
        for key, value in options.items():
            if key in NormalizationOptions.names():
                if not isinstance(value, bool):
                    self.problem(HEADER.at(options.line_of(key)), f"normalize.{key} must be true or false")
                else:
                    values[key] = value
        return NormalizationOptions(**values)

    def label_specs(self, header: LocatedDict) -> dict[str, LabelSpec]:
        raw = header.get("labels")
        specs: dict[str, LabelSpec] = {}
        if raw is None:
            return specs
        if not isinstance(raw, LocatedDict) or not raw:
            self.problem(HEADER.at(header.line_of("labels")), "'labels' must map label names to settings")
            return specs
        for index, (name, settings) in enumerate(raw.items()):
            line = raw.line_of(name)
            if not isinstance(name, str) or not LABEL_NAME.match(name):
                self.problem(HEADER.at(line), f"label name {name!r} must be a letter then letters/digits/_/-")
                continue
            settings = settings if settings is not None else LocatedDict(line=line)
            if not isinstance(settings, LocatedDict):
                self.problem(
                    HEADER.at(line), f"label {name} settings must be a mapping (colour, description)"
                )
                continue
            self.check_keys(settings, LABEL_KEYS, HEADER, f"label {name}")
            colour = settings.get("colour", settings.get("color", default_colour(index)))
            if not isinstance(colour, str) or not COLOUR.match(colour):
                self.problem(HEADER.at(line), f"label {name} colour must look like #1a2b3c")
                colour = default_colour(index)
            specs[name] = LabelSpec(name, colour.lower(), str(settings.get("description", "")))
        return specs
