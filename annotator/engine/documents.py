"""Documents: runs of consecutive examples that belong together (the paragraphs of one article).

A DOCUMENT is a run of CONSECUTIVE input examples sharing the same non-empty value of a key
(``meta.doc`` by default; ``documents.key`` in ``pack.yaml`` or ``annotate --doc-key``); an example
without it is a document of its own. Rules of kind ``propagate`` work across a document's examples
in stream order; every other rule sees one example at a time.

Memory stays bounded: a document is held only while it is annotated, and a document that grows
past ``max_examples`` examples or ``max_chars`` characters is cut there, the examples after the cut
starting a new document of the same key. Anything that partitions a corpus (parallel workers, a
Dask or Spark partition function) must cut it with ``split_documents`` so that no document is split
differently than here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from annotator.errors import UsageError
from annotator.model import Example
from annotator.rules.model import DocumentSettings


def key_path(key: str) -> tuple[str, ...]:
    """The meta keys of a ``meta.NAME[.NAME...]`` document key; ``UsageError`` for another shape."""
    parts = key.split(".")
    if len(parts) < 2 or parts[0] != "meta" or not all(part.strip() for part in parts[1:]):
        raise UsageError(f"a document key looks like meta.NAME (e.g. meta.doc), got {key!r}")
    return tuple(parts[1:])


def document_key(example: Example, path: tuple[str, ...]) -> str | None:
    """The example's document key at ``path`` in its meta, as text; ``None`` when absent or empty."""
    value: Any = example.meta
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text if text else None


def split_documents(examples: Iterable[Example], settings: DocumentSettings) -> Iterator[list[Example]]:
    """The examples grouped into documents, in input order (see the module docstring).

    Raises ``UsageError`` for a malformed ``settings.key``.
    """
    path = key_path(settings.key)
    document: list[Example] = []
    current: str | None = None
    size = 0
    for example in examples:
        key = document_key(example, path)
        full = len(document) >= settings.max_examples or size >= settings.max_chars
        if document and (key is None or key != current or full):
            yield document
            document, size = [], 0
        document.append(example)
        size += len(example.text)
        current = key
    if document:
        yield document
