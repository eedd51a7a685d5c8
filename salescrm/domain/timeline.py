"""A record's timeline: its activities, tasks (at their due time) and stage changes, newest first
(`company show`, `contact show`, `deal show`)."""

from __future__ import annotations

from sqlmodel import Session, select

from salescrm.domain.activities import _select as activities_select
from salescrm.domain.activities import activity_object
from salescrm.domain.tasks import _select as tasks_select
from salescrm.domain.tasks import task_object
from salescrm.domain.views import record_ref
from salescrm.store.columns import as_utc, iso
from salescrm.store.tables import Activity, Deal, DealContact, StageChange, Task

TIMELINE_LIMIT = 15


def timeline(session: Session, *, company_id: int | None = None, contact_id: int | None = None,
             deal_id: int | None = None, limit: int | None = TIMELINE_LIMIT) -> list[dict]:
    """Activities, tasks (at their due time) and stage changes of a record, newest first.

    A company's timeline includes its deals' stage changes, a contact's those of the deals it is on.
    Each source is read newest first and cut at `limit` before merging, so only `limit` rows per
    source are loaded however long the history is.
    """
    def cut(stmt):
        return stmt.limit(limit) if limit is not None else stmt

    def rows(stmt):
        return session.connection().execute(cut(stmt)).all()

    link = {"company_id": company_id, "contact_id": contact_id, "deal_id": deal_id}
    [(column, value)] = [(c, v) for c, v in link.items() if v is not None]
    items = []
    for row in rows(activities_select().where(getattr(Activity, column) == value)
                    .order_by(Activity.at.desc(), Activity.id.desc())):
        items.append((as_utc(row.at), {"kind": "activity", **activity_object(row)}))
    for row in rows(tasks_select().where(getattr(Task, column) == value).order_by(Task.due.desc(), Task.id.desc())):
        items.append((as_utc(row.due), {"kind": "task", **task_object(row)}))
    changes = select(StageChange.id, StageChange.deal_id, Deal.name, StageChange.from_stage, StageChange.to_stage,
                     StageChange.changed_at, StageChange.changed_by).join(Deal, Deal.id == StageChange.deal_id)
    if company_id is not None:
        changes = changes.where(Deal.company_id == company_id)
    elif contact_id is not None:
        changes = changes.join(DealContact, DealContact.deal_id == Deal.id).where(DealContact.contact_id == contact_id)
    else:
        changes = changes.where(StageChange.deal_id == deal_id)
    for row in rows(changes.order_by(StageChange.changed_at.desc(), StageChange.id.desc())):
        items.append((as_utc(row.changed_at), {
            "kind": "stage change", "id": row.id, "at": iso(row.changed_at), "deal": record_ref(row.deal_id, row.name),
            "from": row.from_stage, "to": row.to_stage, "by": row.changed_by,
        }))
    items.sort(key=lambda item: item[0], reverse=True)
    return [obj for _, obj in (items if limit is None else items[:limit])]
