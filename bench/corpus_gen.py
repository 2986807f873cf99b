"""Seeded inputs for the benchmarks: Arabic news-like corpora, gazetteers of N terms, rule packs.

Everything here is deterministic for a given seed, so every contender of a run (and every run of a
release) sees exactly the same texts and terms. Entity names come from the ar-news gazetteers;
generated person names extend a gazetteer beyond what the pack lists.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from annotator.corpus import read_conll
from annotator.rules import read_term_file

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PACK = REPO / "rules" / "ar-news"
ANERCORP = REPO.parent / "shared" / "data" / "anercorp-train" / "anercorp-train.conll"
EXTRA_RULE_ID = "bench.extra_terms"
EXTRA_RULE_FILE = "zz_bench_extra.yaml"
EXTRA_TERMS_FILE = "gazetteers/bench_extra_terms.txt"

HARAKAT = "\u064b\u064e\u064f\u0650\u0651\u0652"
TATWEEL = "\u0640"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
#: proclitics for words without the article, and forms for words with it (لل = ل + ال)
PROCLITICS = ("و", "ف", "ب", "ل", "ك")
ARTICLE_FORMS = ("و", "ف", "ب", "ك", "وب", "لل", "ولل")

_FILLER_WORDS = (
    "الحكومة الاتفاق المفاوضات الوضع الأمني الاقتصادي الأزمة المرحلة المقبلة الانتخابات التعاون "
    "الجانبين العلاقات الثنائية الدعم الجهود السياسية السلام الاستقرار الشعب المواطنين الخدمات مشروع "
    "قانون البرلمان الجلسة القرار تنفيذ خطة إعادة إعمار البنية التحتية ارتفاع أسعار النفط الغاز "
    "الصادرات المحلية المجتمع ضرورة العمل على من إلى في عن مع بين خلال بعد قبل حول أن التي الذي هذا "
    "هذه كما وقد كان كانت يكون تم لم لن قد جميع عدد أكثر أقل بشكل كبير جديد جديدة عدة نحو حيث إطار ظل "
    "أجل دعا طالب رفض أعرب تأكيد السلطات القوات المسلحة الاشتباكات المدنيين الإنسانية المساعدات "
    "اللاجئين الحدود المعبر الميناء المطار الطريق الساحلي المدينة العاصمة الأسبوع الجاري مصادر مطلعة "
    "وسائل الإعلام تقارير بيان رسمي مؤتمر صحفي الملف الاقتصاد البطالة الشباب التعليم الصحة المستشفيات "
    "الكهرباء المياه الموازنة العامة الرواتب المصرف السيولة الوقود الأسواق المحتجين الشارع الهدنة"
)
FILLER = tuple(_FILLER_WORDS.split())

TEMPLATES = (
    "{V} {T} {DEM} {P} في تصريح {M} إن {F}",
    "وصل {P} إلى {L} يوم {W} في زيارة تستغرق {N} أيام يلتقي خلالها {T} {P}",
    "أعلنت {O} في بيان صدر {W} أن {F}",
    "وأكد {P} أن {O} ستواصل {F} حتى {D}",
    "وفي {D} عقد {O} اجتماعا في {L} بحضور {P} و{P}",
    "وذكرت {M} أن {F} في {L} منذ عام {Y}",
    "ومن المقرر أن يزور {T} {P} {L} و{L} مطلع {MONTH} {Y}",
    "{F} {F}",
    "ونقلت {M} عن {P} قوله إن {O} {F}",
    "وشهدت {L} {F} خلال {MONTH} الماضي",
    "وكانت {O} قد {F} في {D}",
    "وأشار {T} {P} إلى أن {F} في {L}",
    "{V} {P} إن {F} وإن {O} {F}",
)
_SYLLABLE_LIST = (
    "كا ري نو لا مي سو تي فا دو رو بي لو ني ما زا غو شي كو دي را سا هي جو بو يا تا قو صا مو وا ها نا"
)
SYLLABLES = tuple(_SYLLABLE_LIST.split())
FAMILY_PARTICLES = ("بن", "ابن", "أبو", "آل")


@dataclass
class Entities:
    """Names and context words from a rule pack's gazetteers, grouped for the templates."""

    persons: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    demonyms: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    weekdays: list[str] = field(default_factory=list)
    #: every term of the lists that name things (people, places, organisations): what a gazetteer
    #: holds. Context-word lists (function words, verbs, titles, head nouns, months) are left out:
    #: "في" or "قال" in a benchmark gazetteer would make every other word a hit, which measures
    #: nothing a user does
    names: list[str] = field(default_factory=list)


def _terms(path: Path) -> list[str]:
    return [term for _, term in read_term_file(path)]


def _names_things(folder: str, stem: str) -> bool:
    """The gazetteer file ``folder/stem.txt`` lists names (not context words, not ambiguous ones)."""
    if stem.startswith("ambiguous"):
        return False
    if folder == "per":
        return stem.startswith("given") or stem in ("public_figures", "famous_people")
    if folder == "loc":
        return stem != "compass_regions"
    return folder == "org" and not stem.startswith("heads")


def load_entities(pack: Path = DEFAULT_PACK) -> Entities:
    """Every gazetteer term of ``pack``, sorted into the slots the templates use (by folder and file)."""
    found = Entities()
    names: set[str] = set()
    for path in sorted((pack / "gazetteers").rglob("*.txt")):
        terms = _terms(path)
        folder, stem = path.parent.name, path.stem
        if _names_things(folder, stem):
            names.update(terms)
        if folder == "per":
            slot = {
                "titles": found.titles,
                "speech_verbs": found.verbs,
                "demonyms": found.demonyms,
                "public_figures": found.persons,
            }.get(stem)
            if slot is None and stem.startswith("given"):
                slot = found.given
            if slot is not None:
                slot.extend(terms)
        elif folder == "loc" and not stem.startswith("ambiguous"):
            found.places.extend(terms)
        elif folder == "org" and not stem.startswith(("ambiguous", "heads")):
            (found.media if "media" in stem else found.orgs).extend(terms)
        elif folder == "date":
            if "week" in stem:
                found.weekdays.extend(terms)
            elif "gregorian" in stem:
                found.months.extend(terms)
    found.names = sorted(names)
    for name, values in vars(found).items():
        if not values:
            raise ValueError(f"{pack}: no gazetteer terms for the corpus slot {name!r}")
    return found


def generated_names(seed: int, given: list[str]) -> Iterator[str]:
    """An endless, deterministic stream of distinct plausible person names."""
    rng = random.Random(f"names-{seed}")
    seen: set[str] = set()
    while True:
        syllable_name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        kind = rng.random()
        if kind < 0.35:
            name = f"{rng.choice(given)} {syllable_name}"
        elif kind < 0.55:
            name = f"{rng.choice(given)} ال{syllable_name}ي"
        elif kind < 0.75:
            name = f"{rng.choice(given)} {rng.choice(FAMILY_PARTICLES)} {rng.choice(given)}"
        else:
            name = f"{syllable_name} {''.join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))}"
        if name not in seen:
            seen.add(name)
            yield name


def gazetteer_terms(n: int, entities: Entities, seed: int) -> list[str]:
    """``n`` distinct terms: the pack's own names (a seeded sample if fewer), then generated names."""
    own = list(entities.names)
    random.Random(f"terms-{seed}").shuffle(own)
    terms = own[:n]
    if len(terms) < n:
        taken = set(terms)
        for name in generated_names(seed, entities.given):
            if name not in taken:
                terms.append(name)
                taken.add(name)
                if len(terms) == n:
                    break
    return terms


class ParagraphWriter:
    """Seeded paragraphs (300-800 characters) of template sentences with the pack's entity names."""

    def __init__(self, entities: Entities, seed: int) -> None:
        self.entities = entities
        self.rng = random.Random(f"corpus-{seed}")
        names = generated_names(seed, entities.given)
        self.generated = [next(names) for _ in range(5000)]

    # -- surface variation ---------------------------------------------------------------------

    def _clitic(self, phrase: str) -> str:
        """Attach a proclitic to ``phrase`` now and then (لل for the article)."""
        rng = self.rng
        if rng.random() >= 0.25:
            return phrase
        if phrase.startswith("ال"):
            form = rng.choice(ARTICLE_FORMS)
            return form + phrase[2:] if form.endswith("لل") else form + phrase
        return rng.choice(PROCLITICS) + phrase

    def _decorate(self, word: str) -> str:
        """Harakat on some words, tatweel in a few."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.08 and len(word) > 1:
            chars = list(word)
            for _ in range(rng.randint(1, 2)):
                index = rng.randrange(len(chars))
                chars[index] += rng.choice(HARAKAT)
            return "".join(chars)
        if roll < 0.11 and len(word) > 2:
            index = rng.randrange(1, len(word) - 1)
            return word[:index] + TATWEEL + word[index:]
        return word

    def _number(self, value: int) -> str:
        text = str(value)
        return text.translate(ARABIC_INDIC) if self.rng.random() < 0.5 else text

    # -- slots ----------------------------------------------------------------------------------

    def _person(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(self.entities.persons)
        if roll < 0.75:
            return rng.choice(self.generated)
        return f"{rng.choice(self.entities.given)} {rng.choice(self.generated).split()[-1]}"

    def _date(self) -> str:
        rng = self.rng
        day = self._number(rng.randint(1, 28))
        month = rng.choice(self.entities.months)
        if rng.random() < 0.5:
            return f"{day} {month} {self._number(rng.randint(1990, 2024))}"
        return f"{rng.choice(self.entities.weekdays)} {day} {month}"

    def _filler(self) -> str:
        return " ".join(self.rng.choice(FILLER) for _ in range(self.rng.randint(5, 14)))

    def _slot(self, name: str) -> str:
        rng, found = self.rng, self.entities
        if name == "P":
            return self._clitic(self._person())
        if name == "L":
            return self._clitic(rng.choice(found.places))
        if name == "O":
            return self._clitic(rng.choice(found.orgs))
        if name == "M":
            return self._clitic(rng.choice(found.media))
        simple = {
            "T": found.titles,
            "V": found.verbs,
            "DEM": found.demonyms,
            "W": found.weekdays,
            "MONTH": found.months,
        }
        if name in simple:
            return rng.choice(simple[name])
        if name == "D":
            return self._date()
        if name == "Y":
            return self._number(rng.randint(1990, 2024))
        if name == "N":
            return self._number(rng.randint(2, 9))
        return self._filler()

    def sentence(self) -> str:
        template = self.rng.choice(TEMPLATES)
        parts = []
        for piece in template.split("{"):
            name, brace, rest = piece.partition("}")
            if brace:
                parts.append(self._slot(name) + rest)
            else:
                parts.append(piece)
        return " ".join(self._decorate(word) for word in "".join(parts).split()) + "."

    def paragraph(self) -> str:
        target = self.rng.randint(300, 800)
        sentences: list[str] = []
        size = 0
        while size < target:
            sentence = self.sentence()
            sentences.append(sentence)
            size += len(sentence) + 1
        return " ".join(sentences)


@dataclass(frozen=True)
class CorpusFile:
    """A corpus written to disk: one example per line."""

    name: str
    path: Path
    chars: int
    examples: int


def write_corpora(folder: Path, sizes: dict[str, int], entities: Entities, seed: int) -> list[CorpusFile]:
    """One ``.txt`` file per named size (characters of text); smaller corpora are prefixes of larger ones."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = ParagraphWriter(entities, seed)
    handles = {name: (folder / f"generated-{name}.txt").open("w", encoding="utf-8") for name in sizes}
    counts = {name: [0, 0] for name in sizes}
    try:
        while any(counts[name][0] < size for name, size in sizes.items()):
            paragraph = writer.paragraph()
            for name, size in sizes.items():
                if counts[name][0] < size:
                    handles[name].write(paragraph + "\n")
                    counts[name][0] += len(paragraph)
                    counts[name][1] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return [
        CorpusFile(name, folder / f"generated-{name}.txt", counts[name][0], counts[name][1]) for name in sizes
    ]


def write_anercorp(folder: Path, source: Path = ANERCORP) -> CorpusFile | None:
    """ANERcorp's sentences (tokens joined by spaces) as a ``.txt`` corpus; None when the file is absent."""
    if not source.is_file():
        return None
    path = folder / "anercorp.txt"
    chars = examples = 0
    with path.open("w", encoding="utf-8") as handle:
        for example in read_conll(source):
            text = example.text.replace("\n", " ")
            handle.write(text + "\n")
            chars += len(text)
            examples += 1
    return CorpusFile("anercorp", path, chars, examples)


def write_terms(path: Path, terms: list[str]) -> Path:
    """A gazetteer file with one term per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(term + "\n" for term in terms), encoding="utf-8")
    return path


def build_pack(folder: Path, terms: list[str], source: Path = DEFAULT_PACK, label: str = "PER") -> Path:
    """A copy of ``source`` plus one gazetteer rule holding ``terms``; returns the pack folder."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder)
    write_terms(folder / EXTRA_TERMS_FILE, terms)
    rule = {
        "rules": [
            {
                "id": EXTRA_RULE_ID,
                "kind": "gazetteer",
                "label": label,
                "description": "benchmark: the N terms every contender matches",
                "files": [EXTRA_TERMS_FILE],
            }
        ]
    }
    (folder / EXTRA_RULE_FILE).write_text(yaml.safe_dump(rule, allow_unicode=True), encoding="utf-8")
    header_path = folder / "pack.yaml"
    header = yaml.safe_load(header_path.read_text(encoding="utf-8"))
    if isinstance(header, dict) and header.get("rule_files"):
        header["rule_files"] = [*header["rule_files"], EXTRA_RULE_FILE]
        header_path.write_text(yaml.safe_dump(header, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


TERMS_ONLY_HEADER = """\
name: bench-terms-only
version: "1"
description: the benchmark's N-term gazetteer alone, without any other rule
labels:
  PER: {colour: "#e6194b"}
"""


def build_terms_only_pack(folder: Path, terms: list[str]) -> Path:
    """A pack holding nothing but the N-term gazetteer rule (the engine without ar-news's rules)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(TERMS_ONLY_HEADER, encoding="utf-8")
    write_terms(folder / EXTRA_TERMS_FILE, terms)
    rule = {
        "rules": [{"id": EXTRA_RULE_ID, "kind": "gazetteer", "label": "PER", "files": [EXTRA_TERMS_FILE]}]
    }
    (folder / EXTRA_RULE_FILE).write_text(yaml.safe_dump(rule, allow_unicode=True), encoding="utf-8")
    return folder
