"""The benchmark still runs end to end (``bench/run.py --smoke``); its figures are not checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTENDERS = {"ours", "ours-w2", "ours-cli", "ours-terms", "spanruler", "tokenizer", "aho"}
RATIOS = {
    "ours_vs_spanruler",
    "ours_vs_tokenizer",
    "ours_vs_aho",
    "ours_vs_spanruler_1000",
    "ours_terms_only_vs_spanruler_1000",
    "ours_terms_only_vs_spanruler_5000",
    "ours_terms_cost",
    "spanruler_terms_cost",
    "aho_terms_cost",
    "ours_size_scaling",
    "spanruler_size_scaling",
    "tokenizer_size_scaling",
    "workers2_speedup",
    "workers2_speedup_net",
    "cli_vs_library",
}
DOCCANO_RATIOS = {"bulk_push_vs_per_call", "bulk_import_vs_per_call", "export_examples_per_s"}


@pytest.mark.slow
def test_smoke_benchmark_reports_every_contender_and_ratio(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))

    assert set(result["contenders"]) == CONTENDERS
    for contender in CONTENDERS:
        for entry in result["summary"][contender].values():
            for figures in entry["corpora"].values():
                assert figures["chars_per_s"] > 0 and figures["hits"] >= 0
    ratios = {ratio["key"]: ratio for ratio in result["ratios"]}
    assert set(ratios) == RATIOS | DOCCANO_RATIOS
    assert all(isinstance(ratios[key]["value"], float) for key in RATIOS)
    assert all(ratios[key]["value"] is None for key in DOCCANO_RATIOS)  # smoke skips doccano
    assert result["doccano"] == {"skipped": True}
    machine = result["machine"]
    assert machine["cpu_count"] >= 1 and machine["packages"]["spacy"]


@pytest.mark.slow
def test_hotspots_splits_annotate_into_phases_and_replays_every_regex_call(tmp_path: Path) -> None:
    out = tmp_path / "hotspots.json"
    command = [sys.executable, str(REPO / "bench" / "hotspots.py"), "--json", str(out)]
    small = ["--chars", "30000", "--terms", "1000", "--runs", "1", "--pack", str(REPO / "rules" / "starter")]
    done = subprocess.run([*command, *small], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))

    assert figures["chars"] >= 30_000 and figures["spans"] > 0
    phases = figures["phases"]
    assert {"normalise", "term pass (one Aho-Corasick scan)", "overlap resolution"} <= set(phases)
    assert any(phase.startswith("regex rule ") for phase in phases)
    assert 0 < sum(phases.values()) <= figures["timed_whole_s"]
    assert figures["regex_calls"] == sum(figures["regex_calls_by_rule"].values()) > 0
    assert figures["regex_floor_s"] > 0 and figures["scan_floor_s"] > 0
    assert figures["spanruler_s"] > 0 and figures["tokenizer_s"] > 0
    assert "library floor" in done.stdout


@pytest.mark.slow
def test_startup_bench_reports_cold_and_warm_times_and_the_ratios_to_its_baseline(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    command = [sys.executable, str(REPO / "bench" / "startup.py"), "--smoke", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))

    assert set(result["summary"]) == {
        "baseline",
        "baseline (beside the cold runs)",
        "python -c pass",
        "annotate cold",
        "annotate warm",
        "annotate --no-cache",
        "rules check cold",
        "rules check warm",
        "rules check --no-cache",
        "rules check after editing one pattern",
    }
    assert all(figures["median_s"] > 0 for figures in result["summary"].values())
    assert result["examples"]["all_from_cache"] and result["examples"]["count"] > 0
    assert set(result["targets"]) <= set(result["ratios"])
    assert "annotate warm / baseline" in done.stdout


@pytest.mark.slow
def test_pack_versions_times_both_packs_and_divides_by_the_before_pack(tmp_path: Path) -> None:
    corpus = tmp_path / "news.txt"
    corpus.write_text("زار الرئيس القاهرة يوم الخميس\nوصل الوفد إلى طرابلس\n" * 20, encoding="utf-8")
    command = [
        *(sys.executable, str(REPO / "bench" / "pack_versions.py"), "--corpus", str(corpus)),
        *("--before", str(REPO / "rules" / "starter"), "--after", str(REPO / "rules" / "ar-news")),
        *("--rounds", "1", "--passes", "1", "--doc-size", "5"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "in 40 examples" in done.stdout
    rows = [line.split() for line in done.stdout.splitlines()[2:]]
    assert [row[:2] for row in rows] == [["before", "default"], ["after", "default"]]
    assert rows[0][-1] == "1.00" and float(rows[1][-1]) > 0
