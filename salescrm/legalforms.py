"""Legal forms (`S.A.`, `GmbH`, `Sociedad Anónima`) and the folded words of a company name.

SP-009-001 names a company by its brand: "the Spanish legal entity registered as Novartis
Farmacéutica, S.A. should be named Novartis". To see the brand in a name, its trailing legal forms
are set aside. They are read from cleanco's term data (a kept list of legal forms by country and
type), folded like the names, and looked up as a set on the last one to four words of a name, which
takes microseconds (cleanco's own `basename()` costs 2.35 s per 100,000 names: DESIGN-NOTES).

What is kept of cleanco's list, and why:
- A legal form written without dots that is also an ISO 3166-1 code (`PT`, `NL`, `AT`, `CA`, `CO`,
  `KG`, `SL`, `GBR`, and `UK`, which people write for GB) is read as a country, so that `Pfizer PT`
  stays the Portugal branch: only AG, SA, SE, AS, AB, NV, BV and KK (and `SAU`, Spain's sociedad
  anónima unipersonal) are legal forms when written bare. Written with dots (`S.L.`, `Co.`, `P.T.`)
  a form is never a code.
- The plain words `company`, `private` and `unlimited` are dropped: they end brands ("Health
  Unlimited", "The Dental Company"), and reading them as legal forms would shorten a name to a
  generic word that other names then seem to begin with. `& Co.`, `and Company` and `Ltd.` stay.
- Added, as cleanco lacks them: the spelled-out Spanish forms, `S.A.U.`, `S.L.U.`, `& Co. KG`, KK.

Standard library only at import: cleanco and pycountry are imported when the terms are first built.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Written bare (without dots), these ISO 3166-1 codes are read as legal forms, not countries: the
# two-letter forms everyone writes so (AG, SA, SE, AS, AB, NV, BV, KK) and Spain's SAU (not Saudi Arabia).
BARE_CODES_THAT_ARE_FORMS = frozenset({"ag", "sa", "se", "as", "ab", "nv", "bv", "kk", "sau"})
DROPPED_WORDS = frozenset({"company", "private", "unlimited"})
EXTRA_FORMS = (
    "Sociedad Anónima", "Sociedad Anónima Unipersonal", "Sociedad Limitada", "Sociedad Limitada Unipersonal",
    "Sociedad de Responsabilidad Limitada", "S.A.U.", "SAU", "S.L.U.", "SLU", "Incorporated", "Limited", "S.A.R.L.",
    "& Co. KG", "& Co. KGaA", "SE", "BV", "KK",
)  # fmt: skip
MAX_FORM_WORDS = 4
# Words that join two parts of a brand, set aside when names are compared: "Smith & Nephew", "Smith and
# Nephew", "Ruiz y Vidal".
CONNECTORS = frozenset({"&", "and", "y", "und", "et"})

# A name splits into pieces at whitespace, commas and brackets, hyphens and dashes; `&` is a piece of
# its own. Within a piece, what is not a letter or digit is dropped: `S.p.A..` -> `spa`, `A/S` -> `as`.
_PIECE = re.compile(r"&|[^\s,;:()\[\]{}\"<>|!?*+=&\-\u2010-\u2015]+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Word:
    folded: str  # no case, accents or inner punctuation
    text: str  # as written
    dotted: bool  # written with a dot (`S.L.`, `Co.`): a legal form, never a country code
    end: int  # where it ends in the name


def fold(text: str) -> str:
    """`text` without accents, case-folded."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold_piece(piece: str) -> str:
    if piece.isalnum():
        return piece
    return "&" if piece == "&" else _NOT_ALNUM.sub("", piece)


def _is_initial(piece: str) -> bool:
    return len(piece) == 2 and piece[1] == "." and piece[0].isalnum()


def words(name: str) -> list[Word]:
    """The words of a company name, folded (empty pieces such as a lone dot are dropped)."""
    out: list[Word] = []
    initials = False  # the previous word is spaced initials (`S.`, `S. A.`)
    for match in _PIECE.finditer(name):
        text = match.group()
        folded = _fold_piece(fold(text))
        if not folded:
            continue
        initial = _is_initial(text)
        if initial and initials:
            last = out.pop()
            text, folded = name[last.end - len(last.text):match.end()], last.folded + folded
        out.append(Word(folded, text, "." in text, match.end()))
        initials = initial
    return out


def brand_length(ws: list[Word]) -> int:
    """How many of `ws` are left once trailing legal forms are set aside (at least one)."""
    return _brand_end([w.folded for w in ws], [w.dotted for w in ws])


def _brand_end(folded: list[str], dotted: list[bool]) -> int:
    terms = _terms()
    end = len(folded)
    while end > 1 and folded[end - 1] in terms.last:
        for n in range(min(MAX_FORM_WORDS, end - 1), 0, -1):
            key = tuple(folded[end - n:end])
            if key in terms.forms and (n > 1 or dotted[end - 1] or key[0] not in terms.codes):
                end -= n
                while end > 1 and folded[end - 1] == "&":  # `Smith & Co.` -> `Smith`, not `Smith &`
                    end -= 1
                break
        else:
            break
    return end


@lru_cache(maxsize=4096)  # a name is compared, then indexed: an import asks for the same names again
def brand_key(name: str) -> str:
    """The folded words of `name` without legal forms and connectors, joined by spaces: what the duplicate
    check compares. The same words as `brand_words`, by a path fast enough for 100,000 names a second."""
    text = fold(name)
    if text.replace(" ", "").isalnum():  # the common case: letters, digits and spaces
        folded = text.split()
        end = _brand_end(folded, [False] * len(folded)) if folded and folded[-1] in _terms().last else len(folded)
        return " ".join([t for t in folded[:end] if t not in CONNECTORS] or folded[:1])
    folded: list[str] = []
    dotted: list[bool] = []
    initials = False
    for piece in _PIECE.findall(text):
        token = _fold_piece(piece)
        if not token:
            continue
        initial = _is_initial(piece)
        if initial and initials:
            folded[-1] += token
        else:
            folded.append(token)
            dotted.append("." in piece)
        initials = initial
    kept = [t for t in folded[:_brand_end(folded, dotted)] if t not in CONNECTORS] or folded[:1]
    return " ".join(kept)


def is_legal_form(text: str) -> bool:
    """`text` is a legal form, and not a country code (`AG`, `S.L.`: yes; `PT`, `SL`: no)."""
    ws = words(text)
    return bool(ws) and _brand_end(["-", *(w.folded for w in ws)], [False, *(w.dotted for w in ws)]) == 1


def brand_words(name: str) -> list[Word]:
    """The words of `name` without its trailing legal forms and without connectors."""
    ws = words(name)
    return [w for w in ws[:brand_length(ws)] if w.folded not in CONNECTORS] or ws[:1]


def legal_form_brand(name: str) -> str | None:
    """`name` without its trailing legal form(s) (`Bayer AG` -> `Bayer`); None if it has none."""
    ws = words(name)
    end = brand_length(ws)
    if end == len(ws):
        return None
    return name[:ws[end - 1].end].strip()


@dataclass(frozen=True)
class _Terms:
    forms: frozenset[tuple[str, ...]]  # folded words of each legal form
    last: frozenset[str]  # the last word of each: a name ending otherwise has none
    codes: frozenset[str]  # folded ISO 3166-1 codes that are not legal forms when written bare


@lru_cache(maxsize=1)
def _terms() -> _Terms:
    """cleanco's terms with the additions above, folded like names; built on first use."""
    import pycountry
    from cleanco.termdata import terms_by_country, terms_by_type

    written = {t for group in (*terms_by_type.values(), *terms_by_country.values()) for t in group}
    forms = set()
    for term in (*written, *EXTRA_FORMS):
        key = tuple(w.folded for w in words(term))
        if key and not (len(key) == 1 and key[0] in DROPPED_WORDS):
            forms.add(key)
    codes = {c.alpha_2.lower() for c in pycountry.countries} | {c.alpha_3.lower() for c in pycountry.countries} | {"uk"}
    return _Terms(frozenset(forms), frozenset(key[-1] for key in forms), frozenset(codes - BARE_CODES_THAT_ARE_FORMS))
