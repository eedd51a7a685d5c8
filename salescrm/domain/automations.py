"""Automations: the tasks a process creates when a deal enters a stage (`[[automations]]`, model_actions.py's
Automation). Health Prime: "Onboarding: {company}" for the onboarding team (JD-016) in New Business, and
the contract-and-calculator task for the deal owner in every pipeline.

A task for a role goes to the first team member with that role by name; with none, to the deal's owner,
and the move's output says so (Move.notes). They are created after a final deal's open tasks were
closed (moves.close_open_tasks), which therefore never touches them.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from salescrm.domain.pipelines import pipeline_of, process_of
from salescrm.process.model import Stage
from salescrm.process.load_actions import OWNER


def on_entering(session: Session, move, stage: Stage, at: datetime) -> None:
    """Create the tasks the process declares on entering `stage` in the deal's pipeline; add them to `move`."""
    proc = process_of(session)
    pipeline = pipeline_of(session, move.deal)
    if pipeline is None:
        return
    for automation in proc.automations_on(pipeline, stage):
        task, note = create_task(session, move.deal, automation, at)
        move.created_tasks.append(task)
        if note:
            move.notes.append(note)


def create_task(session: Session, deal, automation, at: datetime):
    """One automation's task for `deal`, due its offset after `at`; and what to say of a fallback, if any."""
    from salescrm.domain import tasks, times
    from salescrm.domain.activities import Linked
    from salescrm.store.models import Company, TeamMember

    company = session.get(Company, deal.company_id)
    title = automation.title.format(company=company.name, deal=deal.name)
    owner = session.get(TeamMember, deal.owner_id)
    note = None
    assignee = owner
    if automation.assignee != OWNER:
        found = session.exec(select(TeamMember).where(TeamMember.role == automation.assignee)
                             .order_by(TeamMember.name_key, TeamMember.id)).first()
        if found is not None:
            assignee = found
        else:
            title_of = process_of(session).role_titles.get(automation.assignee, automation.assignee)
            note = (f"No team member has role {automation.assignee} ({title_of}), so the task '{title}' went to the "
                    f"deal's owner, {owner.name if owner else deal.owner_id}: add one with "
                    f"`salescrm team add NAME --role {automation.assignee}` for the next ones.")
    due = times.parse_due(automation.due, "Due", reference=at)
    task = tasks.add_task(session, title, due, owner=tasks.Owner(assignee, None),
                          linked=Linked(None, company, deal))
    return task, note
