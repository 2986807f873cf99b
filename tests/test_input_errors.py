"""Inputs that used to crash or pass silently, through the CLI in-process: each ends in a typed
error naming the file and line (exit 4, no output, no ``.partial`` file anywhere), or is accepted
on purpose and reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from annotator.cli import main
from tests.ports import free_port
from tests.seeds import seed_paragraphs

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "starter"


def annotate(tmp_path: Path, *inputs: Path, output: Path | None = None) -> tuple[int, Path]:
    out = output or tmp_path / "out" / "pre.jsonl"
    return main(["annotate", *map(str, inputs), "--rules", str(PACK), "-o", str(out)]), out


def leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith(".partial")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "x", "meta": ' + "[" * 5000 + "]" * 5000 + "}", "nested more than 100 levels deep"),
        ('{"text": "x", "meta": ' + "[" * 101 + "]" * 101 + "}", "nested more than 100 levels deep"),
        ('{"text": "abc\\ud800"}', "the escape \\ud800 is a lone surrogate"),
        ('{"text": "abc", "meta": {"k\\udc00": 1}}', "the escape \\udc00 is a lone surrogate"),
        ('{"id": ' + "9" * 5000 + ', "text": "abc"}', "a number has more than 100 digits"),
        ('{"id": ' + "9" * 101 + ', "text": "abc"}', "a number has more than 100 digits"),
        ('{"text": "abc", "meta": {"x": NaN}}', "NaN is not a JSON number"),
        ('{"text": "abc", "meta": {"x": 1e999}}', "the number 1e999 is out of range"),
        ('{"text": "abc", "id": [1, 2]}', '"id" must be a string or an integer, not an array'),
        ('{"text": "abc", "label": ["012"]}', "malformed span"),
    ],
)
def test_a_line_past_a_limit_is_refused_naming_file_and_line_with_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    corpus = tmp_path / "in.jsonl"
    corpus.write_text('{"text": "في ليبيا"}\n' + content + "\n", encoding="utf-8")
    code, out = annotate(tmp_path, corpus)
    err = capsys.readouterr().err
    assert code == 4, err
    assert f"{corpus}:2: {message}" in err
    assert "hint:" in err and "Traceback" not in err
    assert not out.exists() and not leftovers(tmp_path)


def test_a_valid_surrogate_pair_and_a_long_but_bounded_id_are_accepted(tmp_path: Path) -> None:
    corpus = tmp_path / "in.jsonl"
    record = (
        '{"id": '
        + "9" * 100
        + ', "text": "عاجل \\ud83d\\ude00 ليبيا", "source": '
        + "[" * 99
        + "]" * 99
        + "}"
    )
    corpus.write_text(record + "\n", encoding="utf-8")
    code, out = annotate(tmp_path, corpus)
    assert code == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["id"] == "9" * 100 and written["text"] == "عاجل 😀 ليبيا"


def test_output_naming_an_existing_folder_is_refused_before_any_work_and_leaves_no_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine\n", encoding="utf-8")
    code, _ = annotate(tmp_path, ROOT / "seeds", output=folder)
    err = capsys.readouterr().err
    assert code == 4
    assert f"{folder}: is a folder; the output must be a file" in err and "Traceback" not in err
    assert not leftovers(tmp_path)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_output_under_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _ = annotate(tmp_path, ROOT / "seeds", output=blocker / "pre.jsonl")
    assert code == 4
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not leftovers(tmp_path)


def test_a_failed_run_keeps_the_previous_output_and_leaves_no_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pre.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    corpus = tmp_path / "in.jsonl"
    corpus.write_text('{"text": "في ليبيا"}\n{"text": \n', encoding="utf-8")
    code, _ = annotate(tmp_path, corpus, output=out)
    assert code == 4 and f"{corpus}:2: not valid JSON" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert not leftovers(tmp_path)


def test_a_file_of_nul_bytes_gives_no_example_and_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "zeros.txt"
    corpus.write_bytes(b"\x00" * 4096)
    code, out = annotate(tmp_path, corpus)
    captured = capsys.readouterr()
    assert code == 0
    assert out.read_text(encoding="utf-8") == ""
    assert f"warning: {corpus}: skipped 1 text of nothing but NUL bytes" in captured.err
    assert "(line 1)" in captured.err
    assert "the input holds no examples" in captured.err
    assert "skipped 1 text of nothing but NUL bytes and white space" in captured.out


def test_nul_bytes_inside_a_text_are_kept_and_warned_about_once_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "mixed.txt"
    corpus.write_bytes("في ليبيا\n\x00 \x00\nمصر\x00 وتونس\nتونس\x00\n".encode())
    code, out = annotate(tmp_path, corpus)
    err = capsys.readouterr().err
    assert code == 0
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert texts == ["في ليبيا", "مصر\x00 وتونس", "تونس\x00"]  # nothing but the NUL-only line is dropped
    assert f"{corpus}: skipped 1 text of nothing but NUL bytes and white space (line 2)" in err
    assert f"{corpus}: 2 texts hold NUL bytes (lines 3, 4), kept as they are" in err
    assert "iconv -f utf-16" in err


def test_an_empty_input_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "empty.txt"
    corpus.write_bytes(b"\n\r\n  \n")
    code, out = annotate(tmp_path, corpus)
    err = capsys.readouterr().err
    assert code == 0 and out.read_text(encoding="utf-8") == ""
    assert f"warning: {corpus}: no examples (the file is empty or holds only blank lines)" in err
    assert f"warning: the input holds no examples; {out} is empty" in err


def test_a_folders_unsupported_files_are_counted_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "seeds", folder)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\x00")
    (folder / "notes").mkdir()
    (folder / "notes" / "README.md").write_text("notes\n", encoding="utf-8")
    code, out = annotate(tmp_path, folder)
    captured = capsys.readouterr()
    assert code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 11
    expected = (
        "skipped 2 files that are not corpus files (not .txt, .jsonl, .ndjson, .conll, .conllu, .bio, .iob): "
        f"{folder / 'notes' / 'README.md'}, {folder / 'scan.pdf'}"
    )
    assert f"warning: {expected}" in captured.err.replace("\n", "")
    assert expected in captured.out.replace("\n", "")


def test_a_folder_with_no_corpus_file_names_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.pdf").write_bytes(b"%PDF")
    code, out = annotate(tmp_path, tmp_path / "docs")
    assert code == 4
    assert "no corpus files in this folder (only 1 other file:" in capsys.readouterr().err
    assert not out.exists()


def test_a_utf16_file_is_refused_with_the_conversion_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "windows.txt"
    corpus.write_bytes("في ليبيا\n".encode("utf-16"))
    code, out = annotate(tmp_path, corpus)
    err = capsys.readouterr().err
    assert code == 4 and "not UTF-8 but UTF-16" in err and "iconv -f utf-16 -t utf-8" in err
    assert not out.exists() and not leftovers(tmp_path)


# -- push -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n", b'{"text": "\\u0000\\u0000 "}\n'])
def test_push_of_a_file_without_examples_is_refused_before_doccano_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path, content: bytes
) -> None:
    pre = tmp_path / "pre.jsonl"
    pre.write_bytes(content)
    code = main(["push", str(pre), "--project", "p", "--url", f"http://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 4  # not 5: doccano was never contacted, so no project can have been created
    assert f"{pre}: no examples to push; nothing was sent to doccano" in err


def test_push_of_the_text_corpus_says_to_annotate_it_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path
) -> None:
    corpus = tmp_path / "libya-news-2021.txt"
    corpus.write_text("\n".join(seed_paragraphs()) + "\n", "utf-8")
    code = main(["push", str(corpus), "--project", "p"])
    err = capsys.readouterr().err
    assert code == 4
    assert "libya-news-2021.txt: a corpus file (.txt), not pre-annotations" in err
    assert "annotator annotate" in err and "not valid JSON" not in err


def test_push_of_a_file_that_is_not_jsonl_says_what_push_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path
) -> None:
    pre = tmp_path / "pre.jsonl"
    pre.write_text("في ليبيا\n", encoding="utf-8")
    assert main(["push", str(pre), "--project", "p"]) == 4
    err = capsys.readouterr().err
    assert f"{pre}:1: not valid JSON" in err and "as `annotator annotate` writes" in err


@pytest.mark.parametrize("command", ["push", "export"])
@pytest.mark.parametrize("local_file", [False, True])
def test_a_url_where_nothing_listens_is_reported_as_unreachable_not_as_missing_credentials(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_credentials: Path,
    command: str,
    local_file: bool,
) -> None:
    if local_file:  # the embedded server's credentials exist, but for another URL
        from annotator.doccano.local.credentials import Credentials, write_credentials
        from annotator.paths import local_doccano_paths

        credentials = local_doccano_paths().credentials
        credentials.parent.mkdir(parents=True, exist_ok=True)
        write_credentials(credentials, Credentials(f"http://127.0.0.1:{free_port()}", "admin", "pw"))
    url = f"http://127.0.0.1:{free_port()}"
    pre = tmp_path / "pre.jsonl"
    pre.write_text('{"text": "في ليبيا"}\n', encoding="utf-8")
    args = (
        [str(pre), "--project", "p"] if command == "push" else ["--project", "p", "-o", str(tmp_path / "x")]
    )
    code = main([command, *args, "--url", url])
    err = capsys.readouterr().err
    assert code == 5
    assert f"cannot reach {url}" in err and "credentials" not in err.split("hint")[0]
    assert not (tmp_path / "x").exists()


def test_a_url_that_is_not_one_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path
) -> None:
    assert main(["export", "--project", "p", "-o", str(tmp_path / "x"), "--url", "localhost"]) == 5
    assert "localhost is not a doccano URL" in capsys.readouterr().err


# -- export options ---------------------------------------------------------------------------------


@pytest.mark.parametrize("share", ["1", "1.5", "-0.2", "nan", "inf"])
def test_export_refuses_a_dev_share_that_would_empty_train_or_is_not_a_fraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path, share: str
) -> None:
    code = main(["export", "--project", "p", "-o", str(tmp_path / "x"), "--dev-share", share])
    assert code == 2  # a usage error, before doccano is asked for anything
    words = " ".join(capsys.readouterr().err.replace("│", " ").split())
    assert "Invalid value for '--dev-share': the dev share must be at least 0 and less than 1" in words
    assert not (tmp_path / "x").exists()


def test_export_refuses_an_unknown_format_before_asking_doccano(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_credentials: Path
) -> None:
    code = main(["export", "--project", "p", "-o", str(tmp_path / "x"), "--format", "spacy,xml"])
    assert code == 4
    assert "unknown export format(s) xml" in capsys.readouterr().err
