"""Names of companies and deals: comparison keys, the SP-009-001 deal name and legal forms.

Branch names ("Novartis Spain") are read in company_names.py, the countries a name's words name in
countries.py. Standard library only at import: `legalforms` (its patterns and, when its terms are first
needed, cleanco) is imported by the functions that read legal forms, so that a look-up by name or id
(`deal show 1`) does not pay for it.
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
