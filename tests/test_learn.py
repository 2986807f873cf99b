"""``annotator learn`` on small gold sets whose decisions are known in advance."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import read_corpus
from annotator.evaluation.learn import DISABLE, KEEP, TOO_FEW, LearnResult, learn
from annotator.model import Example, Span
from annotator.rules import load_pack
from annotator.rules.markup import parse_markup
from tests.packs import write_pack

ROOT = Path(__file__).resolve().parents[1]
ANERCORP = ROOT.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"

RULES = """\
rules:
  - id: loc.cities
    kind: gazetteer
    label: LOC
    terms: [القاهرة, دمشق]
  - id: loc.house
    kind: regex
    label: LOC
    pattern: 'بيت'
  - id: per.rare
    kind: gazetteer
    label: PER
    terms: [زيد]
"""

#: marked-up gold: [surface](LABEL)
GOLD = [
    *["زار الوفد [القاهرة](LOC) أمس"] * 6,  # loc.cities right 6 times
    *["جلسنا في بيت كبير"] * 10,  # loc.house wrong 10 times...
    "وصلنا إلى [بيت](LOC) لحم",  # ...and right once
    *["قال [زيد](PER) إن"] * 2,  # per.rare: 2 hits
    "تحدث [سليم](PER) طويلا",  # a name tagged in 3 of its 3 occurrences
    "ورد [سليم](PER) على السؤال",
    "وأضاف [سليم](PER) أن",
    "رأى [نور](PER) الصباح",  # a word tagged in 1 of its 4 occurrences
    "انطفأ نور المصباح",
    "كان نور القمر ساطعا",
    "ملأ نور الشمس الغرفة",
    "وصل الوفد إلى [طرابلس](LOC) مساء",  # ANERcorp tags a clitic-attached name whole
    "زار الوفد بنغازي [وطرابلس](LOC) معا",
]


def gold_examples() -> list[Example]:
    examples = []
    for index, marked in enumerate(GOLD):
        text, expected = parse_markup(marked)
        spans = tuple(Span(span.start, span.end, span.label or "") for span in expected)
        examples.append(Example(f"g{index}", text, spans))
    return examples


def write_gold(path: Path) -> Path:
    lines = []
    for example in gold_examples():
        spans = [[span.start, span.end, span.label] for span in example.spans]
        lines.append(json.dumps({"id": example.id, "text": example.text, "label": spans}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def learned(tmp_path: Path) -> LearnResult:
    pack = load_pack(write_pack(tmp_path / "pack", {"rules.yaml": RULES}))
    return learn(gold_examples(), pack)


def decisions(result: LearnResult) -> dict[str, str]:
    return {decision.rule: decision.decision for decision in result.decisions}


def test_a_rule_wrong_nine_times_in_ten_is_disabled_and_a_good_rule_kept(tmp_path: Path) -> None:
    result = learned(tmp_path)
    assert decisions(result)["loc.house"] == DISABLE
    assert decisions(result)["loc.cities"] == KEEP
    house = next(decision for decision in result.decisions if decision.rule == "loc.house")
    assert (house.tp, house.fp) == (1, 10)
    assert house.interval.high < 0.5


def test_a_rule_with_two_hits_is_left_alone_as_too_few_to_judge(tmp_path: Path) -> None:
    assert decisions(learned(tmp_path))["per.rare"] == TOO_FEW


def test_a_name_tagged_in_all_its_occurrences_is_learned_and_an_ambiguous_word_is_not(tmp_path: Path) -> None:
    result = learned(tmp_path)
    terms = {(term.label, term.written): term for term in result.terms}
    assert terms[("PER", "سليم")].kept
    assert (terms[("PER", "سليم")].matches, terms[("PER", "سليم")].tagged) == (3, 3)
    assert not terms[("PER", "نور")].kept
    assert (terms[("PER", "نور")].matches, terms[("PER", "نور")].tagged) == (4, 1)


def test_a_clitic_attached_gold_span_gives_the_term_without_the_clitic(tmp_path: Path) -> None:
    result = learned(tmp_path)
    kept = {(term.label, term.written) for term in result.learned}
    assert ("LOC", "طرابلس") in kept
    assert ("LOC", "وطرابلس") not in kept


def test_strict_mode_does_not_count_the_clitic_attached_span_as_tagged(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path / "pack", {"rules.yaml": RULES}))
    from annotator.evaluation.learn import LearnSettings

    result = learn(gold_examples(), pack, settings=LearnSettings(mode="strict"))
    term = next(term for term in result.terms if term.written == "طرابلس")
    assert (term.matches, term.tagged, term.kept) == (2, 1, False)


def run_learn(tmp_path: Path, out: Path) -> int:
    gold = tmp_path / "gold.jsonl"
    if not gold.exists():
        write_gold(gold)
    pack = tmp_path / "pack"
    if not pack.exists():
        write_pack(pack, {"rules.yaml": RULES})
    return main(["learn", str(gold), "--rules", str(pack), "-o", str(out)])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_learned_pack_extends_the_pack_passes_rules_check_and_annotates_alone(tmp_path: Path) -> None:
    out = tmp_path / "learned"
    assert run_learn(tmp_path, out) == 0

    header = (out / "pack.yaml").read_text(encoding="utf-8")
    assert 'extends: "../pack"' in header
    assert "  - loc.house  # tp 1, fp 10, precision 0.091" in header
    assert "#   per.rare: tp 2, fp 0" in header
    assert "سليم" in (out / "gazetteers" / "learned" / "PER.txt").read_text(encoding="utf-8")
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["made_by"] == "annotator learn" and len(evidence["gold"]["sha256"]) == 64
    triggers = (out / "candidate_triggers.tsv").read_text(encoding="utf-8").splitlines()
    assert triggers[0] == "label\tside\tword\tcount\toccurrences\tshare"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in report and "loc.house" in report and "سليم" in report

    assert main(["rules", "check", str(out)]) == 0
    corpus = tmp_path / "in.txt"
    corpus.write_text("جلس سليم في بيت في القاهرة\n", encoding="utf-8")
    assert main(["annotate", str(corpus), "--rules", str(out), "-o", str(tmp_path / "pre.jsonl")]) == 0
    record = json.loads((tmp_path / "pre.jsonl").read_text(encoding="utf-8"))
    assert [(span["label"], span["rule"]) for span in record["spans"]] == [
        ("PER", "learned.PER"),
        ("LOC", "loc.cities"),
    ]


def test_learning_twice_from_the_same_input_writes_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "learned"
    assert run_learn(tmp_path, out) == 0
    first = snapshot(out)
    assert run_learn(tmp_path, out) == 0
    assert snapshot(out) == first
    assert set(first) >= {
        "pack.yaml",
        "learned.yaml",
        "evidence.json",
        "README.md",
        "candidate_triggers.tsv",
        "report.html",
    }


def test_a_folder_learn_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert run_learn(tmp_path, out) == 4
    assert snapshot(out) == {"notes.txt": b"keep me"}
    assert run_learn(tmp_path, tmp_path / "pack") == 4  # nor the pack it learns from


def test_a_bad_mode_is_a_usage_error(tmp_path: Path) -> None:
    write_gold(tmp_path / "gold.jsonl")
    write_pack(tmp_path / "pack", {"rules.yaml": RULES})
    code = main(
        [
            "learn",
            str(tmp_path / "gold.jsonl"),
            "--rules",
            str(tmp_path / "pack"),
            "-o",
            str(tmp_path / "o"),
            "--mode",
            "loose",
        ]
    )
    assert code == 2


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_file(), reason="the ANERcorp train part is not here")
def test_learning_from_an_anercorp_slice_with_ar_news_writes_a_pack_that_loads(tmp_path: Path) -> None:
    lines = []
    sentences = 0
    with ANERCORP.open(encoding="utf-8") as handle:
        for line in handle:
            lines.append(line)
            if not line.strip():
                sentences += 1
                if sentences == 200:
                    break
    gold = tmp_path / "slice.conll"
    gold.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "learned"
    code = main(
        ["learn", str(gold), "--rules", str(ROOT / "rules" / "ar-news"), "-o", str(out), "--map", "PERS=PER"]
    )
    assert code == 0
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["gold"]["examples"] == len(list(read_corpus([gold])))
    judged = {rule["decision"] for rule in evidence["rules"]}
    assert judged <= {DISABLE, KEEP, TOO_FEW, "label not learned from"}
    assert any(
        rule["label"] == "DATE" and rule["decision"] == "label not learned from" for rule in evidence["rules"]
    )


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_file(), reason="the ANERcorp train part is not here")
def test_learning_from_anercorp_finds_the_decisions_the_hand_made_default_profile_encodes() -> None:
    """From the ``institutions`` profile (which tags what ANERcorp leaves untagged), ``learn`` on the
    first four fifths of the train part disables the institution rules and, on the last fifth it
    never saw, beats its base by 0.02 F1 or more at higher precision, reaching the hand-made
    default profile (ANERcorp's convention); docs/learning.md has all five folds."""
    from dataclasses import replace as replaced

    from annotator.engine import Annotator, annotate_stream
    from annotator.evaluation.evaluate import Evaluation, evaluate
    from annotator.evaluation.learn import write_learned_pack
    from annotator.pack_cache import compile_pack
    from annotator.patterns import PatternMemo

    gold = [replaced(example, meta={}) for example in read_corpus([ANERCORP])]
    cut = len(gold) * 4 // 5
    train, held_out = gold[:cut], gold[cut:]
    base = compile_pack(ROOT / "rules" / "ar-news", "institutions")
    default = compile_pack(ROOT / "rules" / "ar-news")
    result = learn(train, base.annotator, label_map={"PERS": "PER"}, labels={"PER", "LOC", "ORG"})
    institution_rules = {"org.head_and_name", "org.government_bodies", "loc.landmarks"}
    assert {decision.rule for decision in result.disabled} >= institution_rules

    def scored(annotator: Annotator) -> Evaluation:
        predicted = annotate_stream(annotator, [replaced(example, spans=()) for example in held_out])
        return evaluate(held_out, predicted, label_map={"PERS": "PER"}, labels={"PER", "LOC", "ORG"})

    with tempfile.TemporaryDirectory() as folder, PatternMemo(base.patterns).active():
        learned = Annotator(load_pack(write_learned_pack(result, Path(folder) / "learned")))
        after = scored(learned).modes["tolerant"].micro
    before = scored(base.annotator).modes["tolerant"].micro
    hand_made = scored(default.annotator).modes["tolerant"].micro
    assert after.f1 >= before.f1 + 0.02 and after.precision > before.precision, (before, after)
    assert after.f1 >= hand_made.f1 - 0.005, (hand_made, after)


def test_learning_from_examples_in_memory_writes_what_learning_from_the_file_writes(tmp_path: Path) -> None:
    from annotator.evaluation.learn import compile_learned, learn_files, learn_into
    from annotator.pack_cache import compile_pack

    gold = write_gold(tmp_path / "gold.jsonl")
    pack = write_pack(tmp_path / "pack", {"rules.yaml": RULES})
    learn_files(gold, pack, tmp_path / "from-file", cache=False, command="learn")
    compiled = compile_pack(pack, cache=False)
    from_file = json.loads((tmp_path / "from-file" / "evidence.json").read_text(encoding="utf-8"))
    learn_into(
        gold_examples(),
        compiled,
        tmp_path / "in-memory",
        command="learn",
        gold_name=str(gold),
        gold_sha256=from_file["gold"]["sha256"],
    )

    written = snapshot(tmp_path / "in-memory")
    assert written == snapshot(tmp_path / "from-file")
    learned_pack = compile_learned(tmp_path / "in-memory", compiled)
    assert [span.rule for span in learned_pack.annotate("جلس سليم في بيت في القاهرة")] == [
        "learned.PER",
        "loc.cities",
    ]
