"""Records as the objects `show` and `list` print (the `--json` shapes, documented in docs/cli.md).

Lists stream: deals are read in id order with their gates and contacts merged in
from two queries ordered the same way, so memory stays flat however many match.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import lifecycle, refs
from salescrm.domain.known_values import known_stage, lost_stages, not_final, role_title, won_stages
from salescrm.domain.values import amount_units
from salescrm.errors import InvalidValue
from salescrm.store.columns import iso
from salescrm.store.tables import Company, Contact, ContactCompany, Deal, DealContact, GateValue, StageChange, TeamMember

_CHUNK = 2000


def _rows(session: Session, statement) -> list:
    """Rows of a column select through Core: lists of thousands of deals skip the ORM's loading."""
    return session.connection().execute(statement).all()


def record_ref(record_id: int | None, name: str | None, **extra) -> dict | None:
    """A linked record in JSON: its id and name (None when there is no link)."""
    return None if record_id is None else {"id": record_id, "name": name, **extra}


def _contact_ref(contact_id: int, first: str, last: str, email: str | None) -> dict:
    return record_ref(contact_id, f"{first} {last}", email=email)


# --- Deals ------------------------------------------------------------------------------


@dataclass
class DealFilter:
    stage: str | None = None
    owner: str | None = None
    deal_class: str | None = None
    company: str | None = None
    open: bool = False
    won: bool = False
    lost: bool = False
    pipeline: str | None = None  # a pipeline's key or label (`new-business`, "New Business")


def pipeline_of(session: Session, name: str):
    """The database's pipeline named `name` (key or label, any case); exit 2 naming each one if none."""
    from salescrm.domain.pipelines import parse_pipeline

    return parse_pipeline(process.of(session), name)


def chosen_pipelines(session: Session, name: str | None) -> tuple:
    """The pipeline `--pipeline` names, or every pipeline of the database's process."""
    return (pipeline_of(session, name),) if name else process.of(session).pipelines


def _stage_of(session: Session, value: str, pipeline) -> "process.Stage":
    """A stage named as typed (any case, or a slug), in `pipeline` or else in any pipeline of the process."""
    proc = process.of(session)
    for p in (pipeline,) if pipeline else proc.pipelines:
        try:
            return p.stage(value)
        except KeyError:
            continue
    names = tuple(dict.fromkeys(s.name for p in ((pipeline,) if pipeline else proc.pipelines) for s in p.stages))
    raise InvalidValue(f"Unknown stage '{value}': choose one of {', '.join(names)}.")


def deal_conditions(session: Session, f: DealFilter) -> list:
    proc = process.of(session)
    conditions = []
    pipeline = pipeline_of(session, f.pipeline) if f.pipeline else None
    if pipeline is not None:
        conditions.append(Deal.pipeline == pipeline.label)
    won, lost = won_stages(proc), lost_stages(proc)
    kinds = []  # --open, --won, --lost: any of them (a stage salescrm does not know is open, not final)
    if f.open:
        kinds.append(not_final(Deal.stage, proc))
    if f.won:
        kinds.append(Deal.stage.in_(won) if len(won) > 1 else Deal.stage == won[0])
    if f.lost:
        kinds.append(Deal.stage.in_(lost) if len(lost) > 1 else Deal.stage == lost[0])
    if f.stage:
        stage = _stage_of(session, f.stage, pipeline)
        wanted = stage.name
        chosen = not kinds or (f.open and not stage.final) or (f.won and stage.won) or (f.lost and stage.lost)
        kinds = [Deal.stage == wanted] if chosen else [sa.false()]
    if kinds:
        conditions.append(sa.or_(*kinds) if len(kinds) > 1 else kinds[0])
    if f.owner:
        conditions.append(Deal.owner_id == refs.team_member(session, f.owner).id)
    if f.deal_class:
        from salescrm.domain.pipelines import parse_deal_class

        conditions.append(Deal.deal_class == parse_deal_class(proc, f.deal_class))
    if f.company:
        conditions.append(Deal.company_id == refs.company(session, f.company).id)
    return conditions


_DEAL_COLUMNS = (
    Deal.id,
    Deal.name,
    Deal.stage,
    Deal.pipeline,
    Deal.country,
    Company.name.label("company"),
    Deal.company_id,
    Deal.description,
    Deal.amount_cents,
    Deal.currency,
    Deal.close_date,
    Deal.deal_class,
    Deal.source,
    Deal.owner_id,
    TeamMember.name.label("owner"),
    Deal.lost_reason_category,
    Deal.lost_reason,
    Deal.created_at,
    Deal.updated_at,
)


def _deal_base(row, values: dict, contacts: list, proc) -> dict:
    """A deal's object: `gates` holds the values of the process's gate keys, `properties` every value
    stored on the deal (its properties: a gate's, or one set outside a gate), in the same order."""
    stage = known_stage(row.stage, row.pipeline, proc)  # None: a stage salescrm does not know, shown as stored
    probability = stage.probability if stage else None
    return {
        "id": row.id,
        "name": row.name,
        "stage": row.stage,
        "pipeline": row.pipeline,
        "country": row.country,
        "company": row.company,
        "company_id": row.company_id,
        "description": row.description,
        "amount": amount_units(row.amount_cents),
        "currency": row.currency,
        "weighted_amount": None if stage is None else amount_units(row.amount_cents * probability // 100),
        "probability": probability,
        "close_date": iso(row.close_date),
        "deal_class": row.deal_class,
        "source": row.source,
        "owner": row.owner,  # None when owner_id points at no team member (written by SQL)
        "owner_id": row.owner_id,
        "contacts": contacts,
        "lost_reason_category": row.lost_reason_category,
        "lost_reason": row.lost_reason,
        "gates": _ordered_gates(values, proc),
        "properties": _ordered_properties(values, proc),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _deals_select():
    return (
        select(*_DEAL_COLUMNS)
        .outerjoin(Company, Company.id == Deal.company_id)  # outer: a reference broken by SQL drops no deal
        .outerjoin(TeamMember, TeamMember.id == Deal.owner_id)
    )


def deal_object(session: Session, deal: Deal) -> dict:
    """The `deal show` object: every field, the gate values and the stage history."""
    row = session.exec(_deals_select().where(Deal.id == deal.id)).one()
    gates = _gate_values(session, [Deal.id == deal.id])
    contacts = _deal_contacts(session, [Deal.id == deal.id])
    obj = _deal_base(row, gates.get(deal.id, {}), contacts.get(deal.id, []), process.of(session))
    obj["history"] = [
        {"from": h.from_stage, "to": h.to_stage, "at": iso(h.changed_at), "by": h.changed_by}
        for h in _rows(session, sa.select(StageChange).where(StageChange.deal_id == deal.id).order_by(StageChange.id))
    ]
    return obj


def iter_deal_objects(session: Session, f: DealFilter, limit: int | None = None) -> Iterator[dict]:
    """Deals matching `f`, newest first, as `deal list` objects (no history), streamed in chunks.

    The filters are checked here, before anything is streamed, so a bad filter fails before output starts.
    """
    return _stream_deals(session, deal_conditions(session, f), limit)


def _stream_deals(session: Session, conditions: list, limit: int | None) -> Iterator[dict]:
    last_id = None
    remaining = limit
    while remaining is None or remaining > 0:
        chunk_conditions = list(conditions) + ([Deal.id < last_id] if last_id is not None else [])
        size = _CHUNK if remaining is None else min(_CHUNK, remaining)
        rows = _rows(session, _deals_select().where(*chunk_conditions).order_by(Deal.id.desc()).limit(size))
        if not rows:
            return
        ids = [r.id for r in rows]
        window = [Deal.id <= ids[0], Deal.id >= ids[-1], *conditions]
        gates = _gate_values(session, window)
        contacts = _deal_contacts(session, window)
        proc = process.of(session)
        for row in rows:
            yield _deal_base(row, gates.get(row.id, {}), contacts.get(row.id, []), proc)
        last_id = ids[-1]
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < size:
            return


def _gate_values(session: Session, deal_conditions: list) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    rows = _rows(
        session,
        select(GateValue.deal_id, GateValue.key, GateValue.value)
        .join(Deal, Deal.id == GateValue.deal_id)
        .where(*deal_conditions),
    )
    for deal_id, key, value in rows:
        out.setdefault(deal_id, {})[key] = value
    return out


def _ordered_gates(values: dict[str, str], proc) -> dict[str, str]:
    return {k: values[k] for k in proc.gate_keys if k in values}


def _ordered_properties(values: dict[str, str], proc) -> dict[str, str]:
    """The gates' values, then the other declared deal properties in the file's order, then any other."""
    declared = [p.key for p in proc.properties_of("deal")]
    return {**_ordered_gates(values, proc), **{k: values[k] for k in declared if k in values},
            **{k: values[k] for k in sorted(values) if k not in declared}}


def _deal_contacts(session: Session, deal_conditions: list) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    rows = _rows(
        session,
        select(DealContact.deal_id, Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        .join(Contact, Contact.id == DealContact.contact_id)
        .join(Deal, Deal.id == DealContact.deal_id)
        .where(*deal_conditions)
        .order_by(DealContact.deal_id, Contact.id),
    )
    for deal_id, cid, first, last, email in rows:
        out.setdefault(deal_id, []).append(_contact_ref(cid, first, last, email))
    return out


# --- Companies --------------------------------------------------------------------------


def company_object(session: Session, company: Company) -> dict:
    return company_objects(session, [company])[0]


def company_objects(session: Session, companies: list) -> list[dict]:
    """The `show --json` objects of `companies`, their contacts, deals and properties read 500 companies to a
    query (not three queries a company)."""
    from salescrm.domain import properties
    from salescrm.process import bound

    ids = [c.id for c in companies]
    contacts: dict[int, list[dict]] = {}
    deals: dict[int, list[dict]] = {}
    for start in range(0, len(ids), 500):
        some = ids[start:start + 500]
        for company_id, *contact in session.exec(
                select(ContactCompany.company_id, Contact.id, Contact.first_name, Contact.last_name, Contact.email)
                .join(ContactCompany, ContactCompany.contact_id == Contact.id)
                .where(ContactCompany.company_id.in_(some)).order_by(Contact.id)):
            contacts.setdefault(company_id, []).append(_contact_ref(*contact))
        for d in session.exec(select(Deal.company_id, Deal.id, Deal.name, Deal.stage, Deal.amount_cents, Deal.currency)
                              .where(Deal.company_id.in_(some)).order_by(Deal.id.desc())):
            deals.setdefault(d.company_id, []).append(
                {"id": d.id, "name": d.name, "stage": d.stage, "amount": amount_units(d.amount_cents), "currency": d.currency})
    values = properties.values_of_many(session, "company", ids, bound.of(session))
    return [{
        "id": company.id,
        "name": company.name,
        "country": company.country,
        "website": company.website,
        "legal_name": company.legal_name,
        "lead_status": company.lead_status,
        "lead_status_set_by": company.lead_status_set_by,
        "lead_status_set_at": iso(company.lead_status_set_at),
        "contacts": contacts.get(company.id, []),
        "deals": deals.get(company.id, []),
        "properties": values.get(company.id, {}),
        "created_at": iso(company.created_at),
        "updated_at": iso(company.updated_at),
    } for company in companies]


# --- Contacts ---------------------------------------------------------------------------


def contact_objects(session: Session, contacts: list[Contact]) -> list[dict]:
    ids = [c.id for c in contacts]
    stages = lifecycle.lifecycle_stages(session, ids)
    companies: dict[int, list[dict]] = {}
    for chunk_start in range(0, len(ids), 500):
        rows = session.exec(
            select(ContactCompany.contact_id, Company.id, Company.name)
            .join(Company, Company.id == ContactCompany.company_id)
            .where(ContactCompany.contact_id.in_(ids[chunk_start : chunk_start + 500]))
            .order_by(Company.name_key)
        ).all()
        for contact_id, company_id, name in rows:
            companies.setdefault(contact_id, []).append({"id": company_id, "name": name})
    return [
        {
            "id": c.id,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "job_title": c.job_title,
            "email": c.email,
            "phone": c.phone,
            "channel": c.channel,
            "search_engine": c.search_engine,
            "keyword": c.keyword,
            "source_page": c.source_page,
            "lifecycle_stage": stages[c.id],
            "manual_lifecycle": c.manual_lifecycle,  # the value a person chose (`contact set-lifecycle`), if any
            "companies": companies.get(c.id, []),
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }
        for c in contacts
    ]


def contact_object(session: Session, contact: Contact) -> dict:
    obj = contact_objects(session, [contact])[0]
    obj["deals"] = [
        {"id": d.id, "name": d.name, "stage": d.stage}
        for d in session.exec(
            select(Deal.id, Deal.name, Deal.stage)
            .join(DealContact, DealContact.deal_id == Deal.id)
            .where(DealContact.contact_id == contact.id)
            .order_by(Deal.id.desc())
        ).all()
    ]
    from salescrm.domain import consent

    ledger = consent.events(session, contact.id)
    obj["consent"] = [consent.event_object(e) for e in ledger]
    obj["consent_state"] = consent.state_of(ledger)
    obj["properties"] = _record_properties(session, "contact", contact.id)
    return obj


def _record_properties(session: Session, record: str, record_id: int) -> dict[str, str]:
    from salescrm.domain import properties
    from salescrm.process import bound

    return properties.values_of(session, record, record_id, bound.of(session))


def team_object(member: TeamMember, titles: dict[str, str] | None = None) -> dict:
    """`titles`: the database's process's role titles (its own words: health-prime's JD-002 is Sales VP)."""
    title = titles.get(member.role, role_title(member.role)) if titles is not None else role_title(member.role)
    return {"id": member.id, "name": member.name, "role": member.role, "title": title, "login": member.login}
