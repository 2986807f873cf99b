"""``annotator push``: put pre-annotations into doccano for human correction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.cli.reading import print_read_warnings
from annotator.corpus import ReadReport, read_pre_annotations
from annotator.doccano.connection import Doccano, resolve_credentials
from annotator.doccano.push import DEFAULT_CHUNK, PushReport, push
from annotator.errors import InputError
from annotator.pack_cache import compile_pack

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
    # through the pack cache: push needs only the labels and the fingerprint, not a 5 s compile
    pack = compile_pack(rules).pack if rules is not None else None
    reading = ReadReport()
    examples = list(read_pre_annotations(pre, reading))
    print_read_warnings(reading)
    if not examples:
        raise InputError(
            f"{pre}: no examples to push; nothing was sent to doccano",
            hint="push the file that `annotator annotate` wrote for a corpus with text in it",
        )
    doccano = Doccano(resolve_credentials(url))
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
        report = push(
            doccano,
            examples,
            project,
            labels=pack.labels if pack else (),
            pack=pack.fingerprint if pack else "",
            allow_overlapping=pack.allows_overlap if pack else False,
            update=update,
            chunk_size=chunk_size,
            progress=on_progress,
        )
    print_report(report)


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
