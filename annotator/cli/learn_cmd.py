"""``annotator learn``: turn corrected gold into a pack that extends the rules it corrects."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, console
from annotator.cli.reading import print_read_warnings
from annotator.corpus import ReadReport
from annotator.evaluation.evaluate import parse_label_map, parse_labels
from annotator.evaluation.learn import LearnSettings, learn_files


@app.command("learn")
def learn_command(
    gold: Annotated[Path, typer.Argument(help="Corrected gold: the gold.jsonl `export` writes, or CoNLL.")],
    rules: Annotated[Path, typer.Option("--rules", "-r", help="The rule pack folder to learn about.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="The learned pack folder to write.")],
    profile: Annotated[
        str | None, typer.Option("--profile", help="The profile of the pack to learn about (and extend).")
    ] = None,
    label_map: Annotated[
        list[str] | None, typer.Option("--map", help="Rename gold labels first, e.g. --map PERS=PER.")
    ] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="Learn only these labels (comma-separated, after --map).")
    ] = None,
    min_precision: Annotated[
        float, typer.Option(help="Disable a rule when its precision's 95% interval lies below this.")
    ] = 0.5,
    min_hits: Annotated[
        int, typer.Option(help="Judge only rules with at least this many spans on gold.")
    ] = 5,
    term_precision: Annotated[
        float, typer.Option(help="Learn a term tagged in at least this share of its matches in gold.")
    ] = 0.8,
    term_min_count: Annotated[int, typer.Option(help="Learn a term matched at least this many times.")] = 2,
    mode: Annotated[str, typer.Option(help="How a span equals gold: tolerant or strict.")] = "tolerant",
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Parallel worker processes.")] = 1,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Compile the pack afresh: neither read nor write the pack cache."),
    ] = False,
) -> None:
    """Annotate GOLD's texts with the pack, compare, and write a pack that extends it: rules that
    gold shows wrong disabled, names no rule found learned as gazetteers, candidate triggers listed
    for review, with the evidence (evidence.json, README.md).

    Exit code 2: a bad option; 3: the pack is invalid; 4: the gold cannot be read or OUT cannot be
    written (an existing OUT that learn did not write is never overwritten).
    """
    mapping = parse_label_map(label_map or [])
    wanted = parse_labels(labels)
    settings = LearnSettings(min_precision, min_hits, term_precision, term_min_count, mode)
    reading = ReadReport()
    command = _command_line(gold, rules, out, profile, label_map, labels, settings)
    result = learn_files(
        gold,
        rules,
        out,
        profile=profile,
        label_map=mapping,
        labels=wanted,
        settings=settings,
        workers=workers,
        cache=not no_cache,
        report=reading,
        command=command,
    )
    print_read_warnings(reading)
    learned: dict[str, int] = {}
    for term in result.learned:
        learned[term.label] = learned.get(term.label, 0) + 1
    terms = ", ".join(f"{count} {label}" for label, count in sorted(learned.items())) or "none"
    console.print(
        f"{result.examples:,} examples, {result.gold_spans:,} gold spans, {result.misses:,} missed by "
        f"{result.pack.fingerprint}",
        highlight=False,
    )
    console.print(
        f"rules: {len(result.disabled)} disabled, {len(result.too_few)} with too few hits to judge, "
        f"{len(result.decisions) - len(result.disabled) - len(result.too_few)} kept",
        highlight=False,
    )
    for decision in result.disabled:
        console.print(f"  disabled {decision.rule}: {decision.comment()}", highlight=False)
    console.print(
        f"learned terms: {terms}; {len(result.triggers)} candidate triggers to review", highlight=False
    )
    console.print(f"wrote {out}", highlight=False)


def _command_line(
    gold: Path,
    rules: Path,
    out: Path,
    profile: str | None,
    label_map: list[str] | None,
    labels: str | None,
    settings: LearnSettings,
) -> str:
    """The command as given (workers and caching left out: they change nothing in the output)."""
    parts = ["annotator", "learn", str(gold), "--rules", str(rules), "-o", str(out)]
    if profile:
        parts += ["--profile", profile]
    for item in label_map or []:
        parts += ["--map", item]
    if labels:
        parts += ["--labels", labels]
    parts += [
        "--min-precision", f"{settings.min_precision:g}",
        "--min-hits", str(settings.min_hits),
        "--term-precision", f"{settings.term_precision:g}",
        "--term-min-count", str(settings.term_min_count),
        "--mode", settings.mode,
    ]  # fmt: skip
    return shlex.join(parts)
