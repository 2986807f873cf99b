"""Push pre-annotations into a doccano project: in bulk, idempotently, verified, resumable.

The push is driven by stable example ids (kept in doccano as ``annotator_id`` meta):

1. the project and its label types are created if missing (annotations shared across users, so
   every annotator sees the pre-annotations; grapheme mode off; overlap per the rule pack);
2. imports that a killed earlier run left in flight are waited for (a journal on disk names them);
3. examples whose id is already in the project are skipped (``update=True``: replaced when no human
   has touched them, see below);
4. the rest is uploaded through doccano's file import, in chunks (the next one uploading while
   doccano stores the previous one);
5. the project's example count and its span count per label must have grown by exactly what was
   uploaded: two aggregate queries that verify a plain push whatever its size. When they do not
   add up, or the run had something to repair (an id already there twice, imports resumed from a
   killed run, replaced examples), one export of the project is read instead: it shows whether
   an id is there twice (an import that finished after a crash), such duplicates are removed
   keeping human work, and it names every example and every span that did not arrive.

With ``update=True`` an example already in doccano gets the new pre-annotations only if it is not
confirmed, has no comments, and its spans are still exactly the ones the tool pushed. Replacement
uploads the new version first and deletes the old one after, so a crash never loses an example.

``push_file`` is ``annotator push`` as a library call: the file read (refused before doccano is
contacted when it holds no examples), the rule pack's labels and policy, then ``push``.

Why one module of about 500 lines: the steps above share the journal, the tally and the index of
what the project holds, and their order is what makes a push safe to re-run; read in one place,
the order can be checked against the list above.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.atomic import write_text_atomically
from annotator.corpus import ReadReport, read_pre_annotations
from annotator.doccano.connection import Doccano, ProjectInfo, resolve_credentials, write_import_file
from annotator.doccano.records import META_ID, META_PRE, from_export_record, label_key, to_import_record
from annotator.errors import AnnotatorError, InputError, VerificationFailed
from annotator.model import Example
from annotator.pack_cache import compile_pack
from annotator.paths import push_journal_dir
from annotator.rules.model import LabelSpec, default_colour

DEFAULT_CHUNK = 1000
#: imports started before waiting for the oldest: the next chunk uploads while doccano's task worker
#: stores the previous one (the worker takes one task at a time, so more would only queue)
IMPORTS_IN_FLIGHT = 2

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    """Default progress callback."""


@dataclass
class PushReport:
    project: str
    project_id: int
    url: str
    created_project: bool = False
    in_file: int = 0
    uploaded: int = 0
    already_present: int = 0
    replaced: int = 0
    unchanged: int = 0
    kept_confirmed: int = 0
    kept_edited: int = 0
    duplicates_removed: int = 0
    resumed_imports: int = 0
    chunks: int = 0
    spans_pushed: int = 0
    seconds: float = 0.0
    #: how the arrival was checked: "counts" (example and per-label span counts add up), "export"
    #: (every example and span looked up in an export of the project) or "" (not verified)
    verified_by: str = ""
    missing: list[str] = field(default_factory=list)
    duplicates_kept: list[str] = field(default_factory=list)  # copies that all hold human work
    dropped_spans: list[tuple[str, tuple[int, int, str]]] = field(default_factory=list)
    import_errors: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.missing and not self.dropped_spans and not self.import_errors


# -- the journal of imports in flight -------------------------------------------------------------


class PushJournal:
    """Doccano import tasks started but not yet seen finished, per server and project."""

    def __init__(self, url: str, project_id: int, directory: Path | None = None) -> None:
        key = hashlib.sha1(f"{url}|{project_id}".encode()).hexdigest()[:16]
        self.path = (directory or push_journal_dir()) / f"{key}.json"

    def pending(self) -> list[str]:
        try:
            return list(json.loads(self.path.read_text(encoding="utf-8")).get("tasks", []))
        except (OSError, ValueError):
            return []

    def _write(self, tasks: list[str]) -> None:
        if not tasks:
            self.path.unlink(missing_ok=True)
            return
        write_text_atomically(self.path, json.dumps({"tasks": tasks}))

    def add(self, task_id: str) -> None:
        self._write([*self.pending(), task_id])

    def done(self, task_id: str) -> None:
        self._write([task for task in self.pending() if task != task_id])


# -- the push --------------------------------------------------------------------------------------


def ensure_project(
    doccano: Doccano, name: str, labels: Iterable[LabelSpec], allow_overlapping: bool
) -> tuple[ProjectInfo, bool]:
    """The project (created if missing) with every label type present; and whether it was created."""
    labels = list(labels)
    project = doccano.find_project(name)
    created = project is None
    if project is None:
        guideline = "\n".join(f"- {label.name}: {label.description}" for label in labels if label.description)
        project = doccano.create_project(name, allow_overlapping=allow_overlapping, guideline=guideline)
    doccano.check_api(project)
    existing = doccano.label_types(project.id)
    for label in labels:
        if label.name not in existing:
            doccano.create_label_type(project.id, label.name, label.colour)
    return project, created


def labels_for(examples: list[Example], declared: Iterable[LabelSpec] = ()) -> list[LabelSpec]:
    """The pack's labels, plus any label used in the file but not declared (with a fallback colour)."""
    specs = {label.name: label for label in declared}
    for example in examples:
        for span in example.spans:
            if span.label not in specs:
                specs[span.label] = LabelSpec(span.label, default_colour(len(specs)))
    return list(specs.values())


def push(
    doccano: Doccano,
    examples: list[Example],
    project_name: str,
    *,
    labels: Iterable[LabelSpec] = (),
    pack: str = "",
    allow_overlapping: bool = False,
    update: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    verify: bool = True,
    journal_dir: Path | None = None,
    progress: Progress = _no_progress,
) -> PushReport:
    """Push pre-annotated ``examples`` into the project; see the module docstring for the contract."""
    began = time.perf_counter()
    _check_unique_ids(examples)
    project, created = ensure_project(doccano, project_name, labels_for(examples, labels), allow_overlapping)
    report = PushReport(project_name, project.id, doccano.url, created_project=created, in_file=len(examples))
    journal = PushJournal(doccano.url, project.id, journal_dir)
    report.resumed_imports = _finish_pending(doccano, journal)

    present = _index(doccano, project.id)
    uploads: list[Example] = []
    replace_ids: list[int] = []
    if update and present:
        uploads, replace_ids = _plan_update(doccano, project.id, examples, present, report)
    else:
        for example in examples:
            if example.id in present:
                report.already_present += 1
            else:
                uploads.append(example)
    # counts can vouch for a plain push only; a run that repairs something is checked by export
    repairs = bool(replace_ids or report.resumed_imports) or any(len(c) > 1 for c in present.values())
    before = _Tally.of(doccano, project.id) if verify and not repairs else None

    preferred = _upload(doccano, project.id, uploads, pack, chunk_size, journal, report, progress)
    if replace_ids:
        still_free = set(replace_ids) - {e["id"] for e in doccano.examples(project.id, confirmed=True)}
        doccano.delete_examples(project.id, sorted(still_free))
    if (
        before is not None
        and not report.import_errors
        and before.grown_by(preferred.values()) == _Tally.of(doccano, project.id)
    ):
        report.verified_by = "counts"
    else:
        _check_by_export(doccano, project.id, examples, preferred, verify, report, progress)
    report.seconds = time.perf_counter() - began
    if not report.verified:
        raise VerificationFailed(_verification_message(report))
    return report


def push_file(
    pre: str | Path,
    project: str,
    *,
    rules: str | Path | None = None,
    url: str | None = None,
    update: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: AbstractContextManager[Progress] | None = None,
    on_read: Callable[[ReadReport], None] | None = None,
) -> PushReport:
    """Push the pre-annotation JSONL file ``pre`` (as ``annotator annotate`` writes it) into ``project``.

    ``rules`` is the pack that pre-annotated it: its labels (colours, descriptions), its overlap
    policy and its fingerprint go to doccano. ``url`` None means the environment's or the embedded
    server's (``resolve_credentials``). The file is read whole before doccano is contacted:
    ``on_read`` is then called with what reading met, and a file without examples raises
    ``InputError`` (so no empty project is created). ``progress`` is entered around the push and
    gives its progress callback (stage, done, total). See ``push`` for the rest and its errors.
    """
    # through the pack cache: push needs only the labels and the fingerprint, not a 5 s compile
    pack = compile_pack(rules).pack if rules is not None else None
    reading = ReadReport()
    examples = list(read_pre_annotations(pre, reading))
    if on_read is not None:
        on_read(reading)
    if not examples:
        raise InputError(
            f"{pre}: no examples to push; nothing was sent to doccano",
            hint="push the file that `annotator annotate` wrote for a corpus with text in it",
        )
    doccano = Doccano(resolve_credentials(url))
    with progress if progress is not None else contextlib.nullcontext(_no_progress) as on_progress:
        return push(
            doccano,
            examples,
            project,
            labels=pack.labels if pack else (),
            pack=pack.fingerprint if pack else "",
            allow_overlapping=pack.allows_overlap if pack else False,
            update=update,
            chunk_size=chunk_size,
            progress=on_progress,
        )


def _check_by_export(
    doccano: Doccano,
    project_id: int,
    examples: list[Example],
    preferred: dict[str, list[tuple[int, int, str]]],
    verify: bool,
    report: PushReport,
    progress: Progress,
) -> None:
    """Remove duplicate copies and (with ``verify``) look every example and uploaded span up."""
    # one export serves both the duplicate check and the verification; the slower example listing
    # (confirmed state, comments, spans) is read only when an id really is there twice
    exported = doccano.export(project_id, False) if verify else None
    if exported is None or _has_duplicates(exported):
        report.duplicates_removed = _remove_duplicates(doccano, project_id, preferred)
        if report.duplicates_removed and verify:
            exported = doccano.export(project_id, False)
    if exported is not None:
        _verify(exported, examples, set(preferred), report, progress)
        report.verified_by = "export"


@dataclass(frozen=True)
class _Tally:
    """A project's example count and span count per label."""

    examples: int
    spans: Counter[str]

    @classmethod
    def of(cls, doccano: Doccano, project_id: int) -> _Tally:
        return cls(doccano.example_count(project_id), doccano.span_counts(project_id))

    def grown_by(self, uploaded: Iterable[list[tuple[int, int, str]]]) -> _Tally:
        """The tally once examples with these spans (as pushed) have arrived."""
        uploaded = list(uploaded)
        spans = Counter(self.spans)
        spans.update(label for key in uploaded for _, _, label in key)
        return _Tally(self.examples + len(uploaded), spans)


def _check_unique_ids(examples: list[Example]) -> None:
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise VerificationFailed(
                f"example id {example.id!r} appears twice in the input; ids must be unique to push",
            )
        seen.add(example.id)


def _finish_pending(doccano: Doccano, journal: PushJournal) -> int:
    """Wait for imports a killed earlier run started, so their examples are seen as present."""
    pending = journal.pending()
    for task_id in pending:
        # a failed or forgotten task is fine: the duplicate pass after the upload covers it
        with contextlib.suppress(AnnotatorError):
            doccano.wait_task(task_id, timeout=300)
        journal.done(task_id)
    return len(pending)


def _index(doccano: Doccano, project_id: int) -> dict[str, list[dict[str, Any]]]:
    """Examples in the project by stable id (several if duplicated)."""
    present: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in doccano.examples(project_id):
        doc_id = (raw.get("meta") or {}).get(META_ID)
        if doc_id is not None:
            present[str(doc_id)].append(raw)
    return present


def example_ids(doccano: Doccano, project_name: str) -> set[str]:
    """The stable ids (``annotator_id`` meta) of every example in the named project; raises
    ``ProjectNotFound`` when there is no such project."""
    project = doccano.project(project_name)
    return set(_index(doccano, project.id))


def _pushed_key(example: Example) -> list[tuple[int, int, str]]:
    record = to_import_record(example, "")
    return label_key(record["label"])


def _plan_update(
    doccano: Doccano,
    project_id: int,
    examples: list[Example],
    present: dict[str, list[dict[str, Any]]],
    report: PushReport,
) -> tuple[list[Example], list[int]]:
    """Which examples to upload (new or replacing an untouched one) and which old copies to delete."""
    current = {
        pulled.example.id: pulled for pulled in map(from_export_record, doccano.export(project_id, False))
    }
    confirmed = {raw["id"] for raw in doccano.examples(project_id, confirmed=True)}
    uploads: list[Example] = []
    replace_ids: list[int] = []
    for example in examples:
        pulled = current.get(example.id)
        if example.id not in present or pulled is None:
            uploads.append(example)
        elif pulled.doccano_id in confirmed:
            report.kept_confirmed += 1
        elif pulled.touched:
            report.kept_edited += 1
        elif (
            pulled.example.text == example.text
            and list(pulled.pushed_labels) == _pushed_key(example)
            and [s.rule for s in pulled.pre] == [s.rule for s in sorted(example.spans)]
        ):
            report.unchanged += 1
        else:
            uploads.append(example)
            replace_ids.extend(raw["id"] for raw in present[example.id])
            report.replaced += 1
    return uploads, replace_ids


def _upload(
    doccano: Doccano,
    project_id: int,
    examples: list[Example],
    pack: str,
    chunk_size: int,
    journal: PushJournal,
    report: PushReport,
    progress: Progress,
) -> dict[str, list[tuple[int, int, str]]]:
    """Import ``examples`` in chunks; return each one's spans as pushed (doccano units), by id."""
    progress("upload", 0, len(examples))
    in_flight: deque[tuple[str, list[Example]]] = deque()
    pushed: dict[str, list[tuple[int, int, str]]] = {}

    def finish_oldest() -> None:
        task_id, chunk = in_flight.popleft()
        result = doccano.wait_task(task_id)
        journal.done(task_id)
        for error in result.get("error", []) if isinstance(result, dict) else []:
            report.import_errors.append(json.dumps(error, ensure_ascii=False))
        report.chunks += 1
        report.uploaded += len(chunk)
        report.spans_pushed += sum(len(example.spans) for example in chunk)
        progress("upload", report.uploaded, len(examples))

    for start in range(0, len(examples), chunk_size):
        chunk = examples[start : start + chunk_size]
        records = [to_import_record(example, pack) for example in chunk]
        pushed.update((example.id, label_key(r["label"])) for example, r in zip(chunk, records, strict=True))
        path = write_import_file(records)
        try:  # once started, the import has its own copy of the file on the server
            task_id = doccano.start_import(project_id, path)
        finally:
            path.unlink(missing_ok=True)
        journal.add(task_id)
        in_flight.append((task_id, chunk))
        if len(in_flight) >= IMPORTS_IN_FLIGHT:
            finish_oldest()
    while in_flight:
        finish_oldest()
    report.uploaded -= report.replaced  # replacements are counted apart
    return pushed


def _remove_duplicates(
    doccano: Doccano, project_id: int, preferred: dict[str, list[tuple[int, int, str]]]
) -> int:
    """Leave one copy per stable id. Copies with human work (confirmed, commented, spans changed
    from what was pushed) are never deleted; among untouched copies the one holding the current
    pre-annotations (else the oldest) stays."""
    groups = {doc_id: copies for doc_id, copies in _index(doccano, project_id).items() if len(copies) > 1}
    if not groups:
        return 0
    types = doccano.call("list labels", doccano.client.list_label_types, project_id, "span")
    label_names = {label.id: label.text for label in types}
    doomed: list[int] = []
    for doc_id, copies in groups.items():
        protected, free = [], []
        for raw in copies:
            pushed = label_key(json.loads((raw.get("meta") or {}).get(META_PRE) or "[]"))
            current = label_key(
                [
                    [
                        span["start_offset"],
                        span["end_offset"],
                        label_names.get(span["label"], str(span["label"])),
                    ]
                    for span in doccano.spans(project_id, raw["id"])
                ]
            )
            human = raw.get("is_confirmed") or raw.get("comment_count") or current != pushed
            (protected if human else free).append((raw, pushed))
        if protected:
            doomed.extend(raw["id"] for raw, _ in free)
            continue
        want = preferred.get(doc_id)
        free.sort(key=lambda item: (item[1] != want, item[0]["id"]))
        doomed.extend(raw["id"] for raw, _ in free[1:])
    doccano.delete_examples(project_id, doomed)
    return len(doomed)


def _has_duplicates(exported: list[dict[str, Any]]) -> bool:
    """Some stable id is held by more than one example of the export."""
    seen: set[str] = set()
    for raw in exported:
        doc_id = raw.get(META_ID)
        if doc_id is None:
            continue  # not pushed by this tool: never a duplicate of ours
        doc_id = str(doc_id)
        if doc_id in seen:
            return True
        seen.add(doc_id)
    return False


def _verify(
    exported: list[dict[str, Any]],
    examples: list[Example],
    uploaded: set[str],
    report: PushReport,
    progress: Progress,
) -> None:
    """Check in the project's export that every example is there once and every uploaded span arrived."""
    progress("verify", 0, len(examples))
    pulled: dict[str, Any] = {}
    copies: dict[str, int] = defaultdict(int)
    for raw in exported:
        item = from_export_record(raw)
        pulled[item.example.id] = item
        copies[item.example.id] += 1
    report.duplicates_kept = sorted(doc_id for doc_id, count in copies.items() if count > 1)
    for example in examples:
        item = pulled.get(example.id)
        if item is None:
            report.missing.append(example.id)
            continue
        if example.id in uploaded:
            expected = _pushed_key(example)
            arrived = set(item.current_labels)
            for label in expected:
                if label not in arrived:
                    report.dropped_spans.append((example.id, label))
    progress("verify", len(examples), len(examples))


def _verification_message(report: PushReport) -> str:
    parts = []
    if report.missing:
        parts.append(f"{len(report.missing)} examples are missing in doccano (first: {report.missing[:5]})")
    if report.dropped_spans:
        first = ", ".join(f"{doc}:{span}" for doc, span in report.dropped_spans[:5])
        parts.append(f"doccano dropped {len(report.dropped_spans)} spans (first: {first})")
    if report.import_errors:
        parts.append(f"doccano reported import errors: {'; '.join(report.import_errors[:5])}")
    return "push verification failed: " + "; ".join(parts)
