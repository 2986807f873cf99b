"""Push and export throughput against the REAL local doccano (``doccano.local.server.LocalDoccano``).

- bulk: ``annotator.doccano.push.push`` of N examples with 5 spans each, as the CLI does it
  (project and labels created, chunked file import, verification by counts), and its
  import phase alone (first upload to last chunk stored), the part the per-call baseline does;
- per-call baseline: one ``create_example`` call per example and one ``create_span`` call per
  span (doccano-client, label ids looked up once), on a sample, extrapolated to N;
- export: ``annotator.doccano.pull.pull(..., only_confirmed=False)`` of the bulk project.

A running server is reused and never stopped; one this module starts is stopped at the end. Every
project gets a unique name and is deleted afterwards, so a test suite may share the server.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex
from corpus_gen import REPO, Entities, ParagraphWriter

from annotator.doccano.connection import Doccano
from annotator.doccano.local.server import DEFAULT_PORT, LocalDoccano
from annotator.doccano.pull import pull
from annotator.doccano.push import push
from annotator.model import Example, Span
from annotator.paths import HOME_ENV, local_doccano_paths
from annotator.rules.model import LabelSpec

LABELS = (
    LabelSpec("PER", "#e6194b"),
    LabelSpec("LOC", "#3cb44b"),
    LabelSpec("ORG", "#4363d8"),
    LabelSpec("DATE", "#f58231"),
)
WORD = regex.compile(r"\S+")


def bench_examples(entities: Entities, count: int, spans: int, seed: int, tag: str) -> list[Example]:
    """``count`` generated paragraphs, each with ``spans`` non-overlapping word spans (labels cycling)."""
    writer = ParagraphWriter(entities, seed)
    examples = []
    for index in range(count):
        text = writer.paragraph()
        words = [match.span() for match in WORD.finditer(text)]
        picks = [words[k * len(words) // spans] for k in range(spans)]
        example_spans = tuple(
            Span(start, end, LABELS[k % len(LABELS)].name) for k, (start, end) in enumerate(picks)
        )
        examples.append(Example(f"bench-{tag}-{index}", text, example_spans, {}))
    return examples


def _per_call_upload(doccano: Doccano, name: str, examples: list[Example], created: list[int]) -> float:
    """Seconds to create ``examples`` one API call per example and per span (project setup excluded)."""
    project = doccano.create_project(name, allow_overlapping=False, guideline="")
    created.append(project.id)
    for label in LABELS:
        doccano.create_label_type(project.id, label.name, label.colour)
    label_ids = {label.text: label.id for label in doccano.client.list_label_types(project.id, "span")}
    client = doccano.client
    began = time.perf_counter()
    for example in examples:
        made = client.create_example(project.id, example.text, meta={"annotator_id": example.id})
        for span in example.spans:
            client.create_span(project.id, made.id, span.start, span.end, label_ids[span.label])
    return time.perf_counter() - began


class _PhaseClock:
    """A push ``progress`` callback that notes when the upload phase starts and ends."""

    def __init__(self) -> None:
        self.marks: dict[tuple[str, int], float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.marks.setdefault((stage, done), time.perf_counter())

    def upload_seconds(self, total: int) -> float:
        """From the first chunk's upload to the last chunk stored by doccano."""
        return self.marks[("upload", total)] - self.marks[("upload", 0)]


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = function()
    return time.perf_counter() - began, value


def run_doccano_bench(
    entities: Entities,
    *,
    examples: int = 2000,
    sample: int = 200,
    spans: int = 5,
    runs: int = 3,
    seed: int = 1,
    port: int = DEFAULT_PORT,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Median figures over ``runs`` for bulk push, per-call upload (extrapolated) and export."""
    os.environ.setdefault(HOME_ENV, str(REPO / ".annotator"))
    server = LocalDoccano(local_doccano_paths(), port=port)
    info = server.up()
    log(f"doccano at {server.url} ({'started' if info.started else 'already running, reused'})")
    doccano = Doccano(server.credentials())
    tag = uuid.uuid4().hex[:8]
    created: list[int] = []
    bulk, imports, export, calls = [], [], [], []
    exported = 0
    try:
        data = bench_examples(entities, examples, spans, seed, tag)
        with tempfile.TemporaryDirectory(prefix="annotator-bench-journal-") as journal:
            for run in range(runs):
                name = f"annotator-bench-{tag}-bulk-{run}"
                phases = _PhaseClock()
                seconds, report = _timed(
                    lambda name=name, phases=phases: push(
                        doccano,
                        data,
                        name,
                        labels=LABELS,
                        pack="bench",
                        journal_dir=Path(journal),
                        progress=phases,
                    )
                )
                created.append(report.project_id)
                bulk.append(seconds)
                imports.append(phases.upload_seconds(len(data)))
                seconds, pulled = _timed(lambda name=name: pull(doccano, name, only_confirmed=False))
                export.append(seconds)
                exported = len(pulled)
                name = f"annotator-bench-{tag}-calls-{run}"
                calls.append(_per_call_upload(doccano, name, data[:sample], created))
                log(
                    f"doccano run {run + 1}: push {bulk[-1]:.1f}s (import phase {imports[-1]:.1f}s), "
                    f"export {export[-1]:.1f}s, "
                    f"{sample} examples by calls {calls[-1]:.1f}s"
                )
    finally:
        for project_id in created:
            try:
                doccano.client.delete_project(project_id)
            except Exception as error:  # cleanup must not hide the real error
                log(f"could not delete bench project {project_id}: {error}")
        if info.started:
            server.down()
    push_s = statistics.median(bulk)
    calls_s = statistics.median(calls) * examples / sample
    export_s = statistics.median(export)
    return {
        "url": server.url,
        "server_started_by_bench": info.started,
        "examples": examples,
        "spans_per_example": spans,
        "sample": sample,
        "runs": runs,
        "bulk_push_s": push_s,
        "bulk_push_examples_per_s": examples / push_s,
        "bulk_import_s": statistics.median(imports),
        "per_call_sample_s": statistics.median(calls),
        "per_call_extrapolated_s": calls_s,
        "per_call_examples_per_s": examples / calls_s,
        "export_s": export_s,
        "export_examples_per_s": exported / export_s if export_s else None,
        "exported_examples": exported,
        "raw": {
            "bulk_push_s": bulk,
            "bulk_import_s": imports,
            "per_call_sample_s": calls,
            "export_s": export,
        },
    }
