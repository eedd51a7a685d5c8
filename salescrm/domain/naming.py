"""Names of companies and deals: comparison keys, the SP-009-001 deal name, legal forms
and branch names ("Novartis Spain") that point at an existing company.

Standard library only at import: `countries` (and so pycountry) is imported lazily by
`countries_named`, and `legalforms` (its patterns and, when its terms are first needed, cleanco) by
the functions that read legal forms, so that a look-up by name or id (`deal show 1`) does not pay for it.
"""

from __future__ import annotations

import unicodedata

from salescrm.process import LOST_PREFIX

# --- Comparison keys ---------------------------------------------------------------


def name_key(text: str) -> str:
    """`text` without accents, case-folded, with runs of whitespace collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse_whitespace(without_marks.casefold())


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


# --- Deal names ----------------------------------------------------------------------


def deal_name(country: str, company: str, description: str) -> str:
    """The SP-009-001 deal name: `ES Sanitas Hospitales Proof of Concept`."""
    from salescrm import process

    return process.default().deal_names.render(country=country, company=company, description=description)


def lost_name(name: str) -> str:
    """`name` with the lost prefix (once, however often it is called)."""
    return LOST_PREFIX + without_lost_prefix(name)


def without_lost_prefix(name: str) -> str:
    return name[len(LOST_PREFIX) :] if name.startswith(LOST_PREFIX) else name


# --- Legal forms (salescrm.domain.legalforms: cleanco's term data) ----------------------


def legal_form_brand(name: str) -> str | None:
    """`name` without its trailing legal form(s) (`Bayer AG` -> `Bayer`); None if it has none."""
    from salescrm.domain import legalforms

    return legalforms.legal_form_brand(name)


# --- Branches: a company name plus a country --------------------------------------------


def branch_splits(name: str) -> list[tuple[str, str]]:
    """Each way to read `name` as a base name plus a trailing country: `(name_key(base), alpha2)`.

    `Novartis Spain`, `Novartis España` and `Novartis ES` all give `("novartis", "ES")`.
    The trailing country is an English or local name (any case, any accents) or an
    ISO code written in upper case, so that `Pfizer At` is not Austria.
    """
    words = name.split()
    splits: list[tuple[str, str]] = []
    for cut in range(1, len(words)):
        base = name_key(" ".join(words[:cut]))
        if not base:
            continue
        for alpha2 in countries_named(words[cut:]):
            if (base, alpha2) not in splits:
                splits.append((base, alpha2))
    return splits


def countries_named(words: list[str]) -> list[str]:
    """The alpha-2 codes of the countries that `words` name (a code only if upper case, and not a
    legal form: `AG` is Aktiengesellschaft, not Antigua and Barbuda)."""
    from salescrm.domain import countries, legalforms

    index = countries.country_index()
    found = []
    if len(words) == 1 and words[0].isalpha() and words[0].isupper() and not legalforms.is_legal_form(words[0]):
        code = index.codes.get(words[0])
        if code:
            found.append(code)
    named = index.names.get(name_key(" ".join(words)))
    if named and named not in found:
        found.append(named)
    return found
