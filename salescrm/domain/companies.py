"""Companies: one per best-known brand (SP-009-001 "Naming the company", "Global companies with local branches")."""

from __future__ import annotations

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import lifecycle, naming, refs
from salescrm.domain.actors import actor_of
from salescrm.domain.countries import country_name, parse_country
from salescrm.domain.outcome import Outcome
from salescrm.domain.values import clean_name, clean_text, parse_choice, parse_website
from salescrm.domain.records import check_version, touch
from salescrm.errors import Refused
from salescrm.store.models import Company, Deal

BRAND_RULE = "SP-009-001 names a company by its best-known brand (Novartis, not Novartis Farmacéutica, S.A.)"


def add_company(
    session: Session, name: str, country: str | None, website: str | None, legal_name: str | None = None,
    *, required: bool = True,
) -> Outcome[Company]:
    """A new company; country and website may be unknown only for a lead (`required=False`)."""
    name = clean_name(name, "Company name")
    company = Company(
        name=name,
        name_key=naming.name_key(name),
        country=parse_country(country) if country or required else None,
        website=parse_website(website) if website or required else None,
        legal_name=clean_text(legal_name, "Legal name", required=False, max_length=300),
        lead_status=process.LEAD_NEW,
        lead_status_set_by=actor_of(session),
    )
    check_name_free(session, name)
    session.add(company)
    session.flush()
    return Outcome(company, name_warnings(name))


def check_name_free(session: Session, name: str, exclude_id: int | None = None) -> None:
    """Refuse a duplicate (ignoring case and accents) or a local-branch name of an existing company."""
    key = naming.name_key(name)
    same = session.exec(select(Company).where(Company.name_key == key)).first()
    if same is not None and same.id != exclude_id:
        raise Refused(f"Company '{same.name}' (id {same.id}) already exists; use it instead of adding '{name}'.")
    splits = naming.branch_splits(name)
    if not splits:
        return
    bases = {base: code for base, code in splits}
    parent = session.exec(select(Company).where(Company.name_key.in_(list(bases)))).first()
    if parent is not None and parent.id != exclude_id:
        raise Refused(
            f"'{name}' looks like the {country_name(bases[parent.name_key])} branch of '{parent.name}' (id {parent.id}): "
            f"SP-009-001 keeps one company for the global entity, so use '{parent.name}' and link the local contacts to it."
        )


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
    expected_version: int | None = None,
) -> Outcome[Company]:
    company = refs.company(session, ref, for_update=True)
    check_version(company, expected_version, "company")
    warnings: list[str] = []
    if name is not None:
        name = clean_name(name, "Company name")
        if name != company.name:
            check_name_free(session, name, exclude_id=company.id)
            company.name = name
            company.name_key = naming.name_key(name)
            warnings += name_warnings(name)
            _rename_deals(session, company)
    if website is not None:
        company.website = parse_website(website)
    if legal_name is not None:
        company.legal_name = clean_text(legal_name, "Legal name", required=False, max_length=300)
    if country is not None:
        company.country = parse_country(country)
    touch(session, company)
    return Outcome(company, warnings)


def _rename_deals(session: Session, company: Company) -> None:
    """A company's rename renames its deals (the name is built from it)."""
    from salescrm.domain.deals import rebuild_name

    for deal in session.exec(select(Deal).where(Deal.company_id == company.id)).all():
        rebuild_name(session, deal, company)


def set_status(session: Session, ref: str, status: str) -> Company:
    status = parse_choice(status, process.MANUAL_LEAD_STATUSES, "Lead status")
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
        stmt = stmt.where(Company.lead_status == parse_choice(lead_status, process.LEAD_STATUSES, "Lead status"))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())
