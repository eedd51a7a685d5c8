"""Values salescrm did not write: a stage, class, owner, role, status or type that the process does not
know, put there by SQL or another tool. Readers show such a value as stored and never drop its record;
the check `unknown-value` (in `db check` and `audit`: domain/audit/unknown_values.py) names the record,
the field and the value.

Every field with a closed set of values is listed once, in `known_fields()` (and every reference that must
point at a record, in `references()`): the check reads its SQL from there. Both are built when the check
first runs: their column expressions cost start-up time that `deal show` and the lists do not need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa

from salescrm import process

@dataclass(frozen=True)
class KnownField:
    record_type: str  # how the record is named in messages: "deal", "team member"
    column: sa.Column  # the stored field
    known: tuple[str, ...]  # the values salescrm writes there
    what: str  # what a value is: "stage", "deal class"
    record_id: sa.Column  # the record that holds it (a gate value belongs to its deal)
    name: sa.ColumnElement | None = None  # the record's name in messages, if it has one
    blank_is_missing: bool = False  # an empty value is `missing-field`'s, not this check's
    fix: Callable[[int], str] | None = None


def applied_processes(session) -> tuple:
    """Every revision of the process the database has applied, oldest first, parsed (once per run each): what
    its history was written under. A revision this salescrm cannot read is left out."""
    import hashlib

    import sqlalchemy as sa

    from salescrm.errors import SalesCrmError
    from salescrm.process import bound, load
    from salescrm.store.tables import ProcessRevision

    t = ProcessRevision.__table__
    found = []
    for revision_id, digest in session.connection().execute(sa.select(t.c.id, t.c.sha256).order_by(t.c.id)).all():
        proc = bound._parsed.get(digest)
        if proc is None:
            body = bound.body_of(session, revision_id)
            try:
                proc = load.loads(body, f"the database's process (revision {revision_id})")
            except SalesCrmError:
                continue
            if hashlib.sha256(body.encode("utf-8")).hexdigest() == digest:
                bound._parsed[digest] = proc
        found.append(proc)
    return tuple(found)


def known_fields_of(session) -> tuple[KnownField, ...]:
    """The known fields of the database: its process now, and for its history (the stages a stage change or a
    gate value names, the keys of its values) every revision it applied."""
    return known_fields(process.of(session), applied_processes(session))


@cache
def known_fields(proc=None, history: tuple = ()) -> tuple[KnownField, ...]:
    """Every stored field with a closed set of values, by `proc` (the database's process; the default when
    None); the fields that record history also know the stages and keys of the processes of `history`."""
    from salescrm.store.models import Activity, Company, Contact, Deal, GateValue, StageChange, Task, TeamMember

    proc = proc or process.default()
    every = (proc, *history)
    stage_names = tuple(dict.fromkeys(s.name for s in proc.stages))
    past_stages = tuple(dict.fromkeys(s.name for p in every for s in p.stages))
    keys = tuple(dict.fromkeys(k for p in every for k in (*p.gate_keys, *(x.key for x in p.properties_of("deal")))))
    manual = (KnownField("contact", Contact.manual_lifecycle, proc.lifecycle.manual, "lifecycle value set by hand",
                         Contact.id, Contact.first_name + " " + Contact.last_name,
                         fix=lambda i: f"salescrm contact set-lifecycle {i} VALUE --reason ..."),)
    return (
        KnownField("deal", Deal.stage, stage_names, "stage", Deal.id, Deal.name),
        KnownField("deal", Deal.pipeline, tuple(p.label for p in proc.pipelines), "pipeline", Deal.id, Deal.name),
        KnownField("deal", Deal.deal_class, proc.deal_classes, "deal class", Deal.id, Deal.name, blank_is_missing=True,
                   fix=lambda i: f"salescrm deal edit {i} --class CLASS --reason ..."),
        KnownField("deal", Deal.lost_reason_category, proc.lost_categories, "lost reason category", Deal.id, Deal.name,
                   fix=lambda i: f"salescrm deal edit {i} --lost-category CATEGORY --reason ..."),
        KnownField("deal", Deal.lost_from_stage, tuple(dict.fromkeys(s.name for x in every for p in x.pipelines
                                                                     for s in p.path)), "stage", Deal.id, Deal.name),
        KnownField("deal", GateValue.key, keys, "gate key", GateValue.deal_id),
        KnownField("deal", GateValue.stage, past_stages, "stage", GateValue.deal_id),
        KnownField("stage change", StageChange.to_stage, past_stages, "stage", StageChange.id),
        KnownField("stage change", StageChange.from_stage, past_stages, "stage", StageChange.id),
        KnownField("company", Company.lead_status, proc.lead_statuses.values, "lead status", Company.id, Company.name,
                   fix=lambda i: f"salescrm company set-status {i} STATUS --reason ..."),
        *manual,
        KnownField("contact", Contact.channel, process.LEAD_CHANNELS, "lead channel", Contact.id,
                   Contact.first_name + " " + Contact.last_name),
        KnownField("team member", TeamMember.role, tuple(proc.role_titles), "role", TeamMember.id, TeamMember.name),
        KnownField("activity", Activity.type, process.ACTIVITY_TYPES, "activity type", Activity.id),
        KnownField("activity", Activity.direction, process.DIRECTIONS, "direction", Activity.id),
        KnownField("task", Task.kind, (process.TASK, process.FOLLOW_UP), "task kind", Task.id, Task.title),
        KnownField("task", Task.closed_as, (process.CLOSED_AS_WON, process.CLOSED_AS_LOST), "closing", Task.id, Task.title),
    )


@dataclass(frozen=True)
class Reference:
    """A reference that must point at a record (SQLite's sqlite3 shell leaves foreign keys off)."""

    column: sa.Column
    target: type
    what: str  # "owner"
    fix: Callable[[int], str] | None = None


@cache
def references() -> tuple[Reference, ...]:
    """Every reference that must point at a record."""
    from salescrm.store.models import Company, Deal, TeamMember

    return (
        Reference(Deal.owner_id, TeamMember, "owner", lambda i: f"salescrm deal edit {i} --owner NAME --reason ..."),
        Reference(Deal.company_id, Company, "company"),
    )


def final_stages(proc=None) -> tuple[str, ...]:
    """The names of every pipeline's won and lost stages, of `proc` (the default process when None)."""
    proc = proc or process.default()
    return tuple(dict.fromkeys(s.name for s in proc.stages if s.final))


def won_stages(proc=None) -> tuple[str, ...]:
    proc = proc or process.default()
    return tuple(dict.fromkeys(s.name for s in proc.stages if s.won))


def lost_stages(proc=None) -> tuple[str, ...]:
    proc = proc or process.default()
    return tuple(dict.fromkeys(s.name for s in proc.stages if s.lost))


def not_final(column, proc=None):
    """A deal (or a history row) that is not won or lost: in a stage of a pipeline of `proc` (the database's:
    the default process when None), or in one salescrm does not know, which is shown as stored rather than
    dropped."""
    return column.not_in(final_stages(proc))


def known_stage(name: str | None, pipeline: str | None = None, proc=None) -> process.Stage | None:
    """The stage of this stored name (exactly as salescrm stores it) in the pipeline labelled `pipeline` (as a
    deal stores it), else in any pipeline of `proc` (the default process when None); None for a value it
    does not know."""
    if not name:
        return None
    proc = proc or process.default()
    stages = _stages_of(proc)
    return stages.get((pipeline, name)) or stages.get((None, name))


_stage_maps: dict[int, tuple] = {}  # id(proc) -> (proc, its stages)


def _stages_of(proc) -> dict:
    """{(pipeline label, stage name): Stage}, and {(None, stage name): the first pipeline's with that name}."""
    kept = _stage_maps.get(id(proc))
    if kept is not None and kept[0] is proc:
        return kept[1]
    found = {}
    for p in proc.pipelines:
        for s in p.stages:
            found[(p.label, s.name)] = s
            found.setdefault((None, s.name), s)
    _stage_maps[id(proc)] = (proc, found)
    return found


def role_title(code: str) -> str:
    """A role's title; a role salescrm does not know is said to be one."""
    return process.ROLE_TITLES.get(code, "a role salescrm does not know")
