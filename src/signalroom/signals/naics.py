"""Build the industry vocabulary ``data/naics.toml`` from the NAICS 2022 index file.

Usage::

    python -m signalroom.signals.naics 2022_NAICS_Index_File.csv > naics.toml

The input is the U.S. Census Bureau's "2022 NAICS Index File" (about 20,000 index entries,
each a six-digit code and a business description such as "Law firms" or "Trucking, general
freight, local"), saved as CSV with the columns ``NAICS22,INDEX ITEM DESCRIPTION``. NAICS is
published by the U.S. Office of Management and Budget and the Census Bureau; as a work of the
U.S. federal government it is in the public domain (17 U.S.C. 105).

How an entry becomes phrases a speaker says about their own organization:

1. Its code is mapped to one of the sixteen labels by the longest matching code prefix in
   :data:`LABELS` (sector 54 is split: law offices are legal, accounting is finance, computer
   systems design is technology, ...). Codes with no label (farming, wholesale, repair, ...)
   give no phrase.
2. The description's first comma-separated part, without parentheses, is its head phrase
   ("Trucking, general freight, local" gives "trucking"; "Attorneys' offices" gives
   "attorneys offices").
3. A head phrase that ends in an establishment noun ("offices", "clinics", "hospitals") gives
   the phrase and its shorter tails in singular and plural ("family law offices", "law
   office", ...); a generic noun ("offices", "companies") never stands alone. A head phrase
   that names an activity ("freight trucking", "cabinet manufacturing") gives the activity
   (and "<thing> manufacturer"); "our cabinet manufacturing company" is read by the detector,
   which takes an activity followed by a generic organization noun as an organization.
4. A phrase that entries of different labels give is kept for the label with at least 75 % of
   its entries, or dropped; a tail that only one entry gives is dropped ("hearing aid
   stores" gives no "aid store").

The output has the vocabulary's ``[industry_taxonomy.<label>]`` tables: ``org``
(establishment phrases, which also count after "our") and ``cues``. The hand-written
``[industries]`` tables come first, so they win where both name a phrase.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

#: NAICS code prefix -> label; the longest prefix that matches a code wins.
LABELS: dict[str, str | None] = {
    "11": None,  # agriculture, forestry, fishing: no label
    "21": "energy",  # mining, quarrying, oil and gas extraction
    "2123": None,  # nonmetallic mineral quarrying
    "22": "energy",  # utilities
    "23": "construction",
    "31": "manufacturing",
    "32": "manufacturing",
    "33": "manufacturing",
    "3254": "healthcare",  # pharmaceutical and medicine manufacturing
    "3341": "technology",  # computer and peripheral equipment
    "3344": "technology",  # semiconductors and electronic components
    "42": None,  # wholesale trade
    "44": "retail",
    "45": "retail",
    "48": "logistics",
    "49": "logistics",
    "487": "hospitality",  # scenic and sightseeing transportation
    "491": "government",  # postal service
    "51": "media",
    "5132": "technology",  # software publishers
    "517": "technology",  # telecommunications
    "518": "technology",  # computing infrastructure, data processing, hosting
    "519": None,  # libraries, archives, other information services
    "52": "finance",
    "524": "insurance",
    "53": None,
    "531": "real_estate",
    "5411": "legal",
    "5412": "finance",  # accounting, tax preparation, bookkeeping, payroll
    "5413": "construction",  # architectural, engineering and related services
    "5414": None,  # specialized design services
    "5415": "technology",  # computer systems design
    "5416": None,  # management and technical consulting
    "5417": None,  # scientific research and development
    "541714": "healthcare",  # biotechnology research
    "5418": "media",  # advertising and public relations
    "5419": None,
    "54192": "media",  # photographic services
    "54194": "healthcare",  # veterinary services
    "55": None,
    "56": None,
    "56151": "hospitality",  # travel agencies
    "56152": "hospitality",  # tour operators
    "56173": "construction",  # landscaping services
    "61": "education",
    "62": "healthcare",
    "624": "nonprofit",  # social assistance: food banks, shelters, relief services
    "6244": "education",  # child day care
    "71": None,
    "711": "media",  # performing arts, spectator sports, promoters
    "712": "nonprofit",  # museums, historical sites, zoos
    "7132": "hospitality",  # gambling: casinos
    "72": "hospitality",
    "81": None,
    "813": "nonprofit",  # religious, grantmaking, civic, professional organizations
    "92": "government",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Establishment nouns that may stand alone ("hospitals", "refineries").
SPECIFIC_HEADS = _words(
    """
    hospitals clinics banks pharmacies hotels motels restaurants schools universities
    colleges academies refineries foundries sawmills breweries distilleries wineries
    bakeries dealerships brokerages insurers lenders museums theaters theatres
    newspapers magazines publishers broadcasters courts churches synagogues mosques
    temples charities laboratories labs casinos resorts inns hostels cafes cafeterias
    caterers supermarkets pharmacists dentists physicians lawyers attorneys architects
    realtors
    """
)
#: Establishment nouns that need a modifier ("law offices", never "offices" alone).
GENERIC_HEADS = _words(
    """
    offices firms stores shops agencies centers centres companies practices services
    facilities contractors dealers organizations associations plants mills stations
    departments bureaus studios carriers operators builders unions societies foundations
    institutes networks cooperatives trusts funds authorities commissions districts
    homes houses camps clubs parks terminals warehouses yards depots garages galleries
    libraries programs systems providers manufacturers producers distributors makers
    outlets markets boutiques salons halls chains groups councils boards
    """
)
#: Head words that name an activity besides those in "-ing" ("trucking", "manufacturing").
_ACTIVITY_NOUNS = frozenset({"construction", "transportation", "insurance", "publishing"})
#: Activity words too common in speech to stand alone as a cue ("building", "training").
_TOO_COMMON = _words(
    """
    building training operation operations management production administration
    distribution installation service services rental leasing trading repair maintenance
    processing recovery storage marketing development planning engineering finishing
    printing packing packaging cleaning cutting testing mining drilling selling buying
    consulting support supply supplies education transportation delivery dining
    entertainment gaming recreation employment funding lending banking brokerage
    investment exchange communications broadcasting advertising design research medicine
    health care therapy treatment counseling nursing teaching
    """
)
#: Words a spoken phrase does not start with (left over from "X for Y" index entries).
_FUNCTION_WORDS = _words("of for with in on at to by from and or the a an without")
_MIN_SHARE = 0.75
_MAX_WORDS = 4
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def label_of(code: str) -> str | None:
    for size in range(len(code), 1, -1):
        if code[:size] in LABELS:
            return LABELS[code[:size]]
    return None


def head_words(description: str) -> list[str]:
    """The head phrase of an index entry as words: first comma part, no parentheses.

    A possessive keeps its mark as a trailing "'" ("Assessor's offices" -> assessor', offices)."""
    text = re.sub(r"\([^)]*\)", " ", description.lower().replace("\u2019", "'"))
    text = text.split(",")[0].replace("-", " ").replace("/", " ")
    words = []
    for match in _WORD.finditer(text):
        w = match.group()
        if w.endswith("'s") or text[match.end() : match.end() + 1] == "'":
            w = w.removesuffix("'s") + "'"
        if w not in ("and", "or", "except", "e", "g", "i", "nec"):
            words.append(w)
    return words


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for ending in ("ches", "shes", "sses", "xes", "zes"):
        if word.endswith(ending):
            return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("ch", "sh", "ss", "x", "z")):
        return word + "es"
    return word if word.endswith("s") else word + "s"


def phrases(words: list[str]) -> Iterator[tuple[str, bool, bool]]:
    """(phrase, is_org, is_whole) spoken forms of one head phrase; ``is_whole``: the entry's
    whole head phrase, not a shorter tail of it."""
    if not words or len(words) > _MAX_WORDS or any(w[0].isdigit() for w in words):
        return
    while words and words[0] in _FUNCTION_WORDS:  # "for sale builders" -> "sale builders"
        words = words[1:]
    if not words:
        return
    last = words[-1].rstrip("'")
    if last in SPECIFIC_HEADS or last in GENERIC_HEADS:
        one, many = singular(last), plural(singular(last))
        for start in range(len(words)):
            if words[start] in _FUNCTION_WORDS:
                continue
            stem = words[start:-1]
            if not stem and last in GENERIC_HEADS:
                continue
            for forms in _stem_forms(stem):
                for noun in (one, many):
                    yield " ".join([*forms, noun]), True, start == 0
        return
    if last.endswith("ing") or last in _ACTIVITY_NOUNS:
        for start in range(len(words)):
            if words[start] in _FUNCTION_WORDS:
                continue
            tail = [w.rstrip("'") for w in words[start:]]
            if len(tail) == 1 and (tail[0] in _TOO_COMMON or tail[0].endswith("ing")):
                continue  # "we're hunting for ..." is a verb, not the hunting trade
            yield " ".join(tail), False, start == 0
            if tail[-1] == "manufacturing" and len(tail) > 1:
                things = [singular(w) for w in tail[:-1]]
                yield " ".join([*things, "manufacturer"]), True, start == 0
                yield " ".join([*things, "manufacturers"]), True, start == 0


def _stem_forms(stem: list[str]) -> list[list[str]]:
    """Spoken forms of the words before a head noun: "attorneys'" is said "attorney's" or
    "attorney"; a plural modifier is said singular ("kitchen cabinets" -> "kitchen cabinet")."""
    if not stem:
        return [[]]
    *rest, last = stem
    if last.endswith("'"):
        base = singular(last.rstrip("'"))
        finals = [base + "'s", base]
    elif last.endswith("s") and len(last) > 4:
        finals = [singular(last)]
    else:
        finals = [last]
    rest = [w.rstrip("'") for w in rest]
    return [[*rest, f] for f in finals]


def build(rows: Iterable[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    """label -> {"org": [...], "cues": [...]} from (code, description) rows."""
    votes: dict[str, Counter[str | None]] = defaultdict(Counter)
    whole: set[str] = set()
    org: dict[str, bool] = {}
    for code, description in rows:
        label = label_of(code.strip())
        seen: set[str] = set()
        for phrase, is_org, is_whole in phrases(head_words(description)):
            if phrase in seen:
                continue
            seen.add(phrase)
            votes[phrase][label] += 1
            org[phrase] = org.get(phrase, False) or is_org
            if is_whole:
                whole.add(phrase)
    out: dict[str, dict[str, list[str]]] = {}
    for phrase, counter in votes.items():
        label, count = counter.most_common(1)[0]
        total = sum(counter.values())
        # a shorter tail must be the tail of several entries ("law office"), so that one
        # compound ("hearing aid store") gives no "aid store"
        if label is None or count < _MIN_SHARE * total or (phrase not in whole and total < 2):
            continue
        entry = out.setdefault(label, {"org": [], "cues": []})
        entry["org" if org[phrase] else "cues"].append(phrase)
    for entry in out.values():
        entry["org"].sort()
        entry["cues"].sort()
    return dict(sorted(out.items()))


def read_index(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or len(header) < 2 or not header[0].strip().upper().startswith("NAICS"):
            raise SystemExit(f"{path}: expected a CSV with the header NAICS22,INDEX ITEM ...")
        return [(row[0], row[1]) for row in reader if len(row) >= 2 and row[0].strip().isdigit()]


def to_toml(table: dict[str, dict[str, list[str]]], source: str, entries: int) -> str:
    lines = [
        "# Industry phrases generated from the NAICS 2022 index file (U.S. Census Bureau /",
        "# OMB; public domain as a work of the U.S. federal government, 17 U.S.C. 105) by",
        "# `python -m signalroom.signals.naics` (see that module for the mapping to labels).",
        f"# Input: {source}, {entries} index entries. Do not edit by hand: regenerate.",
        "",
    ]
    for label, entry in table.items():
        lines.append(f"[industry_taxonomy.{label}]")
        for key in ("org", "cues"):
            items = ", ".join(f'"{p}"' for p in entry[key])
            lines.append(f"{key} = [{items}]")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(
            "usage: python -m signalroom.signals.naics 2022_NAICS_Index_File.csv", file=sys.stderr
        )
        return 2
    path = Path(argv[0])
    rows = read_index(path)
    sys.stdout.write(to_toml(build(rows), path.name, len(rows)))
    return 0


if __name__ == "__main__":  # pragma: no cover - a build tool
    raise SystemExit(main(sys.argv[1:]))
