"""``annotator annotate``: pre-annotate a corpus with a rule pack."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.documents import key_path
from annotator.engine import annotate_stream
from annotator.errors import Problem as PackProblem
from annotator.errors import RulePackError
from annotator.rules import RulePack, load_pack


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
) -> None:
    """Pre-annotate a corpus: every span on original offsets, naming the rule that made it.

    Writes one JSON line per example: {"id", "text", "spans": [{"start", "end", "label", "rule"}],
    "meta"}; a span of a propagate rule also names its "source" mention. The file appears only when
    the whole corpus is done.
    """
    pack = select_profile(load_pack(rules), profile)
    documents = pack.documents
    if doc_key is not None:
        try:
            key_path(doc_key)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--doc-key") from None
        documents = replace(documents, key=doc_key)
    labels: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    examples = chars = 0
    began = time.perf_counter()
    # compiled and started before the progress bar's thread exists, so workers can share one compile
    annotated = annotate_stream(pack, read_corpus(inputs), workers=workers, documents=documents)
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
    if quiet:
        return
    console.print(
        f"[bold]{examples:,}[/] examples, {chars:,} characters, [bold]{sum(labels.values()):,}[/] spans "
        f"-> {output}  ({elapsed:.1f}s, {pack.fingerprint})"
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


def select_profile(pack: RulePack, profile: str | None) -> RulePack:
    """The pack narrowed to a profile; an unknown profile is a pack error naming the known ones."""
    try:
        return pack.with_profile(profile)
    except KeyError:
        known = ", ".join(pack.profiles) or "none"
        raise RulePackError(
            str(pack.path),
            [PackProblem("pack.yaml", None, None, f"no profile {profile!r}; profiles: {known}")],
        ) from None
