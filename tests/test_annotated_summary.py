"""Writing an annotated stream counts what it wrote, per label and per rule, in the pack's order."""

from __future__ import annotations

import json
from pathlib import Path

from annotator.corpus.annotated import write_annotated
from annotator.model import Example, Span
from tests.packs import pack_of

RULES = """\
rules:
  - id: loc.cities
    kind: gazetteer
    label: LOC
    terms: [طرابلس, بنغازي]
  - id: loc.countries
    kind: gazetteer
    label: LOC
    terms: [ليبيا]
  - id: per.names
    kind: gazetteer
    label: PER
    terms: [محمد]
"""


def _examples() -> list[Example]:
    return [
        Example(
            "a", "زار طرابلس وبنغازي", (Span(4, 10, "LOC", "loc.cities"), Span(12, 18, "LOC", "loc.cities"))
        ),
        Example("b", "ليبيا", (Span(0, 5, "LOC", "loc.countries"),)),
        Example("c", "لا شيء"),
    ]


def test_write_annotated_writes_every_example_and_counts_spans_per_label_and_rule(tmp_path: Path) -> None:
    output = tmp_path / "pre.jsonl"
    seen: list[str] = []
    summary = write_annotated(iter(_examples()), output, lambda example: seen.append(example.id))
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == seen == ["a", "b", "c"]
    assert (summary.examples, summary.chars, summary.spans) == (3, 18 + 5 + 6, 3)
    assert summary.labels == {"LOC": 3}
    assert summary.per_rule == {"loc.cities": 2, "loc.countries": 1}


def test_summary_rows_list_each_label_in_pack_order_with_the_rules_that_found_something(
    tmp_path: Path,
) -> None:
    pack = pack_of(tmp_path / "pack", RULES)
    summary = write_annotated(_examples(), tmp_path / "pre.jsonl")
    rows = summary.rows(pack)
    by_label = {label: [row for row in rows if row[0] == label] for label in pack.label_names}
    assert by_label["LOC"] == [("LOC", 3, "loc.cities", 2)]
    assert ("", None, "loc.countries", 1) in rows
    assert by_label["PER"] == [("PER", 0, "", None)]  # its rule found nothing: one row, no rule


def test_an_empty_stream_writes_an_empty_file(tmp_path: Path) -> None:
    output = tmp_path / "pre.jsonl"
    summary = write_annotated([], output)
    assert output.read_text(encoding="utf-8") == ""
    assert (summary.examples, summary.spans) == (0, 0)
