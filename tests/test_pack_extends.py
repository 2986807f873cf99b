"""A pack that ``extends`` another: what it inherits, what it changes, and what it may not set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.engine import Annotator
from annotator.errors import RulePackError
from annotator.pack_cache import compile_pack
from annotator.rules import load_pack
from tests.packs import write_pack

BASE_HEADER = """\
name: base
version: "1"
labels:
  PER: {colour: "#e6194b"}
  LOC: {colour: "#3cb44b"}
macros:
  CITY: {terms: [القاهرة, دمشق]}
examples:
  - "زار [القاهرة](LOC) ومعه [سمير](PER) و[بيت](LOC)"
profiles:
  narrow:
    skip: [loc.house]
"""

BASE_RULES = """\
rules:
  - id: loc.cities
    kind: regex
    label: LOC
    pattern: '{CITY}'
    examples: ["في [دمشق]"]
  - id: loc.house
    kind: gazetteer
    label: LOC
    terms: [بيت]
  - id: per.names
    kind: gazetteer
    label: PER
    terms: [سمير]
"""


def base_pack(root: Path) -> Path:
    return write_pack(root, {"pack.yaml": BASE_HEADER, "rules.yaml": BASE_RULES})


def child_pack(root: Path, header_extra: str = "", files: dict[str, str] | None = None) -> Path:
    header = f'name: child\nversion: "2"\nextends: ../base\n{header_extra}'
    return write_pack(root, {"pack.yaml": header, **(files or {})})


def problems(error: pytest.ExceptionInfo[RulePackError]) -> str:
    return "\n".join(str(problem) for problem in error.value.problems)


def test_a_child_runs_the_base_rules_and_its_own(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    own = "rules:\n  - id: per.more\n    kind: regex\n    label: PER\n    pattern: 'كريم'\n"
    pack = load_pack(child_pack(tmp_path / "child", files={"own.yaml": own}))

    assert pack.fingerprint == "child@2"
    assert [rule.id for rule in pack.rules] == ["loc.cities", "loc.house", "per.names", "per.more"]
    text = "زار كريم وسمير القاهرة"
    assert [(text[s.start : s.end], s.rule) for s in Annotator(pack).annotate(text)] == [
        ("كريم", "per.more"),
        ("سمير", "per.names"),
        ("القاهرة", "loc.cities"),
    ]


def test_the_child_inherits_policies_labels_and_macros_and_its_own_rules_use_the_macros(
    tmp_path: Path,
) -> None:
    base_pack(tmp_path / "base")
    own = "rules:\n  - id: org.city_council\n    kind: regex\n    label: ORG\n    pattern: 'بلديه {CITY}'\n"
    pack = load_pack(
        child_pack(
            tmp_path / "child",
            'labels:\n  ORG: {colour: "#4363d8"}\n',
            files={"own.yaml": own},
        )
    )
    assert pack.label_names == ("PER", "LOC", "ORG")
    text = "اجتمعت بلدية دمشق"
    assert [(text[s.start : s.end], s.label) for s in Annotator(pack).annotate(text)] == [
        ("بلدية دمشق", "ORG")
    ]


def test_disable_and_priorities_change_the_base_rules(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    pack = load_pack(child_pack(tmp_path / "child", "disable: [loc.h*]\npriorities: {per.names: 7}\n"))
    assert [rule.id for rule in pack.rules] == ["loc.cities", "per.names"]
    assert pack.rule("per.names").priority == 7


def test_the_child_takes_the_rules_the_named_base_profile_runs(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    root = write_pack(
        tmp_path / "child",
        {"pack.yaml": 'name: child\nversion: "2"\nextends: {pack: ../base, profile: narrow}\n'},
    )
    assert [rule.id for rule in load_pack(root).rules] == ["loc.cities", "per.names"]


def test_base_rule_examples_run_but_not_the_base_pack_examples(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    # the base's pack example expects loc.house; with it disabled only that example would fail
    child = child_pack(tmp_path / "child", "disable: [loc.house]\n")
    assert main(["rules", "check", str(child)]) == 0
    broken = BASE_RULES.replace('examples: ["في [دمشق]"]', 'examples: ["في دمشق"]')
    (tmp_path / "base" / "rules.yaml").write_text(broken, encoding="utf-8")
    assert main(["rules", "check", str(child)]) == 8


def test_annotate_with_the_child_alone_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_pack(tmp_path / "packs" / "base")
    child_pack(tmp_path / "packs" / "child", "disable: [loc.house]\n")
    corpus = tmp_path / "in.txt"
    corpus.write_text("زار سمير بيت القاهرة\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "out.jsonl"

    assert (
        main(
            [
                "annotate",
                str(corpus),
                "--rules",
                os.path.relpath(tmp_path / "packs" / "child"),
                "-o",
                str(out),
            ]
        )
        == 0
    )

    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert [span["rule"] for span in record["spans"]] == ["per.names", "loc.cities"]


def test_an_edit_in_the_base_is_a_cache_miss_for_the_child(tmp_path: Path) -> None:
    base = base_pack(tmp_path / "base")
    child = child_pack(tmp_path / "child")
    cache = tmp_path / "cache"
    assert compile_pack(child, cache=cache).annotator.annotate("في حلب") == []
    assert compile_pack(child, cache=cache).from_cache

    header = (base / "pack.yaml").read_text(encoding="utf-8").replace("دمشق]", "دمشق, حلب]")
    (base / "pack.yaml").write_text(header, encoding="utf-8")
    after = compile_pack(child, cache=cache)

    assert not after.from_cache
    assert [span.rule for span in after.annotator.annotate("في حلب")] == ["loc.cities"]


def test_a_child_rule_id_that_a_base_rule_has_is_a_problem_with_file_and_line(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    own = "rules:\n  - id: per.names\n    kind: gazetteer\n    label: PER\n    terms: [كريم]\n"
    with pytest.raises(RulePackError) as error:
        load_pack(child_pack(tmp_path / "child", files={"own.yaml": own}))
    assert "own.yaml:2 [rule per.names]: duplicate rule id (first at ../base/rules.yaml:11)" in problems(
        error
    )


def test_disable_naming_no_base_rule_is_a_problem_with_its_line(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    with pytest.raises(RulePackError) as error:
        load_pack(child_pack(tmp_path / "child", "disable:\n  - loc.cities\n  - loc.nothing\n"))
    assert "pack.yaml:6: disable: 'loc.nothing' matches no rule the base pack runs" in problems(error)


def test_priorities_of_an_unknown_rule_is_a_problem(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    with pytest.raises(RulePackError) as error:
        load_pack(child_pack(tmp_path / "child", "priorities: {loc.nothing: 2}\n"))
    assert "[rule loc.nothing]: priorities: no such rule in the base pack" in problems(error)


@pytest.mark.parametrize("key", ["profiles: {x: {skip: []}}", "clitics: include", "guard: {files: [g.txt]}"])
def test_keys_that_do_not_mix_with_extends_are_problems(tmp_path: Path, key: str) -> None:
    base_pack(tmp_path / "base")
    with pytest.raises(RulePackError) as error:
        load_pack(child_pack(tmp_path / "child", key + "\n"))
    assert "pack.yaml:4: " in problems(error)
    assert "extends another" in problems(error)


def test_disable_without_extends_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(RulePackError) as error:
        load_pack(
            write_pack(
                tmp_path / "base", {"pack.yaml": BASE_HEADER + "disable: [x]\n", "rules.yaml": BASE_RULES}
            )
        )
    assert "'disable' changes the rules of a base pack: it needs 'extends: BASE_PACK'" in problems(error)


def test_packs_extending_each_other_in_a_cycle_are_a_clear_problem(tmp_path: Path) -> None:
    write_pack(tmp_path / "a", {"pack.yaml": 'name: a\nversion: "1"\nextends: ../b\n'})
    write_pack(tmp_path / "b", {"pack.yaml": 'name: b\nversion: "1"\nextends: ../a\n'})
    with pytest.raises(RulePackError) as error:
        load_pack(tmp_path / "a")
    assert "packs extend each other in a cycle" in problems(error)


def test_a_missing_base_or_unknown_base_profile_is_a_problem(tmp_path: Path) -> None:
    child_pack(tmp_path / "child")
    with pytest.raises(RulePackError) as error:
        load_pack(tmp_path / "child")
    assert "base pack ../base" in problems(error) and "no such rule pack folder" in problems(error)

    base_pack(tmp_path / "base")
    (tmp_path / "child" / "pack.yaml").write_text(
        'name: child\nversion: "2"\nextends: {pack: ../base, profile: wide}\n', encoding="utf-8"
    )
    with pytest.raises(RulePackError) as error:
        load_pack(tmp_path / "child")
    assert "the base pack has no profile 'wide'; profiles: narrow" in problems(error)


def test_a_child_of_a_child_inherits_down_the_chain(tmp_path: Path) -> None:
    base_pack(tmp_path / "base")
    child_pack(tmp_path / "child", "disable: [loc.house]\n")
    write_pack(
        tmp_path / "grandchild",
        {"pack.yaml": 'name: g\nversion: "1"\nextends: ../child\npriorities: {loc.cities: 1}\n'},
    )
    pack = load_pack(tmp_path / "grandchild")
    assert [(rule.id, rule.priority) for rule in pack.rules] == [("loc.cities", 1), ("per.names", 0)]
    assert str(pack.rule("loc.cities").location) == "../base/rules.yaml:2"
