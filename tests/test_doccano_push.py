"""Push into a REAL doccano: offsets, idempotency, resuming a killed push, safe re-sync, errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.connection import Doccano, write_import_file
from annotator.doccano.local.credentials import Credentials
from annotator.doccano.push import push
from annotator.doccano.records import from_export_record, to_import_record
from annotator.engine import annotate_stream
from annotator.errors import AuthenticationFailed, ServerUnreachable, VerificationFailed
from annotator.model import Example, Span
from annotator.rules import load_pack

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"

EMOJI_TEXT = "خبر عاجل 😀🇱🇾 من ليبيا:\r\nوصل الوفد إلى طرابلس 👍 ثم القاهرة"


def seed_examples() -> list[Example]:
    pack = load_pack(STARTER)
    corpus = list(read_corpus([ROOT / "seeds"]))
    corpus.append(Example("emoji-crlf", EMOJI_TEXT))
    return list(annotate_stream(pack, corpus))


def exported(doccano: Doccano, name: str) -> dict[str, object]:
    project = doccano.project(name)
    return {item.example.id: item for item in map(from_export_record, doccano.export(project.id, False))}


def test_push_puts_every_span_into_doccano_on_the_same_text_including_after_an_emoji(
    doccano_admin: Doccano, project_name: str
) -> None:
    examples = seed_examples()
    pack = load_pack(STARTER)
    report = push(
        doccano_admin, examples, project_name, labels=pack.labels, pack=pack.fingerprint, chunk_size=5
    )
    assert report.verified and report.uploaded == len(examples) == 12
    assert report.verified_by == "counts"  # a plain push: the counts added up, no export needed
    assert report.spans_pushed == sum(len(e.spans) for e in examples) > 30
    pulled = exported(doccano_admin, project_name)
    assert set(pulled) == {e.id for e in examples}
    for example in examples:
        item = pulled[example.id]
        assert item.example.text == example.text  # \r\n restored byte for byte
        assert item.example.spans == tuple(Span(s.start, s.end, s.label) for s in example.spans)
        assert item.pre == example.spans  # rule ids travel in meta
    # what doccano itself stores: UTF-16 units, so every span after the emoji moves right
    emoji = next(e for e in examples if e.id == "emoji-crlf")
    project = doccano_admin.project(project_name)
    raw = next(r for r in doccano_admin.examples(project.id) if r["meta"]["annotator_id"] == "emoji-crlf")
    stored = sorted((s["start_offset"], s["end_offset"]) for s in doccano_admin.spans(project.id, raw["id"]))
    tripoli = next(s for s in emoji.spans if EMOJI_TEXT[s.start : s.end] == "طرابلس")
    assert EMOJI_TEXT[tripoli.start : tripoli.end] == "طرابلس"
    # two emoji of 2 units + one flag of 2 regional indicators (4 units) before it, and one \r removed
    utf16_before = len(EMOJI_TEXT[: tripoli.start].replace("\r\n", "\n").encode("utf-16-le")) // 2
    assert (utf16_before, utf16_before + 6) in stored
    assert (
        raw["text"].encode("utf-16-le")[2 * utf16_before : 2 * utf16_before + 12].decode("utf-16-le")
        == "طرابلس"
    )


def test_pushing_the_same_file_twice_leaves_exactly_one_copy(
    doccano_admin: Doccano, project_name: str
) -> None:
    examples = seed_examples()
    first = push(doccano_admin, examples, project_name, chunk_size=50)
    second = push(doccano_admin, examples, project_name, chunk_size=50)
    assert (first.uploaded, second.uploaded, second.already_present) == (12, 0, 12)
    project = doccano_admin.project(project_name)
    ids = [raw["meta"]["annotator_id"] for raw in doccano_admin.examples(project.id)]
    assert sorted(ids) == sorted(e.id for e in examples)


def test_the_cli_summary_says_what_a_push_did_and_that_a_rerun_had_nothing_to_upload(
    project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    pre = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre) as writer:
        for example in seed_examples():
            writer.write(example)
    command = [sys.executable, "-m", "annotator", "push", str(pre), "--project", project_name]
    env = {**os.environ, "ANNOTATOR_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and rerun.returncode == 0, first.stderr + rerun.stderr
    said = " ".join(first.stdout.split()), " ".join(rerun.stdout.split())
    assert "created, 1 import chunk, verified: every example and span arrived (checked by counts" in said[0]
    assert "nothing to upload, verified: every example of the file is in doccano" in said[1]
    assert re.search(r"already in doccano, skipped\W+12\b", said[1])


def test_a_rerun_removes_copies_a_late_import_left_but_never_a_confirmed_one(
    doccano_admin: Doccano, project_name: str
) -> None:
    examples = seed_examples()
    push(doccano_admin, examples, project_name, chunk_size=50)
    project = doccano_admin.project(project_name)
    # an import that a killed run started and that finished later: three examples arrive twice
    twice = examples[:3]
    path = write_import_file([to_import_record(example, "") for example in twice])
    try:
        doccano_admin.wait_task(doccano_admin.start_import(project.id, path))
    finally:
        path.unlink()
    copies = [raw for raw in doccano_admin.examples(project.id) if raw["meta"]["annotator_id"] == twice[0].id]
    assert len(copies) == 2
    newest = max(raw["id"] for raw in copies)
    doccano_admin.confirm(project.id, newest)  # an annotator already confirmed the late copy

    report = push(doccano_admin, examples, project_name, chunk_size=50)

    assert report.verified and report.uploaded == 0
    assert report.duplicates_removed == 3 and report.verified_by == "export"
    left = [raw for raw in doccano_admin.examples(project.id)]
    assert sorted(raw["meta"]["annotator_id"] for raw in left) == sorted(e.id for e in examples)
    assert newest in {raw["id"] for raw in left}  # the confirmed copy stayed, its twin went


def test_a_span_doccano_drops_makes_the_counts_disagree_and_the_export_names_it(
    doccano_admin: Doccano, project_name: str
) -> None:
    examples = [e for e in seed_examples() if e.spans][:4]
    first = examples[0].spans[0]
    # doccano silently drops the later of two overlapping spans in a project without overlap
    clash = Span(first.start, first.end, "LOC" if first.label != "LOC" else "PER", rule="test.clash")
    examples[0] = replace(examples[0], spans=tuple(sorted((*examples[0].spans, clash))))
    with pytest.raises(VerificationFailed) as caught:
        push(doccano_admin, examples, project_name, allow_overlapping=False)
    assert "dropped 1 spans" in str(caught.value)
    assert examples[0].id in str(caught.value)
    project = doccano_admin.project(project_name)
    assert doccano_admin.example_count(project.id) == len(examples)  # every example still arrived
    pushed = sum(len(e.spans) for e in examples)
    assert sum(doccano_admin.span_counts(project.id).values()) == pushed - 1


def test_a_push_killed_half_way_can_be_rerun_and_ends_with_one_copy_of_each(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    pre = tmp_path / "pre.jsonl"
    many = [replace(e, id=f"{e.id}-{i}") for i in range(4) for e in seed_examples()]  # 48 examples
    with PreAnnotationWriter(pre) as writer:
        for example in many:
            writer.write(example)
    command = [
        sys.executable,
        "-m",
        "annotator",
        "push",
        str(pre),
        "--project",
        project_name,
        "--chunk-size",
        "4",
    ]
    env = {**os.environ, "ANNOTATOR_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    arrived = 0
    while time.monotonic() < deadline and process.poll() is None:
        project = doccano_admin.find_project(project_name)
        arrived = sum(1 for _ in doccano_admin.examples(project.id)) if project else 0
        if arrived >= 8:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < arrived < len(many), "the push should have been killed half way"
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    project = doccano_admin.project(project_name)
    ids = [raw["meta"]["annotator_id"] for raw in doccano_admin.examples(project.id)]
    assert sorted(ids) == sorted(e.id for e in many)  # every example exactly once


def test_update_replaces_only_untouched_examples_and_leaves_human_work_byte_for_byte(
    doccano_admin: Doccano, project_name: str, tmp_path: Path
) -> None:
    examples = [e for e in seed_examples() if e.spans][:6]
    push(doccano_admin, examples, project_name)
    project = doccano_admin.project(project_name)
    by_doc = {raw["meta"]["annotator_id"]: raw["id"] for raw in doccano_admin.examples(project.id)}
    confirmed_doc, edited_doc, commented_doc = examples[0].id, examples[1].id, examples[2].id
    doccano_admin.confirm(project.id, by_doc[confirmed_doc])
    first_span = doccano_admin.spans(project.id, by_doc[edited_doc])[0]
    doccano_admin.call(
        "delete a span",
        doccano_admin._http.delete,
        f"projects/{project.id}/examples/{by_doc[edited_doc]}/spans/{first_span['id']}",
    )
    doccano_admin.call(
        "comment", doccano_admin.client.create_comment, project.id, by_doc[commented_doc], "راجع"
    )

    def snapshot(doc_id: str) -> str:
        example_id = by_doc[doc_id]
        raw = doccano_admin.get_json("read", f"projects/{project.id}/examples/{example_id}")
        spans = doccano_admin.spans(project.id, example_id)
        return json.dumps([raw, spans], sort_keys=True, ensure_ascii=False)

    before = {doc: snapshot(doc) for doc in (confirmed_doc, edited_doc, commented_doc)}
    # "improved rules": every span now also gets an extra DATE span at the very start
    improved = [
        replace(
            e, spans=tuple(sorted((Span(0, 2, "DATE", "date.new"), *[s for s in e.spans if s.start >= 2])))
        )
        for e in examples
    ]
    report = push(doccano_admin, improved, project_name, update=True)
    assert (report.kept_confirmed, report.kept_edited, report.replaced) == (1, 2, 3)
    assert {doc: snapshot(doc) for doc in before} == before
    pulled = exported(doccano_admin, project_name)
    assert len(pulled) == 6
    for example in improved[3:]:
        assert pulled[example.id].pre == example.spans
        assert pulled[example.id].example.spans == tuple(Span(s.start, s.end, s.label) for s in example.spans)
    again = push(doccano_admin, improved, project_name, update=True)
    assert (again.replaced, again.unchanged) == (0, 3)


def test_unreachable_server_names_the_url_and_what_to_do() -> None:
    with pytest.raises(ServerUnreachable) as caught:
        Doccano(Credentials("http://127.0.0.1:9", "admin", "x"), retries=0)
    assert "http://127.0.0.1:9" in str(caught.value)
    assert "annotator doccano up" in str(caught.value)


def test_wrong_password_is_an_authentication_error_that_does_not_echo_it(local_doccano) -> None:
    url = local_doccano.credentials().url
    with pytest.raises(AuthenticationFailed) as caught:
        Doccano(Credentials(url, "admin", "not-the-password-123"))
    assert "not-the-password-123" not in str(caught.value)
    assert "admin" in str(caught.value)
