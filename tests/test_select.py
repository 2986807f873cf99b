"""``select``: the next batch prefers rules whose precision is least known, spreads over rules,
keeps a random share, never picks an excluded example, and is the same for the same seed."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import PreAnnotationWriter
from annotator.errors import UsageError
from annotator.evaluation.select import (
    BY_RANDOM,
    BY_UNCERTAINTY,
    Evidence,
    Selection,
    projected_width,
    rule_evidence,
    rule_hits,
    select_batch,
    select_files,
)
from annotator.model import Example, Span


def example(example_id: str, *rules: str, meta: dict[str, object] | None = None) -> Example:
    """An example with one span per rule named (``""``: a span without a rule)."""
    text = " ".join(f"كلمة{i}" for i in range(len(rules) + 1))
    spans = tuple(Span(6 * i, 6 * i + 5, "LOC", rule) for i, rule in enumerate(rules))
    return Example(example_id, text, spans, meta or {"doc": "d1"})


def picked(selection: Selection) -> list[str]:
    return [e.id for e in selection.examples]


def write(path: Path, examples: list[Example]) -> Path:
    with PreAnnotationWriter(path) as writer:
        for item in examples:
            writer.write(item)
    return path


# -- the scoring -----------------------------------------------------------------------------------


def test_a_rule_never_judged_narrows_from_width_1_and_each_judged_span_narrows_it_less() -> None:
    fresh = Evidence()
    widths = [projected_width(fresh, more) for more in range(6)]
    assert widths[0] == 1.0
    steps = [a - b for a, b in itertools.pairwise(widths)]
    assert all(step > 0 for step in steps)
    assert steps == sorted(steps, reverse=True)  # diminishing returns


def test_a_rule_never_judged_is_picked_before_a_rule_with_a_tight_interval() -> None:
    tight = Evidence(correct=190, judged=200)
    pool = [example("tight-1", "loc.tight", "loc.tight"), example("new-1", "loc.new")]
    selection = select_batch(pool, 1, evidence={"loc.tight": tight}, random_share=0.0)
    assert picked(selection) == ["new-1"]
    assert selection.examples[0].meta["selected_by"] == BY_UNCERTAINTY


def test_a_rule_with_a_wide_interval_beats_one_with_more_spans_but_a_narrow_one() -> None:
    evidence = {"wide": Evidence(1, 2), "narrow": Evidence(300, 400)}
    pool = [example("narrow", *["narrow"] * 5), example("wide", "wide")]
    assert picked(select_batch(pool, 1, evidence=evidence, random_share=0.0)) == ["wide"]


def test_picks_spread_over_the_rules_instead_of_piling_onto_one() -> None:
    pool = [example(f"a{i}", "rule.a") for i in range(10)]
    pool += [example(f"b{i}", "rule.b") for i in range(3)]
    pool += [example(f"c{i}", "rule.c") for i in range(2)]
    selection = select_batch(pool, 3, random_share=0.0)
    rules = Counter(rule for e in selection.examples for rule in rule_hits(e))
    assert rules == {"rule.a": 1, "rule.b": 1, "rule.c": 1}
    # six picks: two of each, none of the three rules left behind
    selection = select_batch(pool, 6, random_share=0.0)
    assert Counter(rule for e in selection.examples for rule in rule_hits(e)) == {
        "rule.a": 2,
        "rule.b": 2,
        "rule.c": 2,
    }


def test_an_example_with_spans_of_two_unknown_rules_is_worth_more_than_one_with_one() -> None:
    pool = [example("one", "rule.a"), example("two", "rule.b", "rule.c"), example("none")]
    assert picked(select_batch(pool, 1, random_share=0.0)) == ["two"]


def test_the_lazy_greedy_picks_what_recomputing_every_gain_after_each_pick_picks() -> None:
    rng = random.Random(7)
    rules = [f"r{i}" for i in range(8)]
    pool = [example(f"e{i}", *rng.choices(rules, k=rng.randint(0, 4))) for i in range(60)]
    evidence = {rule: Evidence(c, c + rng.randint(0, 6)) for rule in rules[:5] for c in [rng.randint(0, 9)]}
    selection = select_batch(pool, 12, evidence=evidence, random_share=0.0, seed=3)

    # the plain greedy, written out: every remaining example's gain recomputed after each pick
    more: Counter[str] = Counter()
    left = {e.id: rule_hits(e) for e in pool}
    expected = []

    def gain(hits: Counter[str]) -> float:
        return sum(
            projected_width(evidence.get(r, Evidence()), more[r])
            - projected_width(evidence.get(r, Evidence()), more[r] + k)
            for r, k in hits.items()
        )

    for _ in range(12):
        best = max(gain(hits) for hits in left.values())
        ties = [i for i, hits in left.items() if gain(hits) == best]
        chosen = next(i for i in picked(selection) if i in ties)  # the seeded shuffle decides ties
        expected.append(chosen)
        more.update(left.pop(chosen))
    assert sorted(expected) == sorted(picked(selection))


# -- the random share, exclusions, output --------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "share", "random_count"), [(10, 0.2, 2), (10, 0.0, 0), (10, 1.0, 10), (5, 0.2, 1)]
)
def test_the_random_share_is_that_share_of_the_batch_and_marked_in_meta(
    n: int, share: float, random_count: int
) -> None:
    pool = [example(f"e{i:03}", f"rule.{i % 7}") for i in range(100)]
    selection = select_batch(pool, n, random_share=share, seed=1)
    assert len(selection.examples) == n
    assert selection.by_random == random_count and selection.by_uncertainty == n - random_count
    marks = Counter(e.meta["selected_by"] for e in selection.examples)
    assert marks[BY_RANDOM] == random_count and marks[BY_UNCERTAINTY] == n - random_count


def test_the_random_share_can_take_examples_no_rule_fired_in() -> None:
    """Drawn uniformly from the whole pool, not only among examples with spans."""
    pool = [example(f"plain{i:02}") for i in range(50)] + [example("ruled", "rule.a")]
    selection = select_batch(pool, 5, random_share=1.0, seed=0)
    assert selection.by_random == 5
    assert sum(1 for e in selection.examples if e.id.startswith("plain")) >= 4


def test_excluded_ids_are_never_picked_and_a_short_pool_is_given_whole_with_a_warning() -> None:
    pool = [example(f"e{i}", "rule.a" if i % 2 else "rule.b") for i in range(8)]
    excluded = {"e1", "e2", "e5"}
    selection = select_batch(pool, 20, exclude=excluded, seed=4)
    assert picked(selection) == ["e0", "e3", "e4", "e6", "e7"]
    assert selection.short and selection.pool == 5 and selection.excluded == 3
    assert "asked for 20 examples but only 5 can be picked" in selection.warnings[0]
    for seed in range(5):
        assert not excluded & set(picked(select_batch(pool, 3, exclude=excluded, seed=seed)))


def test_the_batch_keeps_the_input_order_and_everything_else_of_each_example() -> None:
    pool = [example(f"e{i}", f"rule.{i}", meta={"doc": "d7", "source": i}) for i in range(6)]
    selection = select_batch(list(reversed(pool)), 4, random_share=0.5, seed=2)
    ids = picked(selection)
    assert ids == sorted(ids, reverse=True)  # the (reversed) input order
    originals = {e.id: e for e in pool}
    for chosen in selection.examples:
        original = originals[chosen.id]
        assert (chosen.text, chosen.spans) == (original.text, original.spans)
        assert dict(chosen.meta) == {**original.meta, "selected_by": chosen.meta["selected_by"]}


def test_the_same_seed_gives_the_same_batch_and_another_seed_another_random_share() -> None:
    pool = [example(f"e{i:03}", f"rule.{i % 11}", f"rule.{i % 5}") for i in range(200)]
    evidence = {"rule.1": Evidence(3, 4), "rule.2": Evidence(40, 50)}
    first = select_batch(pool, 30, evidence=evidence, seed=5)
    again = select_batch(pool, 30, evidence=evidence, seed=5)
    assert first.examples == again.examples
    other = select_batch(pool, 30, evidence=evidence, seed=6)
    assert picked(first) != picked(other)


def test_rule_evidence_counts_each_rules_right_and_judged_spans_over_every_pair() -> None:
    text = "زار محمد طرابلس ثم بنغازي"
    pushed = [
        Example(
            "x",
            text,
            (Span(4, 8, "PER", "per.a"), Span(9, 15, "LOC", "loc.a"), Span(19, 25, "PER", "per.a")),
        )
    ]
    gold = [Example("x", text, (Span(4, 8, "PER"), Span(9, 15, "LOC"), Span(19, 25, "LOC")))]
    evidence = rule_evidence([(gold, pushed), (gold, pushed)])
    assert evidence == {"per.a": Evidence(2, 4), "loc.a": Evidence(2, 2)}


# -- select_files: the library call behind ``annotator select`` -----------------------------------


def _evidence_files(folder: Path, pool: list[Example]) -> tuple[Path, Path]:
    """Gold and pushed files in ``folder`` (an export folder's names) where ``pool``'s spans were right."""
    folder.mkdir(parents=True, exist_ok=True)
    pushed = write(folder / "pushed.jsonl", pool)
    gold = write(
        folder / "gold.jsonl",
        [Example(e.id, e.text, tuple(Span(s.start, s.end, s.label) for s in e.spans)) for e in pool],
    )
    return gold, pushed


def test_select_files_writes_the_batch_without_corrected_or_excluded_ids(tmp_path: Path) -> None:
    pool = [example(f"e{i:02}", f"rule.{i % 4}") for i in range(20)]
    pre = write(tmp_path / "pre.jsonl", pool)
    gold, pushed = _evidence_files(tmp_path / "evidence", pool[:2])
    listed = write(tmp_path / "listed.jsonl", pool[2:5])
    output = tmp_path / "out" / "batch.jsonl"
    selection = select_files(
        pre, output, 8, gold=[gold], pushed=[pushed], exclude=[listed], random_share=0.25, seed=3
    )
    assert (selection.read, selection.excluded, selection.pool) == (20, 5, 15)
    assert (selection.by_uncertainty, selection.by_random) == (6, 2)
    assert not {"e00", "e01", "e02", "e03", "e04"} & set(picked(selection))
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in written] == picked(selection)
    assert [line["meta"]["selected_by"] for line in written] == [
        e.meta["selected_by"] for e in selection.examples
    ]
    judged = {rule.rule: rule.evidence for rule in selection.rules}
    assert judged["rule.0"] == Evidence(1, 1) and judged["rule.1"] == Evidence(1, 1)


def test_select_files_judges_an_export_folder_as_its_gold_and_pushed_files(tmp_path: Path) -> None:
    pool = [example(f"e{i:02}", f"rule.{i % 3}", f"rule.{i % 5}") for i in range(30)]
    pre = write(tmp_path / "pre.jsonl", pool)
    gold, pushed = _evidence_files(tmp_path / "export", pool[:6])
    by_export = select_files(pre, tmp_path / "a.jsonl", 10, exports=[tmp_path / "export"], seed=2)
    by_files = select_files(pre, tmp_path / "b.jsonl", 10, gold=[gold], pushed=[pushed], seed=2)
    assert by_export == by_files
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_select_files_maps_gold_labels_before_judging(tmp_path: Path) -> None:
    pool = [example(f"e{i}", "rule.a") for i in range(5)]
    pre = write(tmp_path / "pre.jsonl", pool)
    gold = write(tmp_path / "gold.jsonl", [Example(e.id, e.text, (Span(0, 5, "PLACE"),)) for e in pool[:2]])
    pushed = write(tmp_path / "pushed.jsonl", pool[:2])
    evidence = {"gold": [gold], "pushed": [pushed]}
    unmapped = select_files(pre, tmp_path / "a.jsonl", 1, **evidence)
    mapped = select_files(pre, tmp_path / "b.jsonl", 1, **evidence, label_map={"PLACE": "LOC"})
    assert unmapped.rules[0].evidence == Evidence(0, 2)
    assert mapped.rules[0].evidence == Evidence(2, 2)


def test_select_files_refuses_unpaired_gold_and_writes_nothing(tmp_path: Path) -> None:
    pre = write(tmp_path / "pre.jsonl", [example("e0", "rule.a")])
    gold = write(tmp_path / "gold.jsonl", [example("e0")])
    with pytest.raises(UsageError, match="--gold and --pushed come in pairs: got 1 --gold and 0 --pushed"):
        select_files(pre, tmp_path / "batch.jsonl", 1, gold=[gold])
    assert not (tmp_path / "batch.jsonl").exists()


# -- the command line --------------------------------------------------------------------------------


def test_select_command_writes_the_batch_as_pre_annotation_lines_without_corrected_or_excluded_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pool = [example(f"e{i:02}", f"rule.{i % 4}") for i in range(20)]
    pre = write(tmp_path / "pre.jsonl", pool)
    # evidence: e00 and e01 corrected (their spans right), so never picked again
    write(tmp_path / "pushed.jsonl", pool[:2])
    write(
        tmp_path / "gold.jsonl",
        [Example(e.id, e.text, tuple(Span(s.start, s.end, s.label) for s in e.spans)) for e in pool[:2]],
    )
    write(tmp_path / "listed.jsonl", pool[2:5])
    batch = tmp_path / "out" / "batch.jsonl"
    command = ["select", str(pre), "--n", "8", "-o", str(batch), "--random-share", "0.25", "--seed", "3"]
    evidence = ["--gold", str(tmp_path / "gold.jsonl"), "--pushed", str(tmp_path / "pushed.jsonl")]
    assert main([*command, *evidence, "--exclude", str(tmp_path / "listed.jsonl")]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "8 examples written" in said and "6 by uncertainty, 2 at random" in said
    assert "5 of 20 excluded" in said
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    ids = [line["id"] for line in lines]
    assert len(ids) == 8 and ids == sorted(ids)
    assert not {"e00", "e01", "e02", "e03", "e04"} & set(ids)
    source = {
        json.loads(line)["id"]: json.loads(line) for line in pre.read_text(encoding="utf-8").splitlines()
    }
    for line in lines:
        how = line["meta"].pop("selected_by")
        assert how in (BY_RANDOM, BY_UNCERTAINTY)
        assert line == source[line["id"]]
    # the same command again: the same file
    first = batch.read_bytes()
    assert main([*command, *evidence, "--exclude", str(tmp_path / "listed.jsonl")]) == 0
    assert batch.read_bytes() == first


def test_select_command_reads_an_export_folder_and_warns_when_the_pool_is_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pool = [example(f"e{i}", "rule.a") for i in range(4)]
    pre = write(tmp_path / "pre.jsonl", pool)
    export = tmp_path / "export"
    export.mkdir()
    write(export / "pushed.jsonl", pool[:1])
    write(export / "gold.jsonl", [Example("e0", pool[0].text)])  # the span was deleted: wrong
    batch = tmp_path / "batch.jsonl"
    assert main(["select", str(pre), "--n", "10", "-o", str(batch), "--export", str(export)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["id"] for line in batch.read_text(encoding="utf-8").splitlines()] == [
        "e1",
        "e2",
        "e3",
    ]
    assert "asked for 10 examples but only 3 can be picked" in " ".join(err.split())
    assert "rule.a" in out


def test_select_command_refuses_unpaired_gold_and_an_export_folder_without_pushed(tmp_path: Path) -> None:
    pre = write(tmp_path / "pre.jsonl", [example("e0", "rule.a")])
    batch = tmp_path / "batch.jsonl"
    gold = write(tmp_path / "gold.jsonl", [example("e0")])
    assert main(["select", str(pre), "--n", "1", "-o", str(batch), "--gold", str(gold)]) == 2
    assert main(["select", str(pre), "--n", "1", "-o", str(batch), "--export", str(tmp_path)]) == 4
    assert not batch.exists()


def test_select_summary_fits_80_columns_with_long_rule_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.cli.app import console, console_err

    monkeypatch.setattr(console, "width", 80)
    monkeypatch.setattr(console_err, "width", 80)
    rules = [f"org.institution_with_a_long_descriptive_name_{i}" for i in range(20)]
    pre = write(tmp_path / "pre.jsonl", [example(f"e{i:02}", rule) for i, rule in enumerate(rules)])
    assert main(["select", str(pre), "--n", "12345", "-o", str(tmp_path / "batch.jsonl")]) == 0
    out, err = capsys.readouterr()
    assert "... and 5 more rules" in out
    for text in (out, err):
        assert all(len(line) <= 80 for line in text.splitlines()), text
        assert "…" not in text, text
