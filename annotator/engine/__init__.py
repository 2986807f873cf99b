"""The engine layer: a compiled rule pack applied to texts, documents and whole corpora.

- ``annotator`` : ``Annotator(pack)``, the compiled pack; ``annotate(text)`` gives the spans of a
  text on its original offsets, each naming its rule; ``annotate_document`` carries names across
  the paragraphs of a document (``propagate`` rules).
- ``parallel`` : ``annotate_stream`` over a corpus, in one process or a pool of workers, in input
  order and bounded memory; ``annotate_partition`` for one partition (Spark, Ray).
- ``documents`` : consecutive examples grouped into documents by a meta key.
- ``term_keys`` : what the keys of the shared Aho-Corasick automaton mean.
- ``cluster`` : the same annotation on a Dask cluster (the optional ``dask`` extra; ``load_cluster``
  imports it, or says how to install it).

No I/O here. What a caller needs is importable from ``annotator.engine`` itself.
"""

from __future__ import annotations

from types import ModuleType

from annotator.engine.annotator import Annotator
from annotator.engine.parallel import (
    SpanRows,
    annotate_partition,
    annotate_stream,
    chunk_rows,
    compiled,
    document_chunks,
    release,
    start_pool,
    with_spans,
)
from annotator.errors import ClusterError

__all__ = [
    "Annotator",
    "SpanRows",
    "annotate_partition",
    "annotate_stream",
    "chunk_rows",
    "compiled",
    "document_chunks",
    "load_cluster",
    "release",
    "start_pool",
    "with_spans",
]


def load_cluster() -> ModuleType:
    """``annotator.engine.cluster``, imported on demand; ``ClusterError`` naming the install when the
    optional dask extra is missing."""
    try:
        from annotator.engine import cluster
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("dask", "distributed"):
            raise
        raise ClusterError(
            "--dask needs the optional dask extra, which is not installed",
            hint="pip install -c constraints.txt -e '.[dask]'",
        ) from None
    return cluster
