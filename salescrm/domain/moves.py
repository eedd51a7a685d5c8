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

from salescrm.domain import gates, lifecycle, naming, refs
from salescrm.domain.pipelines import parse_lost_category, parse_stage, pipeline_of, process_of, stage_of
from salescrm.domain.records import check_version, touch
from salescrm.errors import InvalidValue, Refused, StaleRecord
from salescrm.process import bound
from salescrm.process.common import CLOSED_AS_LOST, CLOSED_AS_WON
from salescrm.process.model import Pipeline, Stage
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.typed_text import clean_text


@dataclass
class Move:
    """A deal moved into another stage, and the tasks closed because it became final."""

    deal: Deal
    from_stage: str
    closed_tasks: list[Task] = field(default_factory=list)
    created_tasks: list[Task] = field(default_factory=list)  # by the process's automations on entering the stage
    notes: list[str] = field(default_factory=list)  # what the output says besides the move (a fallback, a reminder)


def record_stage_change(session: Session, deal: Deal, from_stage: str | None, to_stage: str,
                        at: datetime | None = None, *, backout: bool = False) -> StageChange:
    """Append a move to the deal's history, with the process revision that allowed it (the database's now)."""
    from salescrm.store.models import StageChange

    # An import's moves carry its batch (domain/imports/batches.py sets it), so that reports can leave them out.
    change = StageChange(deal_id=deal.id, from_stage=from_stage, to_stage=to_stage, changed_by=actor_of(session),
                         changed_at=at or utcnow(), process_revision_id=bound.revision_of(session).id,
                         import_batch_id=session.info.get("import_batch_id"), backout=backout)
    session.add(change)
    return change


def _check_unchanged(deal: Deal, expected_version: int | None, expected_stage: str | None) -> None:
    if expected_stage is not None and deal.stage != expected_stage:
        raise StaleRecord(
            f"Deal {deal.id} was moved to {deal.stage} by someone else while you were answering; nothing was saved. "
            f"Run `salescrm deal show {deal.id}` and try again."
        )
    check_version(deal, expected_version, "deal")


def refuse_unknown_stage(session: Session, deal: Deal) -> tuple[Pipeline, Stage]:
    """A deal whose pipeline or stage the process does not know (written by SQL) is not moved or edited by
    guesswork; else its pipeline and stage."""
    stage = stage_of(session, deal)
    if stage is None:
        if pipeline_of(session, deal) is None:
            raise Refused(
                f"Deal {deal.id} '{deal.name}' is in pipeline '{deal.pipeline}', which the process "
                f"{process_of(session).name} does not declare (`salescrm db check` lists such values): give it a "
                "pipeline of the process with SQL, then run this again."
            )
        raise Refused(
            f"Deal {deal.id} '{deal.name}' is in stage '{deal.stage}', which salescrm does not know "
            f"(`salescrm db check` lists such values): give it a stage of the process with SQL, then run this again."
        )
    return pipeline_of(session, deal), stage


def refuse_if_final(session: Session, deal: Deal) -> tuple[Pipeline, Stage]:
    pipeline, stage = refuse_unknown_stage(session, deal)
    if stage.lost:
        raise Refused(
            f"Deal {deal.id} '{deal.name}' is lost, and deals can't be resurrected: "
            f"create a new one with `salescrm deal create --from {deal.id}`."
        )
    if stage.won:
        raise Refused(f"Deal {deal.id} '{deal.name}' is won ({stage.name}), which is final.")
    return pipeline, stage


def advance_target(session: Session, deal: Deal, to: str | None) -> list[Stage]:
    """The stages `deal` enters moving to `to` (default: the next stage); refuses final deals and backward moves."""
    pipeline, stage = refuse_if_final(session, deal)
    if to is None:
        return pipeline.stages_between(stage.name, pipeline.path[pipeline.rank(stage.name) + 1].name)
    target = parse_stage(pipeline, to)
    if target.lost:
        raise InvalidValue(f"To lose a deal, use `salescrm deal lose {deal.id} --category ... --reason ...`.")
    if pipeline.rank(target.name) <= pipeline.rank(stage.name):
        raise Refused(
            f"Deal {deal.id} is in {deal.stage}; moving it to {target.name} is not forward, and stages record what "
            "already happened, so they never move back."
        )
    return pipeline.stages_between(stage.name, target.name)


def passed_stages(session: Session, deal: Deal) -> list[Stage]:
    """The stages a deal in a stage of its pipeline has entered, its own included (none for a lost deal)."""
    pipeline, stage = pipeline_of(session, deal), stage_of(session, deal)
    if pipeline is None or stage is None or stage.lost:
        return []
    return pipeline.stages_between(pipeline.first.name, stage.name)


def refuse_next_step_at_final(stage: Stage, option: str = "--next-step") -> None:
    """A final stage takes no next step: nothing follows a won or lost deal."""
    if stage.final:
        raise InvalidValue(
            f"{stage.name} is final, so the deal takes no next step: remove {option} "
            "(add a task with `salescrm task add` if something is left to do)."
        )


def check_advance(
    session: Session, deal: Deal, entering: list[Stage], values: dict[str, str], today: date | None = None
) -> dict[str, str]:
    """Refuse the move unless every gate entered is met (with the values recorded earlier); the values
    to store, any gate key included. Writes nothing."""
    return gates.check_values(
        session, deal.id, values, gates.facts_of(deal, today), entering=entering, passed=passed_stages(session, deal),
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
    entering = advance_target(session, deal, to)
    target = entering[-1]
    to_store = check_advance(session, deal, entering, values or {}, today)
    gates.store_values(session, deal.id, to_store)
    from_stage, moved_at = deal.stage, utcnow()
    deal.stage = target.name
    touch(session, deal)
    record_stage_change(session, deal, from_stage, target.name, moved_at)
    closed: list[Task] = []
    if target.won:
        closed = [] if keep_tasks else close_open_tasks(session, deal, CLOSED_AS_WON, moved_at)
        lifecycle.on_deal_closed(session, refs.company(session, str(deal.company_id), for_update=True), None)
    move = Move(deal, from_stage, closed)
    from salescrm.domain.automations import on_entering

    for stage in entering:  # after the final deal's tasks were closed: that never touches what they create
        on_entering(session, move, stage, moved_at)
    return move


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

    deal = refs.deal(session, ref, for_update=True)
    check_version(deal, expected_version, "deal")
    proc = process_of(session)
    category = parse_lost_category(proc, category)
    reason = clean_text(reason, "Lost reason (--reason)", lines=True, max_length=size(Deal.lost_reason))
    pipeline, stage = refuse_unknown_stage(session, deal)
    if stage.lost:
        raise Refused(f"Deal {deal.id} '{deal.name}' is already lost.")
    backout = stage.won and _may_back_out(session, deal, stage)
    if not backout:
        refuse_if_final(session, deal)
    from_stage, moved_at = deal.stage, at or utcnow()
    deal.stage = pipeline.lost.name
    deal.lost_from_stage = from_stage
    deal.lost_reason_category = category
    deal.lost_reason = reason
    deal.name = naming.lost_name(deal.name, proc.deal_names)
    deal.name_key = naming.name_key(deal.name)
    touch(session, deal)
    record_stage_change(session, deal, from_stage, pipeline.lost.name, moved_at, backout=backout)
    closed = [] if keep_tasks else close_open_tasks(session, deal, CLOSED_AS_LOST, moved_at)
    lifecycle.on_deal_closed(session, refs.company(session, str(deal.company_id), for_update=True), category)
    move = Move(deal, from_stage, closed)
    if backout:
        move.notes.append(
            f"Backed out ({proc.backout.name}): review the lifecycle stage of the deal's contacts; "
            "the sales representative who sold the deal is responsible for it.")
    return move


def _may_back_out(session: Session, deal: Deal, stage: Stage) -> bool:
    """Whether losing this won deal is the process's back-out: False when it declares none from `stage`;
    refused (exit 1) when the acting user may not make it."""
    from salescrm.process import rules

    backout = process_of(session).backout
    if backout is None or backout.from_stage != stage.name:
        return False
    facts = gates.facts_of(deal)
    ctx = gates.rule_context(session, backout.name, backout.rules, facts)
    ctx.action = backout.action
    for rule in backout.rules:
        verdict = rules.check(rule, {}, ctx)
        if not verdict.met:
            raise Refused(verdict.problem or f"{backout.name} needs {rules.need(rule, ctx)}.")
    return True


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


def next_stage(session: Session, deal: Deal) -> Stage | None:
    """The stage a deal would enter next, or None for a final deal or one in a stage salescrm does not know."""
    pipeline, stage = pipeline_of(session, deal), stage_of(session, deal)
    if stage is None or stage.final:
        return None
    return pipeline.path[pipeline.rank(stage.name) + 1]
