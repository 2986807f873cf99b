"""Read corpora (.txt, .jsonl, CoNLL, folders of them) as streams of ``Example``; write pre-annotation JSONL.

Everything streams: files are read line by line and examples are yielded one at a time, so a
corpus of any size annotates in bounded memory. Ids are stable: taken from the input where it has
them, else derived from the text (``sha1`` prefix; a repeated text in the same input gets ``-2``,
``-3`` ...).

Documents: a JSONL line's ``meta`` (and any other key besides ``text`` and ``id``, which is read
into meta) may carry a document key, ``meta.doc`` by default: consecutive examples sharing it are
the paragraphs of one document, across which ``propagate`` rules work (``annotator.documents``).
The readers only keep the key; text and CoNLL examples have none and are documents of one.

Pre-annotation JSONL, one line per example (other tools rely on exactly this shape)::

    {"id": "...", "text": "...", "spans": [{"start": 0, "end": 5, "label": "LOC", "rule": "loc.countries"}],
     "meta": {...}}

A span of a ``propagate`` rule also has ``"source": {"example": ID, "start": S, "end": E}``, the
mention it repeats; it is read back into ``Span.source``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from annotator.errors import InputError, OutputError
from annotator.model import Example, Span

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CONLL_SUFFIXES = (".conll", ".conllu", ".bio", ".iob")
CORPUS_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + CONLL_SUFFIXES


def content_id(text: str) -> str:
    """A stable id derived from the text alone."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class _IdAssigner:
    """Content ids, made unique within one read by numbering repeated texts."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, text: str) -> str:
        base = content_id(text)
        count = self._seen.get(base, 0) + 1
        self._seen[base] = count
        return base if count == 1 else f"{base}-{count}"


def corpus_files(paths: Iterable[str | Path]) -> list[Path]:
    """The corpus files named by ``paths``: files as given, folders searched recursively (sorted)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                raise InputError(
                    f"{path}: no corpus files in this folder",
                    hint=f"expected files ending in {', '.join(CORPUS_SUFFIXES)}",
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its line ending), decoding UTF-8 strictly with a precise error."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    with handle:
        offset = 0
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    f"{path}:{number}: not UTF-8 (byte {offset + error.start} of the file)",
                    hint="convert the file to UTF-8, e.g. iconv -f cp1256 -t utf-8",
                ) from None
            offset += len(raw)
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield number, line.rstrip("\n").removesuffix("\r")


def read_text(path: Path, ids: _IdAssigner | None = None) -> Iterator[Example]:
    """One example per non-empty line."""
    ids = ids or _IdAssigner()
    for _, line in _lines(path):
        if line.strip():
            yield Example(ids(line), line, (), {})


def read_jsonl(path: Path, ids: _IdAssigner | None = None) -> Iterator[Example]:
    """One example per line: ``text``, optional ``id`` and ``meta``; other keys are kept in meta.

    Spans given as ``spans`` (this tool's shape) or ``label`` (doccano's ``[[s, e, L], ...]``) are
    read as the example's spans.
    """
    ids = ids or _IdAssigner()
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path}:{number}: not valid JSON ({error.msg} at column {error.colno})"
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{path}:{number}: each line needs a "text" string')
        text = record.pop("text")
        raw_id = record.pop("id", None)
        meta = record.pop("meta", {}) or {}
        if not isinstance(meta, dict):
            raise InputError(f'{path}:{number}: "meta" must be an object')
        spans = _spans_from_record(record, text, f"{path}:{number}")
        record.pop("Comments", None)
        meta = {**{k: v for k, v in record.items()}, **meta}
        example_id = str(raw_id) if raw_id is not None and str(raw_id) != "" else ids(text)
        yield Example(example_id, text, spans, meta)


def _spans_from_record(record: dict[str, Any], text: str, where: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    try:
        for item in record.pop("spans", None) or []:
            source = item.get("source")
            pointer = (
                (str(source["example"]), int(source["start"]), int(source["end"]))
                if source is not None
                else None
            )
            spans.append(
                Span(
                    int(item["start"]),
                    int(item["end"]),
                    str(item["label"]),
                    str(item.get("rule", "")),
                    pointer,
                )
            )
        for item in record.pop("label", None) or []:
            start, end, label = item[0], item[1], item[2]
            spans.append(Span(int(start), int(end), str(label)))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise InputError(f"{where}: malformed span ({error})") from None
    for span in spans:
        if span.end > len(text):
            raise InputError(
                f"{where}: span [{span.start}, {span.end}) is outside the text ({len(text)} chars)"
            )
    return tuple(sorted(spans))


def read_conll(path: Path, ids: _IdAssigner | None = None) -> Iterator[Example]:
    """Sentences of ``TOKEN TAG`` lines (blank line between sentences); text = tokens joined by a space.

    BIO tags become the example's spans (``I-`` after ``O`` or another label starts a new entity).
    """
    ids = ids or _IdAssigner()
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in _lines(path):
        if not line.strip():
            if tokens:
                yield _conll_example(tokens, tags, ids)
                tokens, tags = [], []
            continue
        if line.startswith("-DOCSTART-"):
            continue
        parts = line.split()
        if len(parts) == 1:
            tokens.append(parts[0])
            tags.append("O")
        elif len(parts) >= 2:
            tokens.append(parts[0])
            tag = parts[-1]
            if tag != "O" and not (tag[:2] in ("B-", "I-") and len(tag) > 2):
                raise InputError(f"{path}:{number}: tag {tag!r} is not O, B-LABEL or I-LABEL")
            tags.append(tag)
    if tokens:
        yield _conll_example(tokens, tags, ids)


def _conll_example(tokens: list[str], tags: list[str], ids: _IdAssigner) -> Example:
    text = " ".join(tokens)
    spans: list[Span] = []
    offset = 0
    current: list[Any] | None = None  # [start, end, label]
    for token, tag in zip(tokens, tags, strict=True):
        start, end = offset, offset + len(token)
        offset = end + 1
        if tag == "O":
            current = None
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix == "I-" and current is not None and current[2] == label:
            current[1] = end
            spans[-1] = Span(current[0], end, label)
        else:
            current = [start, end, label]
            spans.append(Span(start, end, label))
    return Example(ids(text), text, tuple(spans), {})


def read_corpus(paths: Iterable[str | Path]) -> Iterator[Example]:
    """Every example of every corpus file named by ``paths`` (files or folders), in order."""
    ids = _IdAssigner()
    for path in corpus_files(paths):
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path, ids)
        elif suffix in CONLL_SUFFIXES:
            yield from read_conll(path, ids)
        else:
            yield from read_text(path, ids)


def corpus_size(paths: Iterable[str | Path]) -> int:
    """Total bytes of the corpus files (for progress bars)."""
    return sum(path.stat().st_size for path in corpus_files(paths))


# -- writing -----------------------------------------------------------------------------------


def example_to_json(example: Example) -> dict[str, Any]:
    """The pre-annotation record of one example, in the documented key order."""
    return {
        "id": example.id,
        "text": example.text,
        "spans": [span.to_json() for span in example.spans],
        "meta": dict(example.meta),
    }


class PreAnnotationWriter:
    """Writes pre-annotation JSONL atomically: to a temporary file, renamed into place on success."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._temporary = self.path.with_name(f".{self.path.name}.partial")
        self._handle: IO[str] | None = None

    def __enter__(self) -> PreAnnotationWriter:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self._temporary.open("w", encoding="utf-8", newline="\n")
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({error.strerror or error})") from None
        return self

    def write(self, example: Example) -> None:
        assert self._handle is not None
        self._handle.write(json.dumps(example_to_json(example), ensure_ascii=False) + "\n")

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        assert self._handle is not None
        self._handle.close()
        if kind is None:
            os.replace(self._temporary, self.path)
        else:
            self._temporary.unlink(missing_ok=True)


def read_pre_annotations(path: str | Path) -> Iterator[Example]:
    """Read back a pre-annotation JSONL file written by ``annotate``."""
    yield from read_jsonl(Path(path))
