"""Quality gates of the ar-news pack, measured with the evaluate module (no timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.corpus import read_corpus
from annotator.engine import annotate_stream
from annotator.evaluation.evaluate import evaluate
from annotator.model import Example
from annotator.rules import load_pack

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "ar-news"
SEED_GOLD = ROOT / "tests" / "data" / "libya-news-2021.gold.jsonl"
SEEDS = ROOT / "seeds" / "libya-news-2021.jsonl"
ANERCORP = ROOT.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK)


def test_ar_news_institutions_profile_reproduces_the_seed_gold_exactly(pack) -> None:
    """The seed gold tags institutions named by a head noun: the ``institutions`` profile's convention.
    The seed is one document (``meta.doc``), annotated as ``make demo`` does."""
    gold = list(read_corpus([SEED_GOLD]))
    predicted = list(annotate_stream(pack.with_profile("institutions"), read_corpus([SEEDS])))
    micro = evaluate(gold, predicted).modes["strict"].micro
    assert (micro.precision, micro.recall) == (1.0, 1.0), micro


def test_ar_news_default_profile_makes_no_error_on_the_seed_only_leaves_institutions_out(pack) -> None:
    gold = list(read_corpus([SEED_GOLD]))
    predicted = list(annotate_stream(pack, read_corpus([SEEDS])))
    result = evaluate(gold, predicted).modes["strict"]
    assert result.micro.precision == 1.0, result.micro
    assert result.per_label["ORG"].recall < 1.0  # ministries and councils: not ORG by default
    assert all(result.per_label[label].recall == 1.0 for label in ("PER", "LOC", "DATE"))


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_file(), reason="ANERcorp is not beside the repository (../shared/data)")
def test_ar_news_default_profile_meets_the_precision_and_recall_targets_on_anercorp(pack) -> None:
    """ANERcorp's convention is the default since 1.1.0 (the 1.0 ``anercorp`` profile's guard, kept).

    Measured: P 0.85 / R 0.69 (rules/ar-news/README.md); the floors stay where they were."""
    gold = list(read_corpus([ANERCORP]))
    predicted = list(annotate_stream(pack, [Example(e.id, e.text) for e in gold]))
    result = evaluate(gold, predicted, label_map={"PERS": "PER"}, labels={"PER", "LOC", "ORG"})
    tolerant = result.modes["tolerant"]
    assert tolerant.micro.precision >= 0.85, tolerant.micro
    assert tolerant.micro.recall >= 0.65, tolerant.micro
    for label, scores in tolerant.per_label.items():
        assert scores.precision >= 0.75, (label, scores)
    assert pack.with_profile("anercorp").rules == pack.rules
