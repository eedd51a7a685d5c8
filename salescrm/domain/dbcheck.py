"""`db check`: each check is one function in CHECKS, run in order.

A check takes the CheckContext and returns its problems (an empty list when it found none), or None
when it does not apply (another backend, or a schema this salescrm cannot read). Nothing prints here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from salescrm.domain.journal import snapshot

# At most this many records changed outside salescrm are listed; the rest are counted.
MAX_LISTED = 50


@dataclass
class CheckContext:
    engine: sa.Engine
    revision: str | None
    session_factory: Callable  # a context manager giving a read session (the journal checks)
    head_revision: str

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def current(self) -> bool:
        return self.revision == self.head_revision


@dataclass
class Report:
    ran: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def schema_revision(ctx: CheckContext) -> list[str] | None:
    if ctx.current:
        return []
    return [f"schema revision is {ctx.revision}, salescrm needs {ctx.head_revision}"]


def integrity(ctx: CheckContext) -> list[str] | None:
    if ctx.backend != "sqlite":
        return None
    with ctx.engine.connect() as conn:
        lines = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
    return [] if lines == ["ok"] else [f"integrity: {line}" for line in lines]


def foreign_keys(ctx: CheckContext) -> list[str] | None:
    if ctx.backend != "sqlite":
        return None
    with ctx.engine.connect() as conn:
        return [f"foreign key: {table} row {rowid} points at a missing {parent}"
                for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check")]


def journal_chain(ctx: CheckContext) -> list[str] | None:
    if not ctx.current:
        return None
    from salescrm.domain import journal

    with ctx.session_factory() as session:
        snapshot(session)
        result = journal.verify(session)
    return [] if result.intact else [f"journal: {result.problem}"]


# The triggers that keep the journal append-only (migrations 0002 and 0005), by backend: (table, trigger).
JOURNAL_TRIGGERS = {
    "sqlite": (("journal", "journal_no_update"), ("journal", "journal_no_delete"),
               ("journal_field", "journal_field_no_delete"), ("journal_field", "journal_field_erase_only")),
    "postgresql": (("journal", "journal_append_only"), ("journal_field", "journal_field_erase_only"),
                   ("journal", "journal_no_truncate"), ("journal_field", "journal_field_no_truncate"),
                   ("journal_head", "journal_head_no_truncate")),
}


def journal_protection(ctx: CheckContext) -> list[str] | None:
    """The journal's protective triggers exist and are enabled. (A superuser's
    `session_replication_role = replica` silences them without a trace here: only the
    reconciliation catches what is changed that way.)"""
    expected = JOURNAL_TRIGGERS.get(ctx.backend)
    if expected is None or not ctx.current:
        return None
    with ctx.engine.connect() as conn:
        if ctx.backend == "sqlite":
            found = {(table, name): ("O" if "RAISE(ABORT" in (sql or "").upper() else "no RAISE")
                     for name, table, sql in conn.exec_driver_sql(
                         "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")}
        else:
            found = {(table, name): enabled for name, table, enabled in conn.exec_driver_sql(
                "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)")}
    problems = []
    for table, name in expected:
        state = found.get((table, name))
        if state is None:
            problems.append(f"journal protection: the trigger {name} on {table} is missing, so the journal can be "
                            "changed without the database refusing it")
        elif state == "no RAISE":
            problems.append(f"journal protection: the trigger {name} on {table} no longer refuses anything")
        elif state not in ("O", "A"):
            problems.append(f"journal protection: the trigger {name} on {table} is disabled; enable it with: "
                            f"ALTER TABLE {table} ENABLE TRIGGER {name}")
    return problems


def reconciliation(ctx: CheckContext) -> list[str] | None:
    """Every live record is explained by the journal (store/reconcile.py)."""
    if not ctx.current:
        return None
    from salescrm.store.reconcile import Reconciler

    problems, more = [], 0
    with ctx.session_factory() as session:
        snapshot(session)
        for difference in Reconciler(session.connection()).differences():
            if len(problems) < MAX_LISTED:
                problems.append(f"reconciliation: {difference.message()}")
            else:
                more += 1
    if more:
        problems.append(f"reconciliation: and {more} more differences")
    return problems


# (name said to the user, function); the order in which they run.
CHECKS: list[tuple[str, Callable[[CheckContext], list[str] | None]]] = [
    ("schema revision", schema_revision),
    ("integrity", integrity),
    ("foreign keys", foreign_keys),
    ("journal", journal_chain),
    ("journal protection", journal_protection),
    ("reconciliation", reconciliation),
]


def run(ctx: CheckContext) -> Report:
    report = Report()
    for name, check in CHECKS:
        problems = check(ctx)
        if problems is None:
            continue
        report.ran.append(name)
        report.problems += problems
    return report
