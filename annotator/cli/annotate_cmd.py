"""``annotator annotate``: pre-annotate a corpus with a rule pack."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.cli.reading import print_cache_note, print_read_warnings, skipped_files_line
from annotator.corpus.annotated import AnnotatedFiles, OnExample, annotate_files
from annotator.engine.documents import key_path
from annotator.errors import UsageError


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
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run on a Dask cluster: a scheduler address (tcp://host:8786), or local:N for N worker "
            "processes on this machine. Needs the dask extra.",
        ),
    ] = None,
) -> None:
    """Pre-annotate a corpus: every span on original offsets, naming the rule that made it.

    Writes one JSON line per example: {"id", "text", "spans": [{"start", "end", "label", "rule"}],
    "meta"}; a span of a propagate rule also names its "source" mention. The file appears only when
    the whole corpus is done. Files of a folder that are not corpus files, texts of only NUL bytes,
    and input files without examples are warned about. With --dask the same file is written (this
    process reads the corpus and writes the output; the cluster annotates).
    """
    if dask is not None and workers != 1:
        raise typer.BadParameter("use either --workers or --dask, not both", param_hint="--workers")
    if doc_key is not None:
        try:
            key_path(doc_key)
        except UsageError as error:
            raise typer.BadParameter(str(error), param_hint="--doc-key") from None
    done = annotate_files(
        inputs,
        rules,
        output,
        profile=profile,
        workers=workers,
        dask=dask,
        doc_key=doc_key,
        cache=not no_cache,
        progress=_progress_bar(quiet),
        on_cache_note=None if quiet else print_cache_note,
        on_connect=None if quiet else _say_connecting,
    )
    _summarise(done, quiet)


def _say_connecting(address: str) -> None:
    console_err.print(f"Dask cluster {address}: connecting, sending the compiled pack to every worker")


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[OnExample]:
    """A progress bar of the examples written. Its thread starts only when this is entered, which
    ``annotate_files`` does after starting the workers: they fork while no other thread exists."""
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
    with progress:
        task = progress.add_task("annotate", total=None)
        yield lambda _example: progress.advance(task)


def _summarise(done: AnnotatedFiles, quiet: bool) -> None:
    """The warnings of the read, then (unless quiet) the summary line and the table per label."""
    reading, output, summary, pack = done.reading, done.output, done.summary, done.pack
    where = f", on Dask {done.cluster}" if done.cluster is not None else ""
    print_read_warnings(reading)
    if not summary.examples:
        console_err.print(
            f"[yellow]warning:[/] the input holds no examples; {escape(str(output))} is empty",
            highlight=False,
            soft_wrap=True,
        )
    if quiet:
        return
    console.print(
        f"[bold]{summary.examples:,}[/] examples, {summary.chars:,} characters, "
        f"[bold]{summary.spans:,}[/] spans "
        f"-> {output}  ({done.seconds:.1f}s, {pack.fingerprint}{where})"
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
    for label, label_spans, rule_id, rule_spans in summary.rows(pack):
        table.add_row(
            label,
            "" if label_spans is None else f"{label_spans:,}",
            rule_id,
            "" if rule_spans is None else f"{rule_spans:,}",
        )
    console.print(table)
