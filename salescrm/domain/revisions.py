"""Applying a revision of the process to the database (`salescrm process apply`), as a controlled document.

Issue 12: "Only a JD-001 or JD-002 may apply one (SP-009-001's approver is JD-001), judged by the team member
whose login the acting user is." A revision that strands deals (domain/strand.py) is refused unless
`--map-stage PIPELINE/OLD=NEW` moves them; the moves are stage changes, journaled, recorded with the new
revision. Each apply is a new row of the `process_revision` ledger, journaled, even when the file is
unchanged: a controlled document can be re-issued.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session, select

from salescrm.domain import strand
from salescrm.domain.records import touch
from salescrm.errors import InvalidValue, Refused
from salescrm.process import bound
from salescrm.process.model import Pipeline, Process, Stage
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.store.models import Deal, TeamMember, size

# Who may apply a revision: GP-009's General Manager (SP-009-001's approver) and Sales Manager (issue 12).
APPLIER_ROLES = ("JD-001", "JD-002")


@dataclass(frozen=True)
class StageMap:
    """`--map-stage PIPELINE/OLD=NEW`: the deals of PIPELINE in stage OLD move to NEW with the revision."""

    pipeline: str
    old: str
    new: str
    text: str  # as typed, for messages

    @classmethod
    def parse(cls, text: str) -> "StageMap":
        pipeline, slash, rest = text.partition("/")
        old, equals, new = rest.partition("=")
        if not (slash and equals and pipeline.strip() and old.strip() and new.strip()):
            raise InvalidValue(f"--map-stage '{text}' is not PIPELINE/OLD=NEW: give the pipeline, the stage its deals "
                               "are in and the stage of the new revision they move to, e.g. "
                               "--map-stage 'sales/Offer Approved=Offer Sent'.")
        return cls(pipeline.strip(), old.strip(), new.strip(), text)


@dataclass
class Moved:
    deal_id: int
    name: str
    from_stage: str
    to_stage: str

    def as_object(self) -> dict:
        return {"deal": self.deal_id, "name": self.name, "from": self.from_stage, "to": self.to_stage}


@dataclass
class Applied:
    revision: bound.Revision
    process: Process
    moved: list[Moved] = field(default_factory=list)

    def as_object(self) -> dict:
        return {**self.revision.as_object(), "moved": [m.as_object() for m in self.moved]}


class Stranding(Refused):
    """The revision would strand deals (exit 1); `stranded` lists them."""

    def __init__(self, message: str, stranded: list[strand.Stranded]):
        super().__init__(message)
        self.stranded = stranded


def check_applier(session: Session, current: Process) -> TeamMember:
    """The acting user's team member, refused unless they hold a role that may apply a revision."""
    titles = current.role_titles
    roles = " or ".join(f"{code} ({titles.get(code, code)})" for code in APPLIER_ROLES)
    user = actor_of(session)
    member = session.exec(select(TeamMember).where(TeamMember.login == user)).first()
    if member is None:
        raise Refused(f"Only {roles} may apply a process revision, and the acting user {user} is no team member's "
                      f"login: `salescrm team set-login NAME {user}` for the member you are.")
    if member.role not in APPLIER_ROLES:
        raise Refused(f"Only {roles} may apply a process revision; {member.name} ({user}) is {member.role} "
                      f"({titles.get(member.role, 'a role salescrm does not know')}).")
    return member


def apply_revision(session: Session, text: str, new: Process, reason: str, maps: list[StageMap]) -> Applied:
    """Store `text` (the file `new` was read from) as the database's process, moving the mapped deals."""
    from salescrm.store.models import ProcessRevision

    if len(new.name) > size(ProcessRevision.name):
        raise InvalidValue(f"The process name '{new.name}' is longer than {size(ProcessRevision.name)} characters, "
                           "which the database keeps; shorten `name` in the file.")
    current = bound.of(session)
    check_applier(session, current)
    moves, deals = _planned_moves(session, current, new, maps)
    stranded = strand.stranded(session, current, new, {deal_id: stage.name for deal_id, stage in moves.items()})
    if stranded:
        count = f"{len(stranded)} deal{'s' if len(stranded) > 1 else ''}"
        raise Stranding(f"Not applied: {count} would be stranded by {new.name} revision {new.revision}; move them on, "
                        "give them the values, keep their stages in the revision, or move them with "
                        "--map-stage PIPELINE/OLD=NEW. Nothing was changed.", stranded)
    row = ProcessRevision(name=new.name, revision=str(new.revision),
                          body=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), reason=reason,
                          applied_by=actor_of(session), applied_at=utcnow())
    session.add(row)
    session.flush()
    applied = Applied(bound.now_follows(session, row, new), new)
    from salescrm.domain.moves import record_stage_change

    for deal_id, stage in moves.items():
        deal = deals[deal_id]
        applied.moved.append(Moved(deal.id, deal.name, deal.stage, stage.name))
        from_stage = deal.stage
        deal.stage = stage.name
        touch(session, deal)
        record_stage_change(session, deal, from_stage, stage.name)
    _relabel(session, current, new)
    session.flush()
    return applied


def _planned_moves(session: Session, current: Process, new: Process,
                   maps: list[StageMap]) -> tuple[dict[int, Stage], dict[int, Deal]]:
    moves: dict[int, Stage] = {}
    deals: dict[int, Deal] = {}
    for m in maps:
        before, old_stage, after, new_stage = _resolve(current, new, m)
        found = session.exec(select(Deal).where(Deal.pipeline == before.label, Deal.stage == old_stage.name)
                             .order_by(Deal.id).with_for_update()).all()
        for deal in found:
            moves[deal.id] = new_stage
            deals[deal.id] = deal
    return moves, deals


def _resolve(current: Process, new: Process, m: StageMap) -> tuple[Pipeline, Stage, Pipeline, Stage]:
    try:
        before = current.pipeline(m.pipeline)
    except KeyError:
        raise InvalidValue(f"--map-stage '{m.text}': the database's process has no pipeline '{m.pipeline}'; "
                           f"its pipelines: {', '.join(p.key for p in current.pipelines)}.") from None
    after = _same_pipeline(new, before)
    if after is None:
        raise InvalidValue(f"--map-stage '{m.text}': the revision removes the pipeline {before.label}, so its deals "
                           "have no stage to move to.")
    old_stage, new_stage = _stage_of(before, m.old), _stage_of(after, m.new)
    if old_stage is None:
        raise InvalidValue(f"--map-stage '{m.text}': {before.label} has no stage '{m.old}' in the database's process; "
                           f"its stages: {', '.join(s.name for s in before.stages)}.")
    if new_stage is None:
        raise InvalidValue(f"--map-stage '{m.text}': {after.label} has no stage '{m.new}' in the revision; "
                           f"its stages: {', '.join(s.name for s in after.stages)}.")
    if (old_stage.won, old_stage.lost) != (new_stage.won, new_stage.lost):
        kind = lambda s: "won" if s.won else "lost" if s.lost else "open"  # noqa: E731
        raise InvalidValue(f"--map-stage '{m.text}': {old_stage.name} is {kind(old_stage)} and {new_stage.name} "
                           f"{kind(new_stage)}; a mapped deal keeps its outcome (win or lose it with "
                           "`salescrm deal advance|lose`).")
    return before, old_stage, after, new_stage


def _same_pipeline(proc: Process, pipeline: Pipeline) -> Pipeline | None:
    """The pipeline of `proc` that is `pipeline` of another revision: the same key, else the same label."""
    return (next((p for p in proc.pipelines if p.key == pipeline.key), None)
            or next((p for p in proc.pipelines if p.label == pipeline.label), None))


def _stage_of(pipeline: Pipeline, name: str) -> Stage | None:
    try:
        return pipeline.stage(name)
    except KeyError:
        return None


def _relabel(session: Session, current: Process, new: Process) -> None:
    """Deals keep their pipeline's label: a revision that renames a pipeline (same key) renames it on them."""
    for before in current.pipelines:
        after = next((p for p in new.pipelines if p.key == before.key), None)
        if after is None or after.label == before.label:
            continue
        for deal in session.exec(select(Deal).where(Deal.pipeline == before.label).with_for_update()).all():
            deal.pipeline = after.label
            touch(session, deal)
