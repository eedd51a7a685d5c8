"""The questions of `deal create`: each field of the draft not given, and the deal's contacts.

Imported by `deal create` when it runs.
"""

from __future__ import annotations

from salescrm import process
from salescrm.cli.prompts import pick, required
from salescrm.cli.runtime import Needs, Runtime


def create_choices(session) -> dict:
    from sqlmodel import select

    from salescrm.store.models import Company, TeamMember

    return {
        "companies": [(r.id, r.name) for r in session.exec(select(Company.id, Company.name).order_by(Company.name_key)).all()],
        "owners": [m.name for m in session.exec(select(TeamMember).where(TeamMember.role.in_(process.OWNER_ROLES))).all()],
    }


def ask_missing_fields(rt: Runtime, draft, choices: dict, typed: list[tuple[str, str]]):
    from salescrm.cli.pick import ask_record
    from salescrm.domain.values import parse_amount, parse_date

    needs = Needs()
    if draft.company is None:
        needs.add("company", "--company", lambda p: ask_record(p, "Company", "company", choices["companies"]))
    if draft.description is None:
        needs.add("description", "--description", lambda p: p.text("Brief description", validate=required("Description"), instruction="(the name will be <country> <company> <description>)"))
    if draft.amount is None:
        needs.add("amount", "--amount", lambda p: p.text("Amount", validate=parse_amount))
    if draft.close_date is None:
        needs.add("close date", "--close-date", lambda p: p.text("Expected close date (YYYY-MM-DD)", validate=lambda a: parse_date(a, "Close date")))
    if draft.deal_class is None:
        needs.add("deal class", "--class", lambda p: p.select("Deal class (the segment of the value proposition)", process.DEAL_CLASSES))
    if draft.source is None:
        needs.add("source", "--source", lambda p: p.text("Action that originated the deal", validate=required("Source")))
    if draft.owner is None:
        needs.add("owner", "--owner", lambda p: pick(p, "Deal owner (JD-019 or JD-002)", choices["owners"]) if choices.get("owners") else p.text("Deal owner (JD-019 or JD-002)", validate=required("Owner")))
    answers = needs.resolve(rt)
    for option, attr in (("--company", "company"), ("--description", "description"), ("--amount", "amount"),
                         ("--close-date", "close_date"), ("--class", "deal_class"), ("--source", "source"), ("--owner", "owner")):
        if option in answers:
            setattr(draft, attr, answers[option])
            typed.append((option, answers[option]))
    return draft


def ask_contacts(rt: Runtime, company: str) -> list[str]:
    """While the deal is being asked for: its contacts, ticked among the company's (none ticked; may stay empty)."""

    def ask(p) -> list[str]:
        from salescrm.cli.pick import ask_contacts, named

        records = named(rt, "contact", company=company)
        return ask_contacts(p, "Contacts on this deal (none is fine)", records) if records else []

    needs = Needs()
    needs.offer("contacts", "--contact", ask)
    return needs.resolve(rt).get("--contact") or []
