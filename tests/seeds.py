"""The seed article (``seeds/libya-news-2021.jsonl``: one paragraph per line, one document)."""

from __future__ import annotations

import json
from pathlib import Path

SEED_FILE = Path(__file__).resolve().parent.parent / "seeds" / "libya-news-2021.jsonl"


def seed_paragraphs() -> list[str]:
    """The seed article's paragraphs, in order."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]
