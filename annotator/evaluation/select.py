"""The next batch: which pre-annotated examples annotators should correct next.

Every correction is evidence about the rules that fired in the example: each span a rule made is
judged right (kept, up to a clitic: ``evaluate``'s tolerant mode) or wrong. ``select_batch``
picks the N examples whose correction teaches the most about the rules' precisions, so that
every rule's precision is known after the fewest corrections, and keeps a share drawn at random.

The scoring, exactly:

1. **Evidence.** Rule ``r`` has ``c_r`` right out of ``n_r`` judged spans so far (from earlier
   gold and what was pushed for it, ``rule_evidence``; 0 of 0 without any). Its estimated
   precision is ``p_r = c_r / n_r``, or 0.5 when ``n_r = 0``.
2. **Projection.** If ``m`` more of its spans were judged, and right at rate ``p_r``, rule ``r``
   would have ``c_r + p_r * m`` right out of ``n_r + m``. ``w_r(m)`` is the width of the Wilson
   95% interval (``annotator.evaluation.intervals.wilson``) of that projected count (a fractional success
   count: the formula needs only the proportion and the trials, and rounding it would make the
   width jump up and down as ``m`` grows): 1 for a rule never judged, shrinking with every
   projected span, and by less with each one (diminishing returns).
3. **Gain of an example.** An example holding ``k_r`` spans of rule ``r`` (for each rule that
   fired in it) is worth the total narrowing it brings:
   ``gain = sum_r [w_r(m_r) - w_r(m_r + k_r)]``, where ``m_r`` counts rule ``r``'s spans in the
   examples already picked for this batch. A rule never judged narrows most (from 1); a rule
   whose interval is already tight adds almost nothing. Spans without a rule id count for nothing.
4. **Random share first.** ``N * random_share`` examples (rounded half up) are drawn uniformly (seeded) from
   the pool (every example of the input not excluded); their spans are added to ``m_r``. These
   are an unbiased sample of the pool, whatever the rules do.
5. **Greedy.** The rest of the batch is filled one example at a time with the largest gain given
   ``m_r`` so far; after each pick ``m_r += k_r`` for its rules, so the next picks spread over the
   rules instead of piling onto one. Ties are broken by a seeded shuffle of the pool (not input
   order, which would take one article's sentences in a row). The search is lazy: an example's
   gain, kept from when it was last computed, is recomputed when it reaches the top of the queue
   and the example is taken if it still beats every stored gain. Since each projected span
   narrows an interval less than the one before (diminishing returns), a stored gain is never
   below the current one, and this takes what a full recomputation would (up to
   floating-point ties).

Each picked example gets ``meta.selected_by``: ``"random"`` or ``"uncertainty"``; the batch keeps
the input's order. The same input, evidence, exclusions and seed give the same batch.

``select_files`` is ``annotator select`` as a library call: it reads the pre-annotations, the
evidence files and the ids to exclude (and those already in a doccano project), selects, and
writes the batch.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.corpus import ReadReport, read_corpus, read_pre_annotations
from annotator.corpus.annotated import write_annotated
from annotator.errors import InputError, UsageError
from annotator.evaluation.evaluate import evaluate
from annotator.evaluation.intervals import Interval, wilson
from annotator.model import Example

#: the share of the batch drawn at random by default
DEFAULT_RANDOM_SHARE = 0.2
#: ``meta`` key that says how an example was chosen
SELECTED_BY = "selected_by"
BY_UNCERTAINTY = "uncertainty"
BY_RANDOM = "random"
#: the rule id ``evaluate`` gives to spans without one (not a rule: never scored)
NO_RULE = "(none)"


@dataclass(frozen=True)
class Evidence:
    """How many of a rule's spans were judged, and how many of them were right."""

    correct: int = 0
    judged: int = 0

    @property
    def interval(self) -> Interval:
        return wilson(self.correct, self.judged)

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.correct + other.correct, self.judged + other.judged)


def rule_evidence(
    pairs: Iterable[tuple[Iterable[Example], Iterable[Example]]],
    *,
    label_map: Mapping[str, str] | None = None,
    labels: set[str] | None = None,
) -> dict[str, Evidence]:
    """Each rule's judged spans, summed over ``(gold, pushed)`` pairs (e.g. one per export).

    A pushed span is right when ``evaluate``'s tolerant mode matches it to a gold span
    (``per_rule`` true positives); spans without a rule id are left out.
    """
    total: dict[str, Evidence] = {}
    for gold, pushed in pairs:
        result = evaluate(gold, pushed, label_map=label_map, labels=labels)
        for rule, scores in result.modes["tolerant"].per_rule.items():
            if rule == NO_RULE:
                continue
            total[rule] = total.get(rule, Evidence()) + Evidence(scores.tp, scores.tp + scores.fp)
    return total


def export_pair(folder: str | Path) -> tuple[Path, Path]:
    """The gold and the pushed pre-annotations of an ``annotator export`` folder."""
    from annotator.export.gold import FILE_NAMES, PUSHED_FILE

    folder = Path(folder)
    gold, pushed = folder / FILE_NAMES["jsonl"][0], folder / PUSHED_FILE
    for path in (gold, pushed):
        if not path.is_file():
            raise InputError(
                f"{folder}: no {path.name} (an export folder holds {gold.name} and {pushed.name})",
                hint="name the folder `annotator export -o` wrote, with the jsonl format, "
                "or give --gold and --pushed",
            )
    return gold, pushed


def read_evidence(
    pairs: Iterable[tuple[Path, Path]],
    *,
    label_map: Mapping[str, str] | None = None,
    labels: set[str] | None = None,
    report: ReadReport | None = None,
) -> tuple[dict[str, Evidence], set[str]]:
    """``rule_evidence`` of (gold, pushed) files, and the ids of every example in them (corrected
    already, so never to pick again)."""
    loaded = []
    ids: set[str] = set()
    for gold_path, pushed_path in pairs:
        gold = list(read_corpus([gold_path], report))
        pushed = list(read_corpus([pushed_path], report))
        ids.update(example.id for example in gold)
        ids.update(example.id for example in pushed)
        loaded.append((gold, pushed))
    return rule_evidence(loaded, label_map=label_map, labels=labels), ids


def read_ids(paths: Iterable[Path], report: ReadReport | None = None) -> set[str]:
    """The example ids of corpus files (a pushed.jsonl, a gold.jsonl, any corpus)."""
    return {example.id for example in read_corpus(list(paths), report)}


def projected_width(evidence: Evidence, more: int) -> float:
    """Width of the rule's Wilson interval once ``more`` of its spans are judged, expecting them
    right at its estimated precision (0.5 without evidence); step 2 of the module docstring."""
    share = evidence.correct / evidence.judged if evidence.judged else 0.5
    # a fractional success count: wilson's formula is in the proportion and the trials only; at
    # a share of exactly 0 or 1 the count stays whole, where wilson pins the bound to 0 or 1
    successes = evidence.correct + share * more
    return wilson(successes, evidence.judged + more).width  # type: ignore[arg-type]


@dataclass(frozen=True)
class RuleOutlook:
    """A rule's interval before the batch and as projected once the batch is corrected."""

    rule: str
    evidence: Evidence
    width_now: float
    in_batch: int  # the rule's spans in the batch
    in_pool: int  # the rule's spans in the whole pool
    width_after: float


@dataclass
class Selection:
    """The batch (input order, ``meta.selected_by`` set) and what the choice was based on."""

    examples: list[Example]
    requested: int
    read: int  # examples in the input
    pool: int  # of them, not excluded: the candidates
    excluded: int  # left out because their id is excluded (already in doccano, or listed)
    duplicates: int  # left out because an earlier example of the input has the same id
    by_uncertainty: int = 0
    by_random: int = 0
    rules: list[RuleOutlook] = field(default_factory=list)

    @property
    def short(self) -> bool:
        """Fewer examples than requested: the pool ran out."""
        return len(self.examples) < self.requested

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.short:
            notes.append(
                f"asked for {self.requested:,} examples but only {self.pool:,} can be picked "
                f"({self.excluded:,} of {self.read:,} are excluded): the batch is all of them"
            )
        if self.duplicates:
            notes.append(f"{self.duplicates:,} examples repeat an earlier id and were left out")
        return notes


class _Projection:
    """The rules' evidence and the spans projected as judged by the picks so far."""

    def __init__(self, evidence: Mapping[str, Evidence]) -> None:
        self.evidence = evidence
        self.more: Counter[str] = Counter()
        self._widths: dict[tuple[str, int], float] = {}

    def width(self, rule: str, more: int) -> float:
        key = (rule, more)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = projected_width(self.evidence.get(rule, Evidence()), more)
        return found

    def gain(self, hits: Mapping[str, int]) -> float:
        """Step 3 of the module docstring."""
        total = 0.0
        for rule, count in hits.items():
            now = self.more[rule]
            total += max(0.0, self.width(rule, now) - self.width(rule, now + count))
        return total

    def take(self, hits: Mapping[str, int]) -> None:
        self.more.update(hits)


def rule_hits(example: Example) -> Counter[str]:
    """How many spans each rule made in ``example`` (spans without a rule id left out)."""
    return Counter(span.rule for span in example.spans if span.rule and span.rule != NO_RULE)


def select_batch(
    examples: Sequence[Example],
    n: int,
    *,
    evidence: Mapping[str, Evidence] | None = None,
    exclude: Collection[str] = (),
    random_share: float = DEFAULT_RANDOM_SHARE,
    seed: int = 0,
) -> Selection:
    """Pick ``n`` of the pre-annotated ``examples`` to correct next (see the module docstring).

    ``evidence``: each rule's judged spans so far (``rule_evidence``); ``exclude``: example ids
    never to pick (already in doccano, already corrected). With fewer than ``n`` candidates, all
    of them are returned (``Selection.short``).
    """
    if n < 0:
        raise ValueError(f"the batch size must be 0 or more, got {n}")
    if not 0.0 <= random_share <= 1.0:
        raise ValueError(f"the random share must be between 0 and 1, got {random_share}")
    evidence = evidence or {}
    excluded_ids = set(exclude)
    pool: list[int] = []
    seen: set[str] = set()
    excluded = duplicates = 0
    for index, example in enumerate(examples):
        if example.id in excluded_ids:
            excluded += 1
        elif example.id in seen:
            duplicates += 1
        else:
            pool.append(index)
        seen.add(example.id)
    hits = {index: rule_hits(examples[index]) for index in pool}
    take = min(n, len(pool))
    random_count = int(take * random_share + 0.5)

    rng = random.Random(seed)
    chosen: dict[int, str] = {index: BY_RANDOM for index in rng.sample(pool, random_count)}
    projection = _Projection(evidence)
    for index in chosen:
        projection.take(hits[index])
    # ties: a seeded shuffle of the pool decides, not the input order
    order = pool.copy()
    rng.shuffle(order)
    rank = {index: position for position, index in enumerate(order)}
    queue = [(-projection.gain(hits[i]), rank[i], i) for i in pool if i not in chosen]
    heapq.heapify(queue)
    while len(chosen) < take and queue:
        _, position, index = heapq.heappop(queue)
        current = (-projection.gain(hits[index]), position)
        if queue and current > queue[0][:2]:
            heapq.heappush(queue, (*current, index))  # it fell behind another: look again
            continue
        chosen[index] = BY_UNCERTAINTY
        projection.take(hits[index])

    batch = [
        replace(examples[index], meta={**examples[index].meta, SELECTED_BY: chosen[index]})
        for index in sorted(chosen)
    ]
    return Selection(
        examples=batch,
        requested=n,
        read=len(examples),
        pool=len(pool),
        excluded=excluded,
        duplicates=duplicates,
        by_uncertainty=sum(1 for how in chosen.values() if how == BY_UNCERTAINTY),
        by_random=sum(1 for how in chosen.values() if how == BY_RANDOM),
        rules=_outlook(evidence, hits, chosen, projection),
    )


def _outlook(
    evidence: Mapping[str, Evidence],
    hits: Mapping[int, Counter[str]],
    chosen: Mapping[int, str],
    projection: _Projection,
) -> list[RuleOutlook]:
    """Every rule seen in the pool or the evidence, widest interval first."""
    in_pool: Counter[str] = Counter()
    for counts in hits.values():
        in_pool.update(counts)
    outlook = []
    for rule in sorted(set(in_pool) | set(evidence)):
        known = evidence.get(rule, Evidence())
        in_batch = projection.more[rule]
        outlook.append(
            RuleOutlook(
                rule=rule,
                evidence=known,
                width_now=known.interval.width,
                in_batch=in_batch,
                in_pool=in_pool[rule],
                width_after=projected_width(known, in_batch),
            )
        )
    outlook.sort(key=lambda item: (-item.width_now, -item.in_batch, item.rule))
    return outlook


def select_files(
    pre: Path,
    output: Path,
    n: int,
    *,
    gold: Sequence[Path] = (),
    pushed: Sequence[Path] = (),
    exports: Sequence[Path] = (),
    exclude: Sequence[Path] = (),
    project: str | None = None,
    url: str | None = None,
    label_map: Mapping[str, str] | None = None,
    random_share: float = DEFAULT_RANDOM_SHARE,
    seed: int = 0,
    report: ReadReport | None = None,
) -> Selection:
    """Pick the batch of ``n`` from the pre-annotation file ``pre`` and write it to ``output``
    (pre-annotation JSONL, atomically); what ``annotator select`` does, as a library call.

    The evidence is each ``gold`` file with the ``pushed`` file of the same position, and each
    ``annotator export`` folder of ``exports`` (``label_map`` renames the gold labels first).
    Never picked: the examples of the evidence, those whose id is in an ``exclude`` corpus file,
    and, with ``project``, those already in that doccano project (the server at ``url``, or the
    one ``resolve_credentials`` finds). What reading met goes to ``report``.

    Raises ``UsageError`` when ``gold`` and ``pushed`` do not pair up, ``InputError`` for a file
    or export folder that cannot be read, ``OutputError`` when ``output`` cannot be written, and
    doccano's errors for the project lookup.
    """
    if len(gold) != len(pushed):
        raise UsageError(
            f"--gold and --pushed come in pairs: got {len(gold)} --gold and {len(pushed)} --pushed",
            hint="or give an export folder with --export",
        )
    examples = list(read_pre_annotations(pre, report))
    pairs = list(zip(gold, pushed, strict=True)) + [export_pair(folder) for folder in exports]
    evidence, corrected = read_evidence(pairs, label_map=label_map, report=report)
    excluded = corrected | read_ids(exclude, report)
    if project is not None:
        # imported here: only a project lookup needs doccano's client
        from annotator.doccano.connection import Doccano, resolve_credentials
        from annotator.doccano.push import example_ids

        excluded |= example_ids(Doccano(resolve_credentials(url)), project)
    selection = select_batch(
        examples, n, evidence=evidence, exclude=excluded, random_share=random_share, seed=seed
    )
    write_annotated(selection.examples, output)
    return selection
