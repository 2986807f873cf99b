"""Quality gates of the ar-news pack, measured with the evaluate module (no timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.corpus import read_corpus
from annotator.engine import annotate_stream
from annotator.evaluate import evaluate
from annotator.model import Example
from annotator.rules import load_pack

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "ar-news"
SEED_GOLD = ROOT / "tests" / "data" / "libya-news-2021.gold.jsonl"
ANERCORP = ROOT.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK)


def test_ar_news_reaches_f1_of_at_least_090_on_the_seed_gold(pack) -> None:
    gold = list(read_corpus([SEED_GOLD]))
    predicted = list(annotate_stream(pack, [Example(e.id, e.text) for e in gold]))
    micro = evaluate(gold, predicted).modes["tolerant"].micro
    assert micro.f1 >= 0.90, micro


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_file(), reason="ANERcorp is not beside the repository (../shared/data)")
def test_ar_news_anercorp_profile_meets_the_precision_and_recall_targets(pack) -> None:
    gold = list(read_corpus([ANERCORP]))
    predicted = list(annotate_stream(pack.with_profile("anercorp"), [Example(e.id, e.text) for e in gold]))
    result = evaluate(gold, predicted, label_map={"PERS": "PER"}, labels={"PER", "LOC", "ORG"})
    tolerant = result.modes["tolerant"]
    assert tolerant.micro.precision >= 0.85, tolerant.micro
    assert tolerant.micro.recall >= 0.65, tolerant.micro
    for label, scores in tolerant.per_label.items():
        assert scores.precision >= 0.75, (label, scores)
