"""Names of companies and deals: comparison keys, the SP-009-001 deal name and legal forms.

Branch names ("Novartis Spain") are read in company_names.py, the countries a name's words name in
countries.py. Standard library only at import: `legalforms` (its patterns and, when its terms are first
needed, cleanco) is imported by the functions that read legal forms, so that a look-up by name or id
(`deal show 1`) does not pay for it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


# --- Comparison keys ---------------------------------------------------------------


@lru_cache(maxsize=4096)  # an import asks for each name's key several times
def name_key(text: str) -> str:
    """`text` without accents, case-folded, with runs of whitespace collapsed to one space."""
    if text.isascii():  # NFKD leaves ASCII as it is
        return collapse_whitespace(text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse_whitespace(without_marks.casefold())


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


# --- Deal names ----------------------------------------------------------------------


def deal_name(country: str, company: str, description: str, names=None) -> str:
    """The deal name by a process's pattern (`names`, its DealNames; default: the default process's), e.g.
    SP-009-001's `ES Sanitas Hospitales Proof of Concept`."""
    return _names(names).render(country=country, company=company, description=description)


def lost_name(name: str, names=None) -> str:
    """`name` with the process's lost prefix (once, however often it is called)."""
    prefix = _names(names).lost_prefix
    return prefix + without_lost_prefix(name, names)


def without_lost_prefix(name: str, names=None) -> str:
    prefix = _names(names).lost_prefix
    return name[len(prefix) :] if name.startswith(prefix) else name


def _names(names):
    if names is not None:
        return names
    from salescrm import process

    return process.default().deal_names


# --- Legal forms (salescrm.legalforms: cleanco's term data) ----------------------


def legal_form_brand(name: str) -> str | None:
    """`name` without its trailing legal form(s) (`Bayer AG` -> `Bayer`); None if it has none."""
    from salescrm import legalforms

    return legalforms.legal_form_brand(name)
