"""The baseline that migration 0005 writes: one `baseline` journal entry per record the journal does not explain."""

from __future__ import annotations

import sqlalchemy as sa

from salescrm.store import journal
from salescrm.store.reconcile import BASELINE, WINDOW, Reconciler, compare, specs


def write_baseline(conn: sa.Connection, info: dict) -> int:
    """One `baseline` entry per live record the journal does not explain (every record of a file whose
    journal began empty), giving the live values of the fields it lacks; return how many were written."""
    reconciler = Reconciler(conn)
    written = 0
    for spec in specs():
        bulks = [b for b in reconciler.bulks if b.record_type == spec.record_type]
        pending: list[journal.Change] = []
        for record_id, live, state in reconciler.records(spec):
            if live is None or any(b.first <= record_id <= b.last for b in bulks):
                continue
            differences = list(compare(spec, record_id, live, state))
            if not differences:
                continue
            whole = any(d.field is None for d in differences)
            names = set(live) if whole else {d.field for d in differences}
            change = journal.Change(spec.record_type, record_id, BASELINE)
            for name in sorted(names):
                old = None if whole or state is None else state.values.get(name)
                old = None if isinstance(old, tuple) else old
                change.fields[name] = (old, live.get(name))
            pending.append(change)
            if len(pending) >= WINDOW:
                journal.append(conn, info, pending)
                written, pending = written + len(pending), []
        if pending:
            journal.append(conn, info, pending)
            written += len(pending)
    return written
