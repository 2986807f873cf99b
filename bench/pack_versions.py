"""Throughput of two versions of a rule pack on the same corpus, in one process, same code.

    .venv/bin/python bench/pack_versions.py --before PACK --after PACK --corpus FILE
                                           [--doc-size 10] [--rounds 3] [--passes 5] [--profile NAME ...]

A pack version is a folder (for an older one: ``git archive COMMIT rules/ar-news | tar -x -C DIR``).
Both packs are compiled first; then each round runs every (pack, profile) pair ``--passes`` times
with ``annotate_stream`` over the corpus, the pairs one after the other, so that the machine's load
drifts alike on all of them. The figure is the best pass of all rounds, and the ratio is the after
pack's seconds over the before pack's for the same profile. Consecutive examples are grouped into
documents of ``--doc-size`` (``meta.doc``), as propagate rules see an article's paragraphs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from annotator.corpus import read_corpus
from annotator.engine import Annotator, annotate_stream
from annotator.model import Example
from annotator.rules import load_pack
from annotator.rules.loader import select_profile


def documents(corpus: Path, size: int) -> list[Example]:
    """The corpus without its spans, grouped ``size`` examples to a document."""
    examples = read_corpus([corpus])
    return [replace(e, spans=(), meta={"doc": f"d{i // size}"}) for i, e in enumerate(examples)]


def best_seconds(
    annotators: dict[tuple[str, str], Annotator], texts: list[Example], rounds: int, passes: int
) -> dict[tuple[str, str], float]:
    """The best pass of each annotator over ``texts``, the annotators interleaved round by round."""
    best = dict.fromkeys(annotators, float("inf"))
    for _ in range(rounds):
        for key, annotator in annotators.items():
            for _ in range(passes):
                start = time.perf_counter()
                for _ in annotate_stream(annotator, texts):
                    pass
                best[key] = min(best[key], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the baseline pack folder")
    parser.add_argument("--after", type=Path, required=True, help="the pack folder to compare")
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus file (txt, jsonl, CoNLL)")
    parser.add_argument("--doc-size", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--profile", action="append", default=None, help="a profile (repeat); default: none")
    args = parser.parse_args(argv)
    texts = documents(args.corpus, args.doc_size)
    chars = sum(len(e.text) for e in texts)
    profiles = args.profile or [""]
    annotators = {
        (name, profile): Annotator(select_profile(load_pack(path), profile or None))
        for name, path in (("before", args.before), ("after", args.after))
        for profile in profiles
    }
    best = best_seconds(annotators, texts, args.rounds, args.passes)
    print(f"{chars:,} characters in {len(texts):,} examples; best of {args.rounds} x {args.passes} passes")
    print(f"{'pack':8} {'profile':14} {'seconds':>8} {'chars/s':>10} {'after/before':>13}")
    for (name, profile), seconds in best.items():
        ratio = seconds / best[("before", profile)]
        print(f"{name:8} {profile or 'default':14} {seconds:8.3f} {chars / seconds:10,.0f} {ratio:13.2f}")


if __name__ == "__main__":
    main()
