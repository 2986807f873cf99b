"""Gold export without a server: every format reads back to the same spans; nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.export.formats import read_conll, read_docbins, read_hf, read_jsonl
from annotator.export.gold import export_gold, split_of
from annotator.model import Example, Span

HARD_TEXTS = {
    # proclitic attached to the entity: spaCy keeps "وبطرابلس" as one token
    "clitic": ("التقى وفد وبطرابلس أمس", [("طرابلس", "LOC")]),
    "diacritics": ("زار الرَّئِيسُ القاهرةَ ثم مصـــر", [("القاهرةَ", "LOC"), ("مصـــر", "LOC")]),
    "emoji": ("😀 عاجل: ليبيا 🇱🇾 وتونس", [("ليبيا", "LOC"), ("تونس", "LOC")]),
    "crlf": ("سطر أول\r\nفي للأمم المتحدة\r\nآخر", [("للأمم المتحدة", "ORG")]),
    "spaces": ("في  مجلس   الأمن\tاليوم", [("مجلس   الأمن", "ORG")]),
}


def hard_examples() -> list[Example]:
    examples = []
    for key, (text, entities) in HARD_TEXTS.items():
        spans = []
        for surface, label in entities:
            start = text.index(surface)
            spans.append(Span(start, start + len(surface), label))
        examples.append(Example(key, text, tuple(sorted(spans))))
    return examples


def test_every_format_reads_back_to_the_same_spans_for_hard_arabic_texts(tmp_path: Path) -> None:
    examples = hard_examples()
    report = export_gold(examples, tmp_path, dev_share=0.5, seed=1)
    gold = {e.id: sorted(e.spans) for e in examples}
    texts = {e.id: e.text for e in examples}
    assert read_jsonl(tmp_path / "gold.jsonl") == gold
    ents, spans = read_docbins([tmp_path / "train.spacy", tmp_path / "dev.spacy"])
    assert ents == gold and spans == gold
    assert read_conll(tmp_path / "gold.conll", texts) == gold
    assert read_hf(tmp_path, texts) == gold
    assert report.spans == 7 and not report.unrepresentable
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["verified"] and manifest["spans"] == 7
    assert {name: entry["spans"] for name, entry in manifest["formats"].items()} == {
        "jsonl": 7,
        "spacy": 7,
        "conll": 7,
        "hf": 7,
    }
    assert all(
        len(checksum) == 64 for entry in manifest["formats"].values() for checksum in entry["files"].values()
    )


def test_the_jsonl_keeps_texts_byte_for_byte(tmp_path: Path) -> None:
    examples = hard_examples()
    export_gold(examples, tmp_path, formats=("jsonl",))
    lines = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["id"]: line["text"] for line in lines} == {e.id: e.text for e in examples}


def test_overlapping_spans_are_kept_where_possible_and_reported_where_not(tmp_path: Path) -> None:
    text = "مجلس الأمن الدولي"
    example = Example("o", text, (Span(0, 17, "ORG"), Span(5, 10, "MISC")))
    report = export_gold([example], tmp_path)
    assert [(u.span.key, u.formats) for u in report.unrepresentable] == [
        ((5, 10, "MISC"), ("spacy", "conll", "hf"))
    ]
    assert read_jsonl(tmp_path / "gold.jsonl") == {"o": sorted(example.spans)}
    ents, spans = read_docbins([tmp_path / "train.spacy", tmp_path / "dev.spacy"])
    assert ents == {"o": [Span(0, 17, "ORG")]} and spans == {"o": sorted(example.spans)}


def test_whitespace_selected_at_a_span_edge_is_trimmed_and_reported(tmp_path: Path) -> None:
    example = Example("w", "في ليبيا اليوم", (Span(2, 9, "LOC"),))  # " ليبيا " with both spaces
    report = export_gold([example], tmp_path, formats=("jsonl",))
    assert read_jsonl(tmp_path / "gold.jsonl") == {"w": [Span(3, 8, "LOC")]}
    assert [a.reason for a in report.adjustments] == ["whitespace at the span's edge was trimmed"]


def test_split_is_seeded_stable_and_close_to_the_ratio() -> None:
    ids = [f"doc-{i}" for i in range(2000)]
    dev = [i for i in ids if split_of(i, 0.2, 7) == "dev"]
    assert 0.17 < len(dev) / len(ids) < 0.23
    assert dev == [i for i in ids if split_of(i, 0.2, 7) == "dev"]
    assert dev != [i for i in ids if split_of(i, 0.2, 8) == "dev"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    from annotator.errors import OutputError

    with pytest.raises(OutputError, match="unknown export format"):
        export_gold(hard_examples(), tmp_path, formats=("xml",))
