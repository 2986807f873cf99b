"""Where the time of ``annotate`` goes, and the floor the libraries set under the current design.

    .venv/bin/python bench/hotspots.py [--chars 1000000] [--terms 100000] [--runs 5] [--pack rules/ar-news]
                                      [--seed 1] [--top 12] [--json out.json]

On the benchmark's seeded synthetic news (``corpus_gen``, the same seed as ``run.py``) and the
pack plus an N-term gazetteer rule, built as ``run.py`` builds it, in one process:

1. ``Annotator.annotate`` over every paragraph, best of ``--runs``, untouched;
2. the same pass with a timer around each phase: normalisation, the one Aho-Corasick term pass,
   each regex rule, each trigger rule, the token patterns, mapping offsets back to the original
   text, and overlap resolution. The timers cost about 1 % (the two totals are printed);
3. the library floor: every call into the regex engine that pass made, and the automaton's
   iteration over every text, recorded once and replayed on their own with the same arguments.
   No change to our Python can make ``annotate`` faster than that floor; only fewer or cheaper
   library calls can;
4. spaCy's ``SpanRuler`` with the same N terms and its ``blank("ar")`` tokenizer on the same
   paragraphs (one pass, after a pass over as much other generated text: spaCy caches tokens by
   string, so a repeat over the same text would flatter it), and the time each target of the
   benchmark issue leaves for the whole pass. ``run.py``'s ratios, on 20 M chars in fresh
   processes, are the ones the issue's targets are judged on.

The figures are seconds on this machine and move with its load; the shares and the floor's ratio
to the whole are what to read. Nothing here is timed by the test suite beyond a smoke run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import corpus_gen
from contenders import run_spanruler, run_tokenizer

from annotator.arabic import NormalizedText
from annotator.engine import Annotator
from annotator.engine import annotator as engine_annotator
from annotator.matchers.prefixes import fold_spaces
from annotator.rules import load_pack

#: one recorded call into the regex engine: (rule id, compiled pattern, method, args, kwargs)
RegexCall = tuple[str, Any, str, tuple, dict]


class Clock:
    """Seconds and calls per phase, summed over a pass."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with its time and calls added to ``phase``."""
        seconds, calls, clock = self.seconds, self.calls, time.perf_counter

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[phase] += clock() - began
                calls[phase] += 1

        return wrapper


class RecordingPattern:
    """A compiled regex that records every call made to it (method, arguments), for the replay."""

    def __init__(self, pattern: Any, rule: str, calls: list[RegexCall]) -> None:
        self._pattern = pattern
        self._rule = rule
        self._calls = calls

    def _record(self, method: str, args: tuple, kwargs: dict) -> Any:
        self._calls.append((self._rule, self._pattern, method, args, kwargs))
        result = getattr(self._pattern, method)(*args, **kwargs)
        return list(result) if method == "finditer" else result

    def match(self, *args: Any, **kwargs: Any) -> Any:
        return self._record("match", args, kwargs)

    def finditer(self, *args: Any, **kwargs: Any) -> Any:
        return self._record("finditer", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


def best_of(runs: int, function: Callable[[], object]) -> float:
    """The fastest of ``runs`` timed calls of ``function``."""
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def instrument(annotator: Annotator, clock: Clock) -> None:
    """Put ``clock``'s timers around each phase of ``annotator`` (this instance only, except the
    offset mapping and resolution, which are module-level and patched for the process)."""
    ids = [rule.id for rule in annotator.pack.rules]
    annotator.normalizer.normalize = clock.timed("normalise", annotator.normalizer.normalize)
    annotator._terms.scan_all = clock.timed("term pass (one Aho-Corasick scan)", annotator._terms.scan_all)
    for compiled in annotator._regexes:
        compiled.find = clock.timed(f"regex rule {ids[compiled.rule_index]}", compiled.find)
    for index, trigger in annotator._triggers.items():
        phase = f"trigger rule {ids[index]}"
        trigger.triggers = clock.timed(phase, trigger.triggers)
        trigger.targets = clock.timed(phase, trigger.targets)
    if annotator._tokens is not None:
        annotator._tokens.find = clock.timed("token patterns (spaCy Matcher)", annotator._tokens.find)
    NormalizedText.to_original_all = clock.timed(  # type: ignore[method-assign]
        "offsets back to the original", NormalizedText.to_original_all
    )
    engine_annotator.resolve_rows = clock.timed("overlap resolution", engine_annotator.resolve_rows)


def record_regex_calls(annotator: Annotator) -> list[RegexCall]:
    """Make every compiled regex of ``annotator`` record its calls; the list they record into."""
    ids = [rule.id for rule in annotator.pack.rules]
    calls: list[RegexCall] = []
    compiled_regexes = [*annotator._regexes]
    for trigger in annotator._triggers.values():
        trigger.target = RecordingPattern(trigger.target, ids[trigger.rule_index], calls)
        if trigger.trigger_regex is not None:
            compiled_regexes.append(trigger.trigger_regex)
    for compiled in compiled_regexes:
        rule = ids[compiled.rule_index]
        # an anchored rule only ever runs anchored: its whole-text scanner is never compiled
        if compiled.at_starts is not None:
            compiled.at_starts = RecordingPattern(compiled.at_starts, rule, calls)
        else:
            compiled._scanner = RecordingPattern(compiled.scanner, rule, calls)
    return calls


def replay(calls: Iterable[RegexCall]) -> None:
    for _, pattern, method, args, kwargs in calls:
        if method == "finditer":
            for _ in pattern.finditer(*args, **kwargs):
                pass
        else:
            pattern.match(*args, **kwargs)


def scan_only(automaton: Any, texts: list[str]) -> None:
    for text in texts:
        for _ in automaton.iter(text):
            pass


def profile(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure of the report, as a dict."""
    entities = corpus_gen.load_entities(corpus_gen.DEFAULT_PACK)
    with tempfile.TemporaryDirectory(prefix="annotator-hotspots-") as scratch:
        work = Path(scratch)
        (corpus,) = corpus_gen.write_corpora(work / "corpora", {"hotspots": args.chars}, entities, args.seed)
        terms = corpus_gen.gazetteer_terms(args.terms, entities, args.seed)
        pack_dir = corpus_gen.build_pack(work / "pack", terms, args.pack)
        pack = load_pack(pack_dir)
        texts = corpus.path.read_text(encoding="utf-8").splitlines()
        # spaCy caches tokens by their string, so a second pass over the same text is up to 3x
        # faster than the first: each baseline first reads as much other text (as a long corpus
        # would have warmed it), then the profiled text once
        other_seed = args.seed + 1
        (warm_up,) = corpus_gen.write_corpora(work / "warm-up", {"warm-up": args.chars}, entities, other_seed)
        passes = {"warm-up": warm_up.path, "measured": corpus.path}
        spanruler = run_spanruler(terms, passes)[1]["measured"][0]
        tokenizer = run_tokenizer(passes)[1]["measured"][0]
    chars = sum(map(len, texts))

    plain = Annotator(pack)
    spans = sum(len(plain.annotate(text)) for text in texts)  # warm-up, and the span count
    whole = best_of(args.runs, lambda: [plain.annotate(text) for text in texts])

    # the phases: one timed pass per run, the fastest pass's figures
    phases: dict[str, float] = {}
    phase_calls: dict[str, int] = {}
    timed_whole = float("inf")
    timed = Annotator(pack)
    clock = Clock()
    instrument(timed, clock)
    for _ in range(args.runs):
        clock.seconds.clear()
        clock.calls.clear()
        began = time.perf_counter()
        for text in texts:
            timed.annotate(text)
        seconds = time.perf_counter() - began
        if seconds < timed_whole:
            timed_whole, phases, phase_calls = seconds, dict(clock.seconds), dict(clock.calls)

    # the floor: the same library calls, alone (last: the recorded calls would slow the garbage
    # collector down for every pass measured after them)
    recorder = Annotator(pack)
    calls = record_regex_calls(recorder)
    for text in texts:
        recorder.annotate(text)
    regex_floor = best_of(args.runs, lambda: replay(calls))
    folded = [fold_spaces(plain.normalizer.normalize(text).text) for text in texts]
    automaton = plain._terms._automaton
    scan_floor = best_of(args.runs, lambda: scan_only(automaton, folded))
    regex_calls_by_rule = Counter(rule for rule, *_ in calls)
    return {
        "chars": chars,
        "paragraphs": len(texts),
        "spans": spans,
        "terms": args.terms,
        "pack": str(args.pack),
        "whole_s": whole,
        "timed_whole_s": timed_whole,
        "phases": phases,
        "phase_calls": phase_calls,
        "regex_calls": len(calls),
        "regex_calls_by_rule": dict(regex_calls_by_rule),
        "regex_floor_s": regex_floor,
        "scan_floor_s": scan_floor,
        "spanruler_s": spanruler,
        "tokenizer_s": tokenizer,
    }


def report(figures: dict[str, Any], top: int) -> str:
    """The figures as a plain-text table."""
    chars, whole, timed_whole = figures["chars"], figures["whole_s"], figures["timed_whole_s"]

    def rate(seconds: float) -> str:
        return f"{chars / seconds / 1e6:6.2f} M chars/s"

    lines = [
        f"{chars:,} chars in {figures['paragraphs']:,} paragraphs, {figures['pack']} + "
        f"{figures['terms']:,} terms: {figures['spans']:,} spans",
        f"annotate, untouched: {whole:.3f} s ({rate(whole)}); with phase timers: {timed_whole:.3f} s",
        "",
        f"{'phase (timed pass)':58} {'seconds':>8} {'share':>6} {'calls':>8}",
    ]
    phases = figures["phases"]
    grouped: Counter[str] = Counter()
    for phase, seconds in phases.items():
        grouped[phase.split(" rule ")[0] + " rules" if " rule " in phase else phase] += seconds
    rest = timed_whole - sum(phases.values())
    for phase, seconds in [
        *sorted(grouped.items(), key=lambda item: -item[1]),
        ("the rest (engine glue)", rest),
    ]:
        calls = figures["phase_calls"].get(phase, "")
        lines.append(f"{phase:58} {seconds:8.3f} {seconds / timed_whole:6.1%} {calls!s:>8}")
    lines += ["", f"slowest rules (of the regex and trigger phases above; top {top})"]
    rules = sorted(((p, s) for p, s in phases.items() if " rule " in p), key=lambda item: -item[1])
    for phase, seconds in rules[:top]:
        rule = phase.split(" rule ", 1)[1]
        regex_calls = figures["regex_calls_by_rule"].get(rule, 0)
        lines.append(f"  {rule:56} {seconds:8.3f} {seconds / timed_whole:6.1%} {regex_calls:8,} regex calls")
    floor = figures["regex_floor_s"] + figures["scan_floor_s"]
    spanruler, tokenizer = figures["spanruler_s"], figures["tokenizer_s"]
    lines += [
        "",
        "library floor (the same library calls replayed alone)",
        f"  {figures['regex_calls']:>7,} calls into the regex engine  {figures['regex_floor_s']:8.3f} s",
        f"  Aho-Corasick iteration over every text {figures['scan_floor_s']:8.3f} s",
        f"  together: {floor:.3f} s = {floor / whole:.0%} of annotate; with every line of our Python "
        f"free, at most {rate(floor)}",
        "",
        "baselines on the same paragraphs, and the time each target leaves for the whole pass",
        f"  spaCy SpanRuler, same terms  {spanruler:7.3f} s ({rate(spanruler)}): >= 10x leaves "
        f"{spanruler / 10:.3f} s",
        f"  spaCy blank('ar') tokenizer  {tokenizer:7.3f} s ({rate(tokenizer)}): >= 2x leaves "
        f"{tokenizer / 2:.3f} s",
        f"  annotate now: {spanruler / whole:.2f}x SpanRuler, {tokenizer / whole:.2f}x the tokenizer; "
        f"at the floor: {spanruler / floor:.2f}x and {tokenizer / floor:.2f}x",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000, help="corpus size in characters")
    parser.add_argument("--terms", type=int, default=100_000, help="gazetteer size")
    parser.add_argument("--runs", type=int, default=5, help="timed passes; the fastest counts")
    parser.add_argument("--pack", type=Path, default=corpus_gen.DEFAULT_PACK)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=12, help="rules listed by time")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.pack = args.pack.resolve()
    figures = profile(args)
    print(report(figures, args.top))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
