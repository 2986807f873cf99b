"""The small helpers every module shares: BIO decoding, default label colours, atomic text files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from annotator.atomic import write_text_atomically
from annotator.corpus.bio import spans_from_bio
from annotator.errors import OutputError
from annotator.model import Span
from annotator.rules.model import DEFAULT_COLOURS, default_colour


def test_bio_tags_become_spans_and_an_i_tag_after_another_label_starts_a_new_one() -> None:
    tokens = [(0, 3), (4, 9), (10, 15), (16, 20), (21, 24), (25, 28)]
    tags = ["O", "B-PER", "I-PER", "I-LOC", "B-LOC", "I-LOC"]
    assert spans_from_bio(tokens, tags) == [Span(4, 15, "PER"), Span(16, 20, "LOC"), Span(21, 28, "LOC")]


def test_an_i_tag_after_o_starts_an_entity() -> None:
    assert spans_from_bio([(0, 2), (3, 5)], ["O", "I-ORG"]) == [Span(3, 5, "ORG")]


def test_default_colours_are_taken_in_order_and_repeat() -> None:
    assert [default_colour(index) for index in range(3)] == list(DEFAULT_COLOURS[:3])
    assert default_colour(len(DEFAULT_COLOURS)) == DEFAULT_COLOURS[0]


def test_an_atomic_write_replaces_the_file_and_leaves_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "state" / "server.json"
    write_text_atomically(path, "one")
    write_text_atomically(path, "two")
    assert path.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["server.json"]


def test_a_private_atomic_write_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    write_text_atomically(path, "secret", mode=0o600, fsync=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == "secret"


def test_an_atomic_write_that_cannot_happen_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(OutputError):
        write_text_atomically(tmp_path / "a-file" / "inside.json", "x")
