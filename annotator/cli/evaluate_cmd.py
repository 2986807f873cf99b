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
from annotator.corpus import ReadReport, read_corpus
from annotator.errors import UsageError
from annotator.evaluation.effort import CLASSES, Effort, measure_effort
from annotator.evaluation.evaluate import Evaluation, evaluate, parse_label_map, top_errors
from annotator.evaluation.report import Batch, read_batch, write_report
from annotator.pack_cache import compile_pack


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
    if (gold is None) != (pred is None) or (gold is None and not batches):
        raise UsageError(
            "give both --gold and --pred, or one --batch EXPORT_DIR or more",
            hint="annotator evaluate --gold exports/x/gold.jsonl --pred exports/x/pushed.jsonl",
        )
    wanted = {label.strip() for label in labels.split(",") if label.strip()} if labels else None
    pack = compile_pack(rules).pack if rules is not None else None  # through the cache: no recompile
    reading = ReadReport()
    read = [read_batch(folder, reading, name=str(folder)) for folder in batches or []]
    if gold is not None and pred is not None:
        gold_examples = list(read_corpus([gold], reading))
        predicted = list(read_corpus([pred], reading))
    else:
        gold_examples = [example for batch in read for example in batch.gold]
        predicted = [example for batch in read for example in batch.pushed]
    print_read_warnings(reading)
    result = evaluate(gold_examples, predicted, label_map=mapping, labels=wanted)
    measured = measure_effort(predicted, gold_examples) if effort and not read else None
    efforts = {batch.name: batch.effort for batch in read}
    if measured is not None:
        efforts[str(pred)] = measured
    if html is not None:
        write_report(
            html,
            result,
            title="annotator evaluate",
            sources=_sources(gold, pred, read, pack.fingerprint if pack else None),
            efforts=efforts or None,
            label_colours={label.name: label.colour for label in pack.labels} if pack else None,
            top=top,
        )
    if as_json:
        data = result.to_json(top)
        if measured is not None:
            data["effort"] = measured.to_json()
        if read:
            data["batches"] = {batch.name: batch.effort.to_json() for batch in read}
        console.print_json(json.dumps(data, ensure_ascii=False))
        return
    print_evaluation(result, top)
    if measured is not None:
        print_effort(measured)
    if effort:
        for batch in read:
            print_effort(batch.effort, f"correction effort of {batch.name}")
    if html is not None:
        console.print(f"report -> {escape(str(html))}", soft_wrap=True)


def _sources(
    gold: Path | None, pred: Path | None, batches: list[Batch], fingerprint: str | None
) -> dict[str, str]:
    """What the report compared: files as given on the command line, and the rule pack."""
    sources = {}
    if gold is not None and pred is not None:
        sources = {"gold": str(gold), "predictions": str(pred)}
    for index, batch in enumerate(batches, 1):
        sources[f"batch {index}"] = f"{batch.name} ({len(batch.gold):,} gold examples)"
    packs = [fingerprint] if fingerprint else sorted({pack for batch in batches for pack in batch.packs})
    if packs:
        sources["rule pack"] = ", ".join(packs)
    return sources


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
