"""Everything the CLI prints fits an 80-column terminal: no table cuts a header or a cell to "…"."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from annotator.cli import main
from annotator.cli.app import console, console_err

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "libya-news-2021.gold.jsonl"
WIDTH = 80


@pytest.fixture
def terminal_80(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both consoles as wide as a classic terminal."""
    monkeypatch.setattr(console, "width", WIDTH)
    monkeypatch.setattr(console_err, "width", WIDTH)


def assert_fits(text: str) -> None:
    """No line wider than the terminal, nothing cut."""
    too_wide = [line for line in text.splitlines() if cell_len(line) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in text, text


def test_evaluate_tables_fit_80_columns_with_whole_headers(
    tmp_path: Path, terminal_80: None, capsys: pytest.CaptureFixture[str]
) -> None:
    pre = tmp_path / "pre.jsonl"
    assert (
        main(["annotate", str(GOLD), "--rules", str(ROOT / "rules" / "starter"), "-o", str(pre), "-q"]) == 0
    )
    capsys.readouterr()
    assert main(["evaluate", "--gold", str(GOLD), "--pred", str(pre), "--effort", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    for header in ("strict", "tolerant", "F1", "gold", "precision", "relabelled", "rebounded and relabelled"):
        assert header in out, header
    assert "added by annotators" in out and "gold not typed by annotators" in out


def test_annotate_and_rules_check_output_fit_80_columns(
    tmp_path: Path, terminal_80: None, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = ROOT / "rules" / "ar-news"
    assert main(["annotate", str(ROOT / "seeds"), "--rules", str(pack), "-o", str(tmp_path / "p.jsonl")]) == 0
    assert main(["rules", "check", str(ROOT / "rules" / "starter")]) == 0
    captured = capsys.readouterr()
    assert_fits(captured.out)
    assert_fits(captured.err)
