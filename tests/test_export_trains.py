"""Exports that train, against a REAL doccano: the seed corpus corrected and confirmed by an
annotator account, exported, and checked by spaCy's own ``debug data``; few confirmed examples
still give a train set; the label set is the project's; empty inputs create nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.connection import Doccano
from annotator.doccano.push import push
from annotator.engine import Annotator
from annotator.export.split import split_of
from annotator.model import Example
from annotator.rules import load_pack
from tests.test_cli_tables import assert_fits, terminal_80
from tests.test_gold_loop import Annotators

__all__ = ["terminal_80"]  # the fixture, used by name

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "libya-news-2021.gold.jsonl"
PACK = ROOT / "rules" / "starter"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: the errors of ``spacy debug data`` that only say the corpus is small
SIZE_ERRORS = ("Low number of examples",)
#: the summary line that counts the errors
SUMMARY = re.compile(r"✘ (\d+) errors?")


def push_seed_corpus(admin: Doccano, project: str, tmp_path: Path) -> tuple[list[Example], Annotators]:
    """Pre-annotate the seed article with the starter pack, push it, and make an annotator account."""
    gold = list(read_corpus([GOLD]))
    annotator = Annotator(load_pack(PACK))
    pre = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre) as writer:
        for example in gold:
            writer.write(annotator.annotate_example(Example(example.id, example.text)))
    assert main(["push", str(pre), "--project", project, "--rules", str(PACK)]) == 0
    return gold, Annotators(admin, admin.project(project))


def doccano_ids(admin: Doccano, project: str) -> dict[str, int]:
    project_id = admin.project(project).id
    return {raw["meta"]["annotator_id"]: raw["id"] for raw in admin.examples(project_id)}


def debug_data(export: Path, tmp_path: Path) -> tuple[list[str], str]:
    """(the error lines, the whole report) of ``spacy debug data`` on an export, with a config
    made offline by ``spacy init config`` for Arabic NER."""
    config = tmp_path / "config.cfg"
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "config", str(config), "--lang", "ar", "--pipeline", "ner"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "debug",
            "data",
            str(config),
            "--paths.train",
            str(export / "train.spacy"),
            "--paths.dev",
            str(export / "dev.spacy"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = ANSI.sub("", run.stdout + run.stderr)
    lines = [line.strip() for line in report.splitlines()]
    errors = [line for line in lines if line.startswith("✘") and not SUMMARY.fullmatch(line)]
    counted = [int(match.group(1)) for line in lines if (match := SUMMARY.fullmatch(line))]
    assert counted in ([], [len(errors)]), report  # the summary counts the errors listed
    return errors, report


def test_the_confirmed_seed_corpus_exports_data_that_spacy_debug_data_accepts(
    doccano_admin: Doccano,
    project_name: str,
    doccano_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    terminal_80: None,
) -> None:
    gold, people = push_seed_corpus(doccano_admin, project_name, tmp_path)
    assert_fits(capsys.readouterr().out)  # the push summary
    # a label of the project that no example uses: it must still be in labels.json
    doccano_admin.create_label_type(people.project_id, "MISC", "#911eb4")
    ids = doccano_ids(doccano_admin, project_name)
    for example in gold:
        people.correct(ids[example.id], example.text, list(example.spans))
    out = tmp_path / "export"
    capsys.readouterr()
    assert main(["export", "--project", project_name, "-o", str(out)]) == 0
    summary = capsys.readouterr().out
    assert_fits(summary)
    assert "labels of the project with no span yet (still in labels.json): MISC" in " ".join(summary.split())

    names = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    assert names == ["O"] + [f"{p}-{label}" for label in ("DATE", "LOC", "MISC", "ORG", "PER") for p in "BI"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["label_set"] == ["DATE", "LOC", "MISC", "ORG", "PER"]
    assert manifest["split"]["train"] >= 1 and manifest["split"]["train"] + manifest["split"]["dev"] == 11

    errors, report = debug_data(out, tmp_path)
    assert "Corpus is loadable" in report, report
    assert f"{manifest['split']['train']} training docs" in report, report
    assert all(any(size in error for size in SIZE_ERRORS) for error in errors), report


def test_few_confirmed_examples_still_give_a_train_set_and_the_summary_says_how(
    doccano_admin: Doccano,
    project_name: str,
    doccano_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gold, people = push_seed_corpus(doccano_admin, project_name, tmp_path)
    ids = doccano_ids(doccano_admin, project_name)
    confirmed = gold[:2]
    for example in confirmed:
        people.correct(ids[example.id], example.text, list(example.spans))
    # a seed under which the per-id hash sends both confirmed examples to dev (before: train empty)
    seed = next(s for s in range(10_000) if all(split_of(e.id, 0.2, s) == "dev" for e in confirmed))
    out = tmp_path / "export"
    capsys.readouterr()
    assert main(["export", "--project", project_name, "-o", str(out), "--seed", str(seed)]) == 0
    summary = " ".join(capsys.readouterr().out.split())
    assert "split: 1 train, 1 dev (the hash put all 2 examples in dev;" in summary
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["split"]["train"], manifest["split"]["dev"]) == (1, 1)
    assert manifest["split"]["dev_share"] == 0.2 and manifest["split"]["how"].startswith("the hash put")

    errors, report = debug_data(out, tmp_path)
    assert "1 training docs" in report and "1 evaluation docs" in report, report
    assert all(any(size in error for size in SIZE_ERRORS) for error in errors), report

    # --dev-share 0: every confirmed example in train
    assert main(["export", "--project", project_name, "-o", str(out), "--dev-share", "0"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["split"]["train"], manifest["split"]["dev"]) == (2, 0)


def test_an_export_with_nothing_confirmed_is_refused_and_writes_nothing(
    doccano_admin: Doccano,
    project_name: str,
    doccano_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    push_seed_corpus(doccano_admin, project_name, tmp_path)
    out = tmp_path / "export"
    capsys.readouterr()
    assert main(["export", "--project", project_name, "-o", str(out)]) == 4
    err = capsys.readouterr().err
    assert f'project "{project_name}" has no confirmed examples; nothing was written' in err
    assert "--all" in err
    assert not out.exists() and not list(tmp_path.glob(".*partial"))


def test_pushing_an_empty_file_creates_no_project(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    empty = tmp_path / "pre.jsonl"
    empty.write_text("", encoding="utf-8")
    assert main(["push", str(empty), "--project", project_name]) == 4
    assert doccano_admin.find_project(project_name) is None


def test_texts_with_unicode_line_separators_come_back_from_an_export(
    doccano_admin: Doccano, project_name: str, doccano_env: None, tmp_path: Path
) -> None:
    """JSON leaves U+2028, U+2029 and U+0085 unescaped; the export must split lines at line feeds
    only (str.splitlines cut such a record in two: a JSONDecodeError traceback)."""
    texts = {"ls": "في ليبيا\u2028وتونس", "ps": "مصر\u2029 و\x85 الجزائر"}
    push(doccano_admin, [Example(key, text) for key, text in texts.items()], project_name)
    out = tmp_path / "export"
    assert main(["export", "--project", project_name, "-o", str(out), "--all", "--format", "jsonl"]) == 0
    lines = (out / "gold.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    assert {json.loads(line)["id"]: json.loads(line)["text"] for line in lines} == texts
