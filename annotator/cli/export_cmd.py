"""``annotator export``: the corrected, confirmed examples as a gold corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.app import app, console
from annotator.cli.push_cmd import URL_HELP
from annotator.errors import UsageError
from annotator.export.formats import FORMATS
from annotator.export.project import export_project
from annotator.export.split import check_share


def _dev_share(value: float) -> float:
    try:
        check_share(value)
    except UsageError as error:
        raise typer.BadParameter(str(error)) from None
    return value


@app.command("export")
def export_command(
    project: Annotated[str, typer.Option("--project", "-p", help="doccano project name.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the gold corpus, e.g. exports/libya/.")
    ],
    formats: Annotated[
        str, typer.Option("--format", "-f", help=f"Comma-separated formats: {', '.join(FORMATS)}.")
    ] = ",".join(FORMATS),
    all_examples: Annotated[
        bool, typer.Option("--all", help="Export every example, not only the confirmed ones.")
    ] = False,
    dev_share: Annotated[
        float,
        typer.Option(
            "--dev-share",
            callback=_dev_share,
            help="Share of examples in dev, at least 0 and below 1. With few examples, train always "
            "keeps at least one and dev gets one when there are two or more.",
        ),
    ] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/dev split.")] = 13,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
) -> None:
    """Export a project's confirmed examples as a gold corpus, verified, with a manifest.

    Writes gold.jsonl (doccano JSONL with ids and meta), train.spacy/dev.spacy (spaCy DocBin),
    gold.conll (BIO), hf.jsonl + labels.json (Hugging Face; every label of the project),
    pushed.jsonl (what the rules had pre-annotated, for `annotator evaluate --effort`) and
    manifest.json. Files appear only once all of them are written and read back.
    """
    report = export_project(
        url,
        project,
        output,
        only_confirmed=not all_examples,
        formats=formats.split(","),
        dev_share=dev_share,
        seed=seed,
    )
    table = Table(title=f'gold corpus of "{project}" -> {output}', show_edge=False)
    table.add_column("format")
    table.add_column("examples", justify="right")
    table.add_column("spans", justify="right")
    for name, counts in report.per_format.items():
        table.add_row(name, str(counts["examples"]), str(counts["spans"]))
    console.print(table)
    console.print(
        f"{report.examples} examples ({'all' if all_examples else 'confirmed only'}), "
        f"{report.spans} spans: "
        + ", ".join(f"{label} {count}" for label, count in sorted(report.labels.items()))
        + f"; verified, manifest {report.manifest}"
    )
    console.print(
        f"split: {report.split.get('train', 0)} train, {report.split.get('dev', 0)} dev ({report.split_how})",
        markup=False,
    )
    unused = [label for label in report.label_set if label not in report.labels]
    if unused:
        console.print(
            f"labels of the project with no span yet (still in labels.json): {', '.join(unused)}",
            markup=False,
        )
    for adjustment in report.adjustments:
        console.print(
            f"[yellow]adjusted[/] {adjustment.example} {adjustment.before.key}: {adjustment.reason}"
        )
    for item in report.unrepresentable:
        console.print(
            f"[yellow]not in {', '.join(item.formats)}[/] {item.example} {item.span.key}: {item.reason}"
        )
