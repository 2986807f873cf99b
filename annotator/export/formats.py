"""Gold corpus writers and the readers that verify them: doccano JSONL, spaCy DocBin, CoNLL/BIO,
Hugging Face token-classification JSONL. The writers of several files return their paths
(``write_jsonl`` and ``write_conll`` write the one path they are given); what a writer wrote is
checked by reading it back with the matching reader, which returns the spans per example."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.arabic import blank_arabic
from annotator.corpus.bio import spans_from_bio
from annotator.export.align import Token, bio_tags, non_overlapping
from annotator.model import Example, Span

FORMATS = ("jsonl", "spacy", "conll", "hf")


@dataclass(frozen=True)
class AlignedExample:
    """A gold example, its tokens (split at span edges), and the split it belongs to."""

    example: Example
    tokens: list[Token]
    split: str  # "train" or "dev"


class FormatError(Exception):
    """A written file does not read back as it should."""


# -- doccano JSONL -----------------------------------------------------------------------------


def jsonl_record(example: Example) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": example.id,
        "text": example.text,
        "label": [[s.start, s.end, s.label] for s in example.spans],
    }
    if example.meta:
        record["meta"] = dict(example.meta)
    return record


def write_jsonl(path: Path, items: Iterable[AlignedExample]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for item in items:
            handle.write(json.dumps(jsonl_record(item.example), ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> dict[str, list[Span]]:
    spans = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            spans[record["id"]] = sorted(Span(s, e, label) for s, e, label in record["label"])
    return spans


# -- spaCy DocBin -----------------------------------------------------------------------------


SPAN_KEY = "sc"


def to_doc(vocab: Any, item: AlignedExample) -> Any:
    """A spaCy Doc with exactly the original text; ``ents`` = non-overlapping spans, ``spans["sc"]`` = all."""
    from spacy.tokens import Doc

    text = item.example.text
    words, spaces = [], []
    for index, token in enumerate(item.tokens):
        next_start = item.tokens[index + 1].start if index + 1 < len(item.tokens) else len(text)
        gap = text[token.end : next_start]
        if gap not in ("", " "):
            raise FormatError(f"example {item.example.id}: unexpected gap {gap!r} after token {token.text!r}")
        words.append(token.text)
        spaces.append(gap == " ")
    doc = Doc(vocab, words=words, spaces=spaces)
    if doc.text != text:
        raise FormatError(f"example {item.example.id}: the spaCy Doc does not reproduce the text")
    kept, _ = non_overlapping(item.example.spans)
    doc.ents = [doc.char_span(s.start, s.end, label=s.label) for s in kept]
    doc.spans[SPAN_KEY] = [doc.char_span(s.start, s.end, label=s.label) for s in item.example.spans]
    doc.user_data["id"] = item.example.id
    return doc


def write_docbins(folder: Path, items: list[AlignedExample]) -> list[Path]:
    from spacy.tokens import DocBin

    vocab = blank_arabic().vocab
    written = []
    for split in ("train", "dev"):
        docbin = DocBin(store_user_data=True)
        for item in items:
            if item.split == split:
                docbin.add(to_doc(vocab, item))
        path = folder / f"{split}.spacy"
        docbin.to_disk(path)
        written.append(path)
    return written


def read_docbins(paths: list[Path]) -> tuple[dict[str, list[Span]], dict[str, list[Span]]]:
    """(entities, all spans) per example id, read back with spaCy."""
    from spacy.tokens import DocBin

    vocab = blank_arabic().vocab
    ents: dict[str, list[Span]] = {}
    spans: dict[str, list[Span]] = {}
    for path in paths:
        for doc in DocBin().from_disk(path).get_docs(vocab):
            key = doc.user_data["id"]
            ents[key] = sorted(Span(e.start_char, e.end_char, e.label_) for e in doc.ents)
            spans[key] = sorted(Span(s.start_char, s.end_char, s.label_) for s in doc.spans[SPAN_KEY])
    return ents, spans


# -- CoNLL / BIO --------------------------------------------------------------------------------


def write_conll(path: Path, items: Iterable[AlignedExample]) -> None:
    """``# id = ...`` then one ``TOKEN TAG`` line per non-space token; a blank line after each example."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for item in items:
            kept, _ = non_overlapping(item.example.spans)
            tags = bio_tags(item.tokens, kept)
            handle.write(f"# id = {item.example.id}\n")
            for token, tag in zip(item.tokens, tags, strict=True):
                if token.is_space:
                    continue
                if len(token.text.split()) != 1:
                    raise FormatError(f"example {item.example.id}: token {token.text!r} holds whitespace")
                handle.write(f"{token.text} {tag}\n")
            handle.write("\n")


def _spans_from_tokens(text: str, tokens: list[str], tags: list[str], where: str) -> list[Span]:
    """Locate tokens in order in the original text and turn BIO tags back into character spans."""
    positions = []
    cursor = 0
    for token in tokens:
        start = text.find(token, cursor)
        if start < 0:
            raise FormatError(f"{where}: token {token!r} is not in the text")
        cursor = start + len(token)
        positions.append((start, cursor))
    return spans_from_bio(positions, tags)


def read_conll(path: Path, texts: dict[str, str]) -> dict[str, list[Span]]:
    result: dict[str, list[Span]] = {}
    example_id: str | None = None
    tokens: list[str] = []
    tags: list[str] = []

    def finish() -> None:
        if example_id is not None:
            result[example_id] = _spans_from_tokens(texts[example_id], tokens, tags, f"{path} {example_id}")

    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("# id = "):
                finish()
                example_id, tokens, tags = line[len("# id = ") :], [], []
            elif line:
                token, tag = line.rsplit(" ", 1)
                tokens.append(token)
                tags.append(tag)
    finish()
    return result


# -- Hugging Face token classification ----------------------------------------------------------


def tag_names(labels: Iterable[str]) -> list[str]:
    names = ["O"]
    for label in sorted(set(labels)):
        names.extend([f"B-{label}", f"I-{label}"])
    return names


def write_hf(folder: Path, items: list[AlignedExample], labels: Iterable[str]) -> list[Path]:
    """``hf.jsonl`` lines ``{"id", "tokens", "ner_tags", "split"}`` and ``labels.json`` (tag names by id)."""
    names = tag_names(labels)
    index = {name: number for number, name in enumerate(names)}
    data = folder / "hf.jsonl"
    with data.open("w", encoding="utf-8", newline="\n") as handle:
        for item in items:
            kept, _ = non_overlapping(item.example.spans)
            pairs = [
                (token.text, tag)
                for token, tag in zip(item.tokens, bio_tags(item.tokens, kept), strict=True)
                if not token.is_space
            ]
            record = {
                "id": item.example.id,
                "tokens": [token for token, _ in pairs],
                "ner_tags": [index[tag] for _, tag in pairs],
                "split": item.split,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    label_file = folder / "labels.json"
    label_file.write_text(json.dumps(names, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [data, label_file]


def read_hf(folder: Path, texts: dict[str, str]) -> dict[str, list[Span]]:
    names = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    result = {}
    with (folder / "hf.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            tags = [names[number] for number in record["ner_tags"]]
            result[record["id"]] = _spans_from_tokens(
                texts[record["id"]], record["tokens"], tags, record["id"]
            )
    return result
