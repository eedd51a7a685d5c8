"""The one-company rule of SP-009-001, on names: which existing company a new name stands for.

"If a company has local branches, we only create a company for the global entity ... we would not
create many companies called Novartis Spain, Novartis Germany ... Instead, we would create a single
company called Novartis", and "the Spanish legal entity registered as Novartis Farmacéutica, S.A.
should be named Novartis". So, once legal forms are set aside (salescrm.legalforms), a name
that begins with another company's whole name, as whole words, is that company: a branch when the
words after it name a country (`Novartis España`), a local entity otherwise (`Novartis Farmacéutica,
S.A.`, `Novartis Pharma`). The rule holds in both directions, so the order of entry does not matter.
A rep may declare two such companies distinct (Merck and Merck Sharp & Dohme): the callers pass
those ids in `ignore`.

No database here: `CompanyNames` is an index of (id, name) that `companies.check_name_free` fills
with the few candidates it reads, that an import fills once with every company, and that the audit
uses for the pairs among existing companies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from salescrm import legalforms
from salescrm.domain import countries, naming


@dataclass(frozen=True)
class Brand:
    """A company name as the rule compares it."""

    name: str
    words: tuple[str, ...]  # folded, without legal forms and connectors
    texts: tuple[str, ...]  # the same words as written
    has_form: bool  # it carried a legal form


def brand(name: str) -> Brand:
    ws = legalforms.words(name)
    end = legalforms.brand_length(ws)
    kept = [w for w in ws[:end] if w.folded not in legalforms.CONNECTORS] or ws[:1]
    return Brand(name, tuple(w.folded for w in kept), tuple(w.text for w in kept), end < len(ws))


@dataclass(frozen=True)
class Conflict:
    """`name` stands for company `other_id`: `how` is same, branch, local-entity, or the reverse of
    the last two (`has-branch`, `has-local-entity`: the existing company is the longer name)."""

    how: str
    other_id: int
    other_name: str
    message: str
    country: str | None = None  # ISO 3166-1 alpha-2, for a branch


def branch_splits(name: str) -> list[tuple[str, str]]:
    """Each way to read `name` as a base name plus a trailing country: `(name_key(base), alpha2)`.

    `Novartis Spain`, `Novartis España` and `Novartis ES` all give `("novartis", "ES")`.
    The trailing country is an English or local name (any case, any accents) or an
    ISO code written in upper case, so that `Pfizer At` is not Austria.
    """
    words = name.split()
    splits: list[tuple[str, str]] = []
    for cut in range(1, len(words)):
        base = naming.name_key(" ".join(words[:cut]))
        if not base:
            continue
        for alpha2 in countries.countries_named(words[cut:]):
            if (base, alpha2) not in splits:
                splits.append((base, alpha2))
    return splits


def _country_of(texts: tuple[str, ...]) -> str | None:
    found = countries.countries_named(list(texts))
    return found[0] if found else None


def conflict_between(new: Brand, other_id: int, other: Brand) -> Conflict | None:
    """How the name `new` clashes with the existing company `other`, if it does."""
    n, k = len(new.words), len(other.words)
    if new.words == other.words:
        if new.has_form:
            return _local_entity(new.name, other_id, other.name)
        if other.has_form:
            return _has_local_entity(new.name, other_id, other.name, other.has_form)
        return Conflict("same", other_id, other.name,
                        f"Company '{other.name}' (id {other_id}) already exists; use it instead of adding '{new.name}'.")
    if k < n and new.words[:k] == other.words:
        country = _country_of(new.texts[k:])
        if country:
            return Conflict("branch", other_id, other.name,
                            f"'{new.name}' looks like the {countries.country_name(country)} branch of '{other.name}' (id {other_id}): "
                            f"SP-009-001 keeps one company for the global entity, so use '{other.name}' and link the local "
                            "contacts to it.", country)
        return _local_entity(new.name, other_id, other.name)
    if n < k and other.words[:n] == new.words:
        country = _country_of(other.texts[n:])
        if country:
            return Conflict("has-branch", other_id, other.name,
                            f"'{other.name}' (id {other_id}) looks like the {countries.country_name(country)} branch of "
                            f"'{new.name}': rename it to '{new.name}' rather than add another company "
                            f"(salescrm company edit {other_id} --name '{new.name}').", country)
        return _has_local_entity(new.name, other_id, other.name, other.has_form)
    return None


def _local_entity(name: str, other_id: int, other: str) -> Conflict:
    return Conflict("local-entity", other_id, other,
                    f"{name} looks like a local entity of {other}: record it as {other} (keep the legal name with --legal-name)")


def _has_local_entity(name: str, other_id: int, other: str, other_has_form: bool) -> Conflict:
    legal = f" --legal-name '{other}'" if other_has_form else ""
    return Conflict("has-local-entity", other_id, other,
                    f"{other} (id {other_id}) looks like a local entity of {name}: rename it to {name} rather than add "
                    f"another company (salescrm company edit {other_id} --name '{name}'{legal})")


# The order in which clashes are reported when a name clashes with several companies.
_ORDER = ("same", "branch", "local-entity", "has-branch", "has-local-entity")


class CompanyNames:
    """An index of company names by their brand words, for the rule in both directions. Names are
    indexed by their brand key (a fast path); the words as written are read only for the few that
    clash, to decide how."""

    def __init__(self, names: Iterable[tuple[int, str]] = ()):
        self.names: dict[int, str] = {}
        self._brands: dict[int, Brand] = {}
        self._whole: dict[tuple[str, ...], list[int]] = {}  # brand words -> ids
        self._longer: dict[tuple[str, ...], list[int]] = {}  # a proper prefix of brand words -> ids
        for cid, name in names:
            self.add(cid, name)

    def add(self, cid: int, name: str) -> None:
        self.names[cid] = name
        words = tuple(legalforms.brand_key(name).split(" "))
        self._whole.setdefault(words, []).append(cid)
        for end in range(1, len(words)):
            self._longer.setdefault(words[:end], []).append(cid)

    def brand(self, cid: int) -> Brand:
        if cid not in self._brands:
            self._brands[cid] = brand(self.names[cid])
        return self._brands[cid]

    def conflict(self, name: str, ignore: Iterable[int] = ()) -> Conflict | None:
        """The clash of `name` with an indexed company (not one in `ignore`): the global entity first."""
        words = tuple(legalforms.brand_key(name).split(" "))
        skip = set(ignore)
        candidates: list[int] = []
        for end in range(1, len(words) + 1):  # shorter names first: the global entity
            candidates += self._whole.get(words[:end], [])
        candidates += self._longer.get(words, [])
        candidates = [cid for cid in candidates if cid not in skip]
        if not candidates:  # the common case: the written words are read only for a clash
            return None
        new = brand(name)
        found = [c for c in (conflict_between(new, cid, self.brand(cid)) for cid in candidates) if c]
        return min(found, key=lambda c: _ORDER.index(c.how)) if found else None

    def prefix_pairs(self) -> Iterator[tuple[int, int, str | None]]:
        """(global id, local id, country or None) for each company whose brand words begin with another's
        whole brand words; equal brand words are duplicates, not branches (the duplicate check's)."""
        for words, ids in self._whole.items():
            for end in range(1, len(words)):
                for parent in self._whole.get(words[:end], ()):
                    for cid in ids:
                        local = self.brand(cid)
                        yield parent, cid, _country_of(local.texts[end:]) if local.words[:end] == words[:end] else None
