"""The whole loop against a REAL doccano: pre-annotate, push, annotators correct and confirm through
the API, export the gold corpus, and measure the correction effort."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.accounts import add_user, read_account
from annotator.doccano.connection import Doccano, ProjectInfo
from annotator.doccano.offsets import OffsetCodec
from annotator.doccano.push import push
from annotator.engine import Annotator
from annotator.export.formats import read_conll, read_docbins, read_hf
from annotator.model import Example, Span
from annotator.rules import load_pack

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "libya-news-2021.gold.jsonl"
PACK = ROOT / "rules" / "starter"


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


class Annotators:
    """Plays a human annotator (an account that did not push) through doccano's API."""

    def __init__(self, admin: Doccano, project: ProjectInfo) -> None:
        # the account a lead would create: `annotator doccano user add NAME --project P`
        username = f"annotator-{secrets.token_hex(4)}"
        change, _ = add_user(admin, username, project=project.name, role="annotator")
        assert change.created and change.joined
        self.doccano = Doccano(read_account(admin.url, username))
        project_id = project.id
        self.project_id = project_id
        types = admin.call("list labels", admin.client.list_label_types, project_id, "span")
        self.label_ids = {label.text: label.id for label in types}
        self.label_names = {label.id: label.text for label in types}
        self.actions: Counter[str] = Counter()

    def correct(self, example_id: int, text: str, gold: list[Span]) -> None:
        """Make the example's spans equal ``gold`` span by span, counting each kind of edit, then confirm."""
        codec = OffsetCodec.for_original(text)
        base = f"projects/{self.project_id}/examples/{example_id}/spans"
        http = self.doccano._http
        current = []
        for raw in self.doccano.spans(self.project_id, example_id):
            start = codec.from_doccano(raw["start_offset"], is_end=False)
            end = codec.from_doccano(raw["end_offset"], is_end=True)
            current.append((Span(start, end, self.label_names[raw["label"]]), raw["id"]))
        todo = list(gold)

        def patch(span_id: int, target: Span) -> None:
            # a full PUT: doccano-client's update_span drops a start offset of 0 (`x or old`)
            body = {
                "id": span_id,
                "example": example_id,
                "start_offset": codec.to_doccano(target.start),
                "end_offset": codec.to_doccano(target.end),
                "label": self.label_ids[target.label],
                "prob": 0.0,
            }
            self.doccano.call("edit a span", http.put, f"{base}/{span_id}", json=body)

        stages = (
            ("kept", lambda s, g: s.key == g.key),
            ("relabelled", lambda s, g: (s.start, s.end) == (g.start, g.end)),
            ("rebounded", lambda s, g: s.label == g.label and _overlap(s, g)),
            ("rebounded_relabelled", _overlap),
        )
        remaining = sorted(current)
        for action, fits in stages:
            left = []
            for span, span_id in remaining:
                target = next((g for g in todo if fits(span, g)), None)
                if target is None:
                    left.append((span, span_id))
                    continue
                todo.remove(target)
                if action != "kept":
                    patch(span_id, target)
                self.actions[action] += 1
            remaining = left
        for _span, span_id in remaining:
            self.doccano.call("delete a span", http.delete, f"{base}/{span_id}")
            self.actions["deleted"] += 1
        for target in todo:
            body = {
                "start_offset": codec.to_doccano(target.start),
                "end_offset": codec.to_doccano(target.end),
                "label": self.label_ids[target.label],
            }
            self.doccano.call("add a span", http.post, base, json=body)
            self.actions["added"] += 1
        self.doccano.confirm(self.project_id, example_id)


def test_corrected_and_confirmed_seed_corpus_exports_exactly_the_gold_in_every_format(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    gold = list(read_corpus([GOLD]))
    assert (len(gold), sum(len(e.spans) for e in gold)) == (11, 69)
    pack = load_pack(PACK)
    annotator = Annotator(pack)
    pre = [annotator.annotate_example(Example(e.id, e.text)) for e in gold]
    pre_file = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre_file) as writer:
        for example in pre:
            writer.write(example)
    assert main(["push", str(pre_file), "--project", project_name, "--rules", str(PACK)]) == 0

    project = doccano_admin.project(project_name)
    people = Annotators(doccano_admin, project)
    ids = {raw["meta"]["annotator_id"]: raw["id"] for raw in doccano_admin.examples(project.id)}
    for example in gold:
        people.correct(ids[example.id], example.text, list(example.spans))
    # a confirmed example is never touched again by a re-push
    assert main(["push", str(pre_file), "--project", project_name, "--update"]) == 0

    out = tmp_path / "export"
    assert main(["export", "--project", project_name, "-o", str(out)]) == 0
    exported = (out / "gold.jsonl").read_text(encoding="utf-8")
    assert exported == GOLD.read_text(encoding="utf-8")  # byte for byte: 11 examples, 69 spans

    texts = {e.id: e.text for e in gold}
    expected = {e.id: sorted(e.spans) for e in gold}
    ents, spans = read_docbins([out / "train.spacy", out / "dev.spacy"])
    assert ents == expected and spans == expected
    assert read_conll(out / "gold.conll", texts) == expected
    assert read_hf(out, texts) == expected
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["examples"] == 11 and manifest["spans"] == 69
    assert manifest["source"]["rule_packs"] == {pack.fingerprint: 11}
    assert all(entry["spans"] == 69 for entry in manifest["formats"].values())

    # the effort report agrees with the edits made above
    pushed_file = out / "pushed.jsonl"
    pushed = list(read_corpus([pushed_file]))
    assert sorted(pushed, key=lambda e: e.id) == sorted(pre, key=lambda e: e.id)
    assert (
        main(
            ["evaluate", "--gold", str(out / "gold.jsonl"), "--pred", str(pushed_file), "--effort", "--json"]
        )
        == 0
    )


def test_effort_report_counts_the_edits_annotators_made(
    doccano_admin: Doccano,
    project_name: str,
    doccano_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gold = list(read_corpus([GOLD]))
    annotator = Annotator(load_pack(PACK))
    pre = [annotator.annotate_example(Example(e.id, e.text)) for e in gold]
    push(doccano_admin, pre, project_name)
    project = doccano_admin.project(project_name)
    people = Annotators(doccano_admin, project)
    ids = {raw["meta"]["annotator_id"]: raw["id"] for raw in doccano_admin.examples(project.id)}
    for example in gold:
        people.correct(ids[example.id], example.text, list(example.spans))
    out = tmp_path / "export"
    assert main(["export", "--project", project_name, "-o", str(out), "--format", "jsonl"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--gold",
                str(out / "gold.jsonl"),
                "--pred",
                str(out / "pushed.jsonl"),
                "--effort",
                "--json",
            ]
        )
        == 0
    )
    effort = json.loads(capsys.readouterr().out)["effort"]
    made = people.actions
    assert sum(made.values()) > 0 and made["kept"] > 0
    for name in ("kept", "relabelled", "rebounded", "rebounded_relabelled", "deleted", "added"):
        assert effort[name] == made[name], name
    assert effort["pushed_spans"] == sum(len(e.spans) for e in pre)
    assert effort["gold_spans"] == 69
    assert effort["untyped_share"] == round(made["kept"] / 69, 4)


HARD = [
    Example("hard-diacritics", "زار الرَّئيسُ القاهرةَ ومصـــر أمس"),
    Example("hard-emoji", "عاجل 😀🇱🇾 وصل الوفد إلى طرابلس ثم بنغازي 👍"),
    Example("hard-crlf", "السطر الأول عن ليبيا\r\nوالسطر الثاني عن تونس\r\n"),
]
HARD_GOLD = {
    "hard-diacritics": [("القاهرةَ", "LOC"), ("مصـــر", "LOC")],
    "hard-emoji": [("طرابلس", "LOC"), ("بنغازي", "LOC")],
    "hard-crlf": [("ليبيا", "LOC"), ("تونس", "LOC")],
}


def test_diacritics_tatweel_emoji_and_windows_line_endings_survive_the_round_trip(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    annotator = Annotator(load_pack(PACK))
    push(doccano_admin, [annotator.annotate_example(e) for e in HARD], project_name)
    project = doccano_admin.project(project_name)
    people = Annotators(doccano_admin, project)
    ids = {raw["meta"]["annotator_id"]: raw["id"] for raw in doccano_admin.examples(project.id)}
    expected = {}
    for example in HARD:
        spans = sorted(
            Span(example.text.index(surface), example.text.index(surface) + len(surface), label)
            for surface, label in HARD_GOLD[example.id]
        )
        expected[example.id] = spans
        people.correct(ids[example.id], example.text, spans)
    out = tmp_path / "export"
    assert main(["export", "--project", project_name, "-o", str(out)]) == 0
    records = {
        json.loads(line)["id"]: json.loads(line)
        for line in (out / "gold.jsonl").read_text("utf-8").splitlines()
    }
    for example in HARD:
        assert records[example.id]["text"] == example.text  # byte for byte, \r\n included
        got = [(example.text[s:e], label) for s, e, label in records[example.id]["label"]]
        assert got == [(example.text[s.start : s.end], s.label) for s in expected[example.id]]
    texts = {e.id: e.text for e in HARD}
    ents, _ = read_docbins([out / "train.spacy", out / "dev.spacy"])
    assert ents == expected
    assert read_conll(out / "gold.conll", texts) == expected
    assert read_hf(out, texts) == expected
