"""Gold export without a server: every format reads back to the same spans; nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.doccano.records import PulledExample
from annotator.errors import InputError, OutputError, UsageError
from annotator.export.formats import read_conll, read_docbins, read_hf, read_jsonl
from annotator.export.gold import export_gold, split_of
from annotator.export.project import check_formats, export_pulled
from annotator.export.split import split_examples
from annotator.model import Example, Span

HARD_TEXTS = {
    # proclitic attached to the entity: spaCy keeps "وبطرابلس" as one token
    "clitic": ("التقى وفد وبطرابلس أمس", [("طرابلس", "LOC")]),
    "diacritics": ("زار الرَّئِيسُ القاهرةَ ثم مصـــر", [("القاهرةَ", "LOC"), ("مصـــر", "LOC")]),
    "emoji": ("😀 عاجل: ليبيا 🇱🇾 وتونس", [("ليبيا", "LOC"), ("تونس", "LOC")]),
    "crlf": ("سطر أول\r\nفي للأمم المتحدة\r\nآخر", [("للأمم المتحدة", "ORG")]),
    "spaces": ("في  مجلس   الأمن\tاليوم", [("مجلس   الأمن", "ORG")]),
}


def hard_examples() -> list[Example]:
    examples = []
    for key, (text, entities) in HARD_TEXTS.items():
        spans = []
        for surface, label in entities:
            start = text.index(surface)
            spans.append(Span(start, start + len(surface), label))
        examples.append(Example(key, text, tuple(sorted(spans))))
    return examples


def test_every_format_reads_back_to_the_same_spans_for_hard_arabic_texts(tmp_path: Path) -> None:
    examples = hard_examples()
    report = export_gold(examples, tmp_path, dev_share=0.5, seed=1)
    gold = {e.id: sorted(e.spans) for e in examples}
    texts = {e.id: e.text for e in examples}
    assert read_jsonl(tmp_path / "gold.jsonl") == gold
    ents, spans = read_docbins([tmp_path / "train.spacy", tmp_path / "dev.spacy"])
    assert ents == gold and spans == gold
    assert read_conll(tmp_path / "gold.conll", texts) == gold
    assert read_hf(tmp_path, texts) == gold
    assert report.spans == 7 and not report.unrepresentable
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["verified"] and manifest["spans"] == 7
    assert {name: entry["spans"] for name, entry in manifest["formats"].items()} == {
        "jsonl": 7,
        "spacy": 7,
        "conll": 7,
        "hf": 7,
    }
    assert all(
        len(checksum) == 64 for entry in manifest["formats"].values() for checksum in entry["files"].values()
    )


def test_the_jsonl_keeps_texts_byte_for_byte(tmp_path: Path) -> None:
    examples = hard_examples()
    export_gold(examples, tmp_path, formats=("jsonl",))
    lines = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["id"]: line["text"] for line in lines} == {e.id: e.text for e in examples}


def test_overlapping_spans_are_kept_where_possible_and_reported_where_not(tmp_path: Path) -> None:
    text = "مجلس الأمن الدولي"
    example = Example("o", text, (Span(0, 17, "ORG"), Span(5, 10, "MISC")))
    report = export_gold([example], tmp_path)
    assert [(u.span.key, u.formats) for u in report.unrepresentable] == [
        ((5, 10, "MISC"), ("spacy", "conll", "hf"))
    ]
    assert read_jsonl(tmp_path / "gold.jsonl") == {"o": sorted(example.spans)}
    ents, spans = read_docbins([tmp_path / "train.spacy", tmp_path / "dev.spacy"])
    assert ents == {"o": [Span(0, 17, "ORG")]} and spans == {"o": sorted(example.spans)}


def test_whitespace_selected_at_a_span_edge_is_trimmed_and_reported(tmp_path: Path) -> None:
    example = Example("w", "في ليبيا اليوم", (Span(2, 9, "LOC"),))  # " ليبيا " with both spaces
    report = export_gold([example], tmp_path, formats=("jsonl",))
    assert read_jsonl(tmp_path / "gold.jsonl") == {"w": [Span(3, 8, "LOC")]}
    assert [a.reason for a in report.adjustments] == ["whitespace at the span's edge was trimmed"]


def test_split_is_seeded_stable_and_close_to_the_ratio() -> None:
    ids = [f"doc-{i}" for i in range(2000)]
    dev = [i for i in ids if split_of(i, 0.2, 7) == "dev"]
    assert 0.17 < len(dev) / len(ids) < 0.23
    assert dev == [i for i in ids if split_of(i, 0.2, 7) == "dev"]
    assert dev != [i for i in ids if split_of(i, 0.2, 8) == "dev"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    from annotator.errors import OutputError

    with pytest.raises(OutputError, match="unknown export format"):
        export_gold(hard_examples(), tmp_path, formats=("xml",))


# -- the train/dev split ----------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.1, 0.2, 0.5, 0.9, 0.99])
def test_few_examples_never_leave_train_empty_and_dev_gets_one_from_two_examples(share: float) -> None:
    for total in range(1, 9):
        for seed in range(60):
            split = split_examples([f"doc-{i}" for i in range(total)], share, seed)
            counts = split.counts
            assert counts["train"] >= 1, (total, seed, split.how)
            assert counts["dev"] >= (1 if total >= 2 else 0), (total, seed, split.how)
            assert counts["train"] + counts["dev"] == total


def test_the_split_says_when_the_hash_alone_would_have_emptied_train() -> None:
    ids = ["a", "b", "c"]
    seed = next(s for s in range(1000) if all(split_of(i, 0.5, s) == "dev" for i in ids))
    split = split_examples(ids, 0.5, seed)
    assert split.counts == {"train": 1, "dev": 2}  # round(3 * 0.5) = 2 to dev, the rest to train
    assert split.how.startswith("the hash put all 3 examples in dev")
    single = split_examples(["only"], 0.5, seed)
    assert single.counts == {"train": 1, "dev": 0} and "single example" in single.how
    assert split_examples(ids, 0.0, seed).counts == {"train": 3, "dev": 0}


def test_a_large_corpus_keeps_the_per_id_split_when_it_grows() -> None:
    ids = [f"doc-{i}" for i in range(2000)]
    split = split_examples(ids, 0.2, 7)
    assert split.how.startswith("by a hash of each id")
    assert split.sides == {i: split_of(i, 0.2, 7) for i in ids}
    grown = split_examples([*ids, *(f"new-{i}" for i in range(500))], 0.2, 7)
    assert all(grown.sides[i] == side for i, side in split.sides.items())


@pytest.mark.parametrize("share", [1.0, -0.1, float("nan"), float("inf")])
def test_an_impossible_dev_share_is_refused(share: float) -> None:
    with pytest.raises(UsageError, match="at least 0 and less than 1"):
        split_examples(["a"], share, 1)


def test_three_examples_that_the_hash_sends_to_dev_still_give_a_train_docbin(tmp_path: Path) -> None:
    examples = hard_examples()[:3]
    ids = [e.id for e in examples]
    seed = next(s for s in range(1000) if all(split_of(i, 0.9, s) == "dev" for i in ids))
    report = export_gold(examples, tmp_path, dev_share=0.9, seed=seed)
    assert report.split == {"train": 1, "dev": 2}
    train, _ = read_docbins([tmp_path / "train.spacy"])
    assert len(train) == 1
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["split"]["train"] == 1 and manifest["split"]["how"] == report.split_how


# -- labels, staging -------------------------------------------------------------------------------


def test_labels_json_holds_the_whole_label_set_even_labels_no_span_uses(tmp_path: Path) -> None:
    examples = [hard_examples()[0]]  # one LOC span only
    report = export_gold(examples, tmp_path, label_set=["PER", "LOC", "ORG", "DATE"])
    names = json.loads((tmp_path / "labels.json").read_text(encoding="utf-8"))
    assert names == ["O"] + [f"{p}-{label}" for label in ("DATE", "LOC", "ORG", "PER") for p in "BI"]
    assert report.label_set == ["DATE", "LOC", "ORG", "PER"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["label_set"] == ["DATE", "LOC", "ORG", "PER"] and manifest["labels"] == {"LOC": 1}
    assert read_hf(tmp_path, {e.id: e.text for e in examples}) == {e.id: sorted(e.spans) for e in examples}


def test_a_failed_export_leaves_no_file_and_no_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.errors import VerificationFailed
    from annotator.export import gold

    def broken(path: Path, items: object) -> None:
        path.write_text("half", encoding="utf-8")
        raise gold.FormatError("simulated failure half way")

    monkeypatch.setattr(gold, "write_conll", broken)
    fresh = tmp_path / "fresh" / "export"
    with pytest.raises(VerificationFailed, match="simulated failure"):
        export_gold(hard_examples(), fresh)
    assert not fresh.exists() and list((tmp_path / "fresh").iterdir()) == []

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "gold.jsonl").write_text("an earlier export\n", encoding="utf-8")
    with pytest.raises(VerificationFailed):
        export_gold(hard_examples(), existing)
    assert [p.name for p in existing.iterdir()] == ["gold.jsonl"]
    assert (existing / "gold.jsonl").read_text(encoding="utf-8") == "an earlier export\n"


def test_an_export_into_an_existing_folder_replaces_its_files_and_keeps_others(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    pushed = [Example(e.id, e.text, (), {}) for e in hard_examples()]
    report = export_gold(hard_examples(), tmp_path, formats=("jsonl",), pushed=pushed)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gold.jsonl",
        "manifest.json",
        "notes.txt",
        "pushed.jsonl",
    ]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["pushed"]["pushed.jsonl"]) == 64 and report.manifest == tmp_path / "manifest.json"


def test_an_export_of_nothing_is_refused(tmp_path: Path) -> None:
    from annotator.errors import InputError

    with pytest.raises(InputError, match="no examples to export"):
        export_gold([], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_staging_folder_left_by_a_killed_export_is_replaced_but_a_stranger_folder_is_not(
    tmp_path: Path,
) -> None:
    from annotator.atomic import STAGING_MARK
    from annotator.errors import OutputError

    target = tmp_path / "export"
    stale = tmp_path / ".export.partial"
    stale.mkdir()
    (stale / STAGING_MARK).touch()
    (stale / "gold.jsonl").write_text("half", encoding="utf-8")
    export_gold(hard_examples(), target, formats=("jsonl",))
    assert not stale.exists() and (target / "manifest.json").is_file()

    stranger = tmp_path / ".other.partial"
    stranger.mkdir()
    (stranger / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputError, match="a folder this tool did not make"):
        export_gold(hard_examples(), tmp_path / "other", formats=("jsonl",))
    assert (stranger / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "other").exists()


def _pulled(example: Example, pack: str, pre: tuple[Span, ...]) -> PulledExample:
    return PulledExample(doccano_id=1, example=example, pre=pre, pack=pack)


def test_export_pulled_names_its_source_and_writes_what_was_pushed(tmp_path: Path) -> None:
    examples = hard_examples()
    pulled = [
        _pulled(example, "ar-news@1" if index % 2 else "", example.spans[:1])
        for index, example in enumerate(examples)
    ]
    report = export_pulled(
        pulled, tmp_path / "gold", project="p", url="http://127.0.0.1:8000", label_set=["LOC", "PER", "ORG"]
    )
    manifest = json.loads(report.manifest.read_text(encoding="utf-8"))
    packs = sum(1 for item in pulled if item.pack)
    assert manifest["source"] == {
        "project": "p",
        "url": "http://127.0.0.1:8000",
        "only_confirmed": True,
        "rule_packs": {"ar-news@1": packs},
    }
    pushed = [
        json.loads(line) for line in (tmp_path / "gold" / "pushed.jsonl").read_text("utf-8").splitlines()
    ]
    assert [len(line["spans"]) for line in pushed] == [len(example.spans[:1]) for example in examples]


def test_export_pulled_refuses_an_empty_project_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match='project "p" has no confirmed examples'):
        export_pulled([], tmp_path / "gold", project="p", url="u")
    assert not (tmp_path / "gold").exists()


def test_check_formats_keeps_the_order_and_refuses_unknown_or_none() -> None:
    assert check_formats(["conll", " jsonl"]) == ("conll", "jsonl")
    with pytest.raises(OutputError, match="xml"):
        check_formats(["jsonl", "xml"])
    with pytest.raises(OutputError, match="none"):
        check_formats([""])
