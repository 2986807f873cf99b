"""Read corpora (.txt, .jsonl, CoNLL, folders of them) as streams of ``Example``; write pre-annotation JSONL.

Everything streams: files are read line by line and examples are yielded one at a time, so a
corpus of any size annotates in bounded memory. Ids are stable: taken from the input where it has
them, else derived from the text (``sha1`` prefix; a repeated text in the same input gets ``-2``,
``-3`` ...).

Documents: a JSONL line's ``meta`` (and any other key besides ``text`` and ``id``, which is read
into meta) may carry a document key, ``meta.doc`` by default: consecutive examples sharing it are
the paragraphs of one document, across which ``propagate`` rules work (``annotator.engine.documents``).
The readers only keep the key; text and CoNLL examples have none and are documents of one.

Pre-annotation JSONL, one line per example (other tools rely on exactly this shape)::

    {"id": "...", "text": "...", "spans": [{"start": 0, "end": 5, "label": "LOC", "rule": "loc.countries"}],
     "meta": {...}}

A span of a ``propagate`` rule also has ``"source": {"example": ID, "start": S, "end": E}``, the
mention it repeats; it is read back into ``Span.source``.

The corpus layer: ``json_lines`` parses JSONL strictly, ``bio`` decodes BIO tags into spans. The
module is the package's ``__init__`` so that ``annotator.corpus`` stays the import path it was.

Why one module of about 450 lines: the three readers and the pre-annotation reader and writer share
the id assignment, the per-file checks and warnings (``ReadReport``, ``_FileCheck``) and the line
reader that names file, line and byte of bad input; apart, each would import the others' private
helpers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from annotator.atomic import AtomicFile
from annotator.corpus.bio import spans_from_bio
from annotator.corpus.json_lines import JsonLineError, parse_line
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


#: warnings kept word for word in a ``ReadReport``; beyond this many they are only counted
MAX_WARNINGS = 50
JSONL_HINT = 'each line must be one JSON object with a "text" string, as `annotator annotate` writes'


@dataclass
class ReadReport:
    """What reading a corpus met besides its examples, for the command to tell the user.

    ``skipped_files`` are files in the named folders that are not corpus files (by suffix);
    ``skipped_texts`` are lines or records that hold nothing but NUL bytes and white space.
    """

    files: list[Path] = field(default_factory=list)
    skipped_files: list[Path] = field(default_factory=list)
    examples: int = 0
    skipped_texts: int = 0
    warnings: list[str] = field(default_factory=list)
    more_warnings: int = 0

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.more_warnings += 1


class _FileCheck:
    """Per-file bookkeeping: NUL bytes in texts, and whether the file gave any example."""

    def __init__(self, path: Path, report: ReadReport | None) -> None:
        self.path = path
        self.report = report
        self.examples = 0
        self.nul_only: list[int] = []
        self.nul_inside: list[int] = []

    def keep(self, text: str, line: int) -> bool:
        """Whether to yield an example of ``text`` (False: it holds only NULs and white space)."""
        if "\0" in text:
            if not text.replace("\0", "").strip():
                self.nul_only.append(line)
                return False
            self.nul_inside.append(line)
        self.examples += 1
        return True

    def finish(self) -> None:
        report = self.report
        if report is None:
            return
        report.files.append(self.path)
        report.examples += self.examples
        report.skipped_texts += len(self.nul_only)
        if self.nul_only:
            lines = _some_lines(self.nul_only)
            report.warn(
                f"{self.path}: skipped {_count(len(self.nul_only), 'text')} of nothing but NUL bytes "
                f"and white space ({lines}); a damaged or binary file?"
            )
        if self.nul_inside:
            lines = _some_lines(self.nul_inside)
            report.warn(
                f"{self.path}: {_count(len(self.nul_inside), 'text')} "
                f"{'holds' if len(self.nul_inside) == 1 else 'hold'} NUL bytes ({lines}), kept "
                "as they are; if the file is UTF-16, convert it: iconv -f utf-16 -t utf-8"
            )
        if not self.examples and not self.nul_only:
            report.warn(f"{self.path}: no examples (the file is empty or holds only blank lines)")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _some_lines(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:5])
    more = f" and {len(numbers) - 5:,} more" if len(numbers) > 5 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def find_corpus_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """(corpus files, other files skipped) named by ``paths``.

    Files named directly are read whatever their suffix; folders are searched recursively (in
    sorted order) for files with a corpus suffix, and their other files are returned as skipped.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found, others = [], []
            for item in sorted(p for p in path.rglob("*") if p.is_file()):
                (found if item.suffix.lower() in CORPUS_SUFFIXES else others).append(item)
            if not found:
                listed = f" (only {_count(len(others), 'other file')}: {_names(others)})" if others else ""
                raise InputError(
                    f"{path}: no corpus files in this folder{listed}",
                    hint=f"expected files ending in {', '.join(CORPUS_SUFFIXES)}",
                )
            files.extend(found)
            skipped.extend(others)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file or folder")
        else:
            raise InputError(f"{path}: no such file or folder")
    return files, skipped


def _names(paths: list[Path], limit: int = 5) -> str:
    shown = ", ".join(str(path) for path in paths[:limit])
    return shown + (f" and {len(paths) - limit:,} more" if len(paths) > limit else "")


def corpus_files(paths: Iterable[str | Path]) -> list[Path]:
    """The corpus files named by ``paths``: files as given, folders searched recursively (sorted)."""
    return find_corpus_files(paths)[0]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its line ending), decoding UTF-8 strictly with a precise error."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    with handle:
        offset = 0
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise _not_utf8(path, number, offset + error.start, raw) from None
                offset += len(raw)
                if number == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield number, line.rstrip("\n").removesuffix("\r")
        except OSError as error:  # a folder's entry that vanished, a read error of the device
            raise InputError(f"{path}: cannot read ({error.strerror or error})") from None


def _not_utf8(path: Path, number: int, byte: int, raw: bytes) -> InputError:
    if number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return InputError(
            f"{path}:1: not UTF-8 but UTF-16 (it starts with a UTF-16 byte order mark)",
            hint=f"convert the file to UTF-8: iconv -f utf-16 -t utf-8 {path}",
        )
    return InputError(
        f"{path}:{number}: not UTF-8 (byte {byte} of the file)",
        hint="convert the file to UTF-8, e.g. iconv -f cp1256 -t utf-8",
    )


def read_text(
    path: Path, ids: _IdAssigner | None = None, report: ReadReport | None = None
) -> Iterator[Example]:
    """One example per non-empty line."""
    ids = ids or _IdAssigner()
    check = _FileCheck(path, report)
    for number, line in _lines(path):
        if line.strip() and check.keep(line, number):
            yield Example(ids(line), line, (), {})
    check.finish()


def read_jsonl(
    path: Path, ids: _IdAssigner | None = None, report: ReadReport | None = None
) -> Iterator[Example]:
    """One example per line: ``text``, optional ``id`` and ``meta``; other keys are kept in meta.

    Spans given as ``spans`` (this tool's shape) or ``label`` (doccano's ``[[s, e, L], ...]``) are
    read as the example's spans. A line nested too deep, with a huge number, a lone surrogate
    escape or NaN is refused (``annotator.corpus.json_lines``).
    """
    ids = ids or _IdAssigner()
    check = _FileCheck(path, report)
    for number, line in _lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = parse_line(line)
        except JsonLineError as error:
            raise InputError(f"{where}: {error.reason}", hint=error.hint or JSONL_HINT) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{where}: each line needs a "text" string', hint=JSONL_HINT)
        text = record.pop("text")
        raw_id = record.pop("id", None)
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
            raise InputError(
                f'{where}: "id" must be a string or an integer, not {_json_type(raw_id)}',
                hint='write the id as a string, e.g. "id": "doc-17"',
            )
        meta = record.pop("meta", {}) or {}
        if not isinstance(meta, dict):
            raise InputError(f'{where}: "meta" must be an object')
        spans = _spans_from_record(record, text, where)
        record.pop("Comments", None)
        meta = {**{k: v for k, v in record.items()}, **meta}
        if not check.keep(text, number):
            continue
        example_id = str(raw_id) if raw_id is not None and str(raw_id) != "" else ids(text)
        yield Example(example_id, text, spans, meta)
    check.finish()


def _json_type(value: Any) -> str:
    names = {bool: "true/false", float: "a number with a fraction", list: "an array", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _spans_from_record(record: dict[str, Any], text: str, where: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    try:
        for item in record.pop("spans", None) or []:
            if not isinstance(item, dict) or not isinstance(item.get("label"), str):
                raise TypeError('a span is an object with "start", "end" and a "label" string')
            source = item.get("source")
            if source is not None and not isinstance(source, dict):
                raise TypeError('a span\'s "source" is an object with "example", "start" and "end"')
            pointer = (
                (str(source["example"]), int(source["start"]), int(source["end"]))
                if source is not None
                else None
            )
            spans.append(
                Span(int(item["start"]), int(item["end"]), item["label"], str(item.get("rule", "")), pointer)
            )
        for item in record.pop("label", None) or []:
            if not isinstance(item, list) or len(item) < 3 or not isinstance(item[2], str):
                raise TypeError('a label is an array [start, end, "LABEL"]')
            start, end, label = item[0], item[1], item[2]
            spans.append(Span(int(start), int(end), label))
    except (KeyError, IndexError, TypeError, ValueError, OverflowError) as error:
        raise InputError(
            f"{where}: malformed span ({error})",
            hint='spans are "spans": [{"start": 0, "end": 5, "label": "LOC"}] '
            'or doccano\'s "label": [[0, 5, "LOC"]], offsets in characters',
        ) from None
    for span in spans:
        if span.end > len(text):
            raise InputError(
                f"{where}: span [{span.start}, {span.end}) is outside the text ({len(text)} chars)"
            )
    return tuple(sorted(spans))


def read_conll(
    path: Path, ids: _IdAssigner | None = None, report: ReadReport | None = None
) -> Iterator[Example]:
    """Sentences of ``TOKEN TAG`` lines (blank line between sentences); text = tokens joined by a space.

    BIO tags become the example's spans (``I-`` after ``O`` or another label starts a new entity).
    """
    ids = ids or _IdAssigner()
    check = _FileCheck(path, report)
    tokens: list[str] = []
    tags: list[str] = []
    first = 0
    for number, line in _lines(path):
        if not line.strip():
            if tokens:
                example = _conll_example(tokens, tags, ids, check, first)
                if example is not None:
                    yield example
                tokens, tags = [], []
            continue
        if line.startswith("-DOCSTART-"):
            continue
        parts = line.split()
        if not tokens:
            first = number
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
        example = _conll_example(tokens, tags, ids, check, first)
        if example is not None:
            yield example
    check.finish()


def _conll_example(
    tokens: list[str], tags: list[str], ids: _IdAssigner, check: _FileCheck, line: int
) -> Example | None:
    text = " ".join(tokens)
    if not check.keep(text, line):
        return None
    positions = []
    offset = 0
    for token in tokens:
        positions.append((offset, offset + len(token)))
        offset += len(token) + 1
    return Example(ids(text), text, tuple(spans_from_bio(positions, tags)), {})


def read_corpus(paths: Iterable[str | Path], report: ReadReport | None = None) -> Iterator[Example]:
    """Every example of every corpus file named by ``paths`` (files or folders), in order.

    ``report``, when given, collects what the reading met: files read and skipped, warnings.
    """
    ids = _IdAssigner()
    files, skipped = find_corpus_files(paths)
    if report is not None:
        report.skipped_files.extend(skipped)
    for path in files:
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path, ids, report)
        elif suffix in CONLL_SUFFIXES:
            yield from read_conll(path, ids, report)
        else:
            yield from read_text(path, ids, report)


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
    """Writes pre-annotation JSONL atomically: to a temporary file, renamed into place on success.

    On any failure neither the output nor the temporary file is left (``annotator.atomic``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = AtomicFile(self.path)
        self._handle: IO[str] | None = None

    def __enter__(self) -> PreAnnotationWriter:
        self._handle = self._file.__enter__()
        return self

    def write(self, example: Example) -> None:
        assert self._handle is not None
        line = json.dumps(example_to_json(example), ensure_ascii=False) + "\n"
        try:
            self._handle.write(line)
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({error.strerror or error})") from None

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._file.__exit__(kind, value, traceback)


def read_pre_annotations(path: str | Path, report: ReadReport | None = None) -> Iterator[Example]:
    """Read back a pre-annotation JSONL file written by ``annotate``.

    A corpus file (``.txt``, CoNLL) is refused with the command that pre-annotates it.
    """
    path = Path(path)
    if path.suffix.lower() in TEXT_SUFFIXES + CONLL_SUFFIXES:
        raise InputError(
            f"{path}: a corpus file ({path.suffix}), not pre-annotations",
            hint=f"pre-annotate it first: annotator annotate {path} --rules RULE_PACK -o pre.jsonl, "
            "then push pre.jsonl",
        )
    if path.is_dir():
        raise InputError(
            f"{path}: is a folder; name the pre-annotation JSONL file `annotator annotate` wrote"
        )
    if not path.exists():
        raise InputError(f"{path}: no such file")
    yield from read_jsonl(path, report=report)
