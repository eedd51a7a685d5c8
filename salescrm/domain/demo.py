"""A demo database: the examples of SP-009-001, through the real operations, plus synthetic deals in bulk.

The examples go through the same domain functions as a rep's commands, so every
rule holds in them; their history is then spread over the past months. The
synthetic deals of `--size N` are written with SQLAlchemy Core in bulk (they are
benchmark data, not business records).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import activities, companies, contacts, deals, moves, naming, tasks, team
from salescrm.errors import Refused
from salescrm.process import bound
from salescrm.store import journal, reconcile
from salescrm.store.models import Company, Deal, GateValue, StageChange, TeamMember

TEAM = [
    ("Elena Ortiz", "JD-001"),
    ("Carmen Vidal", "JD-002"),
    ("Ana García", "JD-019"),
    ("Luis Romero", "JD-019"),
]

COMPANIES = [
    # name, country, website, legal name
    ("Sanitas Hospitales", "ES", "https://www.sanitas.es", "Sanitas, S.A. de Hospitales"),
    ("Boehringer Ingelheim", "DE", "https://www.boehringer-ingelheim.com", None),
    ("Hospital de Torrejón", "ES", "https://www.torrejonsalud.com", None),
    ("Pierre Fabre", "FR", "https://www.pierre-fabre.com", None),
    ("Almirall", "ES", "https://www.almirall.com", "Almirall, S.A."),
    ("DKV", "ES", "https://dkv.es", "DKV Seguros y Reaseguros, S.A.E."),
    ("Novartis", "CH", "https://www.novartis.com", "Novartis Farmacéutica, S.A."),
    ("Bayer", "DE", "https://www.bayer.com", "Bayer AG"),
]

CONTACTS = [
    # first, last, job title, email, phone, company
    ("Marta", "Ruiz", "Head of Dermatology", "marta.ruiz@sanitas.example", "+34 600 000 001", "Sanitas Hospitales"),
    ("Jorge", "Navarro", "Medical Affairs Manager", "jorge.navarro@boehringer.example", None, "Boehringer Ingelheim"),
    ("Lucía", "Fernández", "Head of Dermatology", "lucia.fernandez@torrejon.example", "+34 600 000 003", "Hospital de Torrejón"),
    ("Claire", "Dubois", "Digital Innovation Lead", "claire.dubois@pierre-fabre.example", None, "Pierre Fabre"),
    ("Diego", "Herrera", "Head of Clinical Data & Information Management", "diego.herrera@almirall.example", None, "Almirall"),
    ("Sofía", "Martín", "Chief Medical Officer", "sofia.martin@dkv.example", "+34 600 000 006", "DKV"),
    ("Pablo", "Sánchez", "Clinical Operations Director", "pablo.sanchez@novartis.example", None, "Novartis"),
    ("Katrin", "Weber", "Market Access Lead Iberia", "katrin.weber@bayer.example", None, "Bayer"),
]

# company, description, class, owner, stage, amount, country (None: the company's), days ago created
DEALS = [
    ("Sanitas Hospitales", "Proof of Concept", "Care provider inpatient private", "Ana García", "Discovered", 12000, None, 210),
    ("Boehringer Ingelheim", "GPPGA calculator", "Pharma marketing", "Luis Romero", "Offer Sent", 45000, "ES", 160),
    ("Hospital de Torrejón", "Pilot", "Care provider inpatient private", "Ana García", "Discovered", 9000, None, 95),
    ("Pierre Fabre", "Beauty expert with AI for severity scoring", "Pharma marketing", "Luis Romero", "Implementation Defined", 60000, None, 120),
    ("Almirall", "clinical trial for Actinic Keratosis", "Pharma clinical trials", "Carmen Vidal", "Payment Done", 85000, None, 330),
    ("Almirall", "& ICON clinical trial for generalised pustular psoriasis", "Pharma clinical trials", "Carmen Vidal", "Contract Signed", 120000, None, 250),
    ("Almirall", "clinical trial for hidradenitis suppurativa", "Pharma clinical trials", "Ana García", "Qualified", 70000, None, 40),
    ("DKV", "triage and treatment screening part 1 of 2 Pilot", "Insurance", "Luis Romero", "Offer Approved", 25000, None, 140),
    ("DKV", "triage and treatment screening part 2 of 2 Implementation", "Insurance", "Luis Romero", "Prospected", 150000, None, 60),
    ("Novartis", "Clinical trial for hidradenitis suppurativa", "Pharma clinical trials", "Carmen Vidal", "Discovered", 95000, "ES", 75),
    ("Bayer", "Sponsor the use in Spanish care providers", "Care provider inpatient government", "Ana García", "Qualified", 40000, "DE", 30),
]

LOST = ("ES Sanitas Hospitales Proof of Concept", "Bad timing", "Budget frozen until 2028")

# contact email, type, direction, days ago, summary: interactions logged as SP-009-001 asks
ACTIVITIES = [
    ("marta.ruiz@sanitas.example", "call", "outbound", 20, "Intro call for the new proof of concept; asked for last year's figures"),
    ("marta.ruiz@sanitas.example", "email", "inbound", 18, "Sent the waiting-list figures for 2026"),
    ("lucia.fernandez@torrejon.example", "meeting", "outbound", 9, "Demo to the dermatology service"),
    ("jorge.navarro@boehringer.example", "email", "inbound", 4, "Asked for a revised quotation"),
    ("katrin.weber@bayer.example", "message", "outbound", 2, "LinkedIn: followed up on the sponsorship proposal"),
]
# deal name, next step, due in days (negative: overdue), owner; other open deals have none (next-steps flags them)
NEXT_STEPS = [
    ("ES Sanitas Hospitales Proof of Concept", "Send the pricing calculator", 5, "Ana García"),
    ("ES Boehringer Ingelheim GPPGA calculator", "Send the revised quotation", -2, "Luis Romero"),
    ("ES Hospital de Torrejón Pilot", "Agree the success metrics with the service", 10, "Ana García"),
    ("ES Novartis Clinical trial for hidradenitis suppurativa", "Call the trial's principal investigator", 3, "Carmen Vidal"),
]
DEMO_ACTOR = "demo"


def gate_values_for(stage: str, contact_email: str, today: date, deal_class: str | None = None) -> dict[str, str]:
    """Values that meet every gate up to `stage` (dates a few weeks back)."""
    every = {
        "segment_verified": "yes",
        "decision_maker": contact_email,
        "budget": "Budget allocated for next year",
        "authority": "Talking to the head of the service, who decides",
        "need": "Waiting list of months for a dermatologist",
        "timeline": "Wants to start within the next two quarters",
        "implementation_method": "API integrated in their app",
        "success_metrics": "Waiting-list reduction and referrals avoided",
        "pricing_basis": "Per diagnostic report",
        "implementation_timeline": "Three months from signature",
        "quotation_template": process.quotation_template_for(deal_class),
        "quotation_ref": "Q-2026-014",
        "offer_approved_on": (today - timedelta(days=21)).isoformat(),
        "contract_signed_on": (today - timedelta(days=14)).isoformat(),
        "healthcare_provider_clause": "yes",
        "signed_by": TEAM[0][0],
        "payment_received_on": (today - timedelta(days=3)).isoformat(),
    }
    keys = {k for s in process.stages_between(process.FIRST_STAGE, stage) if s.gate for k in s.gate.keys}
    return {k: v for k, v in every.items() if k in keys}


def is_empty(session: Session) -> bool:
    for model in (TeamMember, Company, Deal):
        if session.exec(select(model.id).limit(1)).first() is not None:
            return False
    return True


def build_examples(session: Session, today: date | None = None) -> None:
    """The SP-009-001 examples: team, companies, contacts, deals over the stages, one lost and re-created."""
    if not is_empty(session):
        raise Refused("This database already holds records; the demo only writes into a new or empty one.")
    today = today or date.today()
    session.info["actor"] = DEMO_ACTOR
    for name, role in TEAM:
        team.add_member(session, name, role)
    for name, country, website, legal in COMPANIES:
        companies.add_company(session, name, country, website, legal)
    email_of = {}
    for first, last, title, email, phone, company in CONTACTS:
        contacts.add_contact(session, first, last, title, email=email, phone=phone, companies=[company])
        email_of[company] = email
    close = today + timedelta(days=120)
    morning = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
    for company, description, deal_class, owner, stage, amount, country, days_ago in DEALS:
        draft = deals.DealDraft(company, description, str(amount), close.isoformat(), deal_class, "LinkedIn outreach",
                                owner, country, [email_of[company]])
        deal = deals.create_deal(session, draft, today=today).record
        deal.created_at = morning - timedelta(days=days_ago)  # gate dates lie between its creation and today
        if stage != process.FIRST_STAGE:
            values = gate_values_for(stage, email_of[company], today, deal_class)
            moves.advance_deal(session, str(deal.id), to=stage, values=values, today=today)
    name, category, reason = LOST
    lost = moves.lose_deal(session, name, category, reason).deal
    recreated = deals.create_deal(
        session, deals.DealDraft(amount="15000", close_date=(today + timedelta(days=200)).isoformat()),
        from_deal=str(lost.id), today=today,
    ).record
    _spread_history(session, today, {lost.id: 210, recreated.id: 20})
    _log_interactions(session, today)


def _log_interactions(session: Session, today: date) -> None:
    now = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
    for email, kind, direction, days_ago, summary in ACTIVITIES:
        activities.log_activity(session, type=kind, direction=direction, summary=summary,
                                at=(now - timedelta(days=days_ago)).isoformat(), links=activities.Links(contact=email))
    for deal_name, title, due_in, owner in NEXT_STEPS:
        tasks.add_task(session, title, now + timedelta(days=due_in, hours=8), owner=tasks.owner_of(session, owner),
                       links=activities.Links(deal=deal_name))


def _country(company: str) -> str:
    return next(c[1] for c in COMPANIES if c[0] == company)


def _spread_history(session: Session, today: date, overrides: dict[int, int]) -> None:
    """The examples' history: each deal created its DEALS row's days ago (`overrides` by id first)."""
    created_days_ago = {naming.name_key(naming.deal_name(c or _country(co), co, d)): days for co, d, _, _, _, _, c, days in DEALS}
    spread_history(session, today, lambda deal: overrides.get(deal.id) or created_days_ago.get(
        naming.name_key(naming.without_lost_prefix(deal.name)), 30))


def spread_history(session: Session, today: date, days_ago: Callable[[Deal], int]) -> None:
    """Move a demo's stage history back in time: each deal created `days_ago(deal)` days ago, a step every
    few weeks since."""
    session.flush()
    now = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
    for deal in session.exec(select(Deal)).all():
        days = days_ago(deal)
        steps = session.exec(select(StageChange).where(StageChange.deal_id == deal.id).order_by(StageChange.id)).all()
        gap = max(1, days // (len(steps) + 1))
        for i, step in enumerate(steps):
            step.changed_at = now - timedelta(days=days - i * gap)
            session.add(step)
        deal.created_at = steps[0].changed_at
        deal.updated_at = steps[-1].changed_at
        session.add(deal)


# --- Synthetic deals in bulk --------------------------------------------------------------

SYNTHETIC_COUNTRIES = ("ES", "FR", "DE", "IT", "PT", "GB", "NL", "CH", "BE", "AT")
# How synthetic deals spread over the stages (percent): a funnel, with some won and lost.
SYNTHETIC_STAGE_WEIGHTS = {
    "Prospected": 25, "Qualified": 18, "Discovered": 14, "Implementation Defined": 10, "Offer Sent": 8,
    "Offer Approved": 5, "Contract Signed": 4, "Payment Done": 6, "Lost": 10,
}
_CHUNK = 20_000


def add_synthetic(session: Session, size: int, seed: int = 2026, today: date | None = None) -> int:
    """Add `size` deterministic synthetic deals, their gate values and history, in bulk; return the count."""
    if size <= 0:
        return 0
    today = today or date.today()
    conn = session.connection()
    owners = [m.id for m in session.exec(select(TeamMember).where(TeamMember.role.in_(process.OWNER_ROLES))).all()]
    if not owners:
        owners = [team.add_member(session, "Synthetic Owner", "JD-019").id]
    company_ids = _synthetic_companies(session, max(10, size // 100))
    first_id = (conn.execute(sa.select(sa.func.max(Deal.id))).scalar() or 0) + 1
    rng = random.Random(seed)
    stages = list(SYNTHETIC_STAGE_WEIGHTS)
    weights = list(SYNTHETIC_STAGE_WEIGHTS.values())
    open_lost_from = [s.name for s in process.PIPELINE_STAGES if s.open]
    start = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) - timedelta(days=365)
    rows = []
    for n in range(size):
        deal_id = first_id + n
        stage = rng.choices(stages, weights)[0]
        country = SYNTHETIC_COUNTRIES[n % len(SYNTHETIC_COUNTRIES)]
        company_id = company_ids[n % len(company_ids)]
        created = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60 - 60 * 24 * 30))
        name = f"{country} Synthetic Company {company_id} Deal {deal_id}"
        lost_from = rng.choice(open_lost_from) if stage == process.LOST_STAGE else None
        if lost_from:
            name = naming.lost_name(name)
        rows.append({
            "id": deal_id, "name": name, "name_key": naming.name_key(name), "pipeline": process.PIPELINE,
            "stage": stage, "country": country, "company_id": company_id, "description": f"Deal {deal_id}",
            "amount_cents": rng.randrange(1_000, 250_000) * 100, "close_date": today + timedelta(days=rng.randrange(-30, 365)),
            "deal_class": process.DEAL_CLASSES[n % len(process.DEAL_CLASSES)], "source": "Synthetic",
            "owner_id": owners[n % len(owners)],
            "lost_reason_category": process.LOST_CATEGORIES[n % len(process.LOST_CATEGORIES)] if lost_from else None,
            "lost_reason": "Synthetic" if lost_from else None, "lost_from_stage": lost_from,
            "created_at": created, "updated_at": created + timedelta(days=rng.randrange(1, 30)), "version": 1,
        })
        if len(rows) == _CHUNK:
            conn.execute(sa.insert(Deal.__table__), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(Deal.__table__), rows)
    _synthetic_history(conn, first_id, bound.revision_of(session).id)
    _synthetic_gates(conn, first_id)
    fields = {"synthetic_deals": size, **reconcile.bulk_fields(conn, "deal", first_id, first_id + size - 1),
              **reconcile.bulk_fields(conn, "company", company_ids[0], company_ids[-1])}
    journal.record_bulk(conn, session.info, "deal", fields)
    return size


def _synthetic_companies(session: Session, count: int) -> list[int]:
    conn = session.connection()
    first = (conn.execute(sa.select(sa.func.max(Company.id))).scalar() or 0) + 1
    now = datetime.now(timezone.utc)
    rows = [
        {"id": first + i, "name": f"Synthetic Company {first + i}", "name_key": f"synthetic company {first + i}",
         "brand_key": f"synthetic company {first + i}",
         "country": SYNTHETIC_COUNTRIES[i % len(SYNTHETIC_COUNTRIES)], "website": f"https://company{first + i}.example",
         "legal_name": None, "lead_status": process.LEAD_OPEN_DEAL, "lead_status_set_by": DEMO_ACTOR,
         "lead_status_set_at": now, "created_at": now, "updated_at": now, "version": 1}
        for i in range(count)
    ]
    conn.execute(sa.insert(Company.__table__), rows)
    return [r["id"] for r in rows]


def _synthetic_history(conn, first_id: int, revision_id: int | None) -> None:
    """Stage history by INSERT ... SELECT: created in Prospected, then the moves to the current stage, each
    allowed by the database's process revision."""
    d = Deal.__table__
    h = StageChange.__table__
    columns = ["deal_id", "from_stage", "to_stage", "changed_at", "changed_by", "process_revision_id"]
    synthetic = d.c.id >= first_id
    moves = [
        (sa.null(), sa.literal(process.FIRST_STAGE), d.c.created_at, synthetic),
        (sa.literal(process.FIRST_STAGE), d.c.stage, d.c.updated_at,
         sa.and_(synthetic, d.c.stage != process.FIRST_STAGE, d.c.stage != process.LOST_STAGE)),
        (sa.literal(process.FIRST_STAGE), d.c.lost_from_stage, d.c.created_at,
         sa.and_(synthetic, d.c.stage == process.LOST_STAGE, d.c.lost_from_stage != process.FIRST_STAGE)),
        (d.c.lost_from_stage, sa.literal(process.LOST_STAGE), d.c.updated_at, sa.and_(synthetic, d.c.stage == process.LOST_STAGE)),
    ]
    for from_stage, to_stage, at, where in moves:
        source = sa.select(d.c.id, from_stage, to_stage, at, sa.literal(DEMO_ACTOR), sa.literal(revision_id, sa.Integer)).where(where)
        conn.execute(sa.insert(h).from_select(columns, source))


def _synthetic_gates(conn, first_id: int) -> None:
    """Gate values by INSERT ... SELECT, one statement per key, for deals at or past its stage."""
    d = Deal.__table__
    g = GateValue.__table__
    columns = ["deal_id", "key", "value", "stage", "set_at", "set_by"]
    for stage in process.PIPELINE_STAGES:
        if stage.gate is None:
            continue
        reached = [s.name for s in process.PIPELINE_STAGES if process.rank(s.name) >= process.rank(stage.name)]
        where = sa.and_(
            d.c.id >= first_id,
            sa.or_(d.c.stage.in_(reached), sa.and_(d.c.stage == process.LOST_STAGE, d.c.lost_from_stage.in_(reached))),
        )
        for field in stage.gate.fields:
            value = _synthetic_value(field)
            source = sa.select(d.c.id, sa.literal(field.key), sa.literal(value), sa.literal(stage.name), d.c.updated_at,
                               sa.literal(DEMO_ACTOR)).where(where)
            conn.execute(sa.insert(g).from_select(columns, source))


def _synthetic_value(field: process.GateField) -> str:
    return {
        "yes": "yes", "date": "2026-01-15", "choice": field.choices[0] if field.choices else "", "member": TEAM[0][0],
        "contact": "synthetic@example.com",
    }.get(field.kind, "Synthetic note")
