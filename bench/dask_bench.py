"""Dask scaling: ``annotate`` on 1, 2 and 4 Dask workers against ``--workers 1`` and ``2``, in one run.

    .venv/bin/python bench/dask_bench.py [--chars 5] [--runs 3] [--pack rules/ar-news]
                                         [--out bench/results/dask.json] [--smoke]

Every contender runs in a fresh process on the same generated corpus (``corpus_gen``, one example
per line) and writes the same pre-annotation JSONL as the CLI (its digest is checked against the
``--workers 1`` output of the same run), in three phases:

- ``load``: ``load_pack`` (the same for every contender);
- ``start``: ``--workers N``: compiling the pack and starting the pool (forked workers share the one
  compile); ``local:N``: starting a LocalCluster of N one-thread worker processes and compiling
  the pack in this process;
- ``annotate``: reading, annotating and writing the whole corpus (for Dask, after sending the
  compiled pack to every worker, which unpickles it).

Throughput is the corpus's characters over ``annotate`` (steady state) and over the whole run (what
a user waits for); ``CPU s`` is what the whole run cost the machine (this process and every child
it waited for), which other work on a shared machine does not change. ``read + write only`` passes
the examples through unannotated: the speed of the one process that feeds a cluster.

Then the overhead per partition: the same 1,000 short examples through a
``local:1`` and a ``local:2`` cluster as 1,000 partitions of one example and as one partition of
1,000; the difference over the 999 extra partitions is what each partition costs (a task's trip
client -> scheduler -> worker -> client, its pickling, and the wait while too few are in flight).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus_gen

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CONTENDERS = ("workers:1", "workers:2", "local:1", "local:2", "local:4")
#: reading and writing alone (the examples pass through unannotated): the ceiling of the one process
#: that feeds a Dask cluster
READER = "reader:0"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=float, help="corpus size in millions of characters (default 5)")
    parser.add_argument("--runs", type=int, help="runs per contender; medians are reported (default 3)")
    parser.add_argument("--pack", type=Path, help="rule pack (default rules/ar-news; smoke: rules/starter)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "dask.json")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus, one run: the machinery only")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one contender, JSON out
    parser.add_argument("--overhead", action="store_true", help=argparse.SUPPRESS)  # internal
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.chars = args.chars or (0.1 if args.smoke else 5.0)
    args.runs = args.runs or (1 if args.smoke else 3)
    args.pack = (args.pack or REPO / "rules" / ("starter" if args.smoke else "ar-news")).resolve()
    return args


# -- one contender, in this process ----------------------------------------------------------------


def measure_one(contender: str, pack_path: Path, corpus: Path, output: Path) -> dict[str, Any]:
    """Load, start and annotate ``corpus`` as ``contender`` does: seconds per phase, output digest."""
    from annotator.corpus import PreAnnotationWriter, read_corpus
    from annotator.rules import load_pack

    kind, count = contender.split(":")
    began = time.perf_counter()
    cpu_began = _cpu_seconds()
    pack = load_pack(pack_path)
    loaded = time.perf_counter()
    examples = chars = 0
    if kind == "reader":
        started = time.perf_counter()
        with PreAnnotationWriter(output) as writer:
            for example in read_corpus([corpus]):
                writer.write(example)
                examples += 1
                chars += len(example.text)
    elif kind == "workers":
        from annotator.engine import annotate_stream

        stream = annotate_stream(pack, read_corpus([corpus]), workers=int(count))
        started = time.perf_counter()
        with PreAnnotationWriter(output) as writer:
            for example in stream:
                writer.write(example)
                examples += 1
                chars += len(example.text)
    else:
        from annotator.engine import Annotator
        from annotator.engine.cluster import annotate_on_cluster, connect, parse_address

        with connect(parse_address(contender)) as client:
            annotator = Annotator(pack)  # compiled once, here; the workers receive it compiled
            started = time.perf_counter()
            with PreAnnotationWriter(output) as writer:
                for example in annotate_on_cluster(client, annotator, read_corpus([corpus])):
                    writer.write(example)
                    examples += 1
                    chars += len(example.text)
    done = time.perf_counter()
    return {
        "contender": contender,
        "cpu_s": _cpu_seconds() - cpu_began,
        "load_s": loaded - began,
        "start_s": started - loaded,
        "annotate_s": done - started,
        "total_s": done - began,
        "examples": examples,
        "chars": chars,
        "output_sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of every child it has waited for (workers, a LocalCluster's
    worker processes once it closed): what the run cost, whatever else loads the machine."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_overhead(examples_count: int = 2000) -> dict[str, Any]:
    """Seconds per partition on local:1 and local:2: 1-example partitions against one big one."""
    from annotator.engine import Annotator
    from annotator.engine.cluster import annotate_on_cluster, connect, parse_address
    from annotator.model import Example
    from annotator.rules import load_pack

    pack = Annotator(load_pack(REPO / "rules" / "starter"))
    examples = [Example(f"e{n}", "زار الرئيس ليبيا في 3 يناير 2021") for n in range(examples_count)]
    figures: dict[str, Any] = {"examples": examples_count}
    for address in ("local:1", "local:2"):
        with connect(parse_address(address)) as client:
            timings = {}
            for size in (examples_count, 1, examples_count, 1):  # each twice, interleaved; the best counts
                began = time.perf_counter()
                assert sum(
                    1 for _ in annotate_on_cluster(client, pack, examples, partition_examples=size)
                ) == (examples_count)
                seconds = time.perf_counter() - began
                timings[size] = min(timings.get(size, seconds), seconds)
        extra = examples_count - 1
        figures[address] = {
            "one_partition_s": timings[examples_count],
            "one_example_partitions_s": timings[1],
            "per_partition_ms": (timings[1] - timings[examples_count]) / extra * 1000,
        }
    return figures


# -- the orchestration -----------------------------------------------------------------------------


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(measurements: list[dict[str, Any]], chars: int) -> dict[str, dict[str, float]]:
    """Median phases and throughput per contender; ratios against ``workers:1`` of the same run."""
    summary: dict[str, dict[str, float]] = {}
    for contender in (READER, *CONTENDERS):
        rows = [m for m in measurements if m["contender"] == contender]
        if not rows:
            continue
        median = {
            key: statistics.median(row[key] for row in rows)
            for key in ("load_s", "start_s", "annotate_s", "cpu_s")
        }
        median["total_s"] = statistics.median(row["total_s"] for row in rows)
        median["steady_mchars_per_s"] = chars / median["annotate_s"] / 1e6
        median["end_to_end_mchars_per_s"] = chars / median["total_s"] / 1e6
        # each run's own ratio against workers:1 of that run, then the median of those
        own = []
        for row in rows:
            base = next(m for m in measurements if m["contender"] == "workers:1" and m["run"] == row["run"])
            own.append(base["annotate_s"] / row["annotate_s"])
        median["steady_speedup_vs_workers1"] = statistics.median(own)
        summary[contender] = median
    base = summary["workers:1"]
    for figures in summary.values():
        figures["end_to_end_speedup_vs_workers1"] = base["total_s"] / figures["total_s"]
        figures["cpu_vs_workers1"] = figures["cpu_s"] / base["cpu_s"]
    return summary


def print_table(summary: dict[str, dict[str, float]], overhead: dict[str, Any] | None) -> None:
    print()
    print(
        "| contender | start s | annotate s | total s | steady M chars/s "
        "| x workers=1 (steady) | x workers=1 (end to end) | CPU s (x workers=1) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for contender, f in summary.items():
        if contender == READER:
            name = "read + write only"
        elif contender.startswith("workers"):
            name = f"`--workers {contender[8:]}`"
        else:
            name = f"`--dask {contender}`"
        print(
            f"| {name} | {f['start_s']:.1f} | {f['annotate_s']:.1f} | {f['total_s']:.1f} | "
            f"{f['steady_mchars_per_s']:.2f} | {f['steady_speedup_vs_workers1']:.2f}x | "
            f"{f['end_to_end_speedup_vs_workers1']:.2f}x | {f['cpu_s']:.1f} ({f['cpu_vs_workers1']:.2f}x) |"
        )
    if overhead:
        print()
        for address in ("local:1", "local:2"):
            o = overhead[address]
            print(
                f"overhead per partition on {address}: {o['per_partition_ms']:.2f} ms "
                f"({overhead['examples']:,} one-example partitions {o['one_example_partitions_s']:.2f} s, "
                f"one partition {o['one_partition_s']:.2f} s)"
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one, args.pack, args.corpus, args.output)))
        return 0
    if args.overhead:
        print(json.dumps(measure_overhead(200 if args.smoke else 1000)))
        return 0
    began = time.perf_counter()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    print(
        f"Dask scaling: {os.cpu_count()} CPUs, Python {platform.python_version()}, pack {args.pack.name}, "
        f"{args.chars:g} M chars, {args.runs} run(s)"
    )
    measurements: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="annotator-dask-bench-") as scratch:
        work = Path(scratch)
        entities = corpus_gen.load_entities(corpus_gen.DEFAULT_PACK)
        (corpus,) = corpus_gen.write_corpora(work, {"c": int(args.chars * 1_000_000)}, entities, args.seed)
        print(f"corpus: {corpus.chars:,} chars, {corpus.examples:,} examples")
        for run in range(args.runs):
            for contender in (READER, *CONTENDERS):
                load = os.getloadavg()[0]
                output = work / f"out-{contender.replace(':', '-')}.jsonl"
                child = ["--one", contender, "--pack", str(args.pack), "--corpus", str(corpus.path)]
                result = run_child([*child, "--output", str(output)], env)
                result.update(run=run, load_average_before=load)
                measurements.append(result)
                print(
                    f"  run {run + 1}/{args.runs} {contender:9s}: start {result['start_s']:5.1f}s "
                    f"annotate {result['annotate_s']:6.1f}s (load avg {load:.1f})"
                )
        digests = {m["output_sha256"] for m in measurements if m["contender"] != READER}
        if len(digests) != 1:
            raise RuntimeError("the contenders wrote different outputs: " + ", ".join(sorted(digests)))
        overhead = run_child(["--overhead", *(["--smoke"] if args.smoke else [])], env)
    summary = summarise(measurements, corpus.chars)
    print_table(summary, overhead)
    result = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_end": os.getloadavg(),
            "commit": subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip(),
        },
        "config": {
            "chars": corpus.chars,
            "examples": corpus.examples,
            "runs": args.runs,
            "pack": str(args.pack),
        },
        "summary": summary,
        "overhead": overhead,
        "identical_outputs": True,
        "measurements": measurements,
        "seconds": time.perf_counter() - began,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out} in {result['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
