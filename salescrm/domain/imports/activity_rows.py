"""Activity and task rows, through `activity log`'s and `task add`'s rules.

An activity export (HubSpot's: Activity date, Activity type, Body or Notes, and the associated contact,
company and deal; salescrm's: the `activity list --json` keys) imports as activities: the type is one of
salescrm's, a call, email, meeting or message has a direction (`--default direction=outbound` when the
file has none), and the activity links to at least one record, which must exist. A task row has a
title, a due time and links; its owner matches a team member as a deal's does (the acting user when
none is given), and a row marked done is imported done.

Neither record has an external id: a row matches an existing activity of the same type, time, summary
and links (a task: the same title, due time and links), so that a second import changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from salescrm.domain.imports.rows import Importer, Result, text
from salescrm.errors import Refused


def _links(imp: Importer, v: dict):
    """The contact, company and deal a row names (each must exist)."""
    from salescrm.domain import refs
    from salescrm.domain.imports import matching

    contact = company = deal = None
    if text(v, "contact"):
        ref = text(v, "contact")
        contact, _ = matching.contact(imp.session, ref.lower() if "@" in ref else None, None)
        contact = contact or refs.contact(imp.session, ref)
    if text(v, "company"):
        company = imp.company_for(text(v, "company"))
    if text(v, "deal"):
        deal = refs.deal(imp.session, text(v, "deal"))
    if contact is None and company is None and deal is None:
        raise Refused("An activity or a task is about a contact, a company or a deal: the row names none.")
    return contact, company, deal


def _same(model, contact, company, deal) -> list:
    return [model.contact_id.is_(None) if contact is None else model.contact_id == contact.id,
            model.company_id.is_(None) if company is None else model.company_id == company.id,
            model.deal_id.is_(None) if deal is None else model.deal_id == deal.id]


def activity_row(imp: Importer, line: int, v: dict) -> Result:
    from salescrm import process
    from salescrm.domain.activities import Links, log_activity
    from salescrm.domain.values import parse_choice
    from salescrm.store.models import Activity, size
    from salescrm.typed_text import clean_text

    kind_text, summary = text(v, "type"), text(v, "summary")
    if kind_text is None or summary is None:
        raise Refused("An activity needs its type and its summary (Activity type, and Body or Notes).")
    kind = parse_choice(kind_text, process.ACTIVITY_TYPES, "Activity type")
    summary = clean_text(summary, "Summary", lines=True, max_length=size(Activity.summary))  # CRLF as LF, as stored
    at = imp.options.dates.moment(text(v, "at"), "Activity date") if text(v, "at") else None
    from salescrm.domain.activities import resolve_links

    contact, company, deal = _links(imp, v)
    links = Links(contact=str(contact.id) if contact else None, company=str(company.id) if company else None,
                  deal=str(deal.id) if deal else None)
    resolved = resolve_links(imp.session, links, "activity")  # the company follows from the contact or deal
    contact, company, deal = resolved.contact, resolved.company, resolved.deal
    if at is not None:
        found = imp.session.exec(sa.select(Activity.id).where(
            Activity.type == kind, Activity.at == at, Activity.summary == summary,
            *_same(Activity, contact, company, deal)).limit(1)).first()
        if found is not None:
            return Result(line, "unchanged", found[0], imp.matched(found[0], "type, time, summary and links", line), kind)
    direction = text(v, "direction")
    if kind == process.ACTIVITY_NOTE and direction == imp.options.defaults.get("direction"):
        direction = None  # --default direction is for the calls, emails, meetings and messages
    activity = log_activity(imp.session, type=kind, summary=summary, direction=direction, links=links).record
    if at is not None:
        activity.at = at
        imp.session.add(activity)
        imp.session.flush()
    return Result(line, "created", activity.id, None, f"{kind} {activity.at:%Y-%m-%d}")


def task_row(imp: Importer, line: int, v: dict) -> Result:
    from salescrm.domain import tasks
    from salescrm.domain.activities import Linked
    from salescrm.domain.imports.deal_rows import owner_of
    from salescrm.domain.values import parse_yes_no
    from salescrm.store.models import Task

    title, due_text = text(v, "title"), text(v, "due")
    if title is None or due_text is None:
        raise Refused("A task needs its title and its due time.")
    due = imp.options.dates.moment(due_text, "Due")
    contact, company, deal = _links(imp, v)
    owner = tasks.Owner(owner_of(imp.session, text(v, "owner")), None) if text(v, "owner") else None
    done = parse_yes_no(text(v, "done"), "done") if text(v, "done") else False
    found = imp.session.exec(sa.select(Task).where(Task.title == title, Task.due == due,
                                                   *_same(Task, contact, company, deal)).limit(1)).first()
    if found is not None:
        task = found[0]
        reason = imp.matched(task.id, "title, due time and links", line)
        if done and not task.done:
            tasks.complete_task(imp.session, str(task.id))
            return Result(line, "updated", task.id, f"{reason}; changed done", task.title)
        return Result(line, "unchanged", task.id, reason, task.title)
    task = tasks.add_task(imp.session, title, due, owner=owner, linked=Linked(contact, company, deal))
    if done:
        tasks.complete_task(imp.session, str(task.id))
    return Result(line, "created", task.id, None, task.title)
