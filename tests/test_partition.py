"""The partition function (Spark, Ray, Dask) and its compile once per process."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from annotator.engine import (
    Annotator,
    annotate_partition,
    annotate_stream,
    compiled,
    document_chunks,
    parallel,
)
from annotator.model import Example
from annotator.rules import load_pack

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXTS = [
    json.loads(line)["text"]
    for line in (ROOT / "seeds" / "libya-news-2021.jsonl").read_text("utf-8").splitlines()
]


def test_the_partition_function_compiles_a_pack_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    monkeypatch.setattr(parallel, "_compiled", [])
    builds = []
    real = parallel.Annotator

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, pack_: object) -> None:
            builds.append(pack_)
            super().__init__(pack_)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "Annotator", Counting)
    texts = [Example("a", "زار الرئيس ليبيا"), Example("b", "ثم مصر")]
    first = list(annotate_partition(pack, texts))
    copy = pickle.loads(pickle.dumps(pack))  # what a task receives when the pack travels with it
    second = list(annotate_partition(copy, texts))
    assert len(builds) == 1
    assert first == second and first[0].spans
    assert compiled(copy) is compiled(pack)


def test_a_released_pack_is_compiled_again_on_its_next_use() -> None:
    pack = load_pack(ROOT / "rules" / "starter")
    first = compiled(pack)
    assert compiled(pack) is first
    parallel.release(pack)
    assert compiled(pack) is not first


def test_the_partition_function_takes_the_compiled_pack_and_gives_what_the_local_stream_gives() -> None:
    annotator = Annotator(load_pack(ROOT / "rules" / "starter"))
    shipped = pickle.loads(pickle.dumps(annotator))  # as a Spark broadcast or a Ray object delivers it
    stream = [Example(f"e{n}", text) for n, text in enumerate(SEED_TEXTS)]
    assert list(annotate_partition(shipped, stream)) == list(annotate_stream(annotator, stream))


def test_document_chunks_keep_a_propagating_pack_s_documents_whole() -> None:
    annotator = Annotator(load_pack(ROOT / "rules" / "ar-news"))
    assert annotator.pack.propagates
    stream = [Example(f"e{n}", SEED_TEXTS[n % 11], (), {"doc": f"d{n // 5}"}) for n in range(40)]
    chunks = list(document_chunks(annotator, stream, max_examples=7, max_chars=10**6))
    assert [e.id for chunk in chunks for document in chunk for e in document] == [e.id for e in stream]
    for chunk in chunks:
        for document in chunk:
            assert len({e.meta["doc"] for e in document}) == 1 and len(document) == 5
