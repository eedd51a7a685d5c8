"""A Health Prime demo database (`salescrm demo --process health-prime`): the HubSpot SOP's pipelines, gates,
properties and lifecycle, walked through the real operations.

Every record goes through the domain functions a rep's commands call (deal create in its pipeline, the gates'
properties, `deal sop`'s #S&OP note, the Closed Won automations, `deal lose`, `contact set-lifecycle`), so every
rule of the process holds in it; the stage history is then spread over the past months.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session

from salescrm.domain import activities, companies, contacts, deals, moves, properties, sop, tasks, team
from salescrm.domain.demo import DEMO_ACTOR, is_empty, spread_history
from salescrm.errors import Refused
from salescrm.process import bound
from salescrm.store.models import Deal

TEAM = [
    ("Vic Stone", "JD-002"),  # the SOP's Sales VP: may back out a signed deal
    ("Ana Lee", "JD-019"),
    ("Ben Ortiz", "JD-019"),
    ("Carla Ruiz", "JD-016"),  # the onboarding team: Closed Won's "Onboarding: {company}" task
    ("Dana Wu", "JD-008"),
]

# name, country, website (a company needs only its name in health-prime)
COMPANIES = [
    ("Sunrise Clinics", "US", "https://sunrise-clinics.example"),
    ("Maple Urgent Care", "US", "https://maple-urgent.example"),
    ("Lakeside Family Practice", "US", None),
    ("Northwind Cardiology", "US", "https://northwind-cardio.example"),
    ("Bayview Pediatrics", "US", None),
    ("Summit Orthopedics", "US", "https://summit-ortho.example"),
    ("Harbor Dermatology", "US", None),
    ("Pine Valley Health", "US", None),
]

# first, last, job title, email, company
CONTACTS = [
    ("Ann", "Lee", "CFO", "ann.lee@sunrise.example", "Sunrise Clinics"),
    ("Tom", "Reyes", "Practice Administrator", "tom.reyes@sunrise.example", "Sunrise Clinics"),
    ("Grace", "Kim", "Operations Director", "grace.kim@maple.example", "Maple Urgent Care"),
    ("Omar", "Haddad", "Managing Partner", "omar.haddad@lakeside.example", "Lakeside Family Practice"),
    ("Ruth", "Miller", "Revenue Cycle Manager", "ruth.miller@northwind.example", "Northwind Cardiology"),
    ("Leo", "Park", "Office Manager", "leo.park@bayview.example", "Bayview Pediatrics"),
    ("Nina", "Shah", "COO", "nina.shah@summit.example", "Summit Orthopedics"),
    ("Paul", "Grant", "Practice Owner", "paul.grant@harbor.example", "Harbor Dermatology"),
    ("Iris", "Cole", "Billing Lead", "iris.cole@pinevalley.example", "Pine Valley Health"),
]

ENGAGED = {"enterprise_deal_status": "no", "hp_products": "RCM, IT"}
PROPOSAL = {"likely_scope": "RCM and IT support for every site", "annual_practice_collections": "2,000,000"}
PARTNER_OF_CHOICE = {
    "proposal": "Quote emailed with the term sheet", "pricing_model": "Percent of collections",
    "volume_data": "4,000 claims a month", "decision_date": None, "deal_meeting_required": "no",
    "approval_status": "Approved", "rate_range": "4-6%", "verbal_commit": "yes", "contract_status": "Proposal sent",
    "confidence_level": "High", "term_months": "36", "arr_at_signing": "120,000", "non_recurring_revenue": "5,000",
    "go_live_date": None, "legacy_pm": "Kareo", "legacy_ehr": "Athena", "tax_ids": "2",
    "annual_practice_charges": "4,000,000", "annual_visits": "30000", "backlog_details": "90 days of AR",
    "license_restrictions": "None", "contract_provisions": "None"}
COMPANY_SOP = {"business_unit": "East", "provider_specialty": "Family medicine", "providers": "12", "locations": "3",
               "current_pm": "Kareo", "current_ehr": "Athena", "current_rcm_processing": "In-house",
               "rcm_rate": "5%", "minimum": "1,000", "support_global_note": "Weekly billing review",
               "division": "North"}
CLOSED_WON = {"quoted_rcm_rate": "5%", "contract_status": "Proposal signed", "onboarding_questionnaire": "Uploaded",
              "go_live_date": None, "nda_status": "Signed", "baa_status": "Signed"}

# company, description, pipeline, owner, stage, amount, contact, days ago created
DEALS = [
    ("Sunrise Clinics", "RCM", "new-business", "Ana Lee", "Closed Won", 180000, "ann.lee@sunrise.example", 200),
    ("Maple Urgent Care", "RCM and billing", "new-business", "Ben Ortiz", "Closed Won", 95000, "grace.kim@maple.example", 170),
    ("Sunrise Clinics", "New location in Dayton", "expansion", "Ana Lee", "Engaged", 40000, "tom.reyes@sunrise.example", 45),
    ("Maple Urgent Care", "PM/EMR migration", "upsell", "Ben Ortiz", "Sales Qualified Lead", 30000, "grace.kim@maple.example", 20),
    ("Lakeside Family Practice", "RCM", "new-business", "Ana Lee", "Partner of Choice", 150000, "omar.haddad@lakeside.example", 120),
    ("Northwind Cardiology", "RCM and IT", "new-business", "Ben Ortiz", "Proposal", 110000, "ruth.miller@northwind.example", 90),
    ("Bayview Pediatrics", "RCM", "new-business", "Ana Lee", "Engaged", 60000, "leo.park@bayview.example", 60),
    ("Summit Orthopedics", "RCM", "new-business", "Vic Stone", "Sales Qualified Lead", 75000, "nina.shah@summit.example", 15),
    ("Harbor Dermatology", "RCM", "new-business", "Ben Ortiz", "Proposal", 50000, "paul.grant@harbor.example", 150),
]
LOST = ("Harbor Dermatology", "Bad timing", "Budget frozen until next fiscal year")  # a recyclable category
PATH = ("Sales Qualified Lead", "Engaged", "Proposal", "Partner of Choice", "Closed Won")


def build_examples(session: Session, today: date | None = None) -> None:
    """The Health Prime examples: a team with its roles, companies with their S&OP properties, deals in each
    pipeline and stage (two won, one lost for a recyclable reason), and contacts in each lifecycle value."""
    if not is_empty(session):
        raise Refused("This database already holds records; the demo only writes into a new or empty one.")
    proc = bound.of(session)
    if proc.name != "health-prime":
        raise Refused(f"This database follows the process {proc.name}; a Health Prime demo needs a new database "
                      "(`salescrm --db NEW.db demo --process health-prime`).")
    from salescrm.domain.currency import set_database_currency

    today = today or date.today()
    session.info["actor"] = DEMO_ACTOR
    set_database_currency(session, "USD")  # a US company's demo: amounts and money properties in dollars
    for name, role in TEAM:
        team.add_member(session, name, role)
    for name, country, website in COMPANIES:
        companies.add_company(session, name, country, website, None)
    for first, last, title, email, company in CONTACTS:
        contacts.add_contact(session, first, last, title, email=email, companies=[company])
    close = today + timedelta(days=90)
    ids, of_company = [], {}
    for company, description, pipeline, owner, stage, amount, contact, _ in DEALS:
        draft = deals.DealDraft(company, description, str(amount), close.isoformat(), None, "Referral", owner,
                                None, [contact], pipeline=pipeline)
        deal = deals.create_deal(session, draft, today=today).record
        _walk(session, deal, stage, today)
        ids.append(deal.id)
        of_company[company] = deal.id
    company, category, reason = LOST
    moves.lose_deal(session, str(of_company[company]), category, reason)
    _lifecycle_examples(session, today)
    created_days_ago = {deal_id: row[-1] for deal_id, row in zip(ids, DEALS)}
    spread_history(session, today, lambda deal: created_days_ago.get(deal.id, 30))


def _walk(session: Session, deal: Deal, stage: str, today: date) -> None:
    """Move `deal` from Sales Qualified Lead to `stage`, meeting each gate as a rep does."""
    later = (today + timedelta(days=60)).isoformat()
    ref = str(deal.id)
    for step in PATH[1:PATH.index(stage) + 1]:
        if step == "Engaged":
            moves.advance_deal(session, ref, values=dict(ENGAGED), today=today)
        elif step == "Proposal":
            properties.store(session, "company", deal.company_id, _parsed(session, "company", COMPANY_SOP))
            owner = tasks.owner_of(session, str(deal.owner_id))
            tasks.add_task(session, "Send the proposal", datetime.now(timezone.utc) + timedelta(days=3),
                           owner=owner, links=activities.Links(deal=ref))
            moves.advance_deal(session, ref, values=dict(PROPOSAL), today=today)
        elif step == "Partner of Choice":
            values = {k: v or later for k, v in PARTNER_OF_CHOICE.items()}
            deals.edit_deal(session, ref, deals.DealChanges(gate_values=values), today=today)
            sop.log(session, ref)  # "Go to Notes in Hubspot and type #S&OP"
            moves.advance_deal(session, ref, today=today)
        else:
            moves.advance_deal(session, ref, values={k: v or later for k, v in CLOSED_WON.items()}, today=today)


def _parsed(session: Session, record: str, values: dict[str, str]) -> dict[str, str | None]:
    return properties.parse_assignments(bound.of(session), record, [f"{k}={v}" for k, v in values.items()])


def _lifecycle_examples(session: Session, today: date) -> None:
    """A contact in each value the data alone does not give: an inbound email (MQL), a lead intake, and a
    person's choices (Exclude from Marketing, Additional Sales Contact)."""
    at = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) - timedelta(days=3)
    activities.log_activity(session, type="email", direction="inbound", summary="Asked how the RCM pricing works",
                            at=at.isoformat(), links=activities.Links(contact="iris.cole@pinevalley.example"))
    contacts.set_lifecycle(session, "tom.reyes@sunrise.example", "Additional Sales Contact")
    contacts.add_contact(session, "Eve", "Brooks", "Front Desk Lead", email="eve.brooks@bayview.example",
                         companies=["Bayview Pediatrics"])
    contacts.set_lifecycle(session, "eve.brooks@bayview.example", "Exclude from Marketing")


