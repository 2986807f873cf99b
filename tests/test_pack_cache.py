"""The compiled-pack cache: a hit is the fresh compile, any change is a miss, a bad entry is never trusted."""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import regex

from annotator.cli import main
from annotator.engine import Annotator, annotate_stream, parallel
from annotator.errors import RulePackError
from annotator.model import Example
from annotator.pack_cache import PrivateStore, compile_pack, load_compiled
from annotator.pack_cache.store import KEY_FILE, MAGIC, SUFFIX, TAG_BYTES
from annotator.paths import NO_PACK_CACHE_ENV, PACK_CACHE_ENV
from annotator.rules import load_pack, select_profile
from tests.seeds import seed_paragraphs

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "seeds" / "libya-news-2021.jsonl"
EXTRA_TEXTS = [
    "أعلنت وزارة الخارجية ووزارة العدل وبوزارة الدفاع",
    "استقبل الرئيس المصري عبد الفتاح السيسي في القاهرة يوم 24 ديسمبر 2021",
    "وقع الاتفاق في ٢٤ كانون الأول ٢٠٢١ بطرابلس وللأمم المتحدة",
    "",
]


def texts_for(pack_path: Path) -> list[str]:
    """The seed article's paragraphs, every example written in the pack, and a few more."""
    pack = load_pack(pack_path)
    examples = [example.text for rule in pack.rules for example in rule.examples]
    examples += [example.text for example in pack.examples]
    return seed_paragraphs() + examples + EXTRA_TEXTS


def spans_of(annotator: Annotator, texts: list[str]) -> list[list[tuple[int, int, str, str]]]:
    return [[(s.start, s.end, s.label, s.rule) for s in annotator.annotate(text)] for text in texts]


def starter_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(REPO / "rules" / "starter", tmp_path / "pack"))


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{SUFFIX}"))


# -- a hit is exactly the fresh compile ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pack_name", "profile"),
    [("ar-news", None), ("ar-news", "institutions"), ("starter", None)],
    ids=["ar-news", "ar-news+institutions", "starter"],
)
def test_a_cache_hit_gives_exactly_the_spans_of_a_fresh_compile(
    tmp_path: Path, pack_name: str, profile: str | None
) -> None:
    pack_path = REPO / "rules" / pack_name
    texts = texts_for(pack_path)
    fresh = Annotator(select_profile(load_pack(pack_path), profile))
    cache = tmp_path / "cache"

    missed = compile_pack(pack_path, profile, cache=cache)
    hit = compile_pack(pack_path, profile, cache=cache)

    assert not missed.from_cache and hit.from_cache
    assert hit.annotator is not missed.annotator  # unpickled, not the same object
    assert hit.pack == fresh.pack
    expected = spans_of(fresh, texts)
    assert sum(map(len, expected)) > 50
    assert spans_of(missed.annotator, texts) == expected
    assert spans_of(hit.annotator, texts) == expected


def test_every_profile_of_every_pack_round_trips_through_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for pack_path in sorted(path.parent for path in (REPO / "rules").glob("*/pack.yaml")):
        texts = seed_paragraphs()
        for profile in [None, *load_pack(pack_path).profiles]:
            compile_pack(pack_path, profile, cache=cache)
            hit = compile_pack(pack_path, profile, cache=cache)
            fresh = Annotator(select_profile(load_pack(pack_path), profile))
            assert hit.from_cache, (pack_path.name, profile)
            assert hit.pack.fingerprint == fresh.pack.fingerprint
            assert spans_of(hit.annotator, texts) == spans_of(fresh, texts)


def test_rule_examples_pass_with_annotators_built_from_the_cached_patterns(tmp_path: Path) -> None:
    from annotator.rules.examples import check_examples, run_examples

    cache = tmp_path / "cache"
    compile_pack(REPO / "rules" / "ar-news", cache=cache)
    hit = compile_pack(REPO / "rules" / "ar-news", cache=cache)
    outcomes = check_examples(hit.pack, hit.compile)
    assert len(outcomes) > 50
    fresh = run_examples(load_pack(REPO / "rules" / "ar-news"))
    assert [(o.rule, o.produced) for o in outcomes] == [(o.rule, o.produced) for o in fresh]
    assert hit.compile(hit.pack) is hit.annotator


def test_a_pattern_memo_answers_what_it_compiled_and_compiles_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.patterns import PatternMemo, compile_pattern

    compiled: list[str] = []
    real = regex.compile
    monkeypatch.setattr(regex, "compile", lambda p, f=0: compiled.append(p) or real(p, f))
    first = PatternMemo()
    with first.active():
        one = compile_pattern("a+b", regex.IGNORECASE)
        compile_pattern("c+")
    second = PatternMemo(first.used)
    with second.active():
        assert compile_pattern("a+b", regex.IGNORECASE) is one
        assert compile_pattern("a+b") is not one  # other flags: another pattern
    assert compiled == ["a+b", "c+", "a+b"]
    assert set(second.used) == {("a+b", regex.IGNORECASE), ("a+b", 0)}
    assert compile_pattern("c+").pattern == "c+"  # no memo active: regex.compile


def test_unpickling_a_compiled_regex_does_not_parse_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache relies on this: regex pickles a pattern as its compiled code. Should an upgrade
    go back to pickling the source (and so parse again on every hit), this fails."""
    import regex._main

    pattern = regex.compile("|".join(f"كلمة{i}" for i in range(500)), regex.IGNORECASE)
    data = pickle.dumps(pattern)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(regex._main, "_compile", refuse)
    restored = pickle.loads(data)
    assert restored.pattern == pattern.pattern and restored.flags == pattern.flags
    assert restored.fullmatch("كلمة42") and not restored.fullmatch("كلمة500")


# -- what invalidates an entry ---------------------------------------------------------------------


def _add_capital(pack: Path) -> None:
    with (pack / "gazetteers" / "capitals.txt").open("a", encoding="utf-8") as handle:
        handle.write("غدامس\n")


def _change_regex(pack: Path) -> None:
    rules = pack / "date.yaml"
    text = rules.read_text("utf-8")
    rules.write_text(text.replace("pattern: '{MONTH}\\s+{YEAR}'", "pattern: 'عام\\s+{YEAR}'"), "utf-8")


def _bump_version(pack: Path) -> None:
    header = pack / "pack.yaml"
    header.write_text(header.read_text("utf-8").replace("version: 0.1.0", "version: 0.1.1"), "utf-8")


def _new_rule_file(pack: Path) -> None:
    (pack / "extra.yaml").write_text(
        "rules:\n  - id: loc.extra\n    kind: gazetteer\n    label: LOC\n    terms: [غدامس]\n", "utf-8"
    )


@pytest.mark.parametrize(
    ("edit", "text", "expected"),
    [
        (_add_capital, "وصلنا إلى غدامس أمس", ("LOC", "loc.capitals")),
        (_change_regex, "منذ عام 2011", ("DATE", "date.month_year")),
        (_new_rule_file, "وصلنا إلى غدامس أمس", ("LOC", "loc.extra")),
    ],
    ids=["a gazetteer line", "a rule's pattern", "a new rule file"],
)
def test_editing_a_pack_file_is_a_miss_that_compiles_the_edit(
    tmp_path: Path, edit, text: str, expected: tuple[str, str]
) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    before = compile_pack(pack, cache=cache).annotator
    assert expected not in [(s.label, s.rule) for s in before.annotate(text)]
    assert compile_pack(pack, cache=cache).from_cache

    edit(pack)
    after = compile_pack(pack, cache=cache)

    assert not after.from_cache
    assert [(s.label, s.rule) for s in after.annotator.annotate(text)] == [expected]
    assert compile_pack(pack, cache=cache).from_cache
    assert len(entries(cache)) == 1  # the edited pack's entry replaced the old one


def test_editing_pack_yaml_is_a_miss(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    assert compile_pack(pack, cache=cache).pack.version == "0.1.0"
    _bump_version(pack)
    after = compile_pack(pack, cache=cache)
    assert not after.from_cache and after.pack.version == "0.1.1"


def test_an_edit_that_keeps_size_and_modification_time_is_still_a_miss(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    capitals = pack / "gazetteers" / "capitals.txt"
    old = capitals.read_text("utf-8")
    assert "القاهرة" in old and "الفاهرة" not in old
    compile_pack(pack, cache=cache)
    times = os.stat(capitals)
    capitals.write_text(old.replace("القاهرة", "الفاهرة"), "utf-8")  # one letter for another: same size
    os.utime(capitals, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert os.stat(capitals).st_size == times.st_size

    after = compile_pack(pack, cache=cache)

    assert not after.from_cache
    assert [s.rule for s in after.annotator.annotate("في الفاهرة")] == ["loc.capitals"]
    assert after.annotator.annotate("في القاهرة") == []


def test_a_profile_is_its_own_entry(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    whole = compile_pack(REPO / "rules" / "ar-news", cache=cache)
    widened = compile_pack(REPO / "rules" / "ar-news", "institutions", cache=cache)
    assert not widened.from_cache
    assert len(entries(cache)) == 2
    assert widened.pack.profile == "institutions" and whole.pack.profile is None
    assert len(widened.pack.rules) > len(whole.pack.rules)  # its rules name the profile
    assert (
        compile_pack(REPO / "rules" / "ar-news", "institutions", cache=cache).pack.profile == "institutions"
    )
    assert compile_pack(REPO / "rules" / "ar-news", cache=cache).pack.profile is None


def test_the_same_files_in_another_folder_are_another_entry_naming_their_folder(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = compile_pack(starter_copy(tmp_path / "a"), cache=cache)
    second = compile_pack(starter_copy(tmp_path / "b"), cache=cache)
    assert not second.from_cache
    assert first.pack.path == (tmp_path / "a" / "pack").resolve()
    assert second.pack.path == (tmp_path / "b" / "pack").resolve()


def test_a_cache_inside_the_pack_folder_does_not_invalidate_itself(tmp_path: Path) -> None:
    pack = starter_copy(tmp_path)
    cache = pack / ".annotator" / "cache" / "packs"  # annotate run from inside the pack folder
    assert not compile_pack(pack, cache=cache).from_cache
    assert compile_pack(pack, cache=cache).from_cache
    (pack / "gazetteers" / "capitals.txt").write_text("غدامس\n", "utf-8")
    assert not compile_pack(pack, cache=cache).from_cache


def test_after_an_edit_only_the_changed_patterns_are_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    compiled: list[str] = []
    real = regex.compile

    def counting(pattern: str, flags: int = 0) -> regex.Pattern:
        compiled.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr("annotator.patterns.regex.compile", counting)
    compile_pack(pack, cache=cache)
    cold = len(compiled)
    compiled.clear()
    _change_regex(pack)

    compile_pack(pack, cache=cache)

    assert cold >= 8
    assert compiled and all("عام" in pattern for pattern in compiled), compiled


# -- errors are never hidden -----------------------------------------------------------------------


def test_a_pack_error_is_reported_with_file_line_and_rule_every_time(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    compile_pack(pack, cache=cache)  # a valid pack, cached
    rules = pack / "date.yaml"
    rules.write_text(
        rules.read_text("utf-8").replace("pattern: '{MONTH}\\s+{YEAR}'", "pattern: '(['"), "utf-8"
    )

    for _ in range(2):
        with pytest.raises(RulePackError) as caught:
            compile_pack(pack, cache=cache)
        [problem] = caught.value.problems
        assert (problem.file, problem.rule) == ("date.yaml", "date.month_year")
        assert problem.line == 15 and "not a valid regex" in problem.message


def test_the_cli_reports_a_broken_pack_through_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = starter_copy(tmp_path)
    assert main(["rules", "check", str(pack)]) == 0
    (pack / "gazetteers" / "capitals.txt").unlink()
    capsys.readouterr()

    assert main(["rules", "check", str(pack)]) == 3
    err = capsys.readouterr().err
    assert "loc.yaml:17 [rule loc.capitals]: gazetteer file gazetteers/capitals.txt does not exist" in err


def test_an_unknown_profile_is_a_pack_error_naming_the_profiles(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="no profile 'nope'; profiles: institutions, anercorp"):
        compile_pack(REPO / "rules" / "ar-news", "nope", cache=tmp_path / "cache")


# -- a damaged, forged or foreign entry is never trusted ----------------------------------------


def _truncate(entry: Path, cache: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])


def _flip_body_byte(entry: Path, cache: Path) -> None:
    data = bytearray(entry.read_bytes())
    data[-100] ^= 0x01
    entry.write_bytes(bytes(data))


def _flip_tag_byte(entry: Path, cache: Path) -> None:
    data = bytearray(entry.read_bytes())
    data[len(MAGIC)] ^= 0x80
    entry.write_bytes(bytes(data))


def _empty(entry: Path, cache: Path) -> None:
    entry.write_bytes(b"")


def _new_key(entry: Path, cache: Path) -> None:
    (cache / KEY_FILE).write_bytes(os.urandom(32))


def _bad_key_file(entry: Path, cache: Path) -> None:
    (cache / KEY_FILE).write_bytes(b"short")


def _other_entry(entry: Path, cache: Path) -> None:
    """A genuine entry of another pack, renamed to this one's name."""
    other = Path(shutil.copytree(REPO / "rules" / "starter", cache.parent / "other"))
    (other / "pack.yaml").write_text((other / "pack.yaml").read_text("utf-8") + "\n# another\n", "utf-8")
    compile_pack(other, cache=cache)
    [foreign] = [path for path in entries(cache) if path != entry]
    os.replace(foreign, entry)


@pytest.mark.parametrize(
    "damage",
    [_truncate, _flip_body_byte, _flip_tag_byte, _empty, _new_key, _bad_key_file, _other_entry],
    ids=["truncated", "body altered", "tag altered", "empty", "another key", "damaged key", "renamed"],
)
def test_a_damaged_entry_is_a_miss_that_rebuilds_it(tmp_path: Path, damage) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    text = "وقال المشير خليفة حفتر في طرابلس يوم 24 ديسمبر 2021"
    expected = spans_of(compile_pack(pack, cache=cache).annotator, [text])
    [entry] = entries(cache)
    damage(entry, cache)

    rebuilt = compile_pack(pack, cache=cache)

    assert not rebuilt.from_cache and rebuilt.cache_note is None
    assert spans_of(rebuilt.annotator, [text]) == expected
    assert compile_pack(pack, cache=cache).from_cache  # written again, whole


class _Payload:
    """Unpickling this would create a file: proof that a forged entry was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_forged_entry_is_never_unpickled(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    compile_pack(pack, cache=cache)
    [entry] = entries(cache)
    marker = tmp_path / "forged-entry-was-unpickled"
    body = pickle.dumps({"name": entry.stem, "annotator": _Payload(marker), "patterns": {}})
    entry.write_bytes(MAGIC + os.urandom(TAG_BYTES) + body)  # without the key, the tag is a guess

    assert not compile_pack(pack, cache=cache).from_cache
    assert not marker.exists()


def test_a_library_skew_inside_a_genuine_entry_is_a_miss(tmp_path: Path) -> None:
    """An authenticated entry that no longer unpickles (a class gone) is recompiled, not an error."""
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    compile_pack(pack, cache=cache)
    [entry] = entries(cache)
    store = PrivateStore(cache)
    vanished = pickle.dumps(_Payload(tmp_path / "x")).replace(b"Path", b"Gone")
    store.write(entry.stem, vanished)  # signed with the right key, but naming a class that is gone

    assert not compile_pack(pack, cache=cache).from_cache
    assert compile_pack(pack, cache=cache).from_cache


# -- the folder ------------------------------------------------------------------------------------


def test_the_cache_folder_and_its_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    cache = tmp_path / "state" / "cache"
    old = os.umask(0)
    try:
        compile_pack(starter_copy(tmp_path), cache=cache)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    files = list(cache.iterdir())
    assert {path.name for path in files} >= {KEY_FILE} and len(files) == 2
    assert all(stat.S_IMODE(os.stat(path).st_mode) == 0o600 for path in files)


def test_a_loose_folder_is_made_private_and_a_readable_key_is_replaced(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    compile_pack(pack, cache=cache)
    os.chmod(cache, 0o755)
    key = (cache / KEY_FILE).read_bytes()
    os.chmod(cache / KEY_FILE, 0o644)  # others could have read it: entries signed with it are void

    again = compile_pack(pack, cache=cache)

    assert not again.from_cache
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache / KEY_FILE).st_mode) == 0o600
    assert (cache / KEY_FILE).read_bytes() != key


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_folder_of_another_user_is_not_used_and_the_run_says_why(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    compiled = compile_pack(starter_copy(tmp_path), cache=cache)
    assert not compiled.from_cache
    assert compiled.cache_note and "belongs to another user" in compiled.cache_note
    assert list(cache.iterdir()) == []


def test_an_unwritable_cache_location_still_annotates(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    compiled = compile_pack(starter_copy(tmp_path), cache=blocker / "cache")
    assert not compiled.from_cache and "cannot create" in (compiled.cache_note or "")
    assert compiled.annotator.annotate("في القاهرة")


def test_no_cache_and_its_environment_variable_leave_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(PACK_CACHE_ENV, str(cache))
    out = tmp_path / "out.jsonl"
    one = tmp_path / "one.txt"
    one.write_text("في القاهرة\n", "utf-8")
    starter = str(REPO / "rules" / "starter")
    assert main(["annotate", str(one), "--rules", starter, "-o", str(out), "-q", "--no-cache"]) == 0
    assert main(["rules", "check", starter, "--no-cache"]) == 0
    monkeypatch.setenv(NO_PACK_CACHE_ENV, "1")
    assert main(["annotate", str(one), "--rules", starter, "-o", str(out), "-q"]) == 0
    assert load_compiled(starter).annotate("في القاهرة")
    assert not cache.exists()
    monkeypatch.delenv(NO_PACK_CACHE_ENV)
    assert main(["annotate", str(one), "--rules", starter, "-o", str(out), "-q"]) == 0
    assert len(entries(cache)) == 1


def test_cache_info_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(PACK_CACHE_ENV, str(cache))
    compile_pack(REPO / "rules" / "starter")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache) in out and "1 (" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 compiled pack from" in capsys.readouterr().out
    assert entries(cache) == [] and not (cache / KEY_FILE).exists()
    assert not compile_pack(REPO / "rules" / "starter").from_cache


# -- workers and concurrent runs -------------------------------------------------------------------


@pytest.mark.parametrize("forked", [True, False], ids=["fork", "forkserver"])
def test_workers_annotate_with_the_cached_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    cache = tmp_path / "cache"
    compile_pack(REPO / "rules" / "starter", cache=cache)
    hit = compile_pack(REPO / "rules" / "starter", cache=cache)
    assert hit.from_cache
    examples = [Example(f"e{i}", text) for i, text in enumerate(texts_for(REPO / "rules" / "starter") * 4)]
    serial = list(annotate_stream(load_pack(REPO / "rules" / "starter"), examples))
    monkeypatch.setattr(parallel, "_fork_is_safe", lambda: forked)
    in_parallel = list(annotate_stream(hit.annotator, iter(examples), workers=2, chunk_examples=5))
    assert in_parallel == serial
    assert sum(len(example.spans) for example in serial) > 20


def test_the_cli_with_two_workers_and_a_warm_cache_writes_what_a_fresh_compile_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PACK_CACHE_ENV, str(tmp_path / "cache"))
    starter = str(REPO / "rules" / "starter")
    fresh, warm = tmp_path / "fresh.jsonl", tmp_path / "warm.jsonl"
    assert main(["annotate", str(SEED), "--rules", starter, "-o", str(fresh), "-q", "--no-cache"]) == 0
    assert main(["annotate", str(SEED), "--rules", starter, "-o", str(tmp_path / "warm-up.jsonl"), "-q"]) == 0
    assert main(["annotate", str(SEED), "--rules", starter, "-o", str(warm), "-q", "--workers", "2"]) == 0
    assert warm.read_bytes() == fresh.read_bytes()


def test_concurrent_runs_leave_one_whole_entry(tmp_path: Path) -> None:
    pack, cache = starter_copy(tmp_path), tmp_path / "cache"
    code = "import sys; from annotator.pack_cache import compile_pack as c; c(sys.argv[1], cache=sys.argv[2])"
    runs = [
        subprocess.Popen([sys.executable, "-c", code, str(pack), str(cache)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()[-2000:]
    assert [path.suffix for path in cache.iterdir() if path.name != KEY_FILE] == [SUFFIX]
    assert compile_pack(pack, cache=cache).from_cache


def test_a_compiled_pack_that_cannot_be_pickled_is_used_and_the_run_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A future matcher holding something pickle refuses (a lambda, a lock) must not break a run."""
    import threading

    real_init = Annotator.__init__

    def with_a_lock(self: Annotator, pack) -> None:
        real_init(self, pack)
        self.lock = threading.Lock()

    monkeypatch.setattr(Annotator, "__init__", with_a_lock)
    cache = tmp_path / "cache"
    compiled = compile_pack(starter_copy(tmp_path), cache=cache)
    assert "cannot pickle" in (compiled.cache_note or "")
    assert [s.rule for s in compiled.annotator.annotate("في القاهرة")] == ["loc.capitals"]
    assert entries(cache) == []
