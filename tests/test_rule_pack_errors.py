"""A broken rule pack reports ALL its problems in one run, each with file, line and rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.errors import RuleExamplesFailed, RulePackError
from annotator.rules import load_pack
from annotator.rules.examples import check_examples
from tests.packs import write_pack

BROKEN_RULES = """\
rules:
  - id: loc.countries
    kind: gazetteer
    label: LOC
    files: [gazetteers/missing.txt]
  - id: per.bad_regex
    kind: regex
    label: PER
    pattern: '(unclosed'
  - id: org.unknown_label
    kind: gazetteer
    label: ORGANISATION
    terms: [الأمم المتحدة]
  - id: date.typo
    kind: regex
    label: DATE
    patern: '\\d+'
  - id: loc.escape
    kind: gazetteer
    label: LOC
    files: [../../etc/passwd]
  - id: loc.countries
    kind: gazetteer
    label: LOC
    terms: [مصر]
  - id: per.macro
    kind: regex
    label: PER
    pattern: '{NO_SUCH_MACRO}'
"""


@pytest.fixture
def broken_pack(tmp_path: Path) -> Path:
    return write_pack(
        tmp_path / "broken",
        {"rules.yaml": BROKEN_RULES, "syntax.yaml": "rules:\n  - id: x\n    kind: [unclosed\n"},
    )


def test_broken_pack_reports_every_problem_at_once(broken_pack: Path) -> None:
    with pytest.raises(RulePackError) as caught:
        load_pack(broken_pack)
    problems = caught.value.problems
    report = str(caught.value)
    expected = [
        ("rules.yaml", 5, "loc.countries", "gazetteer file gazetteers/missing.txt does not exist"),
        ("rules.yaml", 9, "per.bad_regex", "not a valid regex"),
        ("rules.yaml", 12, "org.unknown_label", "unknown label 'ORGANISATION'"),
        ("rules.yaml", 17, "date.typo", "unknown key 'patern'"),
        ("rules.yaml", 14, "date.typo", "a regex rule needs 'pattern'"),
        ("rules.yaml", 21, "loc.escape", "points outside the rule pack"),
        ("rules.yaml", 22, "loc.countries", "duplicate rule id (first at rules.yaml:2)"),
        ("rules.yaml", 29, "per.macro", "unknown macro {NO_SUCH_MACRO}"),
        ("syntax.yaml", 4, None, "invalid YAML"),
    ]
    for file, line, rule, fragment in expected:
        assert any(
            p.file == file and p.line == line and p.rule == rule and fragment in p.message for p in problems
        ), f"missing problem {file}:{line} [{rule}] {fragment!r} in:\n{report}"
    assert "did you mean 'pattern'?" in report
    assert len(problems) == len(expected), report  # no follow-on noise


def test_cli_prints_all_problems_and_exits_with_code_3(
    broken_pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rules", "check", str(broken_pack)])
    err = capsys.readouterr().err
    assert code == 3
    assert "has 9 problems" in " ".join(err.split())
    assert "Traceback" not in err
    for rule in ("loc.countries", "per.bad_regex", "org.unknown_label", "date.typo", "per.macro"):
        assert rule in err


def test_yaml_object_tags_are_refused_not_constructed(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {"rules.yaml": "rules: !!python/object/apply:os.system ['echo pwned']\n"})
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert caught.value.problems[0].file == "rules.yaml"
    assert "invalid YAML" in caught.value.problems[0].message


def test_duplicate_keys_are_reported_rather_than_silently_overwritten(tmp_path: Path) -> None:
    rules = "rules:\n  - id: a\n    kind: gazetteer\n    label: LOC\n    terms: [مصر]\n    terms: [ليبيا]\n"
    with pytest.raises(RulePackError) as caught:
        load_pack(write_pack(tmp_path, {"rules.yaml": rules}))
    assert [(p.line, "duplicate key 'terms'" in p.message) for p in caught.value.problems] == [(6, True)]


TRIGGER_RULE = """\
rules:
  - id: per.after_title
    kind: trigger
    label: PER
    trigger: {{terms: [الرئيس]}}
    between: '{between}'
    target: {target}
"""


@pytest.mark.parametrize(
    ("between", "target", "message"),
    [
        (r"\s+", "'(unclosed'", ["'target' is not a valid regex: missing )", "in '(unclosed'"]),
        (r"\s+", "{pattern: '[z-a]'}", ["'target' pattern is not a valid regex: bad character", "'[z-a]'"]),
        # a verbose-mode comment in 'between' swallows the rest of the joined pattern
        (r"(?x)\s+ #gap", "'\\w+'", ["'target' after 'between' is not a valid regex: missing )"]),
    ],
    ids=["target", "target-pattern", "target-joined-to-between"],
)
def test_a_broken_trigger_target_is_named_with_its_line(
    tmp_path: Path, between: str, target: str, message: list[str]
) -> None:
    rules = TRIGGER_RULE.format(between=between, target=target)
    with pytest.raises(RulePackError) as caught:
        load_pack(write_pack(tmp_path, {"rules.yaml": rules}))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.rule) == ("rules.yaml", 7, "per.after_title")
    assert all(part in problem.message for part in message), problem.message


def test_gazetteer_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path,
        {"rules.yaml": "rules:\n  - id: a\n    kind: gazetteer\n    label: LOC\n    files: [g.txt]\n"},
    )
    (pack / "g.txt").write_bytes("مصر\n".encode("cp1256"))
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert "g.txt is not UTF-8" in str(caught.value)


def test_missing_pack_yaml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="1 problem"):
        load_pack(tmp_path)


def test_failing_rule_examples_are_reported_with_expected_and_produced_markup(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: loc.egypt
    kind: gazetteer
    label: LOC
    terms: [مصر]
    examples:
      - "زار [مصر] أمس"
      - "زار [القاهرة] أمس"
      - "بنك مصر"
"""
    pack = load_pack(write_pack(tmp_path, {"rules.yaml": rules}))
    with pytest.raises(RuleExamplesFailed) as caught:
        check_examples(pack)
    problems = caught.value.problems
    assert [(p.line, p.rule) for p in problems] == [(8, "loc.egypt"), (9, "loc.egypt")]
    assert "expected 'زار [القاهرة](LOC) أمس', got 'زار القاهرة أمس'" in problems[0].message
    assert "got 'بنك [مصر](LOC)'" in problems[1].message
    assert caught.value.exit_code == 8


def test_packs_in_the_repository_pass_their_own_examples() -> None:
    root = Path(__file__).resolve().parent.parent / "rules"
    packs = [path for path in root.iterdir() if (path / "pack.yaml").is_file()]
    assert packs, "the repository ships rule packs"
    for path in packs:
        assert check_examples(load_pack(path)), f"{path.name} has no examples"


def test_an_unknown_profile_is_a_pack_error_that_names_the_known_profiles() -> None:
    pack = load_pack(Path(__file__).parent.parent / "rules" / "ar-news")
    with pytest.raises(RulePackError) as raised:
        pack.with_profile("no-such-profile")
    assert raised.value.exit_code == 3
    [problem] = raised.value.problems
    assert "no profile 'no-such-profile'" in problem.message
    assert "institutions" in problem.message
