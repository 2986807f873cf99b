"""``select --project`` against a REAL doccano: examples already pushed are never picked again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.connection import Doccano
from annotator.doccano.push import example_ids, push
from annotator.doccano.records import from_export_record
from annotator.engine import annotate_stream
from annotator.errors import ProjectNotFound
from annotator.rules import load_pack

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"


def test_select_with_a_project_never_returns_an_example_already_in_doccano(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    pack = load_pack(STARTER)
    examples = list(annotate_stream(pack, read_corpus([ROOT / "seeds"])))
    assert len(examples) >= 10
    pushed = examples[:4]
    push(doccano_admin, pushed, project_name, labels=pack.labels, pack=pack.fingerprint)
    assert example_ids(doccano_admin, project_name) == {e.id for e in pushed}

    pre = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre) as writer:
        for example in examples:
            writer.write(example)
    batch = tmp_path / "batch.jsonl"
    # as many as the file holds: everything but the pushed four, whatever the seed
    for seed in ("0", "1"):
        command = ["select", str(pre), "--n", str(len(examples)), "-o", str(batch), "--seed", seed]
        assert main([*command, "--project", project_name]) == 0
        chosen = [json.loads(line)["id"] for line in batch.read_text(encoding="utf-8").splitlines()]
        assert chosen == [e.id for e in examples[4:]]
    # the selected meta travels through push and back
    assert main(["push", str(batch), "--project", project_name]) == 0
    project = doccano_admin.project(project_name)
    pulled = [from_export_record(raw) for raw in doccano_admin.export(project.id, False)]
    exported = [item.example.meta for item in pulled if item.example.id in set(chosen)]
    assert len(exported) == len(chosen)
    assert all(meta["selected_by"] in ("uncertainty", "random") for meta in exported)
    # nothing left to pick: an empty batch, and a warning
    assert main([*command, "--project", project_name]) == 0
    assert batch.read_text(encoding="utf-8") == ""


def test_select_with_a_project_that_does_not_exist_is_an_error_not_an_empty_exclusion(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    with pytest.raises(ProjectNotFound):
        example_ids(doccano_admin, project_name)
    pre = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre) as writer:
        for example in annotate_stream(load_pack(STARTER), read_corpus([ROOT / "seeds"])):
            writer.write(example)
    batch = tmp_path / "batch.jsonl"
    assert main(["select", str(pre), "--n", "2", "-o", str(batch), "--project", project_name]) == 5
    assert not batch.exists()
