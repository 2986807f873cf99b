"""``annotator evaluate``: how good are the rules, measured against gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from annotator.cli.app import app, console
from annotator.cli.reading import print_read_warnings
from annotator.corpus import ReadReport
from annotator.evaluation.effort import CLASSES, Effort
from annotator.evaluation.evaluate import Evaluation, parse_label_map, parse_labels, top_errors
from annotator.evaluation.files import evaluate_files


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[
        Path | None, typer.Option("--gold", "-g", help="Gold: doccano-style JSONL (label) or CoNLL.")
    ] = None,
    pred: Annotated[
        Path | None, typer.Option("--pred", "-p", help="Predictions: the output of `annotator annotate`.")
    ] = None,
    label_map: Annotated[
        list[str] | None, typer.Option("--map", help="Rename labels before scoring, e.g. --map PERS=PER.")
    ] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="Score only these labels (comma-separated, after --map).")
    ] = None,
    effort: Annotated[
        bool,
        typer.Option("--effort", help="Also report correction effort (PRED = the spans that were pushed)."),
    ] = False,
    top: Annotated[int, typer.Option("--top", min=0, help="How many frequent errors to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report (plots, errors in context)."),
    ] = None,
    batches: Annotated[
        list[Path] | None,
        typer.Option(
            "--batch",
            help="An export folder (gold.jsonl, pushed.jsonl); repeat for several. Effort per batch; "
            "without --gold/--pred the batches together are scored.",
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", "-r", help="The rule pack: label colours and fingerprint for the report."),
    ] = None,
) -> None:
    """Score predictions against gold: per label and micro P/R/F1 (strict and clitic-tolerant),
    per-rule true/false positives, and the most frequent false positives and misses."""
    mapping = parse_label_map(label_map or [])
    wanted = parse_labels(labels)
    reading = ReadReport()
    result = evaluate_files(
        gold,
        pred,
        batches=batches or [],
        label_map=mapping,
        labels=wanted,
        effort=effort,
        rules=rules,
        report=reading,
    )
    print_read_warnings(reading)
    if html is not None:
        result.write_html(html, top=top)
    if as_json:
        console.print_json(json.dumps(result.to_json(top), ensure_ascii=False))
        return
    print_evaluation(result.evaluation, top)
    if result.effort is not None:
        print_effort(result.effort)
    if effort:
        for batch in result.batches:
            print_effort(batch.effort, f"correction effort of {batch.name}")
    if html is not None:
        console.print(f"report -> {escape(str(html))}", soft_wrap=True)


def print_effort(measured: Effort, title: str = "correction effort (pushed -> gold)") -> None:
    """The correction effort, one measure per row (fits 80 columns whatever the numbers)."""
    table = Table(title=title, show_edge=False)
    table.add_column("spans")
    table.add_column("count", justify="right")
    names = {"rebounded_relabelled": "rebounded and relabelled"}
    table.add_row("pushed by the rules", str(measured.pushed_spans))
    for name in CLASSES:
        table.add_row(f"  {names.get(name, name)}", str(measured.counts[name]))
    table.add_row("added by annotators", str(measured.added))
    table.add_row("gold", str(measured.gold_spans))
    table.add_row("gold not typed by annotators", f"{measured.untyped_share:.1%}")
    console.print(table)


def print_evaluation(result: Evaluation, top: int) -> None:
    console.print(
        f"{result.examples} examples paired, {result.gold_spans} gold spans, "
        f"{result.predicted_spans} predicted"
        + (f" ({result.unpaired_gold} gold examples had no prediction)" if result.unpaired_gold else "")
    )
    # the mode heads its P column on a line of its own, so that the table fits 80 columns
    table = Table(title="per label", show_edge=False)
    table.add_column("\nlabel")
    for mode in result.modes:
        for column in ("P", "R", "F1"):
            table.add_column(f"{mode if column == 'P' else ''}\n{column}", justify="right")
    table.add_column("\ngold", justify="right")
    labels = sorted({label for mode in result.modes.values() for label in mode.per_label})
    for label in [*labels, "micro"]:
        row = [label]
        gold_count = 0
        for mode in result.modes.values():
            scores = mode.micro if label == "micro" else mode.per_label.get(label)
            if scores is None:
                row.extend(["-", "-", "-"])
                continue
            gold_count = scores.tp + scores.fn
            row.extend([f"{scores.precision:.3f}", f"{scores.recall:.3f}", f"{scores.f1:.3f}"])
        row.append(str(gold_count))
        table.add_row(*row, style="bold" if label == "micro" else None)
    console.print(table)
    tolerant = result.modes["tolerant"]
    rules = Table(title="per rule (tolerant)", show_edge=False)
    for column in ("rule", "true pos.", "false pos.", "precision"):
        rules.add_column(column, justify="right" if column != "rule" else "left")
    for rule, scores in sorted(tolerant.per_rule.items(), key=lambda item: -(item[1].tp + item[1].fp)):
        rules.add_row(rule, str(scores.tp), str(scores.fp), f"{scores.precision:.3f}")
    console.print(rules)
    for kind, title in (("false positive", "frequent false positives"), ("miss", "frequent misses")):
        errors = top_errors(tolerant.errors, kind, top)
        if not errors:
            continue
        listing = Table(title=f"{title} (tolerant)", show_edge=False)
        for column in ("label", "surface", "rule", "context"):
            listing.add_column(column)
        for error in errors:
            listing.add_row(error.label, escape(error.surface), error.rule, escape(error.context))
        console.print(listing)
