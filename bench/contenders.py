"""One contender, measured in THIS process: build time, time per corpus, peak memory; JSON on stdout.

``run.py`` starts this script once per (contender, gazetteer size, run), so that peak memory
figures never mix. Every contender reads the same corpus files (one example per line) as a stream
and matches the same N terms:

- ``ours``, ``ours-w2``: ``annotate_stream(pack, examples, workers=1|2)``, consuming every result
  (normalisation, every rule of the pack plus the N-term gazetteer rule, overlap resolution);
- ``ours-cli``: ``annotator annotate CORPUS --rules PACK -o out.jsonl -q`` as a child process
  (start-up, pack loading and compiling, reading, annotating and writing JSONL);
- ``ours-terms``: ``ours`` on a pack holding the N-term gazetteer rule alone (what the engine
  costs without the pack's regex, trigger and token rules);
- ``spanruler``: spaCy's ``SpanRuler`` with the N terms as phrase patterns, ``nlp.pipe``;
- ``tokenizer``: spaCy's blank Arabic tokenizer alone, ``nlp.tokenizer.pipe``;
- ``aho``: a raw pyahocorasick scan of the N terms with a Python word-boundary check.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CONTENDERS = ("ours", "ours-w2", "ours-cli", "ours-terms", "spanruler", "tokenizer", "aho")
BATCH_SIZE = 256


def read_lines(path: Path) -> Iterator[str]:
    """The examples of a corpus file, one per line, streamed."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")


def read_terms(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MB (Linux reports kB)."""
    return resource.getrusage(who).ru_maxrss / 1024


#: run by ``TreeMemory`` in its own process: sums the RSS of the watched process's descendants every
#: 0.2 s until its stdin closes, then prints the peak in MB
_SAMPLER = """
import select, sys, psutil
watched, me, peak = psutil.Process(int(sys.argv[1])), psutil.Process().pid, 0
while not select.select([sys.stdin], [], [], 0.2)[0]:
    total = 0
    for child in watched.children(recursive=True):
        if child.pid != me:
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
    peak = max(peak, total)
print(peak / 2**20)
"""


class TreeMemory:
    """The peak summed RSS of this process's descendants, sampled every 0.2 s by another process.

    ``ru_maxrss`` of RUSAGE_CHILDREN only covers children that were waited for, and a pool's workers
    are not. The sampler is a process rather than a thread because the engine forks its workers
    only while no other thread is alive (forked workers share the compiled pack, so their summed
    RSS counts those shared pages once per worker).
    """

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._sampler: subprocess.Popen[str] | None = None

    def __enter__(self) -> TreeMemory:
        self._sampler = subprocess.Popen(
            [sys.executable, "-c", _SAMPLER, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *_: object) -> None:
        assert self._sampler is not None
        # children already waited for (the CLI), read before the sampler itself is waited for
        waited_mb = rss_mb(resource.RUSAGE_CHILDREN)
        output, _ = self._sampler.communicate("")
        self.peak_mb = max(waited_mb, float(output.strip() or 0.0))


def _timed(function: Callable[[], int]) -> tuple[float, int]:
    began = time.perf_counter()
    hits = function()
    return time.perf_counter() - began, hits


# -- the contenders: each returns (build seconds, {corpus: (seconds, hits)}, extras) ----------------


def run_ours(pack_dir: Path, corpora: dict[str, Path], workers: int) -> tuple[float, dict, dict]:
    from annotator.engine import Annotator, annotate_stream
    from annotator.model import Example
    from annotator.rules import load_pack

    began = time.perf_counter()
    pack = load_pack(pack_dir)
    load_seconds = time.perf_counter() - began
    began = time.perf_counter()
    Annotator(pack)  # the cold compile; annotate_stream's own compile then finds regex's cache warm
    build_seconds = time.perf_counter() - began
    began = time.perf_counter()
    Annotator(pack)  # what annotate_stream's own compile costs (workers=1), included in its times
    warm_seconds = time.perf_counter() - began

    def annotate(path: Path) -> int:
        examples = (Example(str(index), text) for index, text in enumerate(read_lines(path)))
        return sum(len(example.spans) for example in annotate_stream(pack, examples, workers=workers))

    results = {name: _timed(lambda path=path: annotate(path)) for name, path in corpora.items()}
    return (
        build_seconds,
        results,
        {"load_s": load_seconds, "warm_build_s": warm_seconds, "rules": len(pack.rules)},
    )


def run_cli(pack_dir: Path, corpora: dict[str, Path]) -> tuple[float, dict, dict]:
    executable = Path(sys.executable).with_name("annotator")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "annotator"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="annotator-bench-cli-") as folder:
        output = Path(folder) / "out.jsonl"
        for name, path in corpora.items():
            began = time.perf_counter()
            subprocess.run(
                [*command, "annotate", str(path), "--rules", str(pack_dir), "-o", str(output), "-q"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - began
            with output.open(encoding="utf-8") as handle:
                hits = sum(len(json.loads(line)["spans"]) for line in handle)
            results[name] = (seconds, hits)
    return 0.0, results, {}


def run_spanruler(terms: list[str], corpora: dict[str, Path]) -> tuple[float, dict, dict]:
    import spacy

    began = time.perf_counter()
    nlp = spacy.blank("ar")
    ruler = nlp.add_pipe(
        "span_ruler",
        config={
            "phrase_matcher_attr": "TEXT",
            "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
            "validate": False,
        },
    )
    ruler.add_patterns([{"label": "TERM", "pattern": term} for term in terms])
    build_seconds = time.perf_counter() - began

    def annotate(path: Path) -> int:
        return sum(len(doc.spans["ruler"]) for doc in nlp.pipe(read_lines(path), batch_size=BATCH_SIZE))

    results = {name: _timed(lambda path=path: annotate(path)) for name, path in corpora.items()}
    return build_seconds, results, {"spacy": spacy.__version__}


def run_tokenizer(corpora: dict[str, Path]) -> tuple[float, dict, dict]:
    import spacy

    began = time.perf_counter()
    nlp = spacy.blank("ar")
    build_seconds = time.perf_counter() - began

    def tokenize(path: Path) -> int:
        return sum(len(doc) for doc in nlp.tokenizer.pipe(read_lines(path), batch_size=BATCH_SIZE))

    results = {name: _timed(lambda path=path: tokenize(path)) for name, path in corpora.items()}
    return build_seconds, results, {}


def run_aho(terms: list[str], corpora: dict[str, Path]) -> tuple[float, dict, dict]:
    import ahocorasick

    began = time.perf_counter()
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term, len(term))
    automaton.make_automaton()
    build_seconds = time.perf_counter() - began

    def scan(path: Path) -> int:
        hits = 0
        for text in read_lines(path):
            length = len(text)
            for last, size in automaton.iter(text):
                start, end = last + 1 - size, last + 1
                if (start == 0 or not text[start - 1].isalnum()) and (
                    end == length or not text[end].isalnum()
                ):
                    hits += 1
        return hits

    results = {name: _timed(lambda path=path: scan(path)) for name, path in corpora.items()}
    return build_seconds, results, {}


def measure(contender: str, pack_dir: Path, terms_path: Path, corpora: dict[str, Path]) -> dict[str, Any]:
    """Run one contender over every corpus; its figures and this process's peak memory."""
    rss_start = rss_mb()
    with TreeMemory() as tree:
        if contender in ("ours", "ours-w2", "ours-terms"):
            build, results, extra = run_ours(pack_dir, corpora, 2 if contender == "ours-w2" else 1)
        elif contender == "ours-cli":
            build, results, extra = run_cli(pack_dir, corpora)
        elif contender == "spanruler":
            build, results, extra = run_spanruler(read_terms(terms_path), corpora)
        elif contender == "tokenizer":
            build, results, extra = run_tokenizer(corpora)
        elif contender == "aho":
            build, results, extra = run_aho(read_terms(terms_path), corpora)
        else:
            raise ValueError(f"unknown contender {contender!r}; expected one of {', '.join(CONTENDERS)}")
    return {
        "contender": contender,
        "build_s": build,
        "corpora": {name: {"seconds": seconds, "hits": hits} for name, (seconds, hits) in results.items()},
        "peak_rss_mb": rss_mb(),
        # the CLI child (waited for) or the pool's workers together (sampled)
        "children_peak_rss_mb": tree.peak_mb,
        "rss_at_start_mb": rss_start,
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contender", required=True, choices=CONTENDERS)
    parser.add_argument("--pack", type=Path, required=True, help="rule pack folder (ours)")
    parser.add_argument("--terms", type=Path, required=True, help="the N terms, one per line")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=PATH", help="repeatable")
    args = parser.parse_args(argv)
    corpora = {}
    for item in args.corpus:
        name, _, path = item.partition("=")
        corpora[name] = Path(path)
    result = measure(args.contender, args.pack, args.terms, corpora)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
