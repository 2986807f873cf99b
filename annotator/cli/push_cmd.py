"""``annotator push``: put pre-annotations into doccano for human correction."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.cli.reading import print_read_warnings
from annotator.doccano.push import DEFAULT_CHUNK, PushReport, push_file
from annotator.doccano.push import Progress as PushProgress

URL_HELP = "doccano URL (default: DOCCANO_URL, else the local server started by `annotator doccano up`)."


@app.command("push")
def push_command(
    pre: Annotated[Path, typer.Argument(help="Pre-annotation JSONL written by `annotator annotate`.")],
    project: Annotated[
        str, typer.Option("--project", "-p", help="doccano project name (created if missing).")
    ],
    rules: Annotated[
        Path | None,
        typer.Option("--rules", "-r", help="The rule pack: label colours, overlap policy, version."),
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Replace the pre-annotations of examples no human has touched (confirmed, commented or "
            "edited examples are left exactly as they are).",
        ),
    ] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Examples per import file.")
    ] = DEFAULT_CHUNK,
) -> None:
    """Push pre-annotated examples into a doccano project, in bulk and idempotently.

    Re-running a push (or one that was killed half way) leaves exactly one copy of each example.
    Credentials: DOCCANO_USERNAME / DOCCANO_PASSWORD, else the local server's credentials file.
    Exit code 7 if doccano dropped an example or a span (they are listed). A file without examples
    is refused before doccano is contacted (no empty project is created).
    """
    report = push_file(
        pre,
        project,
        rules=rules,
        url=url,
        update=update,
        chunk_size=chunk_size,
        progress=_progress_bar(),
        on_read=print_read_warnings,
    )
    print_report(report)


@contextlib.contextmanager
def _progress_bar() -> Iterator[PushProgress]:
    """A bar per stage of the push (uploading, verifying ...); shown only once it is entered."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_err,
        transient=True,
    )
    tasks: dict[str, int] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    with progress:
        yield on_progress


def print_report(report: PushReport) -> None:
    console.print(f'doccano project "{report.project}" (id {report.project_id}) at {report.url}')
    table = Table(show_edge=False)
    table.add_column("examples")
    table.add_column("count", justify="right")
    rows = [
        ("in the file", report.in_file),
        ("uploaded (new)", report.uploaded),
        ("already in doccano, skipped", report.already_present),
        ("replaced with new pre-annotations", report.replaced),
        ("unchanged", report.unchanged),
        ("left alone: confirmed", report.kept_confirmed),
        ("left alone: edited or commented", report.kept_edited),
        ("duplicates removed", report.duplicates_removed),
        ("spans pushed", report.spans_pushed),
    ]
    for name, count in rows:
        if count or name in ("in the file", "uploaded (new)"):
            table.add_row(name, f"{count:,}")
    console.print(table)
    created = "created, " if report.created_project else ""
    if report.chunks:
        chunks = f"{report.chunks} import chunk{'s' if report.chunks > 1 else ''}"
        outcome = f"{chunks}, verified: every example and span arrived"
    else:
        outcome = "nothing to upload, verified: every example of the file is in doccano"
    console.print(
        f"{created}{outcome} (checked by {report.verified_by}; {report.seconds:.1f}s). "
        f"Open {report.url}/projects/{report.project_id}"
    )
    if report.duplicates_kept:
        console.print(
            f"[yellow]note:[/] {len(report.duplicates_kept)} ids have several copies "
            "that all hold human work; "
            f"left for you to merge: {', '.join(report.duplicates_kept[:10])}"
        )
