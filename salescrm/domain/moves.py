"""A deal's moves through the stages: advance (forward only, each gate met), lose, and what follows
when a deal becomes final.

Lost is final ("Deals can't be resurrected, we create a new one", SP-009-001), and so is won
(Payment Done: "A deal is considered won when the payment is done"). When a deal becomes final, the
open tasks linked to the deal itself that were created before the move are closed, marked
`deal won` or `deal lost`, unless the rep keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import gates, lifecycle, naming, refs
from salescrm.domain.records import check_version, touch
from salescrm.domain.values import parse_lost_category, parse_stage
from salescrm.process import bound
from salescrm.errors import InvalidValue, Refused, StaleRecord
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.typed_text import clean_text


@dataclass
class Move:
    """A deal moved into another stage, and the tasks closed because it became final."""

    deal: Deal
    from_stage: str
    closed_tasks: list[Task] = field(default_factory=list)


def record_stage_change(session: Session, deal: Deal, from_stage: str | None, to_stage: str,
                        at: datetime | None = None) -> StageChange:
    """Append a move to the deal's history, with the process revision that allowed it (the database's now)."""
    from salescrm.store.models import StageChange

    # An import's moves carry its batch (domain/imports/batches.py sets it), so that reports can leave them out.
    change = StageChange(deal_id=deal.id, from_stage=from_stage, to_stage=to_stage, changed_by=actor_of(session),
                         changed_at=at or utcnow(), process_revision_id=bound.revision_of(session).id,
                         import_batch_id=session.info.get("import_batch_id"))
    session.add(change)
    return change


def _check_unchanged(deal: Deal, expected_version: int | None, expected_stage: str | None) -> None:
    if expected_stage is not None and deal.stage != expected_stage:
        raise StaleRecord(
            f"Deal {deal.id} was moved to {deal.stage} by someone else while you were answering; nothing was saved. "
            f"Run `salescrm deal show {deal.id}` and try again."
        )
    check_version(deal, expected_version, "deal")


def refuse_unknown_stage(deal: Deal) -> None:
    """A deal whose stage salescrm does not know (written by SQL) is not moved or edited by guesswork."""
    from salescrm.domain.known_values import known_stage

    if known_stage(deal.stage) is None:
        raise Refused(
            f"Deal {deal.id} '{deal.name}' is in stage '{deal.stage}', which salescrm does not know "
            f"(`salescrm db check` lists such values): give it a stage of the process with SQL, then run this again."
        )


def refuse_if_final(deal: Deal) -> None:
    refuse_unknown_stage(deal)
    if deal.stage == process.LOST_STAGE:
        raise Refused(
            f"Deal {deal.id} '{deal.name}' is lost, and deals can't be resurrected (SP-009-001): "
            f"create a new one with `salescrm deal create --from {deal.id}`."
        )
    if deal.stage == process.WON_STAGE:
        raise Refused(f"Deal {deal.id} '{deal.name}' is won (Payment Done), which is final.")


def advance_target(deal: Deal, to: str | None) -> list[process.Stage]:
    """The stages `deal` enters moving to `to` (default: the next stage); refuses final deals and backward moves."""
    refuse_if_final(deal)
    if to is None:
        return process.stages_between(deal.stage, process.PIPELINE_STAGES[process.rank(deal.stage) + 1].name)
    target = parse_stage(to)
    if target == process.LOST_STAGE:
        raise InvalidValue(f"To lose a deal, use `salescrm deal lose {deal.id} --category ... --reason ...`.")
    if process.rank(target) <= process.rank(deal.stage):
        raise Refused(
            f"Deal {deal.id} is in {deal.stage}; moving it to {target} is not forward, and stages record what "
            "already happened, so they never move back."
        )
    return process.stages_between(deal.stage, target)


def refuse_next_step_at_final(stage: process.Stage, option: str = "--next-step") -> None:
    """A final stage takes no next step: nothing follows a won or lost deal."""
    if stage.final:
        raise InvalidValue(
            f"{stage.name} is final, so the deal takes no next step: remove {option} "
            "(add a task with `salescrm task add` if something is left to do)."
        )


def check_advance(
    session: Session, deal: Deal, entering: list[process.Stage], values: dict[str, str], today: date | None = None
) -> dict[str, str]:
    """Refuse the move unless every gate entered is met (with the values recorded earlier); the values
    to store, any gate key included. Writes nothing."""
    return gates.check_values(
        session, deal.id, values, gates.facts_of(deal, today),
        entering=entering, passed=process.stages_between(process.FIRST_STAGE, deal.stage),
    )


def advance_deal(
    session: Session,
    ref: str,
    *,
    to: str | None = None,
    values: dict[str, str] | None = None,
    expected_version: int | None = None,
    expected_stage: str | None = None,
    keep_tasks: bool = False,
    today: date | None = None,
) -> Move:
    """Move a deal forward into the next stage, or skip ahead to `to` when every gate passed through is met."""
    deal = refs.deal(session, ref, for_update=True)
    _check_unchanged(deal, expected_version, expected_stage)
    entering = advance_target(deal, to)
    target = entering[-1]
    to_store = check_advance(session, deal, entering, values or {}, today)
    gates.store_values(session, deal.id, to_store)
    from_stage, moved_at = deal.stage, utcnow()
    deal.stage = target.name
    touch(session, deal)
    record_stage_change(session, deal, from_stage, target.name, moved_at)
    closed: list[Task] = []
    if target.won:
        closed = [] if keep_tasks else close_open_tasks(session, deal, process.CLOSED_AS_WON, moved_at)
        lifecycle.on_deal_closed(session, refs.company(session, str(deal.company_id), for_update=True), None)
    return Move(deal, from_stage, closed)


def lose_deal(
    session: Session,
    ref: str,
    category: str,
    reason: str,
    *,
    expected_version: int | None = None,
    keep_tasks: bool = False,
    at: datetime | None = None,
) -> Move:
    """Lose a deal: it keeps its record, gets the `Lost ` prefix, and can never move again. `at`: when it
    was lost, for an imported deal (its Close Date); now otherwise."""
    from salescrm.store.models import Deal, size

    category = parse_lost_category(category)
    reason = clean_text(reason, "Lost reason (--reason)", lines=True, max_length=size(Deal.lost_reason))
    deal = refs.deal(session, ref, for_update=True)
    check_version(deal, expected_version, "deal")
    if deal.stage == process.LOST_STAGE:
        raise Refused(f"Deal {deal.id} '{deal.name}' is already lost.")
    refuse_if_final(deal)
    from_stage, moved_at = deal.stage, at or utcnow()
    deal.stage = process.LOST_STAGE
    deal.lost_from_stage = from_stage
    deal.lost_reason_category = category
    deal.lost_reason = reason
    deal.name = naming.lost_name(deal.name)
    deal.name_key = naming.name_key(deal.name)
    touch(session, deal)
    record_stage_change(session, deal, from_stage, process.LOST_STAGE, moved_at)
    closed = [] if keep_tasks else close_open_tasks(session, deal, process.CLOSED_AS_LOST, moved_at)
    lifecycle.on_deal_closed(session, refs.company(session, str(deal.company_id), for_update=True), category)
    return Move(deal, from_stage, closed)


def close_open_tasks(session: Session, deal: Deal, closed_as: str, moved_at: datetime) -> list[Task]:
    """Close the open tasks linked to the deal itself that were created before the move (`moved_at`):
    tasks on its company or contacts stay, and so does any task a later automation creates."""
    from salescrm.store.models import Task

    tasks = session.exec(
        select(Task)
        .where(Task.deal_id == deal.id, Task.done.is_(False), Task.created_at <= moved_at)
        .order_by(Task.id)
        .with_for_update()
    ).all()
    actor = actor_of(session)
    for task in tasks:
        task.done, task.done_at, task.done_by, task.closed_as = True, moved_at, actor, closed_as
        task.version += 1
        session.add(task)
    session.flush()
    return list(tasks)


def next_stage(deal: Deal) -> process.Stage | None:
    """The stage a deal would enter next, or None for a final deal or one in a stage salescrm does not know."""
    from salescrm.domain.known_values import known_stage

    stage = known_stage(deal.stage)
    if stage is None or stage.final:
        return None
    return process.PIPELINE_STAGES[process.rank(deal.stage) + 1]
