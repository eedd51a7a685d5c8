"""ISO 3166-1 countries: reading what a person types, and the names a country goes by.

pycountry is imported inside functions, never at module top: most commands (and
`--help`) never look a country up, and loading its database costs start-up time.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from salescrm.domain.naming import name_key
from salescrm.errors import InvalidValue

if TYPE_CHECKING:
    from pycountry.db import Country

HOW_TO_GIVE = "give an ISO 3166-1 code (ES, ESP) or an English name (Spain)."
# ISO 3166-1 reserves UK for the United Kingdom (GB), and people type it.
CODE_ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class CountryIndex:
    """Reverse lookups, built once: every key maps to an ISO 3166-1 alpha-2 code."""

    codes: dict[str, str]  # "ES", "ESP" -> "ES" (upper case)
    names: dict[str, str]  # name_key of an English or local name -> "ES"
    english: dict[str, str]  # name_key of an English name -> "ES", for suggestions


def parse_country(value: str) -> str:
    """The alpha-2 code of the country `value` names: a code, an English or a local name."""
    text = " ".join(value.split())
    if not text:
        raise InvalidValue(f"No country given: {HOW_TO_GIVE}")
    index = country_index()
    alpha2 = index.codes.get(text.upper()) or CODE_ALIASES.get(text.upper()) or index.names.get(name_key(text))
    if alpha2:
        return alpha2
    raise InvalidValue(f"Unknown country '{text}': {HOW_TO_GIVE}{_suggestion(text, index)}")


def countries_named(words: list[str]) -> list[str]:
    """The alpha-2 codes of the countries that `words` name (a code only if upper case, and not a
    legal form: `AG` is Aktiengesellschaft, not Antigua and Barbuda)."""
    from salescrm import legalforms

    index = country_index()
    found = []
    if len(words) == 1 and words[0].isalpha() and words[0].isupper() and not legalforms.is_legal_form(words[0]):
        code = index.codes.get(words[0])
        if code:
            found.append(code)
    named = index.names.get(name_key(" ".join(words)))
    if named and named not in found:
        found.append(named)
    return found


def _suggestion(text: str, index: CountryIndex) -> str:
    import difflib  # only on the way to an error

    close = difflib.get_close_matches(name_key(text), index.english, n=1)
    if not close:
        return ""
    alpha2 = index.english[close[0]]
    return f" Did you mean {country_name(alpha2)} ({alpha2})?"


@lru_cache(maxsize=None)
def country_name(alpha2: str) -> str:
    """The English common name if pycountry has one (`Taiwan`), else its ISO name."""
    country = _country(alpha2)
    return getattr(country, "common_name", None) or country.name


def local_names(alpha2: str) -> set[str]:
    """The country's names in its own languages that differ from its English names.

    `ES` -> {"España", "Espanya", "Espainia", "Reino de España", ...}.
    """
    return set(_local_names(alpha2.upper()))


@lru_cache(maxsize=None)
def _local_names(alpha2: str) -> frozenset[str]:
    english = _english_names(_country(alpha2))
    names = set()
    for locale_name in _locales_by_territory().get(alpha2, ()):
        catalogue = _catalogue(locale_name)
        names.update(catalogue.gettext(name) for name in english)
    # A catalogue returns the English text for what it has not translated.
    return frozenset(names - set(english))


@lru_cache(maxsize=1)
def country_index() -> CountryIndex:
    """The reverse index of codes, English names and local names (built on first use)."""
    import pycountry

    codes: dict[str, str] = {}
    english: dict[str, str] = {}
    local: dict[str, str] = {}
    for country in pycountry.countries:
        alpha2 = country.alpha_2
        codes[alpha2] = codes[country.alpha_3] = alpha2
        for name in _english_names(country):
            english.setdefault(name_key(name), alpha2)
        for name in _local_names(alpha2):
            local.setdefault(name_key(name), alpha2)
    # An English name wins over another country's local name that reads the same.
    return CountryIndex(codes=codes, names=local | english, english=english)


def _english_names(country: Country) -> tuple[str, ...]:
    names = (country.name, getattr(country, "official_name", None), getattr(country, "common_name", None))
    return tuple(dict.fromkeys(n for n in names if n))


def _country(alpha2: str) -> Country:
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2.upper())
    if country is None:
        raise KeyError(f"no ISO 3166-1 country with the alpha-2 code {alpha2!r}")
    return country


# A normalised locale name: language, territory, then an optional codeset and modifier.
_LOCALE_NAME = re.compile(r"([a-z]{2,3})_([A-Z]{2})(?:\.[^@]*)?(?:@(\w+))?$")


@lru_cache(maxsize=1)
def _locales_by_territory() -> dict[str, tuple[str, ...]]:
    """`CH` -> (`de_CH`, `fr_CH`, `it_CH`, `wae_CH`): the locales the C library knows.

    Read from the values of `locale.locale_alias`, not its keys: the keys hold legacy
    aliases such as `be_bg` (Bulgarian, not Belarusian, in Bulgaria) or `ger_de`.
    """
    import locale

    found: dict[str, set[str]] = {}
    for normalised in locale.locale_alias.values():
        match = _LOCALE_NAME.match(normalised)
        if match:
            language, territory, modifier = match.groups()
            found.setdefault(territory, set()).add(f"{language}_{territory}" + (f"@{modifier}" if modifier else ""))
    return {territory: tuple(sorted(names)) for territory, names in found.items()}


@lru_cache(maxsize=None)
def _catalogue(locale_name: str) -> gettext.NullTranslations:
    """pycountry's ISO 3166-1 translations for `locale_name`.

    Given with its territory (`pt_BR`, `sr_RS@latin`), gettext picks a territory's own
    catalogue where pycountry has one and falls back to the language's (`pt`, `sr`).
    """
    import pycountry

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale_name], fallback=True)


def country_candidates(typed: str) -> list[str]:
    """The country names to offer for what a person typed, best first: the country whose code it is
    (`ES` -> Spain, `DEU` -> Germany), then names that begin with it, then names that contain it,
    English and local names alike (`Españ` -> Spain). Everything, by name, for nothing typed."""
    names = _offered_names()
    key = name_key(typed)
    if not key:
        return [display for display, _ in names]
    index = country_index()
    by_code = index.codes.get(typed.strip().upper()) or CODE_ALIASES.get(typed.strip().upper())
    first = [country_name(by_code)] if by_code else []
    starting = [display for display, keys in names if any(k.startswith(key) for k in keys)]
    containing = [display for display, keys in names if any(key in k for k in keys)]
    return list(dict.fromkeys(first + starting + containing))


@lru_cache(maxsize=1)
def _offered_names() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(display name, the folded names it goes by) for every country, by display name."""
    import pycountry

    offered = []
    for country in pycountry.countries:
        alpha2 = country.alpha_2
        keys = {name_key(n) for n in _english_names(country)} | {name_key(n) for n in _local_names(alpha2)}
        offered.append((country_name(alpha2), tuple(sorted(keys))))
    return tuple(sorted(offered))
