"""A 50 MB corpus annotates through the CLI in bounded memory.

The corpus is the seed article's paragraphs repeated with varied ids, as JSONL. The child's peak
resident memory (the sum over the process and all its children: workers, the fork server) is
sampled while it runs, on a 2 MB and on a 50 MB corpus: 25 times the input may not cost more
than a few megabytes more. docs/reliability.md quotes the measured figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.seeds import seed_paragraphs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"
MB = 2**20
#: a fixed ceiling, far below what holding 50 MB of Arabic text as Python objects would take
PEAK_LIMIT = 400 * MB
#: how much more the 50 MB run may take than the 2 MB run
GROWTH_LIMIT = 40 * MB


def write_corpus(path: Path, size: int) -> int:
    """Seed paragraphs with varied ids (and a varied tail, so no two texts are equal) up to ``size``."""
    paragraphs = seed_paragraphs()
    written = count = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < size:
            record = {"id": f"doc-{count}", "text": f"{paragraphs[count % len(paragraphs)]} ({count})"}
            line = json.dumps(record, ensure_ascii=False) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return count


def peak_memory(command: list[str], log: Path) -> tuple[int, int, str]:
    """Run ``command``; its exit code, the peak RSS summed over it and its children, and stderr."""
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            total = 0
            try:
                for member in [root, *root.children(recursive=True)]:
                    total += member.memory_info().rss
            except psutil.Error:
                pass  # a worker came or went between the listing and the reading
            peak = max(peak, total)
            time.sleep(0.02)
    return process.returncode, peak, log.read_text()


def check_output(path: Path, count: int) -> None:
    """Every example came out, in input order, with spans inside its text (read as a stream)."""
    spans = 0
    with path.open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            record = json.loads(line)
            assert record["id"] == f"doc-{index}"
            for span in record["spans"]:
                assert 0 <= span["start"] < span["end"] <= len(record["text"])
            spans += len(record["spans"])
    assert index + 1 == count
    assert spans > count  # every seed paragraph has entities


@pytest.mark.parametrize("workers", [1, 2])
def test_a_50_mb_corpus_annotates_in_bounded_memory(tmp_path: Path, workers: int) -> None:
    peaks = {}
    for size in (2, 50):
        corpus = tmp_path / f"corpus-{size}.jsonl"
        output = tmp_path / f"pre-{size}.jsonl"
        count = write_corpus(corpus, size * MB)
        began = time.monotonic()
        command = [sys.executable, "-m", "annotator", "annotate", str(corpus), "-r", str(STARTER)]
        command += ["-o", str(output), "--quiet", "--workers", str(workers)]
        code, peaks[size], stderr = peak_memory(command, tmp_path / "stderr.txt")
        seconds = time.monotonic() - began
        assert code == 0, stderr
        check_output(output, count)
        print(
            f"workers={workers} {size} MB ({count} examples): peak {peaks[size] / MB:.0f} MB, {seconds:.0f} s"
        )
        corpus.unlink()
        output.unlink()
    assert peaks[50] < PEAK_LIMIT
    assert peaks[50] - peaks[2] < GROWTH_LIMIT, "memory grows with the corpus"
