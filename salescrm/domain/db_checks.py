"""`db check`: the checks of the database itself, each a function in one list (`DB_CHECKS`).

A check takes the `CheckContext` and returns what it ran (`Ran`: its id, what it ran on this backend,
and the problems found), or None when it does not apply here (on this backend, or before the schema
is at the revision salescrm needs). `db check` prints the checks that ran, so that it never claims
one it did not run: SQLite's `PRAGMA integrity_check` has no PostgreSQL counterpart, and PostgreSQL
enforces foreign keys itself, so there the check is that every constraint exists, is validated and is
not disabled.

To add a check: write a function `(ctx) -> Ran | None` and add it to `DB_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session


@dataclass
class CheckContext:
    session: Session  # one read transaction, for every check
    backend: str  # "sqlite" or "postgresql"
    revision: str | None  # the database's schema revision
    head: str  # the revision this salescrm needs

    @property
    def current(self) -> bool:
        """Whether the schema is the one salescrm knows (checks on its tables need it)."""
        return self.revision == self.head


@dataclass
class Ran:
    check: str  # the check's id, as `Problem: ID: ...` and in JSON
    how: str  # what it ran, in words, on this backend
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"check": self.check, "how": self.how, "problems": self.problems}


def schema_revision(ctx: CheckContext) -> Ran:
    ran = Ran("schema-revision", f"the schema revision is {ctx.head}, the one this salescrm needs")
    if not ctx.current:
        ran.problems.append(f"the database is at schema revision {ctx.revision or '(none)'}, salescrm needs {ctx.head}")
    return ran


def integrity(ctx: CheckContext) -> Ran | None:
    """SQLite's own check of the file's structure (pages, indexes); PostgreSQL has no such check built in."""
    if ctx.backend != "sqlite":
        return None
    lines = [row[0] for row in ctx.session.connection().exec_driver_sql("PRAGMA integrity_check")]
    return Ran("integrity", "PRAGMA integrity_check", [] if lines == ["ok"] else lines)


def foreign_keys(ctx: CheckContext) -> Ran | None:
    """Every reference points at a record. SQLite: `PRAGMA foreign_key_check` over the rows (a
    sqlite3 session has foreign keys off by default, so rows can break them). PostgreSQL: every
    foreign key of the schema exists, is validated (`pg_constraint.convalidated`) and its enforcing
    triggers are enabled; a constraint that holds is enforced for every row."""
    conn = ctx.session.connection()
    if ctx.backend == "sqlite":
        ran = Ran("foreign-keys", "PRAGMA foreign_key_check")
        for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            ran.problems.append(f"{table} row {rowid} points at a missing {parent}")
        return ran
    if not ctx.current:
        return None  # the constraints salescrm expects are those of its schema
    ran = Ran("foreign-keys", "every foreign key exists, is validated (pg_constraint.convalidated) and enforced "
                              "(its triggers enabled)")
    found = {name: (validated, disabled) for name, validated, disabled in conn.execute(sa.text(
        "SELECT c.conname, c.convalidated, "
        "       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled = 'D') "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema()"))}
    for name in expected_foreign_keys():
        if name not in found:
            ran.problems.append(f"the foreign key {name} is missing (dropped)")
        elif not found[name][0]:
            ran.problems.append(f"the foreign key {name} is not validated (NOT VALID): rows may break it")
        elif found[name][1]:
            ran.problems.append(f"the foreign key {name} is not enforced: a trigger of it is disabled")
    return ran


def expected_foreign_keys() -> list[str]:
    """The names of the schema's foreign keys, from the models (the naming convention names them)."""
    from sqlmodel import SQLModel

    from salescrm.store.models import declare_partial_indexes

    declare_partial_indexes()
    names = []
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.foreign_key_constraints:
            names.append(str(constraint.name))
    return sorted(names)


def journal_chain(ctx: CheckContext) -> Ran | None:
    if not ctx.current:
        return None
    from salescrm.domain import journal

    result = journal.verify(ctx.session)
    return Ran("journal", f"the hash chain of the journal's {result.count} rows and their values",
               [] if result.intact else [result.problem])


def unknown_values(ctx: CheckContext) -> Ran | None:
    if not ctx.current:
        return None
    from salescrm.domain.audit import unknown_values as check

    ran = Ran("unknown-value", "stages, classes, owners, roles, statuses and types are values salescrm knows")
    found = sorted(check.unknown_values(ctx.session), key=lambda f: (f.record_type, f.record_id))  # as `audit`
    ran.problems = [f.message for f in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        ran.problems.append(f"and {len(found) - MAX_LISTED} more values salescrm does not know "
                            "(`salescrm audit --check unknown-value --limit 0` lists them all)")
    return ran


# At most this many differences are listed; the rest are counted.
MAX_LISTED = 50

# The triggers that keep the journal and the ledgers append-only (migrations 0002, 0005, 0006, 0007 and
# 0008), by backend: (table, trigger).
_ERASURE_LEDGERS = ("erasure", "erased_identity", "backup_record")  # migration 0008
JOURNAL_TRIGGERS = {
    "sqlite": (("journal", "journal_no_update"), ("journal", "journal_no_delete"),
               ("journal_field", "journal_field_no_delete"), ("journal_field", "journal_field_erase_only"),
               ("consent_event", "consent_event_no_update"), ("consent_event", "consent_event_no_delete"),
               ("process_revision", "process_revision_no_update"), ("process_revision", "process_revision_no_delete"),
               *((t, f"{t}_{n}") for t in _ERASURE_LEDGERS for n in ("no_update", "no_delete"))),
    "postgresql": (("journal", "journal_append_only"), ("journal_field", "journal_field_erase_only"),
                   ("journal", "journal_no_truncate"), ("journal_field", "journal_field_no_truncate"),
                   ("journal_head", "journal_head_no_truncate"), ("consent_event", "consent_event_ledger"),
                   ("consent_event", "consent_event_no_truncate"), ("process_revision", "process_revision_ledger"),
                   ("process_revision", "process_revision_no_truncate"),
                   *((t, f"{t}_{n}") for t in _ERASURE_LEDGERS for n in ("ledger", "no_truncate"))),
}


def journal_protection(ctx: CheckContext) -> Ran | None:
    """The journal's protective triggers exist and are enabled. (A PostgreSQL superuser's
    `session_replication_role = replica` silences them without a trace in pg_trigger: only the
    reconciliation catches what is changed that way.)"""
    expected = JOURNAL_TRIGGERS.get(ctx.backend)
    if expected is None or not ctx.current:
        return None
    conn = ctx.session.connection()
    if ctx.backend == "sqlite":
        ran = Ran("journal-protection", "the journal's triggers exist and raise (sqlite_master)")
        found = {(table, name): ("O" if "RAISE(ABORT" in (sql or "").upper() else "no RAISE")
                 for name, table, sql in conn.exec_driver_sql(
                     "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")}
    else:
        ran = Ran("journal-protection", "the journal's triggers exist and are enabled (pg_trigger.tgenabled), "
                                        "TRUNCATE included")
        found = {(table, name): enabled for name, table, enabled in conn.exec_driver_sql(
            "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)")}
    for table, name in expected:
        state = found.get((table, name))
        if state is None:
            ran.problems.append(f"the trigger {name} on {table} is missing, so the journal can be changed without "
                                "the database refusing it")
        elif state == "no RAISE":
            ran.problems.append(f"the trigger {name} on {table} no longer refuses anything")
        elif state not in ("O", "A"):
            ran.problems.append(f"the trigger {name} on {table} is disabled; enable it with: "
                                f"ALTER TABLE {table} ENABLE TRIGGER {name}")
    return ran


def reconciliation(ctx: CheckContext) -> Ran | None:
    """Every live record is explained by the journal: its journaled fields against the journal's last values."""
    if not ctx.current:
        return None
    from salescrm.store.reconcile import Reconciler

    ran = Ran("reconciliation", "every record's journaled fields against the journal's last values (docs/journal.md)")
    more = 0
    for difference in Reconciler(ctx.session.connection()).differences():
        if len(ran.problems) < MAX_LISTED:
            ran.problems.append(difference.message())
        else:
            more += 1
    if more:
        ran.problems.append(f"and {more} more records or fields changed outside salescrm")
    return ran


def process_revisions(ctx: CheckContext) -> Ran | None:
    """The process revisions: each file matches its SHA-256, each revision after the first (which migration 0007
    or the database's creation wrote) was applied by salescrm (a journal row records its digest), and the latest
    one, the database's process, loads."""
    if not ctx.current:
        return None
    import hashlib

    from salescrm.process import load
    from salescrm.store.journal_chain import unseal
    from salescrm.store.models import JournalEntry, JournalField, ProcessRevision

    ran = Ran("process-revisions", "each process revision's file against its SHA-256 and the journal; the latest loads")
    conn = ctx.session.connection()
    t, j, f = ProcessRevision.__table__, JournalEntry.__table__, JournalField.__table__
    journaled = {record_id: unseal(value) for record_id, value in conn.execute(
        sa.select(j.c.record_id, f.c.new_value).join(f, f.c.seq == j.c.seq)
        .where(j.c.record_type == "process_revision", f.c.field == "sha256"))}
    rows = conn.execute(sa.select(t.c.id, t.c.body, t.c.sha256).order_by(t.c.id)).all()
    for n, (row_id, body, sha) in enumerate(rows):
        if hashlib.sha256(body.encode("utf-8")).hexdigest() != sha:
            ran.problems.append(f"process revision {row_id}: its file does not match its SHA-256 (changed outside "
                                "salescrm)")
        if n and journaled.get(row_id) != sha:
            ran.problems.append(f"process revision {row_id} was not applied by salescrm: no journal row records it "
                                "(`salescrm process apply` journals each revision)")
    if rows:
        problems = load.check_text(rows[-1][1])[1]
        if problems:
            where = f"{problems[0].path}: " if problems[0].path else ""
            ran.problems.append(f"the latest process revision {rows[-1][0]}, which is the database's process, does not "
                                f"load: {where}{problems[0].message}")
    return ran


DB_CHECKS: list[Callable[[CheckContext], Ran | None]] = [
    schema_revision,
    integrity,
    foreign_keys,
    journal_chain,
    journal_protection,
    reconciliation,
    process_revisions,
    unknown_values,
]


def run_checks(ctx: CheckContext) -> list[Ran]:
    """Every check that applies, in order."""
    return [ran for ran in (check(ctx) for check in DB_CHECKS) if ran is not None]
