"""The return arrow measured on the ANERcorp train part: does `learn` make the rules better on text
it did not learn from?

    .venv/bin/python bench/learn_loop.py [--profile NAME] [--folds 5] [--batches 8] [--no-loop]
                                         [--out bench/results/learn-loop]

Two experiments, both in the corpus's own (article) order, gold standing in for the annotators:

* held-out folds: the corpus is cut into ``--folds`` contiguous parts; for each part, ``learn`` reads
  the gold of the other parts and writes a pack that extends the base pack; base and learned packs
  are scored on the held-out part (clitic-tolerant PER/LOC/ORG, as `evaluate` scores). The
  ``default`` column is ar-news's hand-made default profile (ANERcorp's convention) for reference:
  learning from another profile (``--profile institutions``) shows whether the gold alone finds the
  decisions that profile encodes by hand.
* the loop: the corpus is cut into ``--batches`` batches; batch i is pre-annotated with the base
  pack and with the pack learned from batches 1 .. i-1, "corrected" into its gold, and the effort
  saved (the share of gold spans annotators did not type, as `evaluate --effort` counts it), P, R
  and F1 are recorded for both. Batch 1 has nothing to learn from, so both packs are the base.

Writes ``OUT.json`` and ``OUT.html`` (the evaluation report, with the loop table and plot).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.corpus import read_corpus  # noqa: E402
from annotator.engine import Annotator, annotate_stream  # noqa: E402
from annotator.evaluation.effort import measure_effort  # noqa: E402
from annotator.evaluation.evaluate import evaluate, prepare  # noqa: E402
from annotator.evaluation.learn import compile_learned, learn_into  # noqa: E402
from annotator.evaluation.report import write_report  # noqa: E402
from annotator.model import Example  # noqa: E402
from annotator.pack_cache import CompiledPack, compile_pack  # noqa: E402

ANERCORP = ROOT.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"
PACK = ROOT / "rules" / "ar-news"
LABEL_MAP = {"PERS": "PER"}
LABELS = {"PER", "LOC", "ORG"}


class Packs:
    """The base pack compiled once per profile (through the pack cache), and learned packs compiled
    with the base's patterns already in hand (``learn_into`` and ``compile_learned``)."""

    def __init__(self) -> None:
        self.compiled: dict[str | None, CompiledPack] = {}

    def base(self, profile: str | None) -> Annotator:
        if profile not in self.compiled:
            self.compiled[profile] = compile_pack(PACK, profile)
        return self.compiled[profile].annotator

    def learn(self, gold: list[Example], profile: str | None, out: Path) -> tuple[Annotator, dict[str, Any]]:
        """``annotator learn`` as a library call: the learned pack compiled, and its evidence."""
        self.base(profile)
        compiled = self.compiled[profile]
        learn_into(gold, compiled, out, label_map=LABEL_MAP, labels=LABELS)
        return compile_learned(out, compiled), json.loads((out / "evidence.json").read_text("utf-8"))


def predict(annotator: Annotator, examples: list[Example]) -> list[Example]:
    return list(annotate_stream(annotator, [Example(e.id, e.text) for e in examples]))


def scores(gold: list[Example], predicted: list[Example]) -> dict[str, Any]:
    result = evaluate(gold, predicted, label_map=LABEL_MAP, labels=LABELS).modes["tolerant"]
    micro = result.micro
    return {
        "precision": round(micro.precision, 4),
        "recall": round(micro.recall, 4),
        "f1": round(micro.f1, 4),
        "per_label": {label: s.to_json() for label, s in sorted(result.per_label.items())},
    }


def untyped(gold: list[Example], predicted: list[Example]) -> float:
    effort = measure_effort(prepare(predicted, LABEL_MAP, LABELS), prepare(gold, LABEL_MAP, LABELS))
    return round(effort.untyped_share, 4)


def parts(examples: list[Example], count: int) -> list[list[Example]]:
    size = -(-len(examples) // count)
    return [examples[i : i + size] for i in range(0, len(examples), size)]


def held_out(
    packs: Packs, gold: list[Example], profile: str | None, folds: int, work: Path
) -> list[dict[str, Any]]:
    rows = []
    chunks = parts(gold, folds)
    for index, test in enumerate(chunks):
        train = [e for i, chunk in enumerate(chunks) if i != index for e in chunk]
        started = time.perf_counter()
        learned, evidence = packs.learn(train, profile, work / f"fold{index + 1}")
        seconds = time.perf_counter() - started
        row = {
            "fold": index + 1,
            "examples": len(test),
            "base": scores(test, predict(packs.base(profile), test)),
            "default": scores(test, predict(packs.base(None), test)),
            "learned": scores(test, predict(learned, test)),
            "disabled": sorted(r["rule"] for r in evidence["rules"] if r["decision"] == "disable"),
            "learned_terms": sum(1 for term in evidence["terms"] if term["kept"]),
            "learn_seconds": round(seconds, 1),
        }
        rows.append(row)
        print(
            f"fold {row['fold']}: base F1 {row['base']['f1']:.3f} P {row['base']['precision']:.3f} | "
            f"default F1 {row['default']['f1']:.3f} | learned F1 {row['learned']['f1']:.3f} "
            f"P {row['learned']['precision']:.3f} | disabled {row['disabled']}",
            flush=True,
        )
    return rows


def loop(
    packs: Packs, gold: list[Example], profile: str | None, batches: int, work: Path
) -> list[dict[str, Any]]:
    rows = []
    chunks = parts(gold, batches)
    seen: list[Example] = []
    for index, batch in enumerate(chunks):
        base = predict(packs.base(profile), batch)
        disabled: list[str] = []
        if seen:
            annotator, evidence = packs.learn(seen, profile, work / f"loop{index + 1}")
            learned = predict(annotator, batch)
            disabled = sorted(r["rule"] for r in evidence["rules"] if r["decision"] == "disable")
        else:
            learned = base
        row = {
            "batch": index + 1,
            "examples": len(batch),
            "learned_from": len(seen),
            "base_untyped": untyped(batch, base),
            "learned_untyped": untyped(batch, learned),
            "base": scores(batch, base),
            "learned": scores(batch, learned),
            "disabled": disabled,
        }
        rows.append(row)
        print(
            f"batch {row['batch']}: untyped {row['base_untyped']:.3f} -> {row['learned_untyped']:.3f}, "
            f"F1 {row['base']['f1']:.3f} -> {row['learned']['f1']:.3f}, "
            f"P {row['base']['precision']:.3f} -> {row['learned']['precision']:.3f}",
            flush=True,
        )
        seen.extend(batch)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ANERCORP)
    parser.add_argument("--profile", default=None, help="the base pack's profile (default: none)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--no-loop", action="store_true", help="only the held-out folds")
    parser.add_argument("--no-folds", action="store_true", help="only the loop")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "learn-loop")
    args = parser.parse_args(argv)
    gold = [replace(e, meta={}) for e in read_corpus([args.corpus])]
    packs = Packs()
    result: dict[str, Any] = {
        "corpus": args.corpus.name,
        "examples": len(gold),
        "pack": packs.base(args.profile).pack.fingerprint,
        "labels": sorted(LABELS),
        "mode": "tolerant",
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if not args.no_folds:
            result["folds"] = held_out(packs, gold, args.profile, args.folds, work)
        if not args.no_loop:
            result["loop"] = loop(packs, gold, args.profile, args.batches, work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    report = write_report(
        args.out.with_suffix(".html"),
        title="annotator learn: the loop on the ANERcorp train part",
        sources={
            "corpus": result["corpus"],
            "rule pack": result["pack"],
            "scored": "PER, LOC, ORG, tolerant",
        },
        loop=loop_rows(result.get("loop", [])) or None,
        decisions=fold_rows(result.get("folds", [])) or None,
    )
    print(f"wrote {args.out.with_suffix('.json')} and {report}")


def loop_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The loop as the report's table and plot: one row per batch."""
    return [
        {
            "batch": row["batch"],
            "untyped base": row["base_untyped"],
            "untyped learned": row["learned_untyped"],
            "F1 base": row["base"]["f1"],
            "F1 learned": row["learned"]["f1"],
            "P base": row["base"]["precision"],
            "P learned": row["learned"]["precision"],
            "R base": row["base"]["recall"],
            "R learned": row["learned"]["recall"],
        }
        for row in rows
    ]


def fold_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The held-out folds as a table: base, hand-made default and learned pack, each P/R/F1."""
    table = []
    for row in rows:
        entry: dict[str, Any] = {"fold": row["fold"]}
        for name in ("base", "default", "learned"):
            for key, short in (("precision", "P"), ("recall", "R"), ("f1", "F1")):
                entry[f"{short} {name}"] = row[name][key]
        entry["disabled"] = ", ".join(row["disabled"])
        table.append(entry)
    return table


if __name__ == "__main__":
    main()
