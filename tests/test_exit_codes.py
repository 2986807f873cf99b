"""Every exit code the README documents, reached through the real command line with a cause a user
can meet. None of these needs a running doccano: a URL where nothing listens, missing credentials,
or (for a bad span in an export) a stand-in for the server's export answer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from annotator.cli import main
from tests.packs import DEFAULT_HEADER, write_pack
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"
SEEDS = ROOT / "seeds"
#: the exit codes each test below drives the CLI to
COVERED = set(range(11))


def documented_exit_codes() -> set[int]:
    """The codes of the README's "Exit codes" table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def corpora(tmp_path: Path) -> tuple[Path, Path]:
    """A one-example gold corpus and a prediction that finds its one span."""
    text = "زار الوفد ليبيا"
    spans = [{"start": 10, "end": 15, "label": "LOC"}]
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"id": "a", "text": text, "spans": spans}])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "text": text, "spans": spans}])
    return gold, pred


def test_every_documented_exit_code_has_a_test_here() -> None:
    assert documented_exit_codes() == COVERED


def test_exit_0_when_an_evaluation_runs(corpora: tuple[Path, Path]) -> None:
    gold, pred = corpora
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred)]) == 0


def test_exit_1_for_an_unexpected_internal_error(corpora: tuple[Path, Path]) -> None:
    # a bug inside the library is not caught and dressed up: Python's own status 1 and a traceback
    gold, pred = corpora
    script = (
        "import sys\n"
        "from annotator.cli import main\n"
        "from annotator.evaluation import files\n"
        "def broken(*args, **kwargs):\n"
        "    raise ZeroDivisionError('a bug')\n"
        "files.evaluate = broken\n"
        f"sys.exit(main(['evaluate', '--gold', {str(gold)!r}, '--pred', {str(pred)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "ZeroDivisionError: a bug" in done.stderr


def test_exit_2_for_a_label_map_that_is_not_from_equals_to(
    corpora: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    gold, pred = corpora
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--map", "PERS"]) == 2
    assert "must look like FROM=TO" in capsys.readouterr().err


def test_exit_2_for_an_unknown_option(corpora: tuple[Path, Path]) -> None:
    gold, pred = corpora
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--no-such-option"]) == 2


def test_exit_3_for_a_profile_the_pack_does_not_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["annotate", str(SEEDS), "--rules", str(STARTER), "--profile", "no-such-profile"]
    assert main([*args, "-o", str(tmp_path / "out.jsonl"), "--no-cache"]) == 3
    assert "no profile 'no-such-profile'" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_exit_3_for_an_invalid_rule_pack(tmp_path: Path) -> None:
    rules = "rules:\n  - id: per.bad\n    kind: regex\n    label: PER\n    pattern: '(unclosed'\n"
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules})
    assert main(["rules", "check", str(pack)]) == 3


def test_exit_4_for_an_input_file_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-corpus.jsonl"
    assert main(["annotate", str(missing), "--rules", str(STARTER), "-o", str(tmp_path / "out.jsonl")]) == 4
    assert "no-such-corpus.jsonl" in capsys.readouterr().err


def test_exit_5_when_nothing_answers_at_the_doccano_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["export", "--project", "p", "-o", str(tmp_path / "gold"), "--url", url]) == 5
    assert f"cannot reach {url}" in capsys.readouterr().err
    assert not (tmp_path / "gold").exists()


def test_exit_6_when_the_password_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCCANO_USERNAME", "annotator")
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["export", "--project", "p", "-o", str(tmp_path / "gold"), "--url", url]) == 6
    assert "DOCCANO_PASSWORD is not set" in capsys.readouterr().err


class ExportWithABrokenSpan:
    """Stands in for doccano: a project whose export holds a span ending inside an emoji."""

    url = "http://doccano.invalid"

    def __init__(self, credentials: Any) -> None:
        pass

    def project(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(id=1, name=name)

    def export(self, project_id: int, only_confirmed: bool) -> list[dict[str, Any]]:
        # "😀" is two UTF-16 units in doccano (5 and 6): offset 6 falls between them
        return [{"id": 7, "text": "ليبيا😀", "label": [[0, 6, "LOC"]], "annotator_id": "news-3"}]

    def label_types(self, project_id: int) -> list[str]:
        return ["LOC"]


def test_exit_7_when_an_exported_span_cannot_be_mapped_back_onto_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.export import project as exporting

    monkeypatch.setattr(exporting, "Doccano", ExportWithABrokenSpan)
    monkeypatch.setattr(exporting, "resolve_credentials", lambda url: None)
    assert main(["export", "--project", "p", "-o", str(tmp_path / "gold")]) == 7
    err = capsys.readouterr().err
    assert "example news-3 (doccano id 7)" in err and "[0, 6, LOC]" in err
    assert not (tmp_path / "gold").exists()


def test_exit_8_when_a_rule_misses_its_own_example(tmp_path: Path) -> None:
    rules = (
        "rules:\n  - id: loc.egypt\n    kind: gazetteer\n    label: LOC\n    terms: [مصر]\n"
        '    examples:\n      - "زار [القاهرة] أمس"\n'
    )
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules})
    assert main(["rules", "check", str(pack)]) == 8


def test_exit_9_when_a_regex_runs_past_the_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = "rules:\n  - id: evil.backtracking\n    kind: regex\n    label: ORG\n    pattern: '(?:a|a)+b'\n"
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules}, DEFAULT_HEADER + "match_timeout: 0.2\n")
    corpus = write_jsonl(tmp_path / "in.jsonl", [{"id": "the-bad-one", "text": "a" * 40}])
    assert main(["annotate", str(corpus), "--rules", str(pack), "-q", "-o", str(tmp_path / "out.jsonl")]) == 9
    assert "evil.backtracking" in capsys.readouterr().err


def test_exit_10_when_no_dask_scheduler_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = pytest.importorskip("annotator.engine.cluster")
    pytest.importorskip("distributed", reason="needs the dask extra: pip install -e '.[dask]'")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    where = f"tcp://127.0.0.1:{free_port()}"
    args = ["annotate", str(SEEDS), "--rules", str(STARTER), "-o", str(tmp_path / "out.jsonl")]
    assert main([*args, "--dask", where]) == 10
    assert f"no Dask scheduler answers at {where}" in capsys.readouterr().err
