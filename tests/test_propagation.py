"""Propagate rules and documents: names found earlier in a document tag later mentions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import read_corpus
from annotator.engine import Annotator, annotate_stream
from annotator.engine.documents import split_documents
from annotator.errors import RulePackError
from annotator.model import Example
from annotator.rules.model import DocumentSettings
from tests.packs import DEFAULT_HEADER, pack_of

RULES = """\
rules:
  - id: per.title
    kind: trigger
    label: PER
    trigger: {terms: [الرئيس, السيناتور]}
    target: '[^\\W\\d_]+\\s+[^\\W\\d_]+'
  - id: per.later
    kind: propagate
    label: PER
    from: [per.title]
    exclude: {terms: [بن, دا]}
"""
TWO_WORDS = "target: '[^\\W\\d_]+\\s+[^\\W\\d_]+'"
THREE_WORDS = "target: '[^\\W\\d_]+\\s+[^\\W\\d_]+\\s+[^\\W\\d_]+'"


def _annotator(tmp_path: Path, rules: str = RULES, header: str = DEFAULT_HEADER) -> Annotator:
    return Annotator(pack_of(tmp_path, rules, header))


def _doc(*texts: str, key: str | None = "a") -> list[Example]:
    meta = {"doc": key} if key else {}
    return [Example(f"p{index}", text, (), meta) for index, text in enumerate(texts)]


def _tagged(example: Example) -> list[tuple[str, str]]:
    return [(example.text[span.start : span.end], span.rule) for span in example.spans]


def test_surname_alone_later_in_the_document_is_tagged_and_points_at_its_source(tmp_path: Path) -> None:
    annotator = _annotator(tmp_path)
    first, second = annotator.annotate_document(_doc("قال السيناتور جون سبيكتر إن", "ورفض سبيكتر الاقتراح"))
    assert _tagged(first) == [("جون سبيكتر", "per.title")]
    assert _tagged(second) == [("سبيكتر", "per.later")]
    assert second.spans[0].source == ("p0", 14, 24)


def test_a_mention_before_its_source_is_not_tagged(tmp_path: Path) -> None:
    annotator = _annotator(tmp_path)
    (only,) = annotator.annotate_document(_doc("رفض سبيكتر ذلك ثم قال السيناتور جون سبيكتر إن"))
    assert _tagged(only) == [("جون سبيكتر", "per.title")]


def test_the_same_text_repeats_the_name_in_full_and_first_plus_last(tmp_path: Path) -> None:
    annotator = _annotator(tmp_path, RULES.replace(TWO_WORDS, THREE_WORDS))
    _, second = annotator.annotate_document(
        _doc("التقى الرئيس جورج ووكر بوش", "وقال جورج بوش ثم عاد جورج ووكر بوش")
    )
    assert _tagged(second) == [("جورج بوش", "per.later"), ("جورج ووكر بوش", "per.later")]


def test_a_particle_stays_with_the_surname(tmp_path: Path) -> None:
    annotator = _annotator(tmp_path, RULES.replace(TWO_WORDS, THREE_WORDS))
    _, second = annotator.annotate_document(_doc("وقال الرئيس اسامه بن لادن", "وغادر بن لادن ثم لادن"))
    assert _tagged(second) == [("بن لادن", "per.later")]
    _, second = annotator.annotate_document(_doc("التقى الرئيس لولا دا سيلفا", "وقال دا سيلفا ثم سيلفا"))
    assert _tagged(second) == [("دا سيلفا", "per.later")]


def test_a_propagated_mention_never_overlaps_another_rules_span(tmp_path: Path) -> None:
    rules = RULES + ("  - id: loc.city\n    kind: gazetteer\n    label: LOC\n    terms: [سبيكتر سيتي]\n")
    annotator = _annotator(tmp_path, rules)
    _, second = annotator.annotate_document(_doc("قال السيناتور جون سبيكتر إن", "وصل إلى سبيكتر سيتي"))
    assert _tagged(second) == [("سبيكتر سيتي", "loc.city")]


def test_names_do_not_cross_into_another_document(tmp_path: Path) -> None:
    pack = pack_of(tmp_path, RULES)
    examples = [
        *_doc("قال السيناتور جون سبيكتر إن", key="a"),
        Example("b0", "ورفض سبيكتر الاقتراح", (), {"doc": "b"}),
        Example("c0", "ورفض سبيكتر الاقتراح"),  # no key: a document of its own
    ]
    annotated = list(annotate_stream(pack, examples))
    assert [_tagged(example) for example in annotated] == [[("جون سبيكتر", "per.title")], [], []]


def test_documents_are_runs_of_consecutive_examples_with_the_same_key() -> None:
    examples = [
        Example("1", "x", (), {"doc": "a"}),
        Example("2", "x", (), {"doc": "a"}),
        Example("3", "x"),
        Example("4", "x"),
        Example("5", "x", (), {"doc": "a"}),
        Example("6", "x", (), {"doc": ""}),
    ]
    grouped = [[e.id for e in document] for document in split_documents(examples, DocumentSettings())]
    assert grouped == [["1", "2"], ["3"], ["4"], ["5"], ["6"]]


def test_a_document_past_its_cap_is_cut_and_the_rest_starts_a_new_document() -> None:
    examples = [Example(str(i), "abcd", (), {"doc": "a"}) for i in range(7)]
    by_count = split_documents(examples, DocumentSettings(max_examples=3))
    assert [len(document) for document in by_count] == [3, 3, 1]
    by_chars = split_documents(examples, DocumentSettings(max_chars=8))
    assert [len(document) for document in by_chars] == [2, 2, 2, 1]


def test_a_nested_meta_key_groups_documents() -> None:
    examples = [Example(str(i), "x", (), {"article": {"id": 7}}) for i in range(3)]
    grouped = list(split_documents(examples, DocumentSettings(key="meta.article.id")))
    assert [len(document) for document in grouped] == [3]


def test_parallel_workers_give_the_same_spans_and_sources_as_one(tmp_path: Path) -> None:
    pack = pack_of(tmp_path, RULES)
    examples = []
    for doc in range(40):
        examples += [
            Example(f"{doc}-0", "قال السيناتور جون سبيكتر إن", (), {"doc": str(doc)}),
            Example(f"{doc}-1", "ورفض سبيكتر الاقتراح" if doc % 2 else "لا شيء هنا", (), {"doc": str(doc)}),
        ]
    serial = list(annotate_stream(pack, examples, workers=1))
    parallel = list(annotate_stream(pack, examples, workers=2, chunk_examples=3))
    assert [(e.id, e.spans, [s.source for s in e.spans]) for e in serial] == [
        (e.id, e.spans, [s.source for s in e.spans]) for e in parallel
    ]
    assert sum(1 for e in serial for s in e.spans if s.rule == "per.later") == 20


def test_propagate_rule_must_name_existing_rules_of_its_label(tmp_path: Path) -> None:
    rules = RULES.replace("from: [per.title]", "from: [per.nothing, loc.city]") + (
        "  - id: loc.city\n    kind: gazetteer\n    label: LOC\n    terms: [سبها]\n"
    )
    with pytest.raises(RulePackError) as raised:
        pack_of(tmp_path, rules)
    message = str(raised.value)
    assert "'per.nothing' names no rule" in message
    assert "loc.city tags LOC" in message


def test_a_bad_document_key_in_pack_yaml_is_reported(tmp_path: Path) -> None:
    header = DEFAULT_HEADER + "documents: {key: doc, max_examples: 0}\n"
    with pytest.raises(RulePackError) as raised:
        pack_of(tmp_path, RULES, header)
    assert "documents.key must look like meta.NAME" in str(raised.value)
    assert "documents.max_examples must be a whole number >= 1" in str(raised.value)


def test_annotate_writes_the_source_pointer_and_reads_it_back(tmp_path: Path) -> None:
    pack_dir = tmp_path / "pack"
    pack_of(pack_dir, RULES)
    corpus = tmp_path / "in.jsonl"
    lines = [
        {"id": "a1", "text": "قال السيناتور جون سبيكتر إن", "article": "x"},
        {"id": "a2", "text": "ورفض سبيكتر الاقتراح", "article": "x"},
    ]
    corpus.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")
    out = tmp_path / "out.jsonl"
    code = main(
        ["annotate", str(corpus), "--rules", str(pack_dir), "-o", str(out), "-q", "--doc-key", "meta.article"]
    )
    assert code == 0
    second = json.loads(out.read_text("utf-8").splitlines()[1])
    assert second["spans"] == [
        {
            "start": 5,
            "end": 11,
            "label": "PER",
            "rule": "per.later",
            "source": {"example": "a1", "start": 14, "end": 24},
        }
    ]
    (_, back) = list(read_corpus([out]))
    assert back.spans[0].source == ("a1", 14, 24)
    # without the key, every line is a document of its own
    main(["annotate", str(corpus), "--rules", str(pack_dir), "-o", str(out), "-q"])
    assert json.loads(out.read_text("utf-8").splitlines()[1])["spans"] == []


def test_document_examples_in_rules_check_fail_with_paragraph_markup(tmp_path: Path) -> None:
    rules = RULES + ('    examples:\n      - ["قال السيناتور [جون سبيكتر] إن", "ورفض سبيكتر الاقتراح"]\n')
    pack = pack_of(tmp_path, rules)
    from annotator.rules.examples import run_examples

    (outcome,) = run_examples(pack)
    assert not outcome.passed
    assert outcome.describe() == (
        "expected 'قال السيناتور [جون سبيكتر](PER) إن ¶ ورفض سبيكتر الاقتراح', "
        "got 'قال السيناتور [جون سبيكتر](PER) إن ¶ ورفض [سبيكتر](PER) الاقتراح'"
    )


def test_profile_only_rules_run_only_under_their_profile(tmp_path: Path) -> None:
    header = DEFAULT_HEADER + "profiles:\n  wide: {description: more}\n"
    rules = (
        "rules:\n  - id: org.head\n    kind: gazetteer\n    label: ORG\n    terms: [وزارة العدل]\n"
        "    profiles: [wide]\n"
    )
    pack = pack_of(tmp_path, rules, header)
    assert [rule.id for rule in pack.rules] == []
    assert [rule.id for rule in pack.with_profile("wide").rules] == ["org.head"]
    assert [rule.id for rule in pack.all_rules] == ["org.head"]


def test_a_rule_naming_an_undeclared_profile_is_reported(tmp_path: Path) -> None:
    rules = (
        "rules:\n  - id: g\n    kind: gazetteer\n    label: ORG\n    terms: [x]\n    profiles: [nowhere]\n"
    )
    with pytest.raises(RulePackError) as raised:
        pack_of(tmp_path, rules)
    assert "'profiles' names 'nowhere', which pack.yaml does not declare" in str(raised.value)
