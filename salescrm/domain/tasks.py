"""Tasks: what a team member must do by when. A new lead gets a follow-up call one hour later (the
implementation article: "registration of the lead + 1 hour"); every open deal should have a next step
(the life-science article's "Pipeline Next Steps" report).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from salescrm import process
from salescrm.domain import refs, times
from salescrm.domain.activities import Linked, Links, link_conditions, resolve_links
from salescrm.domain.known_values import not_final
from salescrm.domain.team import acting_member, find_member
from salescrm.domain.views import record_ref
from salescrm.errors import NotFound, Refused
from salescrm.store.actors import actor_of
from salescrm.store.columns import as_utc, iso, utcnow
from salescrm.store import tables
from salescrm.store.tables import Company, Contact, Deal, Task, TeamMember
from salescrm.typed_text import clean_text


TITLE_LENGTH = 300  # the task.title column's size (tests/test_store.py checks it)


@dataclass
class Owner:
    """Who a task is for: a team member, or the login of an acting user who is not one (yet)."""

    member: TeamMember | None
    login: str | None


def owner_of(session: Session, ref: str | None) -> Owner:
    """`--owner` as given (a team member), else the acting user."""
    if ref is not None and str(ref).strip():
        return Owner(refs.team_member(session, ref), None)
    member = acting_member(session)
    return Owner(member, None) if member else Owner(None, actor_of(session))


def add_task(
    session: Session,
    title: str,
    due: str | datetime,
    *,
    owner: Owner | None = None,
    links: Links | None = None,
    linked: Linked | None = None,
    kind: str = process.TASK,
) -> Task:
    owner = owner or owner_of(session, None)
    if linked is None:
        linked = resolve_links(session, links, "task") if links and links.given() else Linked(None, None, None)
    from salescrm.store import models

    task = models.Task(
        title=clean_text(title, "Title", max_length=TITLE_LENGTH),
        kind=kind,
        due=due if isinstance(due, datetime) else times.parse_due(due, "Due (--due)"),
        owner_id=owner.member.id if owner.member else None,
        owner_login=owner.login,
        deal_id=linked.deal.id if linked.deal else None,
        company_id=linked.company.id if linked.company else None,
        contact_id=linked.contact.id if linked.contact else None,
        created_by=actor_of(session),
    )
    session.add(task)
    session.flush()
    return task


def follow_up(session: Session, linked: Linked, delay: timedelta, owner: Owner | None = None) -> Task | None:
    """The call after a new lead, unless its company (or contact) already has an open one: one call per lead."""
    if linked.company is None and linked.contact is None:
        return None
    open_follow_up = sa.select(Task.id).where(Task.kind == process.FOLLOW_UP, Task.done.is_(False))
    if linked.company is not None:
        open_follow_up = open_follow_up.where(Task.company_id == linked.company.id)
    else:
        open_follow_up = open_follow_up.where(Task.contact_id == linked.contact.id)
    if session.connection().execute(open_follow_up.limit(1)).first() is not None:
        return None
    if linked.contact is not None:
        who = f"{linked.contact.first_name} {linked.contact.last_name}"
        title = f"Call {who} ({linked.company.name})" if linked.company else f"Call {who}"
    else:
        title = f"Call {linked.company.name}"
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1] + "…"
    return add_task(session, title, times.now() + delay, owner=owner, linked=linked, kind=process.FOLLOW_UP)


def complete_task(session: Session, ref: str | int) -> Task:
    """Task `ref` (its id as typed) marked done."""
    from salescrm.store import models

    task_id = refs.id_of(ref, "task")
    task = session.get(models.Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"No task with id {task_id}. List them with `salescrm task list`.")
    if task.done:
        raise Refused(f"Task {task.id} was already done ({iso(task.done_at)}, by {task.done_by}).")
    task.done = True
    task.done_at = utcnow()
    task.done_by = actor_of(session)
    task.version += 1
    session.add(task)
    session.flush()
    return task


# --- Reading ------------------------------------------------------------------------------


@dataclass
class TaskFilter:
    owner: str | None = None
    mine: bool = False
    overdue: bool = False
    deal: str | None = None
    company: str | None = None
    contact: str | None = None
    include_done: bool = False
    due_before: datetime | None = None


def owner_condition(session: Session, ref: str | None, mine: bool):
    """Tasks of a team member (by id, name or login) or of the acting user; a login that is nobody's
    team member still finds the tasks assigned to it."""
    if mine:
        member = acting_member(session)
        logins = [actor_of(session)]
    else:
        member = find_member(session, ref)
        logins = [str(ref).strip()]
    if member is not None and member.login:
        logins.append(member.login)
    condition = Task.owner_login.in_(logins)
    if member is not None:
        condition = sa.or_(Task.owner_id == member.id, condition)
    return condition


def _conditions(session: Session, f: TaskFilter, current: datetime) -> list:
    conditions = []
    if not f.include_done:
        conditions.append(Task.done.is_(False))
    if f.mine or f.owner:
        conditions.append(owner_condition(session, f.owner, f.mine))
    if f.overdue:
        conditions.append(Task.due < current)
    if f.due_before is not None:
        conditions.append(Task.due <= f.due_before)
    return conditions + link_conditions(session, Task, Links(contact=f.contact, company=f.company, deal=f.deal))


_OWNER = tables.aliased(TeamMember)


def _select():
    return (
        sa.select(
            Task.id, Task.title, Task.kind, Task.due, Task.done, Task.done_at, Task.closed_as,
            sa.func.coalesce(_OWNER.name, Task.owner_login).label("owner"),
            Deal.id.label("deal_id"), Deal.name.label("deal_name"),
            Company.id.label("company_id"), Company.name.label("company_name"),
            Contact.id.label("contact_id"), Contact.first_name, Contact.last_name, Contact.email,
        )
        .select_from(Task)
        .outerjoin(_OWNER, _OWNER.id == Task.owner_id)
        .outerjoin(Deal, Deal.id == Task.deal_id)
        .outerjoin(Company, Company.id == Task.company_id)
        .outerjoin(Contact, Contact.id == Task.contact_id)
    )


def iter_task_objects(session: Session, f: TaskFilter, limit: int | None = None) -> Iterator[dict]:
    """Matching tasks, soonest due first, as `task list` objects (streamed)."""
    current = times.now()
    stmt = _select().where(*_conditions(session, f, current)).order_by(Task.due, Task.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in session.connection().execute(stmt.execution_options(yield_per=1000)):
        yield task_object(row, current)


def task_object(row, current: datetime | None = None) -> dict:
    current = current or times.now()
    return {
        "id": row.id,
        "title": row.title,
        "due": iso(row.due),
        "owner": row.owner,
        "done": bool(row.done),
        "closed_as": row.closed_as,
        "deal": record_ref(row.deal_id, row.deal_name),
        "company": record_ref(row.company_id, row.company_name),
        "contact": record_ref(row.contact_id, f"{row.first_name} {row.last_name}", email=row.email),
        "overdue": not row.done and as_utc(row.due) < current,
    }


def shown_task(session: Session, task_id: int) -> dict:
    return task_object(session.connection().execute(_select().where(Task.id == task_id)).one())


# --- Next steps ---------------------------------------------------------------------------


def iter_next_steps(session: Session, owner: str | None = None, deal_class: str | None = None) -> Iterator[dict]:
    """Every open deal with its next step: the earliest-due open task linked to the deal itself.

    Tasks on its company or contacts do not count. Deals without one come first (flag "missing"),
    then those whose next step is overdue, then the rest by due time. One indexed lookup per deal.
    """
    current = times.now()
    next_task_id = (
        sa.select(Task.id)
        .where(Task.deal_id == Deal.id, Task.done.is_(False))
        .order_by(Task.due, Task.id)
        .limit(1)
        .correlate(Deal)
        .scalar_subquery()
    )
    deal_owner = tables.aliased(TeamMember)
    proc = process.of(session)
    conditions = [not_final(Deal.stage, proc)]
    if owner:
        conditions.append(Deal.owner_id == refs.team_member(session, owner).id)
    if deal_class:
        from salescrm.domain.pipelines import parse_deal_class

        conditions.append(Deal.deal_class == parse_deal_class(proc, deal_class))
    stmt = (
        sa.select(
            Deal.id, Deal.name, Deal.stage, deal_owner.name.label("deal_owner"),
            Task.id.label("task_id"), Task.title, Task.due, sa.func.coalesce(_OWNER.name, Task.owner_login).label("task_owner"),
        )
        .select_from(Deal)
        .outerjoin(deal_owner, deal_owner.id == Deal.owner_id)
        .outerjoin(Task, Task.id == next_task_id)
        .outerjoin(_OWNER, _OWNER.id == Task.owner_id)
        .where(*conditions)
        .order_by(Task.id.is_not(None), Task.due, Deal.id)
    )
    for row in session.connection().execute(stmt.execution_options(yield_per=1000)):
        if row.task_id is None:
            next_task, flag = None, "missing"
        else:
            next_task = {"id": row.task_id, "title": row.title, "due": iso(row.due), "owner": row.task_owner}
            flag = "overdue" if as_utc(row.due) < current else None
        yield {"deal": row.id, "name": row.name, "stage": row.stage, "owner": row.deal_owner,
               "next_task": next_task, "flag": flag}
