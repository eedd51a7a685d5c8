"""The process a database is bound to: the latest row of its `process_revision` ledger (migration 0007).

`of(session)` is the database's Process, parsed from the stored file once per process run (cached by the
file's digest) and kept with the session; `revision_of(session)` is the row it came from (its id is what a
stage change records). A database without a row (none can exist after 0007) follows the shipped default.
SQLAlchemy and the store are imported inside the functions: this package is read by `--help`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from salescrm.errors import SalesCrmError

if TYPE_CHECKING:
    from salescrm.process.model import Process

_parsed: dict[str, "Process"] = {}  # sha256 of a stored file -> its Process, for this run
_REVISION_KEY, _PROCESS_KEY = "salescrm.process_revision", "salescrm.process"


@dataclass(frozen=True)
class Revision:
    """A revision applied to the database (a `process_revision` row, without its text)."""

    id: int | None  # None: the database has no row, and follows the shipped default
    name: str
    revision: str
    sha256: str
    reason: str
    applied_by: str
    applied_at: datetime | None

    def as_object(self) -> dict:
        from salescrm.store.columns import iso

        revision = int(self.revision) if self.revision.isdigit() else self.revision  # as the file and `process show` give it
        return {"id": self.id, "name": self.name, "revision": revision, "sha256": self.sha256,
                "reason": self.reason, "applied_by": self.applied_by, "applied_at": iso(self.applied_at)}


class UnreadableProcess(SalesCrmError):
    """The stored process file does not load with this salescrm (a newer file format, or a row written by SQL)."""


def of(session) -> "Process":
    """The database's own process: the latest revision applied to it, parsed once per run (by its digest)."""
    proc = session.info.get(_PROCESS_KEY)
    if proc is None:
        proc = session.info[_PROCESS_KEY] = _parse(session, revision_of(session))
    return proc


def revision_of(session) -> Revision:
    """The revision the database follows now (one small query per session; the file is not parsed)."""
    revision = session.info.get(_REVISION_KEY)
    if revision is None:
        revision = session.info[_REVISION_KEY] = _latest(session)
    return revision


def body_of(session, revision_id: int | None = None) -> str:
    """The text of a stored revision (the latest by default), as it was applied."""
    import sqlalchemy as sa

    from salescrm.process import load
    from salescrm.store.tables import ProcessRevision  # the light read table: no model declared

    table = ProcessRevision.__table__
    query = sa.select(table.c.body)
    query = query.where(table.c.id == revision_id) if revision_id is not None else query.order_by(table.c.id.desc())
    body = session.connection().execute(query.limit(1)).scalar()
    return body if body is not None else load.shipped_text(load.DEFAULT)


def now_follows(session, row, proc: "Process") -> Revision:
    """After `row` (a new process_revision, flushed) was written: the session follows it from now on."""
    revision = Revision(row.id, row.name, row.revision, row.sha256, row.reason, row.applied_by, row.applied_at)
    _parsed[row.sha256] = proc
    session.info[_REVISION_KEY], session.info[_PROCESS_KEY] = revision, proc
    return revision


def _latest(session) -> Revision:
    import hashlib

    import sqlalchemy as sa

    from salescrm.process import load
    from salescrm.store.tables import ProcessRevision  # the light read table: no model declared

    t = ProcessRevision.__table__
    row = session.connection().execute(
        sa.select(t.c.id, t.c.name, t.c.revision, t.c.sha256, t.c.reason, t.c.applied_by, t.c.applied_at)
        .order_by(t.c.id.desc()).limit(1)).first()
    if row is None:  # no database can lack one after migration 0007: the shipped default
        digest = hashlib.sha256(load.shipped_text(load.DEFAULT).encode("utf-8")).hexdigest()
        proc = load.shipped(load.DEFAULT)
        return Revision(None, proc.name, str(proc.revision), digest, "the shipped default", "", None)
    return Revision(*row)


def _parse(session, revision: Revision) -> "Process":
    import hashlib

    from salescrm.process import load

    if revision.id is None:
        return load.shipped(load.DEFAULT)
    proc = _parsed.get(revision.sha256) or _shipped_with_digest(revision)
    if proc is not None:
        return proc
    body = body_of(session, revision.id)
    try:
        proc = load.loads(body, f"the database's process (revision {revision.id})")
    except SalesCrmError as e:
        raise UnreadableProcess(
            f"{e} This salescrm cannot follow the process the database was bound to ({revision.name} revision "
            f"{revision.revision}, applied by {revision.applied_by}): use the salescrm release that applied it, "
            "or apply a valid revision with `salescrm process apply FILE`."
        ) from None
    if hashlib.sha256(body.encode("utf-8")).hexdigest() == revision.sha256:
        _parsed[revision.sha256] = proc  # a digest that does not match its text is not cached under it
    return proc


def _shipped_with_digest(revision: Revision) -> "Process | None":
    """The shipped file of that name when the stored text is exactly it: most databases follow one, and the
    shipped file is parsed once per run for help texts and defaults anyway (one parse, not two)."""
    import hashlib

    from salescrm.process import load

    if revision.name not in load.shipped_names():
        return None
    if hashlib.sha256(load.shipped_text(revision.name).encode("utf-8")).hexdigest() != revision.sha256:
        return None
    proc = _parsed[revision.sha256] = load.shipped(revision.name)
    return proc
