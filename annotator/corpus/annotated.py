"""A corpus annotated to a pre-annotation JSONL file, and what it holds: ``AnnotationSummary``.

``annotate_files`` is ``annotator annotate`` as a library call: it compiles the pack through the
pack cache, reads the corpus, annotates it here (with worker processes) or on a Dask cluster, and
writes the file. ``write_annotated``, its end, writes every example of an annotated stream
(``engine.annotate_stream`` or a Dask cluster's) to one JSONL file that appears only when the
stream is done, and returns the examples, characters and spans it wrote, per label and per rule.
``AnnotationSummary.rows`` lays those counts out label by label in the pack's order, with the
rules that found something under each label.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.atomic import check_output_file
from annotator.corpus import PreAnnotationWriter, ReadReport, read_corpus
from annotator.engine import annotate_stream, load_cluster
from annotator.engine.documents import key_path
from annotator.errors import UsageError
from annotator.model import Example
from annotator.pack_cache import compile_pack
from annotator.rules.model import RulePack

#: called after each example is written (a progress bar's tick)
OnExample = Callable[[Example], None]


@dataclass
class AnnotationSummary:
    """What an annotated corpus holds: examples, characters, and spans per label and per rule."""

    examples: int = 0
    chars: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    per_rule: Counter[str] = field(default_factory=Counter)

    @property
    def spans(self) -> int:
        """Every span of every example."""
        return sum(self.labels.values())

    def add(self, example: Example) -> None:
        """Count one annotated example."""
        self.examples += 1
        self.chars += len(example.text)
        for span in example.spans:
            self.labels[span.label] += 1
            self.per_rule[span.rule] += 1

    def rows(self, pack: RulePack) -> list[tuple[str, int | None, str, int | None]]:
        """(label, its spans, rule, its spans) for every label of ``pack``, in the pack's order.

        A label's rules that found something follow it, one row each (the label and its count on
        the first row only, None after); a label whose rules found nothing has one row with no rule.
        """
        by_label: dict[str, list[str]] = {}
        for rule in pack.rules:
            by_label.setdefault(rule.label, []).append(rule.id)
        rows: list[tuple[str, int | None, str, int | None]] = []
        for label in pack.label_names:
            rule_ids = [rule_id for rule_id in by_label.get(label, []) if self.per_rule[rule_id]] or [""]
            for position, rule_id in enumerate(rule_ids):
                rows.append(
                    (
                        label if position == 0 else "",
                        self.labels[label] if position == 0 else None,
                        rule_id,
                        self.per_rule[rule_id] if rule_id else None,
                    )
                )
        return rows


def write_annotated(
    annotated: Iterable[Example],
    output: str | Path,
    on_example: OnExample | None = None,
) -> AnnotationSummary:
    """Write ``annotated`` to ``output`` as pre-annotation JSONL (atomically) and count what it holds.

    ``on_example`` is called after each example is written (a progress bar's tick).
    """
    summary = AnnotationSummary()
    with PreAnnotationWriter(output) as writer:
        for example in annotated:
            writer.write(example)
            summary.add(example)
            if on_example is not None:
                on_example(example)
    return summary


@dataclass(frozen=True)
class AnnotatedFiles:
    """What ``annotate_files`` wrote, with what, and where it ran."""

    output: Path
    summary: AnnotationSummary
    #: the pack as it annotated (narrowed to the profile)
    pack: RulePack
    #: what reading the corpus met: skipped files and texts, warnings
    reading: ReadReport
    #: seconds spent reading, annotating and writing, after the pack was compiled
    seconds: float
    #: why the pack cache could not be used, or None
    cache_note: str | None = None
    #: the Dask cluster's address it ran on; None: on this machine
    cluster: str | None = None


def annotate_files(
    inputs: Iterable[str | Path],
    rules: str | Path,
    output: str | Path,
    *,
    profile: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    doc_key: str | None = None,
    cache: bool | str | Path = True,
    progress: AbstractContextManager[OnExample | None] | None = None,
    on_cache_note: Callable[[str], None] | None = None,
    on_connect: Callable[[str], None] | None = None,
) -> AnnotatedFiles:
    """Annotate the corpus files (or folders) ``inputs`` with the pack in ``rules``; write ``output``.

    The pack (narrowed to ``profile``) is compiled through the pack cache ``cache`` (see
    ``pack_cache.store_for``). Documents are grouped by the pack's ``documents`` settings, with the
    key ``doc_key`` (``meta.NAME``) instead of the pack's when given. The corpus is annotated here
    by ``workers`` processes, or, with ``dask`` (a scheduler address or ``local:N``), on a Dask
    cluster; the file is the same either way and appears only when the whole corpus is done.

    ``progress`` is entered around the writing, once the worker processes are started (so they
    are forked before any thread it starts, and share this compile); it gives the callback called
    after each example is written. ``on_cache_note`` is called, as soon as it is known, with why the
    pack cache could not be used; ``on_connect`` with the cluster's address before connecting.

    Raises ``UsageError`` for both ``workers`` and ``dask`` or a malformed ``doc_key``,
    ``OutputError`` for an output that can never be a file (before any work), ``RulePackError``
    for the pack, ``InputError`` for the corpus, ``ClusterError`` when the dask extra is missing or
    the cluster cannot be reached or loses the work; nothing is written then.
    """
    if dask is not None and workers != 1:
        raise UsageError("use either worker processes or a Dask cluster, not both")
    if doc_key is not None:
        key_path(doc_key)
    output = Path(output)
    check_output_file(output)
    compiled = compile_pack(rules, profile, cache=cache)
    if compiled.cache_note and on_cache_note is not None:
        on_cache_note(compiled.cache_note)
    pack = compiled.pack
    documents = pack.documents if doc_key is None else replace(pack.documents, key=doc_key)
    reading = ReadReport()
    address: str | None = None
    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if dask is None:
            # the workers start here, before ``progress`` is entered: forked while no other thread
            # exists, they share this process's compiled pack
            annotated = annotate_stream(
                compiled.annotator, read_corpus(inputs, reading), workers=workers, documents=documents
            )
        else:
            cluster = load_cluster()
            parsed = cluster.parse_address(dask)
            address = str(parsed)
            if on_connect is not None:
                on_connect(address)
            client = stack.enter_context(cluster.connect(parsed))
            annotated = cluster.annotate_on_cluster(
                client, compiled.annotator, read_corpus(inputs, reading), documents=documents
            )
        stack.callback(annotated.close)
        on_example = stack.enter_context(progress) if progress is not None else None
        summary = write_annotated(annotated, output, on_example)
    return AnnotatedFiles(
        output,
        summary,
        pack,
        reading,
        time.perf_counter() - began,
        cache_note=compiled.cache_note,
        cluster=address,
    )
