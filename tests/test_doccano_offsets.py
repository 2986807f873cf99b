"""Offsets at the doccano boundary: UTF-16 units and \\r\\n, both directions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.doccano.connection import IMPORT_ENCODING, write_import_file
from annotator.doccano.offsets import DoccanoText, OffsetCodec, OffsetError, decode_text, encode_text
from annotator.doccano.records import META_ID, from_export_record
from annotator.errors import VerificationFailed


def test_an_emoji_before_an_arabic_entity_shifts_doccano_offsets_by_one_unit() -> None:
    text = "😀 زار ليبيا"
    start = text.index("ليبيا")
    codec = OffsetCodec.for_original(text)
    assert codec.spans_to_doccano([(start, start + 5, "LOC")]) == [[start + 1, start + 6, "LOC"]]
    assert codec.spans_from_doccano([[start + 1, start + 6, "LOC"]]) == [(start, start + 5, "LOC")]


def test_windows_line_endings_become_newlines_and_come_back() -> None:
    text = "سطر\r\nفي ليبيا\r\nآخر\n"
    stored = encode_text(text)
    assert stored.text == "سطر\nفي ليبيا\nآخر\n"
    assert decode_text(stored) == text
    start = text.index("ليبيا")
    codec = OffsetCodec(stored)
    [[s, e, _]] = codec.spans_to_doccano([(start, start + 5, "LOC")])
    assert stored.text[s:e] == "ليبيا"
    assert codec.spans_from_doccano([[s, e, "LOC"]]) == [(start, start + 5, "LOC")]


def test_an_offset_inside_a_surrogate_pair_is_refused() -> None:
    codec = OffsetCodec(DoccanoText("a😀b"))
    with pytest.raises(OffsetError):
        codec.from_doccano(2, is_end=False)


def test_an_exported_span_that_splits_a_character_names_the_example_and_fails_verification() -> None:
    record = {"id": 7, "text": "a😀b", "label": [[0, 2, "LOC"]], META_ID: "doc-3"}
    with pytest.raises(VerificationFailed) as raised:
        from_export_record(record)
    assert isinstance(raised.value, OffsetError)
    assert raised.value.exit_code == 7
    assert "example doc-3 (doccano id 7)" in str(raised.value)
    assert "[0, 2, LOC]" in str(raised.value)


_alphabet = st.sampled_from([*"ليبيا مصر\u064e\u0640", "\r\n", "\n", "😀", "𝔸", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, min_size=1, max_size=40).map("".join), st.data())
def test_any_span_round_trips_through_doccano_offsets(text: str, data: st.DataObject) -> None:
    stored = encode_text(text)
    assert decode_text(stored) == text
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    if text[start] == "\r" or text[end - 1] == "\r":
        return  # a span never starts on the \r of a line break nor splits one
    codec = OffsetCodec(stored)
    [[s, e, label]] = codec.spans_to_doccano([(start, end, "X")])
    assert codec.spans_from_doccano([[s, e, label]]) == [(start, end, "X")]
    shown = stored.text.encode("utf-16-le")[2 * s : 2 * e].decode("utf-16-le")
    assert shown == text[start:end].replace("\r\n", "\n")


def test_the_import_file_is_utf8_one_line_per_record_and_escapes_what_utf8_cannot_hold(
    tmp_path: Path,
) -> None:
    records = [{"text": "في\u2028ليبيا\r\n😀"}, {"text": "a\ud800b"}]
    path = write_import_file(records, str(tmp_path))
    raw = path.read_bytes()
    lines = raw.decode(IMPORT_ENCODING).split("\n")
    assert lines[-1] == "" and len(lines) == 3  # a line separator in a text does not split it
    assert "ليبيا".encode() in raw and b"\\ud800" in raw
    assert [json.loads(line) for line in lines[:-1]] == records
