"""Learn from corrected gold: rule decisions, learned gazetteers and candidate triggers.

``learn(gold_examples, pack)`` annotates the gold texts with ``pack`` (the engine and document
grouping ``annotate`` uses), compares with the gold as ``evaluate`` does, and returns a
``LearnResult``; ``write_learned_pack(result, out)`` writes it as a rule pack that ``extends`` the
pack (see ``writer``). ``learn_files`` does both from a gold file and a pack folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.engine import Annotator, annotate_stream
from annotator.errors import UsageError
from annotator.evaluation.evaluate import MODES, Evaluation, evaluate, match_spans, prepare
from annotator.evaluation.learn.decisions import (
    DISABLE,
    KEEP,
    NOT_JUDGED,
    TOO_FEW,
    RuleDecision,
    decide_rules,
)
from annotator.evaluation.learn.terms import LearnedTerm, candidate_terms, choose_terms, measure_terms
from annotator.evaluation.learn.triggers import TriggerCandidate, trigger_candidates
from annotator.model import Example, Span
from annotator.rules.model import RulePack

if TYPE_CHECKING:
    from annotator.corpus import ReadReport
    from annotator.pack_cache import CompiledPack


@dataclass(frozen=True)
class LearnSettings:
    """The thresholds of ``learn`` (see the README, "annotator learn")."""

    min_precision: float = 0.5  # a rule whose interval's upper bound is below this is disabled
    min_hits: int = 5  # a rule with fewer spans on gold is not judged
    term_precision: float = 0.8  # share of a term's matches that must be tagged for it to be learned
    term_min_count: int = 2  # matches a term needs on gold to be learned
    mode: str = "tolerant"  # how a span counts as equal to gold: strict or tolerant

    def check(self) -> None:
        """Raise ``UsageError`` for a setting out of range."""
        if self.mode not in MODES:
            raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        for name in ("min_precision", "term_precision"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise UsageError(f"--{name.replace('_', '-')} must be between 0 and 1")
        for name in ("min_hits", "term_min_count"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1")

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LearnResult:
    """What ``learn`` found, with every figure behind it."""

    pack: RulePack  # the pack learned from, narrowed to its profile
    settings: LearnSettings
    decisions: list[RuleDecision]
    terms: list[LearnedTerm]  # every candidate; ``kept`` ones are learned
    triggers: list[TriggerCandidate]
    examples: int
    gold_spans: int
    misses: int
    label_map: dict[str, str] = field(default_factory=dict)
    labels: tuple[str, ...] | None = None
    gold_sha256: str = ""
    gold_name: str = ""
    #: the base pack scored on the gold (the learned pack's report shows it)
    evaluation: Evaluation | None = None

    @property
    def disabled(self) -> list[RuleDecision]:
        return [decision for decision in self.decisions if decision.decision == DISABLE]

    @property
    def too_few(self) -> list[RuleDecision]:
        return [decision for decision in self.decisions if decision.decision == TOO_FEW]

    @property
    def learned(self) -> list[LearnedTerm]:
        return [term for term in self.terms if term.kept]


def learn(
    gold_examples: Iterable[Example],
    pack: RulePack | Annotator,
    *,
    label_map: Mapping[str, str] | None = None,
    labels: Iterable[str] | None = None,
    settings: LearnSettings | None = None,
    workers: int = 1,
) -> LearnResult:
    """Annotate the gold texts with ``pack``, compare, and decide (see the module docstring).

    ``label_map`` renames gold labels first (PERS=PER); only ``labels`` (default: the pack's labels
    that the gold uses) are learned from; rules of other labels are not judged.
    Raises ``UsageError`` for bad settings.
    """
    settings = settings or LearnSettings()
    settings.check()
    annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
    rules = annotator.pack
    gold = prepare(gold_examples, dict(label_map or {}), set(rules.label_names))
    # by default the pack's labels that the gold uses: a label the gold never tags says nothing
    wanted = set(labels) if labels is not None else {span.label for example in gold for span in example.spans}
    wanted &= set(rules.label_names)
    gold = prepare(gold, {}, wanted)
    bare = [replace(example, spans=()) for example in gold]
    predicted = prepare(annotate_stream(annotator, bare, workers=workers), {}, wanted)
    counts: dict[str, list[int]] = {}
    misses: list[tuple[int, Span]] = []
    for index, (truth, guess) in enumerate(zip(gold, predicted, strict=True)):
        pairs = match_spans(truth.text, list(truth.spans), list(guess.spans), settings.mode)
        matched_gold = {id(g) for g, _ in pairs}
        matched_pred = {id(p) for _, p in pairs}
        for span in guess.spans:
            counts.setdefault(span.rule, [0, 0])[0 if id(span) in matched_pred else 1] += 1
        misses.extend((index, span) for span in truth.spans if id(span) not in matched_gold)
    decisions = decide_rules(
        rules,
        {rule: (tp, fp) for rule, (tp, fp) in counts.items()},
        settings.min_precision,
        settings.min_hits,
        wanted,
    )
    candidates = candidate_terms(rules, gold, misses)
    measure_terms(rules, gold, candidates, settings.mode)
    terms = choose_terms(candidates, settings.term_min_count, settings.term_precision)
    triggers = trigger_candidates(gold, misses, annotator.normalizer.normalize_term)
    return LearnResult(
        pack=rules,
        settings=settings,
        decisions=decisions,
        terms=terms,
        triggers=triggers,
        examples=len(gold),
        gold_spans=sum(len(example.spans) for example in gold),
        misses=len(misses),
        label_map=dict(label_map or {}),
        labels=tuple(sorted(wanted)),
        evaluation=evaluate(gold, predicted),
    )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def learn_files(
    gold: Path,
    rules: Path,
    out: Path,
    *,
    profile: str | None = None,
    label_map: Mapping[str, str] | None = None,
    labels: Sequence[str] | None = None,
    settings: LearnSettings | None = None,
    workers: int = 1,
    cache: bool = True,
    report: ReadReport | None = None,
    command: str | None = None,
) -> LearnResult:
    """Read the gold file, learn from it with the pack in ``rules`` (under ``profile``), and write
    the learned pack to ``out``; return what was learned. What reading the gold met goes to
    ``report``.

    Raises ``InputError`` for an unreadable gold file, ``RulePackError`` for an invalid pack or
    profile, ``UsageError`` for bad settings, ``OutputError`` when ``out`` cannot be (over)written.
    """
    from annotator.corpus import read_corpus
    from annotator.errors import InputError
    from annotator.evaluation.learn.writer import check_output
    from annotator.pack_cache import compile_pack

    (settings or LearnSettings()).check()
    check_output(out)
    compiled = compile_pack(rules, profile, cache=cache)
    examples = list(read_corpus([gold], report))
    if not examples:
        raise InputError(f"{gold}: holds no examples to learn from")
    try:
        digest = file_sha256(gold)
    except OSError as error:
        raise InputError(f"{gold}: cannot read ({error.strerror or error})") from None
    return learn_into(
        examples,
        compiled,
        out,
        label_map=label_map,
        labels=labels,
        settings=settings,
        workers=workers,
        command=command,
        gold_name=str(gold),
        gold_sha256=digest,
    )


def learn_into(
    gold_examples: Iterable[Example],
    compiled: CompiledPack,
    out: Path,
    *,
    label_map: Mapping[str, str] | None = None,
    labels: Iterable[str] | None = None,
    settings: LearnSettings | None = None,
    workers: int = 1,
    command: str | None = None,
    gold_name: str | None = None,
    gold_sha256: str | None = None,
) -> LearnResult:
    """``learn`` from gold examples held in memory with an already compiled pack, and write the
    learned pack to ``out``; return what was learned. ``gold_name`` and ``gold_sha256`` name the
    gold in the written README and evidence, when it came from a file.

    The written pack is loaded once as a check, with the base's compiled patterns in hand (the
    base is not compiled again). Raises as ``learn`` and ``write_learned_pack`` do.
    """
    from annotator.evaluation.learn.writer import write_learned_pack
    from annotator.patterns import PatternMemo

    result = learn(
        gold_examples,
        compiled.annotator,
        label_map=label_map,
        labels=labels,
        settings=settings,
        workers=workers,
    )
    if gold_sha256 is not None:
        result.gold_sha256 = gold_sha256
    if gold_name is not None:
        result.gold_name = gold_name
    with PatternMemo(compiled.patterns).active():
        write_learned_pack(result, out, command=command)
    return result


def compile_learned(out: Path, compiled: CompiledPack) -> Annotator:
    """The pack ``learn_into`` wrote to ``out``, compiled with its base's patterns in hand."""
    from annotator.patterns import PatternMemo
    from annotator.rules import load_pack

    with PatternMemo(compiled.patterns).active():
        return Annotator(load_pack(out))


__all__ = [
    "DISABLE",
    "KEEP",
    "NOT_JUDGED",
    "TOO_FEW",
    "LearnResult",
    "LearnSettings",
    "LearnedTerm",
    "RuleDecision",
    "TriggerCandidate",
    "compile_learned",
    "learn",
    "learn_files",
    "learn_into",
    "write_learned_pack",
]


def write_learned_pack(result: LearnResult, out: str | Path, command: str | None = None) -> Path:
    """Write ``result`` as a rule pack in folder ``out`` (see ``annotator.learn.writer``); ``command``
    is the command line the README records (default: one rebuilt from the result)."""
    from annotator.evaluation.learn.writer import write_learned_pack as write

    return write(result, Path(out), command)
