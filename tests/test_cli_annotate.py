"""The annotate and rules-check commands, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_annotate_writes_spans_whose_text_equals_the_surface_and_names_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pre.jsonl"
    code = main(["annotate", str(ROOT / "seeds"), "--rules", str(ROOT / "rules" / "starter"), "-o", str(out)])
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 11
    assert all(record["spans"] for record in records if len(record["text"]) > 30)
    rule_ids = {rule["rule"] for record in records for rule in record["spans"]}
    assert {"loc.countries", "loc.capitals"} <= rule_ids
    for record in records:
        for span in record["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(record["text"])
            assert span["rule"] and span["label"] in {"PER", "LOC", "ORG", "DATE"}
    summary = capsys.readouterr().out
    assert "11 examples" in summary and "loc.countries" in summary


def test_annotate_with_two_workers_writes_the_same_file(tmp_path: Path) -> None:
    args = [str(ROOT / "seeds"), "--rules", str(ROOT / "rules" / "starter"), "-q"]
    assert main(["annotate", *args, "-o", str(tmp_path / "one.jsonl")]) == 0
    assert main(["annotate", *args, "-o", str(tmp_path / "two.jsonl"), "--workers", "2"]) == 0
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_annotate_reports_unreadable_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00broken\n")
    code = main(
        ["annotate", str(bad), "--rules", str(ROOT / "rules" / "starter"), "-o", str(tmp_path / "o.jsonl")]
    )
    err = capsys.readouterr().err
    assert code == 4
    assert "bad.txt:1: not UTF-8" in err and "Traceback" not in err
    assert not (tmp_path / "o.jsonl").exists()


def test_rules_check_passes_for_the_starter_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(ROOT / "rules" / "starter")]) == 0
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("command", [[], ["annotate"], ["rules"], ["rules", "check"], ["doccano"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out
