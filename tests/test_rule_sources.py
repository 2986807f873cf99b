"""The rule packs are written from grammar and general sources, not from the corpus they are
measured on: no line of a rule file repeats a run of words of the ANERcorp train part."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotator.arabic import Normalizer
from annotator.corpus import read_corpus

ROOT = Path(__file__).resolve().parent.parent
ANERCORP = ROOT.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"
#: five words in a row: short news formulas ("قالت وزارة الخارجية إن") are shared by any two texts
RUN = 5
WORD = re.compile(r"\w+")


def _words(text: str, normalizer: Normalizer) -> list[str]:
    # the markup of examples ("[name](LABEL)") is not text
    plain = re.sub(r"\]\([A-Z]+\)", " ", text).replace("[", " ")
    return [normalizer.normalize_term(word) for word in WORD.findall(plain)]


@pytest.mark.skipif(not ANERCORP.is_file(), reason="ANERcorp is not beside the repository (../shared/data)")
def test_no_rule_file_line_repeats_five_words_of_anercorp() -> None:
    normalizer = Normalizer()
    runs = set()
    for example in read_corpus([ANERCORP]):
        words = _words(example.text, normalizer)
        runs.update(tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1))
    copied = []
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            words = _words(line, normalizer)
            if any(tuple(words[i : i + RUN]) in runs for i in range(len(words) - RUN + 1)):
                copied.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not copied, "rule lines that repeat ANERcorp text:\n" + "\n".join(copied)
