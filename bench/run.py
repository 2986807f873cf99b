"""Benchmarks: throughput and scaling of the rule engine against named baselines, in one run.

    .venv/bin/python bench/run.py [--smoke] [--sizes 5,10,20] [--terms 1000,10000,100000] [--runs 3]
                                  [--out bench/results/latest.json] [--skip-doccano]

Generates seeded Arabic news-like corpora (sizes in millions of characters) and gazetteers of N
terms, measures every contender in a fresh process per run (``contenders.py``), optionally the
push/export throughput against the real local doccano (``doccano_bench.py``), prints the medians
and the ratios against the baselines of the same run, and writes everything to JSON.

``--smoke`` is a quick check that the whole benchmark still runs (0.2 M chars, 1k/5k terms, one
run, no doccano, no ANERcorp, the small ``rules/starter`` pack because loading and compiling
ar-news alone takes longer than the smoke budget); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import corpus_gen
import report
from rich.console import Console

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PACKAGES = ("annotator", "spacy", "pyahocorasick", "regex", "doccano-client", "psutil", "rich", "PyYAML")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run, no doccano")
    parser.add_argument("--sizes", help="corpus sizes in millions of characters (default 5,10,20)")
    parser.add_argument("--terms", help="gazetteer sizes (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, help="runs per measurement; the median is reported (default 3)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "latest.json")
    parser.add_argument("--skip-doccano", action="store_true", help="skip push/export against doccano")
    parser.add_argument("--pack", type=Path, help="rule pack (default rules/ar-news; smoke: rules/starter)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-anercorp", action="store_true", help="leave out the ANERcorp text")
    parser.add_argument("--doccano-examples", type=int, default=2000)
    parser.add_argument("--doccano-sample", type=int, default=200)
    args = parser.parse_args(argv)
    smoke = args.smoke
    args.sizes = [float(s) for s in (args.sizes or ("0.2" if smoke else "5,10,20")).split(",")]
    args.terms = [int(n) for n in (args.terms or ("1000,5000" if smoke else "1000,10000,100000")).split(",")]
    args.runs = args.runs or (1 if smoke else 3)
    args.pack = (args.pack or REPO / "rules" / ("starter" if smoke else "ar-news")).resolve()
    args.skip_doccano = args.skip_doccano or smoke
    args.no_anercorp = args.no_anercorp or smoke
    if sorted(args.sizes) != args.sizes or sorted(args.terms) != args.terms:
        parser.error("--sizes and --terms must be in increasing order")
    return args


def size_name(millions: float) -> str:
    return f"{millions:g}M"


def machine_info() -> dict[str, Any]:
    """Where the figures come from: CPUs, memory, Python, package versions, load, git state."""
    import psutil

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    git = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "annotator"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": git,
        "annotator_modified": bool(dirty),
        "load_average_start": os.getloadavg(),
    }


def pack_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def plan(args: argparse.Namespace, corpora: dict[str, Path]) -> list[tuple[str, int, list[str]]]:
    """(contender, terms, corpus names) of one run. The largest gazetteer runs every corpus; smaller
    gazetteers, workers=2 and the CLI run the largest generated corpus."""
    sizes = [size_name(s) for s in args.sizes]
    every = list(corpora)
    most, big = args.terms[-1], sizes[-1]
    # what a ratio compares runs next to each other (the VM's speed drifts within minutes)
    jobs = [
        ("ours", most, every),
        ("ours-w2", most, [big]),
        ("spanruler", most, every),
        ("tokenizer", 0, every),
        ("aho", most, every),
    ]
    for n in args.terms[:-1]:
        jobs += [("ours", n, [big]), ("spanruler", n, [big]), ("aho", n, [big])]
    jobs += [("ours-terms", n, [big]) for n in args.terms]
    jobs += [("ours-cli", most, [big])]
    return jobs


def snapshot_code(folder: Path) -> dict[str, str]:
    """Copy the ``annotator`` package aside and return the environment that imports the copy, so
    that edits to the checkout during a long run do not change what is measured."""
    shutil.copytree(REPO / "annotator", folder / "annotator", ignore=shutil.ignore_patterns("__pycache__"))
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_job(
    contender: str,
    pack: Path,
    terms: Path,
    corpora: dict[str, Path],
    names: list[str],
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Measure one contender in a fresh process; its JSON figures."""
    command = [
        sys.executable,
        str(BENCH / "contenders.py"),
        "--contender",
        contender,
        "--pack",
        str(pack),
        "--terms",
        str(terms),
        *[f"--corpus={name}={corpora[name]}" for name in names],
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{contender} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)
    began = time.perf_counter()
    info = machine_info()
    console.print(
        f"[bold]annotator benchmarks[/] - {info['cpu_count']} CPUs, Python {info['python']}, "
        f"pack {args.pack.name}, sizes {args.sizes} M chars, terms {args.terms}, {args.runs} run(s)"
    )
    with tempfile.TemporaryDirectory(prefix="annotator-bench-") as scratch:
        work = Path(scratch)
        env = snapshot_code(work / "code")
        info["annotator_digest"] = pack_digest(work / "code" / "annotator")
        entities = corpus_gen.load_entities(corpus_gen.DEFAULT_PACK)
        sizes = {size_name(s): int(s * 1_000_000) for s in args.sizes}
        files = corpus_gen.write_corpora(work / "corpora", sizes, entities, args.seed)
        if not args.no_anercorp:
            anercorp = corpus_gen.write_anercorp(work / "corpora")
            if anercorp is None:
                console.print(f"ANERcorp not found at {corpus_gen.ANERCORP}: left out")
            else:
                files.append(anercorp)
        corpora = {file.name: file.path for file in files}
        chars = {file.name: file.chars for file in files}
        packs, term_files, terms_only = {}, {}, {}
        for n in args.terms:
            terms = corpus_gen.gazetteer_terms(n, entities, args.seed)
            term_files[n] = corpus_gen.write_terms(work / f"terms-{n}.txt", terms)
            packs[n] = corpus_gen.build_pack(work / f"pack-{n}", terms, args.pack)
            terms_only[n] = corpus_gen.build_terms_only_pack(work / f"terms-only-{n}", terms)
        term_files[0], packs[0] = term_files[args.terms[0]], packs[args.terms[0]]
        console.print(
            "corpora: " + ", ".join(f"{f.name} ({f.chars:,} chars, {f.examples:,} examples)" for f in files)
        )
        measurements = []
        jobs = plan(args, corpora)
        for run in range(args.runs):
            for contender, n, names in jobs:
                started = time.perf_counter()
                load = os.getloadavg()[0]
                pack = terms_only[n] if contender == "ours-terms" else packs[n]
                result = run_job(contender, pack, term_files[n], corpora, names, env)
                result.update(terms=n, run=run, load_average_before=load)
                measurements.append(result)
                console.print(
                    f"  run {run + 1}/{args.runs} {contender:9s} terms {n or '-':>6} "
                    f"{', '.join(names)}: {time.perf_counter() - started:6.1f}s (load avg {load:.1f})"
                )
        doccano = None
        if not args.skip_doccano:
            import doccano_bench

            doccano = doccano_bench.run_doccano_bench(
                entities,
                examples=args.doccano_examples,
                sample=args.doccano_sample,
                runs=args.runs,
                seed=args.seed,
                log=lambda message: console.print("  " + message),
            )
    summary = report.summarise(measurements, chars)
    ratio_list = report.ratios(summary, chars, list(sizes), args.terms, doccano)
    report.print_tables(console, summary, ratio_list, doccano)
    info["load_average_end"] = os.getloadavg()
    result = {
        "machine": info,
        "config": {
            "smoke": args.smoke,
            "sizes_million_chars": args.sizes,
            "terms": args.terms,
            "runs": args.runs,
            "seed": args.seed,
            "pack": str(args.pack.relative_to(REPO) if args.pack.is_relative_to(REPO) else args.pack),
            "pack_digest": pack_digest(args.pack),
            "batch_size": 256,
        },
        "corpora": {file.name: {"chars": file.chars, "examples": file.examples} for file in files},
        "contenders": sorted(summary),
        "summary": summary,
        "ratios": report.ratios_json(ratio_list),
        "doccano": doccano if doccano is not None else {"skipped": True},
        "measurements": measurements,
        "seconds": time.perf_counter() - began,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"written {args.out} in {result['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
