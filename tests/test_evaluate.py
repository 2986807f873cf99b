"""evaluate and effort on small hand-made cases: both modes, label maps, per-rule counts, effort classes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.errors import UsageError
from annotator.evaluation.effort import classify, measure_effort
from annotator.evaluation.evaluate import evaluate, parse_label_map, tolerant_equal
from annotator.model import Example, Span

TEXT = "زار الوفد بواشنطن ثم التقى خليفة حفتر في بنغازي"
WASHINGTON = TEXT.index("بواشنطن")
HAFTAR = TEXT.index("خليفة حفتر")
BENGHAZI = TEXT.index("بنغازي")


def gold_example() -> Example:
    # ANERcorp style: whole tokens, clitics included ("بواشنطن")
    return Example(
        "d1",
        TEXT,
        (
            Span(WASHINGTON, WASHINGTON + 7, "LOC"),
            Span(HAFTAR, HAFTAR + 10, "PERS"),
            Span(BENGHAZI, BENGHAZI + 6, "LOC"),
        ),
    )


def predicted_example() -> Example:
    return Example(
        "d1",
        TEXT,
        (
            Span(WASHINGTON + 1, WASHINGTON + 7, "LOC", "loc.capitals"),  # without the proclitic
            Span(HAFTAR + 6, HAFTAR + 10, "PER", "per.figures"),  # surname only: wrong boundary
            Span(BENGHAZI, BENGHAZI + 6, "LOC", "loc.cities"),
            Span(0, 3, "LOC", "loc.noise"),  # a false positive
        ),
    )


def test_strict_mode_needs_exact_offsets_and_tolerant_mode_forgives_proclitics() -> None:
    result = evaluate([gold_example()], [predicted_example()], label_map={"PERS": "PER"})
    strict, tolerant = result.modes["strict"], result.modes["tolerant"]
    assert (strict.micro.tp, strict.micro.fp, strict.micro.fn) == (1, 3, 2)
    assert (tolerant.micro.tp, tolerant.micro.fp, tolerant.micro.fn) == (2, 2, 1)
    assert tolerant.per_label["LOC"].precision == pytest.approx(2 / 3)
    assert tolerant.per_label["LOC"].recall == 1.0
    assert tolerant.per_label["PER"].recall == 0.0


def test_tolerance_is_only_for_proclitics_not_for_any_prefix() -> None:
    text = "التقى خليفة حفتر"
    gold = Span(6, 16, "PER")
    assert not tolerant_equal(text, gold, Span(12, 16, "PER"))  # "خليفة " is not a proclitic
    assert tolerant_equal("وللامم", Span(0, 6, "ORG"), Span(1, 6, "ORG"))  # و + لل form
    assert not tolerant_equal("بواشنطن", Span(0, 7, "LOC"), Span(1, 7, "ORG"))  # labels differ


def test_label_map_renames_gold_labels_before_scoring() -> None:
    without = evaluate([gold_example()], [predicted_example()])
    assert "PERS" in without.modes["strict"].per_label and without.modes["strict"].per_label["PERS"].tp == 0
    assert parse_label_map(["PERS=PER,ORGANIZATION=ORG", "GPE=LOC"]) == {
        "PERS": "PER",
        "ORGANIZATION": "ORG",
        "GPE": "LOC",
    }
    with pytest.raises(UsageError, match="FROM=TO"):
        parse_label_map(["PERS"])


def test_labels_option_drops_other_labels_on_both_sides() -> None:
    result = evaluate([gold_example()], [predicted_example()], label_map={"PERS": "PER"}, labels={"PER"})
    assert set(result.modes["strict"].per_label) == {"PER"}
    assert result.gold_spans == 1 and result.predicted_spans == 1


def test_per_rule_counts_true_and_false_positives() -> None:
    rules = (
        evaluate([gold_example()], [predicted_example()], label_map={"PERS": "PER"})
        .modes["tolerant"]
        .per_rule
    )
    assert {rule: (s.tp, s.fp) for rule, s in rules.items()} == {
        "loc.capitals": (1, 0),
        "per.figures": (0, 1),
        "loc.cities": (1, 0),
        "loc.noise": (0, 1),
    }


def test_examples_pair_by_text_when_ids_differ() -> None:
    gold = [Example("conll-1", TEXT, gold_example().spans)]
    result = evaluate(gold, [predicted_example()], label_map={"PERS": "PER"})
    assert result.examples == 1 and result.unpaired_gold == 0


def test_errors_are_listed_with_context() -> None:
    result = evaluate([gold_example()], [predicted_example()], label_map={"PERS": "PER"})
    errors = result.modes["tolerant"].errors
    assert {(e.kind, e.surface) for e in errors} == {
        ("false positive", "زار"),
        ("false positive", "حفتر"),
        ("miss", "خليفة حفتر"),
    }
    assert all("[" in e.context for e in errors)


def test_effort_classes_each_pushed_span_once() -> None:
    pushed = [
        Span(0, 4, "LOC", "a"),  # kept
        Span(10, 15, "LOC", "b"),  # relabelled
        Span(20, 26, "ORG", "c"),  # re-bounded
        Span(30, 36, "PER", "d"),  # re-bounded and relabelled
        Span(40, 45, "LOC", "e"),  # deleted
    ]
    gold = [
        Span(0, 4, "LOC"),
        Span(10, 15, "PER"),
        Span(18, 26, "ORG"),
        Span(30, 38, "ORG"),
        Span(50, 55, "DATE"),  # added by annotators
    ]
    classes, added = classify(pushed, gold)
    assert [classes[s] for s in pushed] == [
        "kept",
        "relabelled",
        "rebounded",
        "rebounded_relabelled",
        "deleted",
    ]
    assert added == [Span(50, 55, "DATE")]
    effort = measure_effort([Example("x", "t" * 60, tuple(pushed))], [Example("x", "t" * 60, tuple(gold))])
    assert effort.counts["kept"] == 1 and effort.added == 1
    assert effort.untyped_share == pytest.approx(1 / 5)
    assert effort.per_rule["e"]["deleted"] == 1


def test_evaluate_cli_prints_json_with_both_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold_file = tmp_path / "gold.jsonl"
    pred_file = tmp_path / "pred.jsonl"
    gold = gold_example()
    gold_file.write_text(
        json.dumps(
            {"id": "d1", "text": TEXT, "label": [[s.start, s.end, s.label] for s in gold.spans]},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    pred_file.write_text(
        json.dumps(
            {"id": "d1", "text": TEXT, "spans": [s.to_json() for s in predicted_example().spans]},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    code = main(
        ["evaluate", "--gold", str(gold_file), "--pred", str(pred_file), "--map", "PERS=PER", "--json"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["strict"]["micro"]["tp"] == 1 and data["tolerant"]["micro"]["tp"] == 2
    assert data["tolerant"]["per_rule"]["loc.noise"]["fp"] == 1
    assert data["tolerant"]["top_false_positives"]
    assert main(["evaluate", "--gold", str(gold_file), "--pred", str(pred_file), "--map", "PERS"]) == 2


def test_a_comma_separated_label_list_is_split_and_trimmed_and_an_empty_one_means_no_restriction() -> None:
    from annotator.evaluation.evaluate import parse_labels

    assert parse_labels(" PER, LOC,,ORG ") == ["PER", "LOC", "ORG"]
    assert parse_labels("") is None
    assert parse_labels(None) is None
