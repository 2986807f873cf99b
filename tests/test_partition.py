"""Partitions of a corpus stream never split a document; the partition function compiles once."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator import engine
from annotator.engine import annotate_partition, annotate_stream, compiled
from annotator.model import Example
from annotator.partition import document_of, documents, partitions
from annotator.rules import load_pack

ROOT = Path(__file__).resolve().parent.parent


def example(number: int, doc: object = None, text: str = "نص") -> Example:
    return Example(f"e{number}", text, (), {} if doc is None else {"doc": doc})


def runs(stream: list[Example]) -> list[list[str]]:
    """The documents of a stream by the contract, computed independently: ids of each run."""
    found: list[list[str]] = []
    previous: object = None
    for item in stream:
        value = item.meta.get("doc")
        value = None if value in (None, "") else value
        if found and value is not None and value == previous:
            found[-1].append(item.id)
        else:
            found.append([item.id])
        previous = value
    return found


def test_consecutive_examples_with_the_same_doc_value_are_one_document() -> None:
    stream = [example(1, "a"), example(2, "a"), example(3, "b"), example(4, "b"), example(5, "b")]
    assert [[e.id for e in d] for d in documents(stream)] == [["e1", "e2"], ["e3", "e4", "e5"]]


def test_examples_without_a_doc_value_are_documents_of_one() -> None:
    stream = [example(1), example(2), example(3, ""), example(4, "")]
    assert [[e.id for e in d] for d in documents(stream)] == [["e1"], ["e2"], ["e3"], ["e4"]]
    assert document_of(example(3, "")) is None


def test_the_same_doc_value_after_another_document_starts_a_new_one() -> None:
    stream = [example(1, "a"), example(2, "b"), example(3, "a")]
    assert [[e.id for e in d] for d in documents(stream)] == [["e1"], ["e2"], ["e3"]]


def test_a_document_larger_than_the_limits_is_one_partition_not_two() -> None:
    stream = [example(1), *[example(n, "big") for n in range(2, 12)], example(12)]
    parts = [[e.id for e in part] for part in partitions(stream, max_examples=3)]
    assert parts == [["e1"], [f"e{n}" for n in range(2, 12)], ["e12"]]


def test_a_partition_closes_before_a_document_that_would_overflow_it() -> None:
    stream = [example(1, "a"), example(2, "a"), example(3, "b"), example(4, "b"), example(5, "b")]
    parts = [[e.id for e in part] for part in partitions(stream, max_examples=4)]
    assert parts == [["e1", "e2"], ["e3", "e4", "e5"]]


def test_partitions_respect_the_character_limit() -> None:
    stream = [example(n, text="x" * 40) for n in range(10)]
    parts = list(partitions(stream, max_examples=100, max_chars=100))
    assert [len(part) for part in parts] == [2, 2, 2, 2, 2]


def test_partitions_refuse_limits_below_one() -> None:
    with pytest.raises(ValueError):
        list(partitions([example(1)], max_examples=0))


@settings(max_examples=300, deadline=None)
@given(
    docs=st.lists(st.sampled_from([None, "", "a", "b", 7]), max_size=60),
    max_examples=st.integers(1, 8),
    max_chars=st.integers(1, 30),
    lengths=st.lists(st.integers(0, 9), min_size=60, max_size=60),
)
def test_partitions_keep_every_example_in_order_and_never_split_a_document(
    docs: list[object], max_examples: int, max_chars: int, lengths: list[int]
) -> None:
    stream = [example(n, doc, "x" * lengths[n]) for n, doc in enumerate(docs)]
    parts = [[e.id for e in part] for part in partitions(iter(stream), max_examples, max_chars)]
    assert [i for part in parts for i in part] == [e.id for e in stream]
    assert all(parts)
    where = {i: index for index, part in enumerate(parts) for i in part}
    for document in runs(stream):
        assert len({where[i] for i in document}) == 1, f"document {document} split across partitions"
    for part in parts:
        whole_documents = [d for d in runs(stream) if d[0] in part]
        if len(whole_documents) > 1:  # only a lone document may exceed the limits
            assert len(part) <= max_examples
            assert sum(lengths[int(i[1:])] for i in part) <= max_chars


def test_local_parallel_chunks_keep_documents_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    stream = [example(n, f"d{n // 5}", "زار الرئيس ليبيا") for n in range(40)]
    sent: list[list[Example]] = []

    def recording(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for chunk in partitions(*args, **kwargs):  # type: ignore[arg-type]
            sent.append(chunk)
            yield chunk

    monkeypatch.setattr(engine, "partitions", recording)
    result = list(annotate_stream(pack, stream, workers=2, chunk_examples=7))
    assert [e.id for e in result] == [e.id for e in stream]
    assert all(e.spans for e in result)
    assert [len(chunk) for chunk in sent] == [5] * 8  # 7 would split the second document
    assert all(len({e.meta["doc"] for e in chunk}) == 1 for chunk in sent)


def test_the_partition_function_compiles_a_pack_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    monkeypatch.setattr(engine, "_compiled", [])
    builds = []
    real = engine.Annotator

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, pack_: object) -> None:
            builds.append(pack_)
            super().__init__(pack_)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "Annotator", Counting)
    texts = [Example("a", "زار الرئيس ليبيا"), Example("b", "ثم مصر")]
    first = list(annotate_partition(pack, texts))
    copy = pickle.loads(pickle.dumps(pack))  # what a task receives when the pack travels with it
    second = list(annotate_partition(copy, texts))
    assert len(builds) == 1
    assert first == second and first[0].spans
    assert compiled(copy) is compiled(pack)


def test_the_partition_function_gives_what_the_local_stream_gives() -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    lines = (ROOT / "seeds" / "libya-news-2021.txt").read_text("utf-8").splitlines()
    stream = [Example(f"e{n}", line) for n, line in enumerate(lines) if line.strip()]
    assert list(annotate_partition(pack, stream)) == list(annotate_stream(pack, stream))


def test_a_released_pack_is_compiled_again_on_its_next_use() -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    first = compiled(pack)
    assert compiled(pack) is first
    engine.release(pack)
    assert compiled(pack) is not first
