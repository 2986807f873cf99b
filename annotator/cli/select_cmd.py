"""``annotator select``: the pre-annotated examples annotators should correct next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.cli.push_cmd import URL_HELP
from annotator.cli.reading import print_read_warnings
from annotator.corpus import ReadReport
from annotator.evaluation.evaluate import parse_label_map
from annotator.evaluation.select import DEFAULT_RANDOM_SHARE, Selection, select_files

#: rules listed in the summary; the rest are counted
LISTED_RULES = 15


@app.command("select")
def select_command(
    pre: Annotated[Path, typer.Argument(help="Pre-annotation JSONL written by `annotator annotate`.")],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many examples the batch holds.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The batch: pre-annotation JSONL.")],
    gold: Annotated[
        list[Path] | None,
        typer.Option("--gold", "-g", help="Corrected gold so far (repeat; each with a --pushed)."),
    ] = None,
    pushed: Annotated[
        list[Path] | None,
        typer.Option("--pushed", help="What was pushed for the --gold of the same position."),
    ] = None,
    export: Annotated[
        list[Path] | None,
        typer.Option("--export", help="An `annotator export` folder: its gold.jsonl and pushed.jsonl."),
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option("--exclude", help="Never pick an example whose id is in this corpus file (repeat)."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Never pick an example already in this doccano project."),
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    random_share: Annotated[
        float,
        typer.Option("--random-share", min=0.0, max=1.0, help="Share of the batch drawn at random."),
    ] = DEFAULT_RANDOM_SHARE,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random share and of tie-breaks.")] = 0,
    label_map: Annotated[
        list[str] | None, typer.Option("--map", help="Rename gold labels before judging, e.g. PERS=PER.")
    ] = None,
) -> None:
    """Pick the N examples whose correction teaches most about the rules' precisions.

    Prefers examples with spans of rules whose precision interval (Wilson, 95%) is still wide,
    given the evidence of earlier corrections (--gold/--pushed pairs or --export folders), and
    spreads the picks over the rules; a share is drawn at random for unbiased estimates. Examples
    of the evidence, of --exclude files and of the --project in doccano are never picked. Each
    example's meta.selected_by says how it was chosen.
    """
    mapping = parse_label_map(label_map or [])
    reading = ReadReport()
    try:
        selection = select_files(
            pre,
            output,
            n,
            gold=gold or [],
            pushed=pushed or [],
            exports=export or [],
            exclude=exclude or [],
            project=project,
            url=url,
            label_map=mapping,
            random_share=random_share,
            seed=seed,
            report=reading,
        )
    finally:  # what reading met is told also when the doccano lookup or the writing fails after it
        print_read_warnings(reading)
    print_selection(selection, output, len(gold or []) + len(export or []))


def print_selection(selection: Selection, output: Path, evidence_sets: int) -> None:
    """The batch's make-up and the rules it is expected to teach most about."""
    console.print(
        f"{len(selection.examples):,} examples written to {escape(str(output))}: "
        f"{selection.by_uncertainty:,} by uncertainty, {selection.by_random:,} at random "
        f"(from {selection.pool:,} candidates; {selection.excluded:,} of {selection.read:,} excluded)",
        highlight=False,
    )
    if not evidence_sets:
        console.print("no evidence given: every rule starts unjudged (interval width 1)", highlight=False)
    for note in selection.warnings:
        console_err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    rules = [rule for rule in selection.rules if rule.in_pool]
    if not rules:
        return
    table = Table(title="rules, widest interval first", show_edge=False)
    table.add_column("rule", overflow="fold")  # a long rule id wraps, whole, rather than being cut
    for column in ("judged", "right", "width", "in batch", "then"):
        table.add_column(column, justify="right", no_wrap=True)
    for rule in rules[:LISTED_RULES]:
        table.add_row(
            escape(rule.rule),
            f"{rule.evidence.judged:,}",
            f"{rule.evidence.correct:,}",
            f"{rule.width_now:.2f}",
            f"{rule.in_batch:,}",
            f"{rule.width_after:.2f}",
        )
    console.print(table)
    if len(rules) > LISTED_RULES:
        console.print(f"... and {len(rules) - LISTED_RULES:,} more rules", highlight=False)
