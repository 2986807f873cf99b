"""Corpus readers and the pre-annotation writer: formats, stable ids, precise input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.corpus import (
    PreAnnotationWriter,
    content_id,
    read_corpus,
    read_pre_annotations,
)
from annotator.errors import InputError
from annotator.model import Example, Span


def test_text_files_give_one_example_per_non_empty_line_with_content_ids(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("سطر أول\r\n\r\nسطر ثان\nسطر أول\n", encoding="utf-8")
    examples = list(read_corpus([path]))
    assert [e.text for e in examples] == ["سطر أول", "سطر ثان", "سطر أول"]
    assert examples[0].id == content_id("سطر أول")
    assert examples[2].id == content_id("سطر أول") + "-2"  # a repeated text keeps a distinct, stable id
    assert [e.id for e in read_corpus([path])] == [e.id for e in examples]


def test_jsonl_keeps_given_ids_meta_and_extra_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id": 7, "text": "في ليبيا", "meta": {"source": "x"}, "date": "2021"}\n{"text": "بلا معرف"}\n',
        encoding="utf-8",
    )
    first, second = read_corpus([path])
    assert (first.id, first.meta) == ("7", {"date": "2021", "source": "x"})
    assert second.id == content_id("بلا معرف")


def test_conll_sentences_join_tokens_with_spaces_and_keep_bio_spans(tmp_path: Path) -> None:
    path = tmp_path / "a.conll"
    path.write_text(
        "التقى O\nخليفة B-PERS\nحفتر I-PERS\nفي O\nبنغازي B-LOC\n\nقال O\nتونس I-LOC\n", encoding="utf-8"
    )
    first, second = read_corpus([path])
    assert first.text == "التقى خليفة حفتر في بنغازي"
    assert [(first.text[s.start : s.end], s.label) for s in first.spans] == [
        ("خليفة حفتر", "PERS"),
        ("بنغازي", "LOC"),
    ]
    assert [(second.text[s.start : s.end], s.label) for s in second.spans] == [("تونس", "LOC")]  # I- after O


def test_folders_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("ثالث\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("أول\n", encoding="utf-8")
    (tmp_path / "b" / "notes.md").write_text("ignored\n", encoding="utf-8")
    assert [e.text for e in read_corpus([tmp_path])] == ["أول", "ثالث"]


def test_non_utf8_input_names_the_file_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("سطر سليم\n".encode() + "مصر".encode("cp1256") + b"\n")
    with pytest.raises(InputError) as caught:
        list(read_corpus([path]))
    message = str(caught.value)
    assert f"{path}:2: not UTF-8" in message
    assert "iconv" in message


def test_malformed_json_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "سليم"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: not valid JSON"):
        list(read_corpus([path]))


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        list(read_corpus([tmp_path / "nope.txt"]))


def test_pre_annotation_round_trip_has_the_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "pre.jsonl"
    example = Example("x1", "في ليبيا", (Span(3, 8, "LOC", "loc.countries"),), {"source": "s"})
    with PreAnnotationWriter(out) as writer:
        writer.write(example)
    line = json.loads(out.read_text(encoding="utf-8"))
    assert list(line) == ["id", "text", "spans", "meta"]
    assert line["spans"] == [{"start": 3, "end": 8, "label": "LOC", "rule": "loc.countries"}]
    assert list(read_pre_annotations(out)) == [example]


def test_writer_leaves_no_partial_file_when_the_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "pre.jsonl"
    with pytest.raises(RuntimeError), PreAnnotationWriter(out) as writer:
        writer.write(Example("a", "نص"))
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
