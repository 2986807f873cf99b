"""Behaviour unchanged: the spans of this tree and of another git ref, on the same corpora and packs.

Annotates the seeds, the ANERcorp train part and a seeded bench corpus with rules/ar-news (its
default profile and ``institutions``) and rules/starter, once with this tree's code and once with
the code of ``--ref`` (exported with ``git archive`` into a temporary folder), and compares the
spans example by example. Both sides run ``python -m annotator annotate --no-cache`` in a
subprocess whose PYTHONPATH points at their own tree, so the comparison goes through the command
line, which stays the same when modules move. Both sides read the same corpus files and this
tree's rule packs (the code is what is compared, not the packs).

    python bench/same_spans.py --ref main

Prints the examples and spans per corpus and pack, and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

ANERCORP = REPO.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"
#: (name, pack folder, profile or None)
PACKS = (
    ("ar-news", REPO / "rules" / "ar-news", None),
    ("ar-news/institutions", REPO / "rules" / "ar-news", "institutions"),
    ("starter", REPO / "rules" / "starter", None),
)
BENCH_SEED = 18
BENCH_CHARS = 200_000
WORKERS = 2

#: run in the subprocess: check that ``annotator`` comes from the tree asked for, then the CLI
_BOOT = (
    "import sys, pathlib, annotator; "
    "root = pathlib.Path(sys.argv.pop(1)).resolve(); "
    "here = pathlib.Path(annotator.__file__).resolve(); "
    "assert root in here.parents, f'annotator imported from {here}, not from {root}'; "
    "from annotator.cli import main; sys.argv[0] = 'annotator'; sys.exit(main())"
)


def export_ref(ref: str, folder: Path) -> Path:
    """The ``annotator`` package of ``ref`` extracted into ``folder`` (``git archive``)."""
    archive = folder / "ref.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", ref, "annotator"], stdout=handle, check=True)
    tree = folder / "ref"
    tree.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def corpora(folder: Path, bench_chars: int) -> dict[str, Path]:
    """The corpora to annotate: the seeds, ANERcorp's train part (when present), a bench corpus."""
    from corpus_gen import load_entities, write_corpora

    found = {"seeds": REPO / "seeds"}
    if ANERCORP.is_file():
        found["anercorp-train"] = ANERCORP
    else:
        print(f"warning: {ANERCORP} is absent; ANERcorp is not compared", file=sys.stderr)
    (bench,) = write_corpora(folder / "bench", {"bench": bench_chars}, load_entities(), BENCH_SEED)
    found["bench"] = bench.path
    return found


def annotate(tree: Path, corpus: Path, pack: Path, profile: str | None, output: Path) -> list[list]:
    """The spans of every example of ``corpus``, annotated by the code under ``tree``."""
    command = [sys.executable, "-c", _BOOT, str(tree), "annotate", str(corpus), "--rules", str(pack)]
    command += ["--workers", str(WORKERS)]
    command += ["-o", str(output), "--no-cache", "--quiet"]
    if profile:
        command += ["--profile", profile]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(command, env=env, check=True, cwd=tree)
    rows = []
    with output.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            spans = sorted((s["start"], s["end"], s["label"], s["rule"]) for s in record["spans"])
            rows.append([record["id"], spans])
    return rows


def compare(name: str, here: list[list], there: list[list]) -> int:
    """Print one line for a corpus and pack; the number of examples whose spans differ."""
    spans_here = sum(len(spans) for _, spans in here)
    spans_there = sum(len(spans) for _, spans in there)
    differing = [i for i, (a, b) in enumerate(zip(here, there, strict=False)) if a != b]
    differing += list(range(min(len(here), len(there)), max(len(here), len(there))))
    verdict = "same" if not differing else f"DIFFERENT in {len(differing)} examples"
    print(f"{name:45} {len(here):7,} examples {spans_here:8,} spans (ref: {spans_there:8,})  {verdict}")
    for index in differing[:3]:
        a = here[index] if index < len(here) else None
        b = there[index] if index < len(there) else None
        print(f"    example {index}: here {a}\n    {'':>{len(str(index))}}         ref  {b}")
    return len(differing)


def main(argv: list[str] | None = None) -> int:
    """Annotate with both trees and compare; 0 when every span is the same."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="the git ref to compare with (default: main)")
    parser.add_argument("--bench-chars", type=int, default=BENCH_CHARS, help="size of the bench corpus")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="same-spans-") as temp:
        folder = Path(temp)
        ref_tree = export_ref(args.ref, folder)
        differences = 0
        for corpus_name, corpus in corpora(folder, args.bench_chars).items():
            for pack_name, pack, profile in PACKS:
                here = annotate(REPO, corpus, pack, profile, folder / "here.jsonl")
                there = annotate(ref_tree, corpus, pack, profile, folder / "there.jsonl")
                differences += compare(f"{corpus_name} with {pack_name}", here, there)
    print("same spans" if not differences else f"{differences} examples differ from {args.ref}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
