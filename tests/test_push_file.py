"""``push_file``, ``annotator push`` as a library call: the file is read and checked before doccano is
contacted, and the rule pack's labels, policy and fingerprint go to the push. No doccano is run
here: an address where nothing listens proves that a refused file never reached the network, and
a stand-in for ``push`` shows what it is handed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.corpus import ReadReport
from annotator.doccano import push as push_module
from annotator.doccano.connection import Credentials
from annotator.doccano.push import Progress, PushReport, push_file
from annotator.errors import InputError, ServerUnreachable
from annotator.rules import load_pack
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"


@pytest.mark.parametrize("content", [b"", b"\n\n", b'{"text": "\\u0000\\u0000 "}\n'])
def test_a_file_without_examples_is_refused_before_doccano_is_contacted(
    tmp_path: Path, no_credentials: Path, content: bytes
) -> None:
    pre = tmp_path / "pre.jsonl"
    pre.write_bytes(content)
    url = f"http://127.0.0.1:{free_port()}"  # contacting it would raise ServerUnreachable
    read: list[ReadReport] = []
    with pytest.raises(InputError) as raised:
        push_file(pre, "p", url=url, on_read=read.append)
    assert raised.value.message == f"{pre}: no examples to push; nothing was sent to doccano"
    assert raised.value.exit_code == 4
    assert len(read) == 1  # what reading met was handed over before the refusal
    if b"\\u0000" in content:
        assert read[0].skipped_texts == 1


def test_a_file_with_examples_goes_on_to_contact_doccano(tmp_path: Path, no_credentials: Path) -> None:
    # the same unreachable address as above: here it is reached for, so above it was not
    pre = tmp_path / "pre.jsonl"
    pre.write_text('{"text": "في ليبيا"}\n', encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnreachable, match=f"cannot reach {url}"):
        push_file(pre, "p", url=url)


def test_the_packs_labels_policy_and_fingerprint_go_to_the_push_inside_the_progress_display(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pre = tmp_path / "pre.jsonl"
    pre.write_text('{"id": "a", "text": "في ليبيا"}\n{"id": "b", "text": "في تونس"}\n', encoding="utf-8")
    events: list[str] = []
    handed: dict[str, Any] = {}

    class Connected:
        def __init__(self, credentials: Credentials) -> None:
            events.append(f"connected to {credentials.url}")
            self.url = credentials.url

    def recording_push(doccano: Connected, examples: list[Any], project: str, **options: Any) -> PushReport:
        events.append("pushed")
        handed.update(options, examples=[example.id for example in examples], project=project)
        options["progress"]("uploading", 2, 2)
        return PushReport(project, 1, doccano.url, in_file=len(examples))

    @contextlib.contextmanager
    def display() -> Iterator[Progress]:
        events.append("display shown")
        yield lambda stage, done, total: events.append(f"{stage} {done}/{total}")
        events.append("display closed")

    monkeypatch.setattr(push_module, "resolve_credentials", lambda url: Credentials(url, "u", "pw"))
    monkeypatch.setattr(push_module, "Doccano", Connected)
    monkeypatch.setattr(push_module, "push", recording_push)
    report = push_file(
        pre, "news", rules=STARTER, url="http://doccano.test", update=True, chunk_size=7, progress=display()
    )
    pack = load_pack(STARTER)
    assert report.in_file == 2
    assert events == [
        "connected to http://doccano.test",
        "display shown",
        "pushed",
        "uploading 2/2",
        "display closed",
    ]
    assert handed["examples"] == ["a", "b"] and handed["project"] == "news"
    assert tuple(label.name for label in handed["labels"]) == pack.label_names
    assert handed["pack"] == pack.fingerprint
    assert handed["allow_overlapping"] == pack.allows_overlap
    assert (handed["update"], handed["chunk_size"]) == (True, 7)
