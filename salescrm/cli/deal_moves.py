"""The work behind `deal advance` (and the gate prompts of `deal create --stage`): read, ask with no
transaction open, check, ask the next step, then write in one short transaction that checks again.

Imported by those commands when they run (it reads the database through the domain).
"""

from __future__ import annotations

from salescrm.cli import output
from salescrm.cli.runtime import Needs, Runtime
from salescrm.cli.tasks import validate_due


def advance(rt: Runtime, deal: str, to, values, next_step, next_step_due, keep_tasks: bool, json: bool, reason, typed):
    """Read, ask (no transaction open), check, ask the next step, then write in one transaction."""
    from salescrm.cli.gate_prompts import ask_gate_values, gate_context
    from salescrm.domain import gates, moves, refs, tasks, views
    from salescrm.domain.activities import Links
    from salescrm.domain.pipelines import process_of

    with rt.reading() as session:
        found = refs.deal(session, deal)
        gates.check_keys(process_of(session), values)
        entering = moves.advance_target(session, found, to)
        if next_step is not None or next_step_due is not None:
            moves.refuse_next_step_at_final(entering[-1], "--next-step" if next_step is not None else "--next-step-due")
        seen_version, seen_stage = found.version, found.stage
        context = gate_context(session, gates.facts_of(found), company_id=found.company_id, deal_class=found.deal_class,
                               stages=entering, given=values, deal_id=found.id) if rt.can_prompt() else None
    values = ask_gate_values(rt, entering, values, context, typed) if context else values
    answers = context.record_answers if context else {}  # the company's and contact's properties answered
    if next_step is None and rt.can_prompt() and not entering[-1].final:
        if not answers:  # a refused move is said before asking for its next step (answers are not stored yet)
            with rt.reading() as session:
                moves.check_advance(session, refs.deal(session, str(found.id)), entering, values)
        next_step, next_step_due = ask_next_step(rt, next_step, next_step_due)
    else:
        next_step, next_step_due = ask_next_step(rt, next_step, next_step_due, ask=False)
    with rt.writing(reason) as session:
        from salescrm.domain import properties

        for (record, record_id), stored in answers.items():
            properties.store(session, record, record_id, stored)
        moved = moves.advance_deal(
            session, str(found.id), to=entering[-1].name, values=values, expected_version=seen_version,
            expected_stage=seen_stage, keep_tasks=keep_tasks,
        )
        task = None
        if next_step:
            owner = tasks.Owner(refs.team_member(session, str(moved.deal.owner_id)), None)
            task = tasks.add_task(session, next_step, next_step_due, owner=owner, links=Links(deal=str(moved.deal.id)))
        closed = [tasks.shown_task(session, t.id) for t in moved.closed_tasks]
        created = [tasks.shown_task(session, t.id) for t in moved.created_tasks]
        obj = {**views.deal_object(session, moved.deal), "closed_tasks": closed, "created_tasks": created} if json else None
        following = moves.next_stage(session, moved.deal)
    return moved, task, closed, obj, created, following


def say_closed_tasks(closed: list[dict]) -> None:
    """The tasks a won or lost deal closed, one line each."""
    for t in closed:
        output.say(f"Closed task {t['id']} ({t['closed_as']}): {t['title']}")


def say_created_tasks(created: list[dict]) -> None:
    """The tasks the process's automations created on entering the stage, one line each."""
    for t in created:
        owner = t.get("owner") or t.get("owner_login") or "no one"
        output.say(f"Created task {t['id']} for {owner}, due {output.when(t['due'])}: {t['title']}")


def ask_next_step(rt: Runtime, text: str | None, due: str | None, ask: bool = True) -> tuple[str | None, str | None]:
    """The next step's title and due: from the options, else asked on a terminal (empty: none)."""
    if due is not None and text is None:
        from salescrm.errors import InvalidValue

        raise InvalidValue("--next-step-due needs --next-step TEXT: the task to add.")
    if text is None:
        if not ask or not rt.can_prompt():
            return None, None
        text = rt.ask().text("Next step for this deal", instruction="(a task for its owner; empty for none)").strip() or None
        if text is None:
            return None, None
    if due is None:
        needs = Needs()
        needs.add("next step's due date", "--next-step-due",
                  lambda p: p.text("Due", validate=validate_due, instruction="(2027-01-15, 2027-01-15 10:00, 2h, 3d)"))
        due = needs.resolve(rt)["--next-step-due"]
    return text, due


def ask_create_gates(rt: Runtime, draft, entering, values: dict[str, str], typed: dict[str, str]) -> dict[str, str]:
    from salescrm.cli.gate_prompts import ask_gate_values, gate_context
    from salescrm.domain import gates, refs
    from salescrm.domain.values import parse_amount

    with rt.reading() as session:
        company_id = refs.company(session, draft.company).id
        facts = gates.new_deal_facts(company_id, parse_amount(draft.amount))
        context = gate_context(session, facts, company_id=company_id, deal_class=draft.deal_class, stages=entering,
                               given=values)
    return ask_gate_values(rt, entering, values, context, typed)
