"""``annotate_files``, ``annotator annotate`` as a library call: the same file as the command, the
counts it prints, the order of the work around a progress display, and its typed errors."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import annotator.engine
from annotator.cli import main
from annotator.corpus.annotated import OnExample, annotate_files
from annotator.errors import ClusterError, InputError, OutputError, UsageError
from tests.packs import write_pack

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
STARTER = ROOT / "rules" / "starter"
#: a title names a person; propagate tags the later mentions of that name in the same document
PROPAGATING = """\
rules:
  - id: per.title
    kind: trigger
    label: PER
    trigger: {terms: [السيناتور]}
    target: '[^\\W\\d_]+\\s+[^\\W\\d_]+'
  - id: per.later
    kind: propagate
    label: PER
    from: [per.title]
"""


def test_annotate_files_writes_the_file_the_command_writes_and_counts_what_it_holds(tmp_path: Path) -> None:
    args = ["annotate", str(SEEDS), "--rules", str(STARTER), "-q"]
    assert main([*args, "-o", str(tmp_path / "cli.jsonl")]) == 0
    done = annotate_files([SEEDS], STARTER, tmp_path / "lib.jsonl")
    assert (tmp_path / "lib.jsonl").read_bytes() == (tmp_path / "cli.jsonl").read_bytes()
    records = [json.loads(line) for line in (tmp_path / "lib.jsonl").read_text("utf-8").splitlines()]
    assert done.output == tmp_path / "lib.jsonl"
    assert done.summary.examples == len(records) == 11
    assert done.summary.spans == sum(len(record["spans"]) for record in records) > 0
    assert done.summary.chars == sum(len(record["text"]) for record in records)
    assert done.pack.fingerprint.startswith("starter@")
    assert done.cluster is None and done.seconds >= 0
    assert not done.reading.warnings and not done.reading.skipped_files


def test_the_progress_display_is_entered_after_the_worker_processes_started_and_ticks_per_example(
    tmp_path: Path,
) -> None:
    # a display's thread must not exist when the workers fork (they share the compiled pack then)
    children_at_entry: list[int] = []
    ticks: list[str] = []

    @contextlib.contextmanager
    def display() -> Iterator[OnExample]:
        children_at_entry.append(len(multiprocessing.active_children()))
        yield lambda example: ticks.append(example.id)

    done = annotate_files([SEEDS], STARTER, tmp_path / "pre.jsonl", workers=2, progress=display())
    assert children_at_entry == [2]
    assert len(ticks) == done.summary.examples == 11


def test_the_cache_note_is_handed_over_as_soon_as_the_pack_is_compiled(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    notes: list[str] = []
    done = annotate_files(
        [SEEDS], STARTER, tmp_path / "pre.jsonl", cache=blocker / "cache", on_cache_note=notes.append
    )
    assert notes == [done.cache_note]
    assert done.cache_note is not None and str(blocker) in done.cache_note


def test_a_doc_key_groups_the_documents_instead_of_the_packs_key(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_pack(pack, {"rules.yaml": PROPAGATING})
    corpus = tmp_path / "in.jsonl"
    lines = [
        {"id": "a1", "text": "قال السيناتور جون سبيكتر إن", "article": "x"},
        {"id": "a2", "text": "ورفض سبيكتر الاقتراح", "article": "x"},
    ]
    corpus.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")
    by_article = annotate_files([corpus], pack, tmp_path / "article.jsonl", doc_key="meta.article")
    by_default = annotate_files([corpus], pack, tmp_path / "default.jsonl")
    assert by_article.summary.per_rule["per.later"] == 1  # the second line is in the first one's document
    assert by_default.summary.per_rule["per.later"] == 0  # meta.doc: each line is a document of its own


def test_workers_and_a_dask_cluster_together_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not both"):
        annotate_files([SEEDS], STARTER, tmp_path / "pre.jsonl", workers=2, dask="local:2")
    assert not (tmp_path / "pre.jsonl").exists()


def test_a_malformed_doc_key_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"looks like meta\.NAME"):
        annotate_files([SEEDS], STARTER, tmp_path / "pre.jsonl", doc_key="article")


def test_an_output_that_cannot_be_a_file_is_refused_before_the_pack_is_compiled(tmp_path: Path) -> None:
    # the pack folder does not exist: compiling it would be a pack error, so none was attempted
    with pytest.raises(OutputError, match="is a folder"):
        annotate_files([SEEDS], tmp_path / "no-pack", tmp_path)


def test_without_the_dask_extra_a_cluster_run_is_a_cluster_error_naming_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # importing it now fails as if not installed
    monkeypatch.delitem(sys.modules, "annotator.engine.cluster", raising=False)
    monkeypatch.delattr(annotator.engine, "cluster", raising=False)
    connecting: list[str] = []
    with pytest.raises(ClusterError) as raised:
        annotate_files([SEEDS], STARTER, tmp_path / "pre.jsonl", dask="local:2", on_connect=connecting.append)
    assert "needs the optional dask extra" in str(raised.value)
    assert raised.value.hint is not None and ".[dask]" in raised.value.hint
    assert raised.value.exit_code == 10
    assert connecting == [] and not (tmp_path / "pre.jsonl").exists()


@pytest.mark.parametrize(
    ("address", "message"),
    [("local:0", "the number of local workers must be a whole number"), (" ", "needs a scheduler address")],
)
def test_a_bad_cluster_address_is_a_cluster_error_before_connecting(
    tmp_path: Path, address: str, message: str
) -> None:
    pytest.importorskip("distributed", reason="needs the dask extra: pip install -e '.[dask]'")
    connecting: list[str] = []
    with pytest.raises(ClusterError, match=message):
        annotate_files([SEEDS], STARTER, tmp_path / "pre.jsonl", dask=address, on_connect=connecting.append)
    assert connecting == [] and not (tmp_path / "pre.jsonl").exists()


def test_a_bad_input_line_is_an_input_error_that_closes_the_progress_display_and_writes_nothing(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "في ليبيا"}\nnot json\n', encoding="utf-8")
    shown: list[str] = []

    @contextlib.contextmanager
    def display() -> Iterator[OnExample]:
        shown.append("entered")
        try:
            yield lambda example: shown.append(example.text)
        finally:
            shown.append("closed")

    with pytest.raises(InputError, match=r"bad\.jsonl:2: not valid JSON"):
        annotate_files([bad], STARTER, tmp_path / "pre.jsonl", progress=display())
    assert shown == ["entered", "في ليبيا", "closed"]
    assert not (tmp_path / "pre.jsonl").exists()
