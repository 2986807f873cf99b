"""Frozen, validated rule-pack objects. The YAML files stay the single source of truth; matchers
are always rebuilt from these objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from annotator.arabic import CliticPolicy, NormalizationOptions
from annotator.errors import Problem, RulePackError

#: the file of a pack folder that holds its header (labels, policies, macros, profiles)
PACK_FILE = "pack.yaml"


class RuleKind(str, Enum):
    GAZETTEER = "gazetteer"
    REGEX = "regex"
    TOKENS = "tokens"
    TRIGGER = "trigger"
    PROPAGATE = "propagate"


class OverlapPolicy(str, Enum):
    """How overlapping matches become spans (see ``annotator.resolve``)."""

    LONGEST = "longest"  # longest span wins; ties go to higher priority, then the earlier start
    PRIORITY = "priority"  # higher priority wins; ties go to the longer span, then the earlier start
    KEEP_ALL = "keep_all"  # keep overlapping spans (only exact duplicates are merged)


@dataclass(frozen=True)
class Location:
    """Where something was written: a file relative to the pack, a 1-based line, and the id of the
    rule it belongs to (``None``: the pack header, or a place that is no rule's)."""

    file: str
    line: int | None = None
    rule: str | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def at(self, line: int | None) -> Location:
        """The same file and rule at another line."""
        return Location(self.file, line, self.rule)


#: the pack header, ``pack.yaml``: where pack-wide settings are written (no rule's)
HEADER = Location(PACK_FILE)


@dataclass(frozen=True)
class LabelSpec:
    name: str
    colour: str
    description: str = ""


#: the colours labels get when nothing gives one (a pack's label without ``colour``, a label pushed
#: that the pack does not declare), in order: distinct from each other on doccano's white page
DEFAULT_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


def default_colour(index: int) -> str:
    """The colour of the ``index``-th label (from 0) that has none of its own; the list repeats."""
    return DEFAULT_COLOURS[index % len(DEFAULT_COLOURS)]


@dataclass(frozen=True)
class ExpectedSpan:
    """A span an example expects, by its surface offsets in the example text."""

    start: int
    end: int
    label: str | None  # None: the rule's own label


@dataclass(frozen=True)
class RuleExample:
    """A text written next to a rule (or pack), and exactly the spans it must produce.

    ``following`` holds the next paragraphs of the same document (an example written as a list).
    """

    text: str
    expected: tuple[ExpectedSpan, ...]
    source: str  # the example as written, with its [markup]
    location: Location
    following: tuple[RuleExample, ...] = ()

    @property
    def paragraphs(self) -> tuple[RuleExample, ...]:
        """The example's texts in document order (itself first)."""
        return (self, *self.following)


@dataclass(frozen=True)
class TermSource:
    """Literal terms (inline and from files) or a regex: what a gazetteer, trigger or target matches."""

    terms: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    pattern: str | None = None  # macro-expanded, literals normalised

    @property
    def is_pattern(self) -> bool:
        return self.pattern is not None


@dataclass(frozen=True)
class GazetteerRule:
    source: TermSource


@dataclass(frozen=True)
class RegexRule:
    pattern: str  # macro-expanded, literals normalised
    group: int | str = 0
    #: normalised strings one of which a text must contain for the rule to run on it at all (a cheap
    #: filter for patterns that cannot be anchored on their first characters); empty: always run
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenRule:
    patterns: tuple[Any, ...]  # spaCy Matcher patterns (lists of token dicts), values normalised
    #: normalised words one of which a text must contain for the rule to fire (empty: run on every text)
    required_words: tuple[str, ...]


@dataclass(frozen=True)
class TriggerRule:
    trigger: TermSource
    target: TermSource
    position: str = "before"  # the trigger comes before the target ("after": it follows it)
    between: str = r"\s+"


#: the later mentions a ``propagate`` rule tags, from a source span's words
PROPAGATION_FORMS = ("full", "last", "first_last")


@dataclass(frozen=True)
class PropagateRule:
    """Later mentions of the names other rules found in the same document (see ``engine.documents``).

    ``sources`` are the ids of the rules whose spans are propagated (patterns expanded at load);
    ``forms`` which mentions count: the whole name again, its last word, its first and last words.
    """

    sources: tuple[str, ...]
    forms: tuple[str, ...] = PROPAGATION_FORMS
    exclude: tuple[str, ...] = ()  # normalised words and forms never propagated
    min_chars: int = 3  # the shortest word a form may consist of


Config = GazetteerRule | RegexRule | TokenRule | TriggerRule | PropagateRule


@dataclass(frozen=True)
class DocumentSettings:
    """How examples group into documents: a run of CONSECUTIVE examples sharing the same non-empty
    value of ``key`` (``meta.NAME``); an example without it is a document of its own. A document
    longer than ``max_examples`` examples or ``max_chars`` characters is cut there: the examples
    after the cut start a new document (so nothing found before it propagates past it)."""

    key: str = "meta.doc"
    max_examples: int = 1000
    max_chars: int = 1_000_000


@dataclass(frozen=True)
class Guard:
    """Ordinary prose where rules of ``labels`` should find nothing: ``rules check`` counts what each
    such rule tags there and fails a rule above ``max_rate`` spans per 10,000 characters."""

    files: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    max_rate: float = 0.0

    @property
    def characters(self) -> int:
        return sum(len(text) for text in self.texts)


@dataclass(frozen=True)
class Profile:
    """A named variant of a pack for another annotation convention: the rules it leaves out, and the
    pack examples that hold under it (rules that name the profile in ``profiles`` run only under it)."""

    name: str
    skip: tuple[str, ...]  # rule id patterns (fnmatch)
    description: str = ""
    examples: tuple[RuleExample, ...] = ()

    def skipped(self, rules: tuple[Rule, ...]) -> set[str]:
        from fnmatch import fnmatchcase

        return {rule.id for rule in rules if any(fnmatchcase(rule.id, pattern) for pattern in self.skip)}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: RuleKind
    label: str
    config: Config
    priority: int = 0
    clitics: CliticPolicy = CliticPolicy.EXCLUDE
    description: str = ""
    examples: tuple[RuleExample, ...] = ()
    location: Location = field(default_factory=lambda: Location("?"))
    profiles: tuple[str, ...] = ()  # non-empty: the rule runs only under one of these profiles

    def active_in(self, profile: str | None) -> bool:
        """Whether the rule runs under ``profile`` (``None``: the pack's default)."""
        return not self.profiles or profile in self.profiles


@dataclass(frozen=True)
class RulePack:
    """A validated rule pack: labels, policies and rules, ready to compile into matchers."""

    name: str
    version: str
    path: Path
    labels: tuple[LabelSpec, ...]
    rules: tuple[Rule, ...]
    normalization: NormalizationOptions = field(default_factory=NormalizationOptions)
    clitics: CliticPolicy = CliticPolicy.EXCLUDE
    overlap: OverlapPolicy = OverlapPolicy.LONGEST
    match_timeout: float = 2.0
    description: str = ""
    examples: tuple[RuleExample, ...] = ()
    profiles: dict[str, Profile] = field(default_factory=dict)
    profile: str | None = None  # the profile this pack was narrowed to, if any
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    guard: Guard | None = None
    #: every rule written in the pack, also those of other profiles (``rules``: the ones that run)
    written: tuple[Rule, ...] = ()

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        """Every rule of the pack, whichever profile it belongs to (what ``rules check`` tests)."""
        return self.written or self.rules

    @property
    def propagates(self) -> bool:
        """Whether a rule of this pack works across a document's examples."""
        return any(rule.kind is RuleKind.PROPAGATE for rule in self.rules)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def allows_overlap(self) -> bool:
        return self.overlap is OverlapPolicy.KEEP_ALL

    def rule(self, rule_id: str) -> Rule:
        for rule in self.all_rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def only(self, rule_ids: set[str]) -> RulePack:
        """The same pack restricted to some rules (used to run one rule's examples alone)."""
        from dataclasses import replace

        return replace(self, rules=tuple(rule for rule in self.all_rules if rule.id in rule_ids), examples=())

    @property
    def fingerprint(self) -> str:
        """``name@version`` (``+profile``): what made a pre-annotation, kept with pushes and manifests."""
        suffix = f"+{self.profile}" if self.profile else ""
        return f"{self.name}@{self.version}{suffix}"

    def with_profile(self, name: str | None) -> RulePack:
        """The pack as profile ``name`` runs it (``None``: the default): the rules of that profile, less
        those it skips.

        Raises ``RulePackError`` (exit code 3) naming the known profiles when the pack has no profile
        ``name``.
        """
        from dataclasses import replace

        if name is None:
            return replace(self, rules=tuple(r for r in self.all_rules if r.active_in(None)), profile=None)
        if name not in self.profiles:
            known = ", ".join(self.profiles) or "none"
            raise RulePackError(
                str(self.path), [Problem(PACK_FILE, None, None, f"no profile {name!r}; profiles: {known}")]
            )
        rules = self.all_rules
        skipped = self.profiles[name].skipped(rules)
        active = tuple(rule for rule in rules if rule.id not in skipped and rule.active_in(name))
        return replace(self, rules=active, profile=name)
