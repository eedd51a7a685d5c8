"""The checks on companies: duplicates (the same brand, or one letter apart), local entities and branches
of another company (SP-009-001's one-company rule), legal forms in names, and gaps.

A pair that a rep declared distinct (`--distinct-from`, table `distinct_companies`) is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlalchemy as sa

from salescrm import legalforms
from salescrm.domain import naming
from salescrm.domain.audit.base import Context, Finding
from salescrm.domain.audit.checks import CHECKS
from salescrm.store.models import Company

FUZZY_MIN_LENGTH = 6  # shorter names differ by one letter and are other companies (DKV, DKW)
FUZZY_MAX_DISTANCE = 1  # one-letter typos
_BLOCK = 3


def folded(name: str) -> str:
    """A company name folded for comparison: no case, accents, punctuation, connectors (`&`, `and`, `y`)
    or legal form (cleanco's terms, spelled out or abbreviated, with or without dots)."""
    return legalforms.brand_key(name)


def duplicate_company_pairs(names: dict[int, str], distinct: set[tuple[int, int]] = frozenset()
                            ) -> list[tuple[int, int, str]]:
    """Pairs of companies that are the same once folded and with spaces set aside, or one edit apart
    (how: 'same' or 'close'); pairs in `distinct` (lower id first) are left out.

    Names are compared without their spaces, so that a space moved or dropped (`Vírge Rämeigrú`,
    `VírgeRämeigrú`) changes nothing. All pairs of 100,000 names would take half an hour; this takes
    about a second. A typo after the first three letters leaves them in place: names sharing them are
    compared with rapidfuzz, in C. A typo among them leaves the rest of the name as it was (a letter
    replaced), or one letter off (a letter dropped or added): each name is looked up by `key[3:]`,
    `key[2:]` and `key[4:]` in a dictionary of the names by `key[3:]`. Names whose numbers differ are
    other companies (`Clinica 12` and `Clinica 13`), so those are never paired.
    """
    from rapidfuzz import process as fuzzy
    from rapidfuzz.distance import Levenshtein

    pairs: dict[tuple[int, int], str] = {}
    by_key: dict[str, list[int]] = {}
    for cid in sorted(names):
        by_key.setdefault(folded(names[cid]).replace(" ", ""), []).append(cid)
    for ids in by_key.values():
        for other in ids[1:]:
            pairs[(ids[0], other)] = "same"
    representatives = {key: ids[0] for key, ids in by_key.items() if len(key) >= FUZZY_MIN_LENGTH}
    blocks: dict[tuple[str, str], list[str]] = {}
    tails: dict[str, list[str]] = {}
    for key in representatives:
        blocks.setdefault((key[:_BLOCK], _numbers(key)), []).append(key)
        tails.setdefault(key[_BLOCK:], []).append(key)
    for block in blocks.values():  # a typo after the first three letters
        for i in range(len(block) - 1):
            for match, _, _ in fuzzy.extract(block[i], block[i + 1:], scorer=Levenshtein.distance,
                                             score_cutoff=FUZZY_MAX_DISTANCE, limit=None):
                a, b = sorted((representatives[block[i]], representatives[match]))
                pairs.setdefault((a, b), "close")
    for key in representatives:  # a typo among them: the rest stands as it was, or one letter off
        for tail in {key[_BLOCK:], key[_BLOCK - 1:], key[_BLOCK + 1:]}:
            for other in tails.get(tail, ()):
                if other != key and Levenshtein.distance(key, other, score_cutoff=FUZZY_MAX_DISTANCE) <= \
                        FUZZY_MAX_DISTANCE and _numbers(key) == _numbers(other):
                    a, b = sorted((representatives[key], representatives[other]))
                    pairs.setdefault((a, b), "close")
    return sorted((a, b, how) for (a, b), how in pairs.items() if (a, b) not in distinct)


_NUMBERS = re.compile(r"\d+")


def _numbers(key: str) -> str:
    # Without spaces, `Clinica 1 2` and `Clinica 12` read alike: numbers are compared as a string.
    return "".join(_NUMBERS.findall(key))


def _companies(ctx: Context) -> dict[int, tuple[str, str | None, str | None]]:
    rows = ctx.session.connection().execute(sa.select(Company.id, Company.name, Company.country, Company.website))
    return {r.id: (r.name, r.country, r.website) for r in rows}


def company_checks(ctx: Context, wanted: set[str], owners: dict[int, str]) -> Iterator[Finding]:
    from salescrm.domain.companies import distinct_pairs

    companies = _companies(ctx)
    names = {cid: c[0] for cid, c in companies.items()}
    distinct = distinct_pairs(ctx.session) if {"duplicate-company", "local-branch"} & wanted else set()

    def finding(check: str, cid: int, message: str, fix: str | None) -> Finding:
        return Finding(check, CHECKS[check].severity, "company", cid, names[cid], owners.get(cid), message, fix)

    if "duplicate-company" in wanted:
        for a, b, how in duplicate_company_pairs(names, distinct):
            why = "the same name once case, accents, spaces, punctuation, connectors and legal forms are set aside" \
                if how == "same" else "names one letter apart"
            yield finding("duplicate-company", b, f"Company {b} '{names[b]}' and company {a} '{names[a]}' have {why}: "
                          "SP-009-001 keeps one company per brand; keep one and move the other's contacts and deals to it.",
                          f"salescrm company show {a}")
    if "local-branch" in wanted:
        yield from _local_branches(names, distinct, finding)
    if "legal-name" in wanted:
        for cid, name in names.items():
            brand = naming.legal_form_brand(name)
            if brand:
                yield finding("legal-name", cid, f"Company {cid} '{name}' is named with its legal form; SP-009-001 names a "
                              f"company by its best-known brand ('{brand}').",
                              f"salescrm company edit {cid} --name '{brand}' --legal-name '{name}'")
    if "missing-field" in wanted:
        required = ctx.proc.company_requires if ctx.proc is not None else ("name", "country", "website")
        for cid, (name, country, website) in companies.items():  # what the process requires (health-prime: a name)
            missing = [f for f, v in (("country", country), ("website", website)) if f in required and not v]
            if missing:
                yield finding("missing-field", cid, f"Company {cid} '{name}' has no {' and no '.join(missing)}.",
                              f"salescrm company edit {cid} " + " ".join(f"--{f} ..." for f in missing))


def _local_branches(names: dict[int, str], distinct: set[tuple[int, int]], finding) -> Iterator[Finding]:
    """Each company whose name begins with another's whole name (legal forms aside), once, naming the
    shortest such company: the global entity."""
    from salescrm.domain.company_names import CompanyNames
    from salescrm.domain.countries import country_name

    reported: set[int] = set()
    for parent, cid, country in CompanyNames(names.items()).prefix_pairs():
        if cid in reported or tuple(sorted((parent, cid))) in distinct:
            continue
        reported.add(cid)
        what = f"the {country_name(country)} branch" if country else "a local entity"
        yield finding("local-branch", cid, f"Company {cid} '{names[cid]}' is named like {what} of '{names[parent]}' "
                      f"(id {parent}): SP-009-001 keeps one company for the global entity.",
                      f"salescrm company show {parent}")
