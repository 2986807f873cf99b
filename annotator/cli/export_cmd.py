"""``annotator export``: the corrected, confirmed examples as a gold corpus."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.app import app, console
from annotator.cli.push_cmd import URL_HELP
from annotator.corpus import PreAnnotationWriter
from annotator.doccano.connection import Doccano, resolve_credentials
from annotator.doccano.pull import pull
from annotator.export.formats import FORMATS
from annotator.export.gold import export_gold
from annotator.model import Example

PUSHED_FILE = "pushed.jsonl"


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
    dev_ratio: Annotated[
        float, typer.Option("--dev-ratio", min=0.0, max=1.0, help="Share of examples in dev.")
    ] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/dev split.")] = 13,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
) -> None:
    """Export a project's confirmed examples as a gold corpus, verified, with a manifest.

    Writes gold.jsonl (doccano JSONL with ids and meta), train.spacy/dev.spacy (spaCy DocBin),
    gold.conll (BIO), hf.jsonl + labels.json (Hugging Face), pushed.jsonl (what the rules had
    pre-annotated, for `annotator evaluate --effort`) and manifest.json.
    """
    wanted = tuple(name.strip() for name in formats.split(",") if name.strip())
    doccano = Doccano(resolve_credentials(url))
    pulled = pull(doccano, project, only_confirmed=not all_examples)
    packs = Counter(item.pack for item in pulled if item.pack)
    source = {
        "project": project,
        "url": doccano.url,
        "only_confirmed": not all_examples,
        "rule_packs": dict(packs),
    }
    report = export_gold(
        [item.example for item in pulled],
        output,
        formats=wanted,
        dev_ratio=dev_ratio,
        seed=seed,
        source=source,
    )
    with PreAnnotationWriter(output / PUSHED_FILE) as writer:
        for item in sorted(pulled, key=lambda i: i.example.id):
            writer.write(Example(item.example.id, item.example.text, item.pre, item.example.meta))
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
        + f"; split {report.split}; verified, manifest {report.manifest}"
    )
    for adjustment in report.adjustments:
        console.print(
            f"[yellow]adjusted[/] {adjustment.example} {adjustment.before.key}: {adjustment.reason}"
        )
    for item in report.unrepresentable:
        console.print(
            f"[yellow]not in {', '.join(item.formats)}[/] {item.example} {item.span.key}: {item.reason}"
        )
