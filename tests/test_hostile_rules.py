"""Hostile rule packs: a pack from someone else must not hang a run, run code, read files outside
itself, or exhaust memory. (tests/test_rule_pack_errors.py covers ``../`` in a gazetteer path and
a refused ``!!python`` tag; this file adds the rest.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from annotator.engine import Annotator
from annotator.errors import RulePackError, TimeLimitExceeded
from annotator.matchers.regexes import TIMEOUT_CHARS
from annotator.model import Example
from annotator.rules import load_pack
from tests.packs import DEFAULT_HEADER, write_pack

ROOT = Path(__file__).resolve().parent.parent
EVIL_RULE = """\
rules:
  - id: loc.harmless
    kind: gazetteer
    label: LOC
    terms: [ليبيا]
  - id: evil.backtracking
    kind: regex
    label: ORG
    pattern: '(?:a|a)+b'
"""
#: a bounded time for a run that meets a catastrophic regex (start-up, spaCy import, the limit)
BOUNDED_SECONDS = 60


def run_cli(*args: str, timeout: float = BOUNDED_SECONDS) -> tuple[subprocess.CompletedProcess[str], float]:
    """``python -m annotator ARGS`` in a child process; its result and how long it took."""
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "annotator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    return result, time.monotonic() - began


def problems_of(pack: Path) -> str:
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    return str(caught.value)


# -- catastrophic backtracking --------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_catastrophic_regex_stops_annotate_with_exit_9_naming_the_rule_and_example(
    tmp_path: Path, workers: int
) -> None:
    pack = write_pack(tmp_path / "pack", {"rules.yaml": EVIL_RULE}, DEFAULT_HEADER + "match_timeout: 0.5\n")
    corpus = tmp_path / "corpus.jsonl"
    lines = [f'{{"id": "ok-{i}", "text": "زار الوفد ليبيا {i}"}}' for i in range(40)]
    lines.insert(25, '{"id": "the-evil-one", "text": "' + "a" * 40 + '"}')
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"

    result, seconds = run_cli(
        "annotate", str(corpus), "--rules", str(pack), "-o", str(output), "--workers", str(workers)
    )

    assert result.returncode == 9, result.stderr
    assert seconds < BOUNDED_SECONDS
    assert "evil.backtracking" in result.stderr
    assert "the-evil-one" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not output.exists() and not list(tmp_path.glob(".out.jsonl*")), "no partial output is left"


def test_the_time_limit_grows_with_the_text_so_an_honest_rule_passes_a_long_paragraph(
    tmp_path: Path,
) -> None:
    """``match_timeout`` covers 10,000 characters; a long text gets proportionally more time, while
    a catastrophic pattern inside the same long text is still stopped."""
    # \p{..} keeps the engine from anchoring the rule at literal prefixes: it scans every text whole
    rules = EVIL_RULE.replace("'(?:a|a)+b'", "'\\p{N}{4}'")
    header = DEFAULT_HEADER + "match_timeout: 0.02\n"
    honest = Annotator(load_pack(write_pack(tmp_path / "honest", {"rules.yaml": rules}, header)))
    paragraph = "في عام 2021 زار الوفد ليبيا ومصر وتونس. " * (60 * TIMEOUT_CHARS // 40)
    assert len(paragraph) >= 50 * TIMEOUT_CHARS
    assert len(honest.annotate(paragraph)) > 1000

    evil = Annotator(load_pack(write_pack(tmp_path / "evil", {"rules.yaml": EVIL_RULE}, header)))
    began = time.monotonic()
    with pytest.raises(TimeLimitExceeded) as caught:
        evil.annotate_example(Example("long", paragraph[: 5 * TIMEOUT_CHARS] + "a" * 40))
    assert caught.value.rule == "evil.backtracking"
    assert caught.value.seconds == pytest.approx(0.02 * 5, rel=0.01)
    assert time.monotonic() - began < 10


def _evil_annotator(tmp_path: Path) -> Annotator:
    header = DEFAULT_HEADER + "match_timeout: 0.2\n"
    return Annotator(load_pack(write_pack(tmp_path / "evil", {"rules.yaml": EVIL_RULE}, header)))


def test_the_timer_stops_a_catastrophic_rule_and_leaves_no_handler_or_timer_behind(tmp_path: Path) -> None:
    evil = _evil_annotator(tmp_path)
    began = time.monotonic()
    with pytest.raises(TimeLimitExceeded) as caught:
        evil.annotate("زار الوفد ليبيا " + "a" * 40)
    assert caught.value.rule == "evil.backtracking"
    assert time.monotonic() - began < 5
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert [s.rule for s in evil.annotate("زار الوفد ليبيا")] == ["loc.harmless"]  # still usable


def test_off_the_main_thread_each_regex_call_keeps_its_own_time_limit(tmp_path: Path) -> None:
    """Signals only reach the main thread: elsewhere the per-call ``timeout`` of regex is used."""
    evil = _evil_annotator(tmp_path)
    outcome: list[BaseException | list] = []

    def run() -> None:
        try:
            outcome.append(evil.annotate("a" * 40))
        except TimeLimitExceeded as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert isinstance(outcome[0], TimeLimitExceeded) and outcome[0].rule == "evil.backtracking"


def test_a_sigalrm_handler_of_the_caller_is_neither_replaced_nor_triggered(tmp_path: Path) -> None:
    evil = _evil_annotator(tmp_path)
    rings: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rings.append(signum))
    try:
        with pytest.raises(TimeLimitExceeded) as caught:
            evil.annotate("a" * 40)
        assert caught.value.rule == "evil.backtracking"
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL and rings == []
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_rules_check_reports_a_catastrophic_example_as_a_failed_example_not_a_hang(tmp_path: Path) -> None:
    rules = EVIL_RULE + "    examples: ['" + "a" * 40 + "']\n"
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules}, DEFAULT_HEADER + "match_timeout: 0.2\n")
    result, seconds = run_cli("rules", "check", str(pack))
    assert result.returncode == 8, result.stderr
    assert "evil.backtracking" in result.stderr and "ran longer than" in result.stderr
    assert seconds < BOUNDED_SECONDS


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "0", "-1", "1e9", "true", "'2'", "[2]"])
def test_match_timeout_must_be_a_finite_positive_number_of_seconds(tmp_path: Path, value: str) -> None:
    """NaN switched the limit off, and the regex engine treats huge limits as already past."""
    pack = write_pack(tmp_path, {"rules.yaml": EVIL_RULE}, DEFAULT_HEADER + f"match_timeout: {value}\n")
    assert "match_timeout must be seconds > 0 and at most 3600" in problems_of(pack)


def test_token_patterns_may_not_use_regex_which_spacy_runs_without_a_time_limit(tmp_path: Path) -> None:
    rules = """\
rules:
  - id: evil.tokens
    kind: tokens
    label: ORG
    pattern: [{TEXT: {REGEX: '^(a|a)+b$'}}]
  - id: evil.nested
    kind: tokens
    label: ORG
    pattern: [{WORD: وزارة}, {_: {stems: {REGEX: '(a+)+$'}}}]
"""
    report = problems_of(write_pack(tmp_path, {"rules.yaml": rules}))
    assert report.count("may not use REGEX") == 2


# -- YAML that tries to run code or exhaust memory ----------------------------------------------------

CODE_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
    "!!python/object/new:os.system ['touch {marker}']",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
]


def tagged_pack(root: Path, tag: str, where: str) -> tuple[Path, str]:
    """A pack with ``tag`` in pack.yaml, as a whole rule file, or inside a rule; and that file."""
    if where == "pack.yaml":
        files = {"pack.yaml": DEFAULT_HEADER + f"description: {tag}\n", "rules.yaml": EVIL_RULE}
    elif where == "rule file":
        files = {"rules.yaml": f"rules: {tag}\n"}
    else:
        files = {"rules.yaml": EVIL_RULE.replace("terms: [ليبيا]", f"terms: {tag}")}
    return write_pack(root, files), "pack.yaml" if where == "pack.yaml" else "rules.yaml"


@pytest.mark.parametrize("tag", CODE_TAGS)
@pytest.mark.parametrize("where", ["pack.yaml", "rule file", "inside a rule"])
def test_yaml_tags_that_would_run_code_are_refused_and_nothing_runs(
    tmp_path: Path, tag: str, where: str
) -> None:
    marker = tmp_path / "PWNED"
    pack, file = tagged_pack(tmp_path / "pack", tag.format(marker=marker), where)
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert any(p.file == file and "invalid YAML" in p.message for p in caught.value.problems)
    assert not marker.exists(), "the YAML ran a command"


@pytest.mark.parametrize("command", ["annotate", "rules check"])
def test_commands_refuse_a_pack_with_code_tags_with_exit_3_and_run_nothing(
    tmp_path: Path, command: str
) -> None:
    marker = tmp_path / "PWNED"
    pack, _ = tagged_pack(tmp_path / "pack", CODE_TAGS[0].format(marker=marker), "inside a rule")
    if command == "annotate":
        args = ["annotate", str(ROOT / "seeds"), "-r", str(pack), "-o", str(tmp_path / "out.jsonl")]
    else:
        args = ["rules", "check", str(pack)]
    result, _ = run_cli(*args)
    assert result.returncode == 3, result.stderr
    assert "invalid YAML" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists(), "the YAML ran a command"


def test_an_alias_bomb_is_refused_quickly_instead_of_expanding_a_billion_values(tmp_path: Path) -> None:
    """Nine levels of ten aliases each is 10^9 values once expanded (any walk over the data expands
    them: a token pattern, an error message that prints a key)."""
    anchors = ['  l0: &l0 ["ha", "ha"]'] + [
        f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)
    ]
    rules = "anchors:\n" + "\n".join(anchors) + "\nrules:\n  - id: bomb\n    kind: tokens\n    label: ORG\n"
    rules += "    pattern: [{TEXT: {IN: *l9}}]\n    ? *l9\n    : key\n"
    pack = write_pack(tmp_path, {"rules.yaml": rules})
    result, seconds = run_cli("rules", "check", str(pack))
    assert result.returncode == 3, result.stderr
    assert "aliases expand to more than 1,000,000 values" in result.stderr
    assert seconds < 30


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {"rules.yaml": "rules: &r [*r]\n"})
    assert "invalid YAML" in problems_of(pack)


def test_a_macro_bomb_is_refused_instead_of_expanding_exponentially(tmp_path: Path) -> None:
    """Macros that use the next one twice double at every level: 60 levels would be 10^18 chars."""
    macros = "".join(f"  M{i}: '{{M{i + 1}}}{{M{i + 1}}}'\n" for i in range(60)) + "  M60: 'ab'\n"
    rules = "rules:\n  - id: bomb\n    kind: regex\n    label: ORG\n    pattern: '{M0}'\n"
    pack = write_pack(tmp_path, {"rules.yaml": rules}, DEFAULT_HEADER + "macros:\n" + macros)
    result, seconds = run_cli("rules", "check", str(pack))
    assert result.returncode == 3, result.stderr
    assert "macros expand to more than 2,000,000 characters" in result.stderr
    assert seconds < BOUNDED_SECONDS


@pytest.mark.parametrize(
    "rules",
    [
        "rules:\n" + "".join("  " * depth + "- \n" for depth in range(1, 900)),
        "rules:\n  - id: deep\n    kind: regex\n    label: ORG\n    pattern: '"
        + "(" * 5000
        + "a"
        + ")" * 5000
        + "'\n",
    ],
    ids=["deep YAML", "deep regex"],
)
def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path, rules: str) -> None:
    assert "nested too deeply" in problems_of(write_pack(tmp_path, {"rules.yaml": rules}))


# -- paths that leave the pack ---------------------------------------------------------------------

SECRET = "SECRET-TERM-42"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the pack with a file that must never be read through the pack."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "secret.yaml").write_text(f"{SECRET}: 1\nrules: []\n", encoding="utf-8")
    return folder


def gazetteer_rule(path: str) -> str:
    return f"rules:\n  - id: loc.leak\n    kind: gazetteer\n    label: LOC\n    files: ['{path}']\n"


def test_a_symlinked_gazetteer_that_points_outside_the_pack_is_refused(tmp_path: Path, outside: Path) -> None:
    pack = write_pack(tmp_path / "pack", {"rules.yaml": gazetteer_rule("gazetteers/leak.txt")})
    (pack / "gazetteers").mkdir()
    (pack / "gazetteers" / "leak.txt").symlink_to(outside / "secret.txt")
    report = problems_of(pack)
    assert "gazetteers/leak.txt points outside the rule pack" in report
    assert SECRET not in report


def test_a_symlinked_folder_that_points_outside_the_pack_is_refused(tmp_path: Path, outside: Path) -> None:
    pack = write_pack(tmp_path / "pack", {"rules.yaml": gazetteer_rule("linked/secret.txt")})
    (pack / "linked").symlink_to(outside, target_is_directory=True)
    assert "linked/secret.txt points outside the rule pack" in problems_of(pack)


def test_a_symlinked_rule_file_that_points_outside_the_pack_is_refused(tmp_path: Path, outside: Path) -> None:
    """Rule files are found by listing the pack folder; a link among them is checked too."""
    pack = write_pack(tmp_path / "pack", {"rules.yaml": gazetteer_rule("g.txt"), "g.txt": "ليبيا\n"})
    (pack / "more.yaml").symlink_to(outside / "secret.yaml")
    report = problems_of(pack)
    assert "path more.yaml points outside the rule pack" in report
    assert SECRET not in report


def test_a_symlinked_pack_yaml_that_points_outside_the_pack_is_refused(tmp_path: Path, outside: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").symlink_to(outside / "secret.yaml")
    report = problems_of(pack)
    assert "path pack.yaml points outside the rule pack" in report
    assert SECRET not in report


@pytest.mark.parametrize(
    ("header", "rules"),
    [
        (DEFAULT_HEADER, "ABSOLUTE"),
        (DEFAULT_HEADER + "rule_files: ['../outside/secret.yaml']\n", None),
        (DEFAULT_HEADER + "rule_files: ['ABSOLUTE_YAML']\n", None),
        (DEFAULT_HEADER + "macros:\n  LEAK: {files: ['../outside/secret.txt']}\n", None),
        (DEFAULT_HEADER, "TRIGGER"),
    ],
    ids=["absolute gazetteer", "../ rule file", "absolute rule file", "macro file", "trigger terms file"],
)
def test_paths_written_in_the_pack_cannot_leave_it(
    tmp_path: Path, outside: Path, header: str, rules: str | None
) -> None:
    if rules == "ABSOLUTE":
        rules = gazetteer_rule(str(outside / "secret.txt"))
    elif rules == "TRIGGER":
        rules = (
            "rules:\n  - id: per.leak\n    kind: trigger\n    label: PER\n"
            "    trigger: {files: ['../outside/secret.txt']}\n    target: '\\w+'\n"
        )
    else:
        rules = gazetteer_rule("g.txt")
    header = header.replace("ABSOLUTE_YAML", str(outside / "secret.yaml"))
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules, "g.txt": "ليبيا\n"}, header)
    report = problems_of(pack)
    assert "points outside the rule pack" in report
    assert SECRET not in report


def test_a_symlink_that_stays_inside_the_pack_is_fine(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "pack", {"rules.yaml": gazetteer_rule("alias.txt"), "data/places.txt": "ليبيا\n"}
    )
    (pack / "alias.txt").symlink_to(pack / "data" / "places.txt")
    assert [s.rule for s in Annotator(load_pack(pack)).annotate("زار ليبيا")] == ["loc.leak"]


@pytest.mark.parametrize("name", ["a\\0b.txt", "x" * 5000 + ".txt"], ids=["NUL byte", "name too long"])
def test_unusable_file_names_are_problems_not_crashes(tmp_path: Path, name: str) -> None:
    rules = f'rules:\n  - id: loc.bad\n    kind: gazetteer\n    label: LOC\n    files: ["{name}"]\n'
    assert "is not usable" in problems_of(write_pack(tmp_path, {"rules.yaml": rules}))
