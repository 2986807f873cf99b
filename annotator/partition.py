"""Cut a stream of examples into partitions that never split a document.

A *document* is a run of consecutive examples that share the same non-empty value of
``meta["doc"]`` (the paragraphs of one article); an example without that value is a document of
its own. Whatever runs over a partition (a worker process, a Dask task, a Spark partition) then
sees every document whole, so that work done across a document's examples gives the same result
however the stream was cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from annotator.model import Example

#: The meta key whose value groups consecutive examples into one document.
DOCUMENT_KEY = "doc"


def document_of(example: Example, key: str = DOCUMENT_KEY) -> Any:
    """The example's document value, or None when it is a document of its own."""
    value = example.meta.get(key)
    return None if value is None or value == "" else value


def documents(examples: Iterable[Example], key: str = DOCUMENT_KEY) -> Iterator[list[Example]]:
    """The stream as documents: runs of consecutive examples with the same document value."""
    current: list[Example] = []
    value: Any = None
    for example in examples:
        this = document_of(example, key)
        if current and (this is None or this != value):
            yield current
            current = []
        current.append(example)
        value = this
    if current:
        yield current


def partitions(
    examples: Iterable[Example],
    max_examples: int = 512,
    max_chars: int = 1_000_000,
    key: str = DOCUMENT_KEY,
) -> Iterator[list[Example]]:
    """Consecutive partitions of the stream, in order, each made of whole documents.

    A partition holds at most ``max_examples`` examples and ``max_chars`` characters, unless one
    document alone is larger: that document then makes a partition of its own, never two. Memory
    holds one partition and the document being read.
    """
    if max_examples < 1 or max_chars < 1:
        raise ValueError("a partition needs room for at least one example and one character")
    partition: list[Example] = []
    size = 0
    for document in documents(examples, key):
        chars = sum(len(example.text) for example in document)
        if partition and (len(partition) + len(document) > max_examples or size + chars > max_chars):
            yield partition
            partition, size = [], 0
        partition.extend(document)
        size += chars
        if len(partition) >= max_examples or size >= max_chars:
            yield partition
            partition, size = [], 0
    if partition:
        yield partition
