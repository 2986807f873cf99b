"""``annotator annotate``: pre-annotate a corpus with a rule pack."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.atomic import check_output_file
from annotator.cli.app import app, console, console_err
from annotator.cli.reading import print_read_warnings, skipped_files_line
from annotator.corpus import PreAnnotationWriter, ReadReport, read_corpus
from annotator.documents import key_path
from annotator.engine import annotate_stream
from annotator.pack_cache import compile_pack


@app.command()
def annotate(
    inputs: Annotated[
        list[Path], typer.Argument(help="Corpus files or folders: .txt (a line per example), .jsonl, CoNLL.")
    ],
    rules: Annotated[Path, typer.Option("--rules", "-r", help="The rule pack folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the pre-annotation JSONL.")],
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Parallel worker processes.")] = 1,
    profile: Annotated[
        str | None, typer.Option("--profile", help="A profile of the pack (another annotation convention).")
    ] = None,
    doc_key: Annotated[
        str | None,
        typer.Option(
            "--doc-key",
            help="The meta key that groups consecutive examples into one document for propagate rules "
            "(default: the pack's documents.key, else meta.doc).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Compile the pack afresh: neither read nor write the pack cache."),
    ] = False,
) -> None:
    """Pre-annotate a corpus: every span on original offsets, naming the rule that made it.

    Writes one JSON line per example: {"id", "text", "spans": [{"start", "end", "label", "rule"}],
    "meta"}; a span of a propagate rule also names its "source" mention. The file appears only when
    the whole corpus is done. Files of a folder that are not corpus files, texts of only NUL bytes,
    and input files without examples are warned about.
    """
    if doc_key is not None:
        try:
            key_path(doc_key)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--doc-key") from None
    check_output_file(output)
    compiled = compile_pack(rules, profile, cache=not no_cache)
    if compiled.cache_note and not quiet:
        console_err.print(f"[yellow]warning:[/] pack cache not used: {escape(compiled.cache_note)}")
    pack = compiled.pack
    documents = pack.documents if doc_key is None else replace(pack.documents, key=doc_key)
    labels: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    examples = chars = 0
    began = time.perf_counter()
    # compiled and started before the progress bar's thread exists, so workers can share one compile
    reading = ReadReport()
    annotated = annotate_stream(
        compiled.annotator, read_corpus(inputs, reading), workers=workers, documents=documents
    )
    progress = Progress(
        SpinnerColumn(),
        TextColumn("annotating"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} examples"),
        TimeElapsedColumn(),
        console=console_err,
        transient=True,
        disable=quiet,
    )
    with progress, PreAnnotationWriter(output) as writer:
        task = progress.add_task("annotate", total=None)
        for example in annotated:
            writer.write(example)
            examples += 1
            chars += len(example.text)
            for span in example.spans:
                labels[span.label] += 1
                per_rule[span.rule] += 1
            progress.advance(task)
    elapsed = time.perf_counter() - began
    print_read_warnings(reading)
    if not examples:
        console_err.print(
            f"[yellow]warning:[/] the input holds no examples; {escape(str(output))} is empty",
            highlight=False,
            soft_wrap=True,
        )
    if quiet:
        return
    console.print(
        f"[bold]{examples:,}[/] examples, {chars:,} characters, [bold]{sum(labels.values()):,}[/] spans "
        f"-> {output}  ({elapsed:.1f}s, {pack.fingerprint})"
    )
    skipped = skipped_files_line(reading)
    if skipped:
        console.print(skipped, highlight=False, markup=False)
    if reading.skipped_texts:
        console.print(
            f"skipped {reading.skipped_texts:,} text{'s' if reading.skipped_texts > 1 else ''} "
            "of nothing but NUL bytes and white space",
            highlight=False,
        )
    table = Table(title="spans per label and rule", show_edge=False)
    table.add_column("label")
    table.add_column("spans", justify="right")
    table.add_column("rule")
    table.add_column("spans", justify="right")
    by_label: dict[str, list[str]] = {}
    for rule in pack.rules:
        by_label.setdefault(rule.label, []).append(rule.id)
    for label in pack.label_names:
        rule_ids = [rule_id for rule_id in by_label.get(label, []) if per_rule[rule_id]] or [""]
        for position, rule_id in enumerate(rule_ids):
            table.add_row(
                label if position == 0 else "",
                f"{labels[label]:,}" if position == 0 else "",
                rule_id,
                f"{per_rule[rule_id]:,}" if rule_id else "",
            )
    console.print(table)
