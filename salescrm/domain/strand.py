"""The deals a revision of the process would strand (`salescrm process diff`): deals in a stage (or a
pipeline) the new revision removes, and open deals whose recorded values meet the gates they passed under
the old revision but not under the new one. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from salescrm.process import rules
from salescrm.process.model import Pipeline, Process, Stage
from salescrm.store.models import Deal


@dataclass(frozen=True)
class Stranded:
    deal_id: int
    name: str
    stage: str
    why: str

    def as_object(self) -> dict:
        return {"deal": self.deal_id, "name": self.name, "stage": self.stage, "why": self.why}


def _pipeline(proc: Process, label: str) -> Pipeline | None:
    return next((p for p in proc.pipelines if p.label == label), None)


def _stage(pipeline: Pipeline, name: str) -> Stage | None:
    return next((s for s in pipeline.stages if s.name == name), None)


def stranded(session: Session, old: Process, new: Process, moves: dict[int, str] | None = None) -> list[Stranded]:
    """The deals `new` would strand; `moves` (deal id -> a stage of `new`) are deals that move with it
    (`process apply --map-stage`): each is judged in the stage it moves to."""
    from salescrm.domain import gates

    moves = moves or {}
    found: list[Stranded] = []
    deals = session.exec(select(Deal).order_by(Deal.id)).all()
    for deal in deals:
        before = _pipeline(old, deal.pipeline)
        after = next((p for p in new.pipelines if before and p.key == before.key), None) or _pipeline(new, deal.pipeline)
        if before is None:
            continue  # a pipeline the old revision does not know: not this revision's doing
        if after is None:
            found.append(Stranded(deal.id, deal.name, deal.stage, f"its pipeline {before.label} is removed"))
            continue
        if _stage(before, deal.stage) is None:
            continue  # a stage salescrm does not know (written by SQL): `salescrm db check` reports it
        moved_to = moves.get(deal.id)
        stage = _stage(after, moved_to or deal.stage)
        if stage is None:
            found.append(Stranded(deal.id, deal.name, deal.stage, f"its stage {deal.stage} is removed"))
            continue
        if stage.final:
            continue
        recorded = gates.recorded_values(session, deal.id)
        had = _problems(session, before, deal, recorded)
        lacking = [p for p in _problems(session, after, deal, recorded, stage.name) if p not in had]
        if lacking and moved_to:
            lacking[0] = f"moved to {moved_to}, " + lacking[0]
        if lacking:
            found.append(Stranded(deal.id, deal.name, deal.stage, "; ".join(lacking)))
    return found


def _problems(session: Session, pipeline: Pipeline, deal: Deal, recorded: dict[str, str],
              in_stage: str | None = None) -> list[str]:
    """What the gates `deal` passed (the first stage to its own, or to `in_stage`) need and its recorded
    values do not meet."""
    from salescrm.domain import gates
    from salescrm.errors import SalesCrmError

    in_stage = in_stage or deal.stage
    if _stage(pipeline, in_stage) is None:
        return []
    facts = gates.facts_of(deal)
    found = []
    # Judged as a move into the stage would be: the company's and contacts' properties, the deal's tasks
    # and activities count (a revision adding `has-next-step` strands only the deals that have none).
    for stage in pipeline.stages_between(pipeline.first.name, in_stage):
        if stage.gate is None:
            continue
        parsed = {}
        for f in stage.gate.fields:
            if f.key in recorded:
                try:
                    parsed[f.key] = gates.parse_value(session, f, recorded[f.key], facts)
                except SalesCrmError:  # a value the new type refuses, a contact gone: not met
                    pass
        ctx = gates.rule_context(session, stage.name, stage.rules, facts)
        found += rules.problems(stage.rules, stage.gate.rule, parsed, ctx)
    return found
