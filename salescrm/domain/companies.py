"""Companies: one per best-known brand (SP-009-001 "Naming the company", "Global companies with local branches")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm import legalforms
from salescrm.domain import lifecycle, naming, refs
from salescrm.domain.company_names import CompanyNames, Conflict
from salescrm.domain.countries import parse_country
from salescrm.domain.outcome import Outcome
from salescrm.domain.values import clean_name, parse_choice, parse_website
from salescrm.domain.records import check_version, touch
from salescrm.errors import InvalidValue, Refused
from salescrm.store.actors import actor_of
from salescrm.store.models import Company, Deal, DistinctCompanies, size
from salescrm.typed_text import clean_text

BRAND_RULE = "SP-009-001 names a company by its best-known brand (Novartis, not Novartis Farmacéutica, S.A.)"


def add_company(
    session: Session, name: str, country: str | None, website: str | None, legal_name: str | None = None,
    *, required: bool = True, distinct_from: Sequence[str] = (), name_checked: bool = False,
) -> Outcome[Company]:
    """A new company; country and website may be unknown only for a lead (`required=False`), or where the
    database's process does not require them (`[companies] requires`: health-prime needs only the name).

    `distinct_from` names existing companies that the new name looks like but that are other companies
    (Merck Sharp & Dohme beside Merck); the decision is kept with the session's reason.
    """
    name = clean_name(name, "Company name", size(Company.name))
    from salescrm.domain.pipelines import process_of

    needs = process_of(session).company_requires if required else ("name",)
    others = distinct_companies(session, distinct_from)
    company = Company(
        name=name,
        name_key=naming.name_key(name),
        brand_key=legalforms.brand_key(name),
        country=parse_country(country) if country or "country" in needs else None,
        website=parse_website(website) if website or "website" in needs else None,
        legal_name=clean_text(legal_name, "Legal name", required=False, max_length=size(Company.legal_name), name=True),
        lead_status=process_of(session).lead_statuses.on_create,
        lead_status_set_by=actor_of(session),
    )
    if not name_checked:  # an import has already asked `name_conflict`, and merged or refused the row
        check_name_free(session, name, ignore=[o.id for o in others])
    session.add(company)
    session.flush()
    record_distinct(session, company, others)
    return Outcome(company, name_warnings(name))


def check_name_free(session: Session, name: str, exclude_id: int | None = None, ignore: Iterable[int] = ()) -> None:
    """Refuse a name that stands for an existing company (SP-009-001's one-company rule): the same name
    ignoring case and accents, a local branch (`Novartis España`) or a local entity (`Novartis Farmacéutica,
    S.A.`) of it, or a name that an existing one begins with; `company_names` says how.

    `exclude_id` is the company being renamed; `ignore`, the companies declared distinct from it. Any
    command that names a company into existence calls this (add, rename, a lead's new company, imports).
    """
    key = naming.name_key(name)
    same = session.exec(select(Company).where(Company.name_key == key)).first()
    if same is not None and same.id != exclude_id:
        raise Refused(f"Company '{same.name}' (id {same.id}) already exists; use it instead of adding '{name}'.")
    skip = set(ignore) | ({exclude_id} if exclude_id is not None else set())
    if exclude_id is not None:
        skip |= distinct_ids(session, exclude_id)
    clash = name_conflict(session, name, skip)
    if clash is not None:
        raise Refused(clash.message)


def name_conflict(session: Session, name: str, ignore: Iterable[int] = ()) -> Conflict | None:
    """How `name` clashes with an existing company (not one in `ignore`) under the one-company rule, if it
    does: the same brand, a local branch or entity of it, or the reverse (an import merges the first two)."""
    skip = set(ignore)
    return CompanyNames((cid, other) for cid, other in _candidates(session, name) if cid not in skip).conflict(name)


def _candidates(session: Session, name: str) -> list[tuple[int, str]]:
    """The companies `name` may stand for, by their stored brand keys; `company_names` decides."""
    return candidates(session.connection(), [name])


def candidates(conn: sa.Connection, names: Sequence[str]) -> list[tuple[int, str]]:
    """The (id, name) of every company whose brand words are a word prefix of one of `names`' (the global
    entity of a branch, a local entity, the same brand) or begin with them (the reverse): equality and
    prefix ranges on the `brand_key` index, for many names in one statement. Written as SQL text: building
    the expression of 200 ranges costs SQLAlchemy more than the query costs the database."""
    prefixes, keys = set(), set()
    for name in names:
        parts = legalforms.brand_key(name).split(" ")
        prefixes.update(" ".join(parts[:end]) for end in range(1, len(parts) + 1))
        keys.add(" ".join(parts))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    params: list[str] = sorted(prefixes)
    sql = f"SELECT id, name FROM company WHERE brand_key IN ({', '.join([mark] * len(params))})"
    for key in sorted(keys):  # a key that begins with `key` and a space sorts from `key + " "` to `key + "!"`
        sql += f" OR (brand_key >= {mark} AND brand_key < {mark})"
        params += [key + " ", key + "!"]
    return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(params))]


def distinct_companies(session: Session, refs_: Sequence[str]) -> list[Company]:
    """The companies named by `--distinct-from`; the session's `--reason` must say why."""
    if not refs_:
        return []
    if not (session.info.get("reason") or "").strip():
        raise InvalidValue(DISTINCT_NEEDS_REASON)
    return [refs.company(session, r) for r in refs_]


DISTINCT_NEEDS_REASON = ("--distinct-from needs --reason: say why they are other companies "
                         "(e.g. --reason \"MSD is Merck & Co., not Merck KGaA\").")


def record_distinct(session: Session, company: Company, others: Iterable[Company]) -> None:
    """Keep the decision that `company` and each of `others` are distinct (one row per pair, lower id first)."""
    for other in others:
        if other.id == company.id:
            raise InvalidValue(f"--distinct-from '{other.name}' names the company itself: name another company.")
        low, high = sorted((company.id, other.id))
        if session.get(DistinctCompanies, (low, high)) is None:
            session.add(DistinctCompanies(company_id=low, other_company_id=high, reason=session.info["reason"].strip(),
                                          decided_by=actor_of(session)))
    session.flush()


def distinct_ids(session: Session, company_id: int) -> set[int]:
    """The companies declared distinct from `company_id`."""
    rows = session.connection().execute(
        sa.select(DistinctCompanies.company_id, DistinctCompanies.other_company_id).where(
            sa.or_(DistinctCompanies.company_id == company_id, DistinctCompanies.other_company_id == company_id)))
    return {b if a == company_id else a for a, b in rows}


def distinct_pairs(session: Session) -> set[tuple[int, int]]:
    """Every pair declared distinct, lower id first (the audit skips them)."""
    return {(a, b) for a, b in session.connection().execute(
        sa.select(DistinctCompanies.company_id, DistinctCompanies.other_company_id))}


def name_warnings(name: str) -> list[str]:
    brand = naming.legal_form_brand(name)
    if brand is None:
        return []
    return [f"'{name}' carries a legal form; {BRAND_RULE}. Consider '{brand}', with the legal name in --legal-name."]


def edit_company(
    session: Session,
    ref: str,
    *,
    name: str | None = None,
    website: str | None = None,
    legal_name: str | None = None,
    country: str | None = None,
    distinct_from: Sequence[str] = (),
    properties: Sequence[str] = (),
    expected_version: int | None = None,
) -> Outcome[Company]:
    """Change a company's fields, its properties (`KEY=VALUE` items, domain/properties.py) or its distinct
    look-alikes."""
    from salescrm.domain import properties as record_properties
    from salescrm.process import bound

    values = record_properties.parse_assignments(bound.of(session), "company", list(properties)) if properties else {}
    company = refs.company(session, ref, for_update=True)
    check_version(company, expected_version, "company")
    others = distinct_companies(session, distinct_from)
    record_distinct(session, company, others)
    warnings: list[str] = []
    if name is not None:
        name = clean_name(name, "Company name", size(Company.name))
        if name != company.name:
            check_name_free(session, name, exclude_id=company.id, ignore=[o.id for o in others])
            company.name = name
            company.name_key = naming.name_key(name)
            company.brand_key = legalforms.brand_key(name)
            warnings += name_warnings(name)
            _rename_deals(session, company)
    if website is not None:
        company.website = parse_website(website)
    if legal_name is not None:
        company.legal_name = clean_text(legal_name, "Legal name", required=False, max_length=size(Company.legal_name),
                                        name=True)
    if country is not None:
        company.country = parse_country(country)
    record_properties.store(session, "company", company.id, values)
    touch(session, company)
    return Outcome(company, warnings)


def _rename_deals(session: Session, company: Company) -> None:
    """A company's rename renames its deals (the name is built from it)."""
    from salescrm.domain.deals import rebuild_name

    for deal in session.exec(select(Deal).where(Deal.company_id == company.id)).all():
        rebuild_name(session, deal, company)


def set_status(session: Session, ref: str, status: str) -> Company:
    from salescrm.domain.pipelines import process_of

    status = parse_choice(status, process_of(session).lead_statuses.manual, "Lead status")
    company = refs.company(session, ref, for_update=True)
    open_deals = lifecycle.open_deal_count(session, company.id)
    if open_deals:
        raise Refused(
            f"'{company.name}' has {open_deals} open deal{'s' if open_deals > 1 else ''}, so its lead status is "
            "'Open deal'; lose or win its deals first."
        )
    lifecycle.set_lead_status(session, company, status)
    return company


def list_companies(session: Session, *, country: str | None = None, lead_status: str | None = None, limit: int | None = None):
    stmt = select(Company).order_by(Company.name_key)
    if country:
        stmt = stmt.where(Company.country == parse_country(country))
    if lead_status:
        from salescrm.domain.pipelines import process_of

        stmt = stmt.where(Company.lead_status == parse_choice(lead_status, process_of(session).lead_statuses.values,
                                                              "Lead status"))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())
