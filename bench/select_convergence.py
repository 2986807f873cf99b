"""How fast rule-precision estimates converge when the batches come from ``select`` or at random.

    .venv/bin/python bench/select_convergence.py [--corpus ANERCORP_TRAIN] [--pack rules/ar-news]
        [--profile NAME] [--rounds 30] [--batch 50] [--seeds 5] [--out bench/results/select-convergence]

The ANERcorp train part is pre-annotated once with the pack (its default profile unless
``--profile``), keeping the spans of the scored labels (PER, LOC, ORG); the gold stands in for
the annotators. Each rule's "true" precision is its precision on the whole train part
(``evaluate``'s tolerant mode, gold labels mapped PERS->PER, ORGANIZATION->ORG, LOCATION->LOC).

Two strategies then run ``--rounds`` rounds of ``--batch`` examples each, ``--seeds`` times
(seeds 0, 1, ...): ``select`` (``select_batch`` with the evidence of every example corrected so
far, those examples excluded, the default random share, seed ``1000 * seed + round``) and
``random`` (the batch drawn uniformly from the examples not corrected yet). After each round,
from the corrected examples only:

- ``mae_weighted``: mean absolute error of the rules' estimated precision (right / judged spans;
  0.5 for a rule none of whose spans has been judged yet) against the true one, each rule
  weighted by its spans in the whole train part;
- ``mae``: the same, every rule counting once;
- ``rules_5``: rules with at least 5 judged spans;
- ``mean_width``: mean width of the rules' Wilson 95% intervals (1 for a rule not judged yet);

and what the annotators had to look at: ``spans`` (pre-annotated spans in the corrected
examples) and ``chars`` (their text).

The figures are means over the seeds; the ratios are select / random (below 1 is better for the
errors and widths, above 1 for ``rules_5``). Since ``select`` prefers examples with many spans,
a second table sets each select round beside random batches at the same number of spans shown,
and of characters shown (interpolated). Writes ``OUT.json`` and ``OUT.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from annotator.corpus import read_corpus
from annotator.engine import annotate_stream
from annotator.evaluation.evaluate import prepare
from annotator.evaluation.select import Evidence, rule_evidence, select_batch
from annotator.model import Example
from annotator.rules import load_pack
from annotator.rules.loader import select_profile

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ANERCORP = REPO.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"
LABEL_MAP = {"PERS": "PER", "ORGANIZATION": "ORG", "LOCATION": "LOC"}
LABELS = {"PER", "LOC", "ORG"}
MEASURES = ("mae_weighted", "mae", "rules_5", "mean_width", "spans", "chars")

Picker = Callable[[list[Example], dict[str, Evidence], set[str], int], list[Example]]


def measure(truth: Mapping[str, Evidence], evidence: Mapping[str, Evidence]) -> dict[str, float]:
    """The four measures of the module docstring, over every rule that fired on the train part."""
    errors, weights, widths = [], [], []
    for rule, true in truth.items():
        known = evidence.get(rule, Evidence())
        estimate = known.correct / known.judged if known.judged else 0.5
        errors.append(abs(estimate - true.correct / true.judged))
        weights.append(true.judged)
        widths.append(known.interval.width)
    return {
        "mae_weighted": sum(e * w for e, w in zip(errors, weights, strict=True)) / sum(weights),
        "mae": sum(errors) / len(errors),
        "rules_5": float(sum(1 for rule in truth if evidence.get(rule, Evidence()).judged >= 5)),
        "mean_width": sum(widths) / len(widths),
    }


def run_strategy(
    pick: Picker,
    pre: list[Example],
    gold: Mapping[str, Example],
    truth: Mapping[str, Evidence],
    rounds: int,
) -> list[dict[str, float]]:
    """Rounds of picking, "correcting" with the gold and measuring; one row per round."""
    evidence: dict[str, Evidence] = {}
    corrected: set[str] = set()
    spans = chars = 0
    rows = []
    for round_number in range(1, rounds + 1):
        batch = pick(pre, evidence, corrected, round_number)
        corrected.update(example.id for example in batch)
        spans += sum(len(example.spans) for example in batch)
        chars += sum(len(example.text) for example in batch)
        judged = rule_evidence([([gold[e.id] for e in batch], batch)], label_map=LABEL_MAP, labels=LABELS)
        for rule, more in judged.items():
            evidence[rule] = evidence.get(rule, Evidence()) + more
        rows.append(
            {"corrected": float(len(corrected)), "spans": float(spans), "chars": float(chars)}
            | measure(truth, evidence)
        )
    return rows


def select_picker(size: int, seed: int) -> Picker:
    def pick(
        pre: list[Example], evidence: dict[str, Evidence], done: set[str], round_number: int
    ) -> list[Example]:
        selection = select_batch(pre, size, evidence=evidence, exclude=done, seed=1000 * seed + round_number)
        return selection.examples

    return pick


def random_picker(size: int, seed: int) -> Picker:
    rng = random.Random(seed)

    def pick(
        pre: list[Example], evidence: dict[str, Evidence], done: set[str], round_number: int
    ) -> list[Example]:
        left = [example for example in pre if example.id not in done]
        return rng.sample(left, min(size, len(left)))

    return pick


def mean_rows(runs: Sequence[list[dict[str, float]]]) -> list[dict[str, float]]:
    return [
        {key: sum(run[i][key] for run in runs) / len(runs) for key in runs[0][i]} for i in range(len(runs[0]))
    ]


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ["round", "corrected"]
    for name in MEASURES:
        head += [f"{name} select", "random", "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:
        cells = [str(row["round"]), f"{row['corrected']:.0f}"]
        for name in MEASURES:
            digits = {"rules_5": 1, "spans": 0, "chars": 0}.get(name, 3)
            cells += [
                f"{row['select'][name]:.{digits}f}",
                f"{row['random'][name]:.{digits}f}",
                f"{row['ratio'][name]:.2f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def random_at(rows: list[dict[str, Any]], axis: str, value: float, key: str) -> float | None:
    """Random batches' mean ``key`` once they had shown ``value`` spans or chars (``axis``), by
    linear interpolation between rounds; None beyond the last round."""
    points = [(row["random"][axis], row["random"][key]) for row in rows]
    for (low, low_value), (high, high_value) in itertools.pairwise(points):
        if low <= value <= high:
            return low_value + (high_value - low_value) * (value - low) / (high - low)
    return None


def equal_effort(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per select round: its measures beside random's at the same spans and the same chars shown."""
    table = []
    for row in rows:
        entry: dict[str, Any] = {"round": row["round"], "select": row["select"]}
        for axis in ("spans", "chars"):
            entry[f"random_at_{axis}"] = {
                key: random_at(rows, axis, row["select"][axis], key) for key in MEASURES[:4]
            }
        table.append(entry)
    return table


def equal_effort_markdown(rows: list[dict[str, Any]]) -> str:
    head = ["round", "spans", "chars"]
    for name in MEASURES[:4]:
        head += [f"{name} select", "random, same spans", "random, same chars"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:
        chosen = row["select"]
        cells = [str(row["round"]), f"{chosen['spans']:.0f}", f"{chosen['chars']:.0f}"]
        for name in MEASURES[:4]:
            digits = 1 if name == "rules_5" else 3
            same = [row[f"random_at_{axis}"][name] for axis in ("spans", "chars")]
            cells += [f"{chosen[name]:.{digits}f}"] + ["-" if v is None else f"{v:.{digits}f}" for v in same]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ANERCORP, help="gold CoNLL (the ANERcorp train part)")
    parser.add_argument("--pack", type=Path, default=REPO / "rules" / "ar-news")
    parser.add_argument("--profile", default=None, help="a profile of the pack (default: none)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "select-convergence")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    gold_list = list(read_corpus([args.corpus]))
    pack = select_profile(load_pack(args.pack), args.profile)
    annotated = list(annotate_stream(pack, [Example(e.id, e.text) for e in gold_list]))
    pre = prepare(annotated, {}, LABELS)  # only the scored labels' spans, as a project with them
    annotate_seconds = time.perf_counter() - began
    gold = {example.id: example for example in gold_list}
    truth = rule_evidence([(gold_list, pre)], label_map=LABEL_MAP, labels=LABELS)
    truth = {rule: scores for rule, scores in truth.items() if scores.judged}
    print(
        f"{len(pre):,} examples, {sum(len(e.spans) for e in pre):,} spans of {len(truth)} rules; "
        f"annotated in {annotate_seconds:.0f}s"
    )

    runs: dict[str, list[list[dict[str, float]]]] = {"select": [], "random": []}
    for seed in range(args.seeds):
        runs["select"].append(run_strategy(select_picker(args.batch, seed), pre, gold, truth, args.rounds))
        runs["random"].append(run_strategy(random_picker(args.batch, seed), pre, gold, truth, args.rounds))
    means = {name: mean_rows(rows) for name, rows in runs.items()}
    table = []
    for index in range(args.rounds):
        chosen, uniform = means["select"][index], means["random"][index]
        ratio = {name: chosen[name] / uniform[name] if uniform[name] else float("nan") for name in MEASURES}
        table.append(
            {
                "round": index + 1,
                "corrected": chosen["corrected"],
                "select": chosen,
                "random": uniform,
                "ratio": ratio,
            }
        )
    result = {
        "command": " ".join(["bench/select_convergence.py", *(sys.argv[1:] if argv is None else argv)]),
        "corpus": str(args.corpus.name),
        "pack": pack.fingerprint,
        "examples": len(pre),
        "spans": sum(len(e.spans) for e in pre),
        "rules": {rule: {"correct": e.correct, "judged": e.judged} for rule, e in sorted(truth.items())},
        "rounds": table,
        "equal_effort": equal_effort(table),
        "runs": runs,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "seconds": time.perf_counter() - began,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    intro = (
        f"{len(pre):,} examples of {args.corpus.name}, {result['spans']:,} spans of {len(truth)} rules "
        f"({pack.fingerprint}); rounds of {args.batch}; means over {args.seeds} seeds; "
        "ratio = select / random.\n\n"
    )
    same = (
        "\nAt equal effort: each select round beside random batches once they had shown as many "
        "pre-annotated spans, or as many characters (interpolated between rounds; - beyond the "
        "last).\n\n" + equal_effort_markdown(result["equal_effort"])
    )
    args.out.with_suffix(".md").write_text(intro + markdown(table) + same, encoding="utf-8")
    print(markdown(table) + same)
    print(f"written {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
