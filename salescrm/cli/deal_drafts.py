"""The questions of `deal create`: each field of the draft not given, and the deal's contacts.

Imported by `deal create` when it runs.
"""

from __future__ import annotations

from salescrm.cli.prompts import pick, required
from salescrm.cli.runtime import Needs, Runtime


def entering(session, draft, stage: str | None) -> list:
    """The stages a deal created in `stage` enters, in the draft's pipeline (checked: exit 2 for an unknown
    pipeline or stage); none for the lost stage, which create refuses."""
    from salescrm.domain.pipelines import parse_pipeline, parse_stage, process_of

    proc = process_of(session)
    pipeline = parse_pipeline(proc, draft.pipeline)
    target = parse_stage(pipeline, stage) if stage else pipeline.first
    return [] if target.lost else pipeline.stages_between(pipeline.first.name, target.name)


def create_choices(session) -> dict:
    """What the prompts of `deal create` offer: companies, owners (the process's owner roles), deal classes."""
    from sqlmodel import select

    from salescrm.domain.pipelines import process_of
    from salescrm.store.models import Company, TeamMember

    proc = process_of(session)
    return {
        "companies": [(r.id, r.name) for r in session.exec(select(Company.id, Company.name).order_by(Company.name_key)).all()],
        "owners": [m.name for m in session.exec(select(TeamMember).where(TeamMember.role.in_(proc.owner_roles))).all()],
        "classes": proc.deal_classes,
        "owner_roles": proc.owner_roles,
    }


def deal_classes(session) -> tuple[str, ...]:
    from salescrm.domain.pipelines import process_of

    return process_of(session).deal_classes


def created_tasks(session, deal) -> list[dict]:
    """The tasks a new deal has: those the process's automations created with it."""
    from sqlmodel import select

    from salescrm.domain import tasks
    from salescrm.store.models import Task

    ids = session.exec(select(Task.id).where(Task.deal_id == deal.id).order_by(Task.id)).all()
    return [tasks.shown_task(session, i) for i in ids]


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
    if draft.deal_class is None and choices.get("classes"):  # a process without deal classes asks for none
        needs.add("deal class", "--class", lambda p: p.select("Deal class (the segment of the value proposition)", choices["classes"]))
    if draft.source is None:
        needs.add("source", "--source", lambda p: p.text("Action that originated the deal", validate=required("Source")))
    if draft.owner is None:
        label = f"Deal owner ({' or '.join(choices.get('owner_roles') or ('JD-019', 'JD-002'))})"
        needs.add("owner", "--owner", lambda p: pick(p, label, choices["owners"]) if choices.get("owners") else p.text(label, validate=required("Owner")))
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
