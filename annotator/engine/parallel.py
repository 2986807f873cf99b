"""A corpus annotated in input order: one process, a pool of worker processes, or one partition.

``annotate_stream`` keeps a bounded number of chunks of whole documents in flight across worker
processes and yields results in input order. The pack is compiled once, in the calling process:
under ``fork`` the workers inherit it, otherwise each receives it pickled. ``chunk_rows`` and
``with_spans`` are the hand-off format between a worker and the caller, shared with the Dask
runner (``engine.cluster``). ``annotate_partition`` is one partition of a corpus for frameworks
that cut it themselves (Spark, Ray).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace

from annotator.engine.annotator import Annotator
from annotator.engine.documents import split_documents
from annotator.model import Example, Span
from annotator.rules.model import DocumentSettings, RulePack

_worker_annotator: Annotator | None = None


def _adopt_annotator(annotator: Annotator) -> None:
    """Pool initializer: the parent's compiled annotator (inherited under ``fork``, else unpickled)."""
    global _worker_annotator
    _worker_annotator = annotator


#: one example's spans as plain tuples: what a worker sends back (the parent already has the text,
#: and tuples cross the process boundary several times faster than dataclasses)
SpanRows = list[tuple[int, int, str, str, tuple[str, int, int] | None]]


def chunk_rows(annotator: Annotator, chunk: list[list[Example]]) -> list[SpanRows]:
    """The spans of every example of a chunk of whole documents, in order, as plain tuples: what a
    worker process (of the pool, or of a Dask cluster) sends back."""
    rows = []
    for document in chunk:
        for example in annotator.annotate_document(document):
            rows.append(
                [(span.start, span.end, span.label, span.rule, span.source) for span in example.spans]
            )
    return rows


def _annotate_chunk(chunk: list[list[Example]]) -> list[SpanRows]:
    """The spans of every example of a chunk of whole documents, in order."""
    assert _worker_annotator is not None
    return chunk_rows(_worker_annotator, chunk)


def with_spans(chunk: list[list[Example]], rows: list[SpanRows]) -> Iterator[Example]:
    """The examples of ``chunk`` carrying the spans ``chunk_rows`` gave for them, in order."""
    examples = [example for document in chunk for example in document]
    for example, spans in zip(examples, rows, strict=True):
        yield replace(example, spans=tuple(Span(*row) for row in spans))


_with_spans = with_spans


def document_chunks(
    pack: RulePack | Annotator,
    examples: Iterable[Example],
    max_examples: int,
    max_chars: int,
    documents: DocumentSettings | None = None,
) -> Iterator[list[list[Example]]]:
    """The stream as chunks of whole documents (as ``annotate_stream`` cuts it for its workers)."""
    rules = pack.pack if isinstance(pack, Annotator) else pack
    return _chunks(_documents(rules, examples, documents or rules.documents), max_examples, max_chars)


#: packs compiled in this process by ``annotate_partition``, most recent last
_compiled: list[tuple[RulePack, Annotator]] = []
_COMPILED_KEPT = 4


def compiled(pack: RulePack) -> Annotator:
    """``pack`` compiled, once per process: later calls with this pack, or an equal copy of it
    (unpickled again by a task), reuse the compile."""
    for index, (known, annotator) in enumerate(_compiled):
        if known is pack or known == pack:
            if known is not pack:  # the next task's copy is likely this one again
                _compiled[index] = (pack, annotator)
            return annotator
    annotator = Annotator(pack)
    _compiled.append((pack, annotator))
    del _compiled[:-_COMPILED_KEPT]
    return annotator


def release(pack: RulePack) -> None:
    """Forget this process's compile of ``pack`` (a long-lived worker done with a run)."""
    _compiled[:] = [
        (known, annotator) for known, annotator in _compiled if not (known is pack or known == pack)
    ]


def annotate_partition(
    pack: RulePack | Annotator, examples: Iterable[Example], documents: DocumentSettings | None = None
) -> Iterator[Example]:
    """Annotate one partition of a corpus: what a Spark ``mapPartitions`` or a Ray task runs.

    Best given the compiled pack (an ``Annotator``, e.g. ``pack_cache.load_compiled(path)``),
    shipped once per worker where the framework allows (a Spark broadcast variable, a Ray object
    reference): unpickling it takes a fraction of a second, where compiling ar-news in a fresh
    process takes seconds. A ``RulePack`` is compiled on the first call in a process and the
    compile reused by later calls with an equal pack. A partition must hold whole documents
    (``annotator.engine.documents``: cut the corpus with ``document_chunks``), or names found in one part
    of a document are not carried to the other. The examples come back in input order, each with
    its spans; errors are those of ``annotate_stream`` (``TimeLimitExceeded`` names the example).
    """
    if isinstance(pack, Annotator):
        pack.prepare()
        annotator = pack
    else:
        annotator = compiled(pack)
    rules = annotator.pack
    for document in _documents(rules, examples, documents or rules.documents):
        yield from annotator.annotate_document(document)


def _chunks(
    documents: Iterable[list[Example]], max_examples: int, max_chars: int
) -> Iterator[list[list[Example]]]:
    """Whole documents, packed into chunks of about ``max_examples`` examples or ``max_chars``."""
    chunk: list[list[Example]] = []
    count = size = 0
    for document in documents:
        chunk.append(document)
        count += len(document)
        size += sum(len(example.text) for example in document)
        if count >= max_examples or size >= max_chars:
            yield chunk
            chunk, count, size = [], 0, 0
    if chunk:
        yield chunk


def _documents(
    pack: RulePack, examples: Iterable[Example], settings: DocumentSettings
) -> Iterator[list[Example]]:
    """Documents of ``examples`` when the pack propagates names across them, else one per example."""
    if pack.propagates:
        return split_documents(examples, settings)
    return ([example] for example in examples)


def _fork_is_safe() -> bool:
    """Forking copies only the calling thread; with no other thread alive nothing can be caught
    holding a lock, and the children share the compiled pack instead of compiling it again."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def start_pool(pack: RulePack | Annotator, workers: int) -> multiprocessing.pool.Pool:
    """``workers`` processes ready to annotate with ``pack`` (compiled here unless it already is).

    Compiling ar-news takes seconds, so it is compiled once, here. Under ``fork`` (Linux, called
    before any other thread starts) every worker inherits the compiled pack; otherwise each worker
    of a ``forkserver`` (or ``spawn``) pool receives it pickled, which takes a fraction of that.
    """
    annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
    annotator.prepare()
    if _fork_is_safe():
        return multiprocessing.get_context("fork").Pool(
            workers, initializer=_adopt_annotator, initargs=(annotator,)
        )
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return context.Pool(workers, initializer=_adopt_annotator, initargs=(annotator,))


def annotate_stream(
    pack: RulePack | Annotator,
    examples: Iterable[Example],
    workers: int = 1,
    chunk_examples: int = 512,
    chunk_chars: int = 1_000_000,
    documents: DocumentSettings | None = None,
) -> Iterator[Example]:
    """Annotate a stream of examples in input order, with ``workers`` processes.

    ``pack`` may be compiled already (an ``Annotator``, e.g. from ``pack_cache.load_compiled``).
    Otherwise it is compiled (and the workers started) when this is called, not when the first result
    is taken, so a caller that starts threads afterwards (a progress bar) still gets workers that
    share one compiled pack. Memory stays bounded: at most ``2 * workers`` chunks are in flight,
    and the input is consumed only as results are taken. Consume the iterator to the end (or close
    it) so that the workers stop.

    When the pack has ``propagate`` rules, examples are grouped into documents (``documents``, else
    the pack's own settings; see ``annotator.engine.documents``); a document is never split between
    workers, so the output is the same whatever the number of workers.
    """
    rules = pack.pack if isinstance(pack, Annotator) else pack
    grouped = _documents(rules, examples, documents or rules.documents)
    if workers <= 1:
        annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
        return (example for document in grouped for example in annotator.annotate_document(document))
    return _in_parallel(start_pool(pack, workers), grouped, workers, chunk_examples, chunk_chars)


def _in_parallel(
    pool: multiprocessing.pool.Pool,
    documents: Iterable[list[Example]],
    workers: int,
    chunk_examples: int,
    chunk_chars: int,
) -> Iterator[Example]:
    with pool:
        pending: deque = deque()
        for chunk in _chunks(documents, chunk_examples, chunk_chars):
            pending.append((chunk, pool.apply_async(_annotate_chunk, (chunk,))))
            if len(pending) >= 2 * workers:
                done, result = pending.popleft()
                yield from _with_spans(done, result.get())
        while pending:
            done, result = pending.popleft()
            yield from _with_spans(done, result.get())
