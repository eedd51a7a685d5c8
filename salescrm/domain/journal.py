"""Reading the change journal: the history an auditor asks for, and checking that it is intact.

21 CFR Part 11 §11.10(e) and ISO 13485 §4.2.5 ask for secure, computer-generated, time-stamped
audit trails of record changes that do not obscure earlier values: store/journal.py writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

import sqlalchemy as sa
from sqlmodel import Session

from salescrm.domain import refs
from salescrm.domain.values import parse_date
from salescrm.errors import InvalidValue
from salescrm.store.journal_chain import GENESIS, canonical_time, entry_hash, text_problem, unseal, value_digest
from salescrm.store.masking import holds_secret, shown_command
from salescrm.store.models import JournalEntry, JournalField, JournalHead

_CHUNK = 5000
_J = JournalEntry.__table__
_F = JournalField.__table__


@dataclass
class Verification:
    count: int
    head_hash: str
    problem: str | None = None  # the first row that does not match, said in words
    # Heads recorded elsewhere (anchors) that are not part of this chain: (count, hash) -> why, in words.
    unmatched: dict = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.problem is None

    @property
    def head(self) -> str:
        return f"{self.count}:{self.head_hash}"


def _entries(session: Session) -> Iterator[tuple[dict, list[dict]]]:
    """Every entry in order with its fields, read in chunks."""
    conn = session.connection()
    last = 0
    while True:
        rows = conn.execute(sa.select(_J).where(_J.c.seq > last).order_by(_J.c.seq).limit(_CHUNK)).mappings().all()
        if not rows:
            return
        fields: dict[int, list[dict]] = {}
        for f in conn.execute(
            sa.select(_F).where(_F.c.seq > last, _F.c.seq <= rows[-1]["seq"]).order_by(_F.c.seq, _F.c.field)
        ).mappings():
            fields.setdefault(f["seq"], []).append(dict(f))
        for row in rows:
            yield dict(row), fields.get(row["seq"], [])
        last = rows[-1]["seq"]


def snapshot(session: Session) -> None:
    """Read one snapshot, as the session's first statement. On PostgreSQL the default READ COMMITTED
    gives each query its own, and a write committed between two queries of a check would look like a
    journal cut short or a record changed outside salescrm. (A SQLite read transaction is one snapshot.)"""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def verify(session: Session, head: str | None = None, anchors: tuple[tuple[int, str], ...] = ()) -> Verification:
    """Recompute the chain and every value still present against its digest. `head` must be part of
    the chain; each of `anchors` (count, hash) that is not is listed in the result's `unmatched`."""
    expected_head = _parse_head(head) if head else None
    prev, count, head_found = GENESIS, 0, expected_head is None
    wanted: dict[int, set[str]] = {}
    for anchor_count, anchor_hash in anchors:
        wanted.setdefault(anchor_count, set()).add(anchor_hash)
    unmatched = {(0, h): "it is not part of this chain" for h in wanted.pop(0, set()) if h != GENESIS}
    for entry, fields in _entries(session):
        count += 1
        seq = entry["seq"]
        if seq != count:
            return Verification(count - 1, prev, f"Journal row {count} is missing (the next row is {seq}).")
        if entry["prev_hash"] != prev:
            return Verification(count, prev, f"Journal row {seq} does not follow row {seq - 1}: the chain is broken there.")
        for f in fields:
            problem = _value_problem(f)
            if problem:
                return Verification(count, prev, f"Journal row {seq}, field {f['field']}: {problem}.")
        problem = text_problem(entry)
        if problem:
            return Verification(count, prev, f"Journal row {seq}: {problem}.")
        digests = [(f["field"], f["old_digest"], f["new_digest"]) for f in fields]
        if entry_hash(prev, entry, digests) != entry["hash"]:
            return Verification(count, prev, f"Journal row {seq} does not match its hash: it was changed after it was written.")
        prev = entry["hash"]
        for anchor_hash in wanted.pop(seq, ()):
            if anchor_hash != prev:
                unmatched[(seq, anchor_hash)] = f"it is not part of this chain: row {seq} has hash {prev}"
        if expected_head and seq == expected_head[0]:
            if prev != expected_head[1]:
                return Verification(count, prev, f"The recorded head {head} is not part of this chain: row {seq} has hash {prev}.")
            head_found = True
    for anchor_count, hashes in wanted.items():
        for anchor_hash in hashes:
            unmatched[(anchor_count, anchor_hash)] = f"it is past the end of the journal ({count} rows): rows were cut off"
    result = Verification(count, prev, unmatched=unmatched)
    stored = session.connection().execute(sa.select(JournalHead.seq, JournalHead.hash).where(JournalHead.id == 1)).first()
    if stored is not None and (stored.seq, stored.hash) != (count, prev):
        result.problem = f"The journal's head says {stored.seq} rows but {count} are there: rows were removed or added outside salescrm."
    elif not head_found:
        result.problem = f"The recorded head {head} is past the end of the journal ({count} rows): rows were cut off."
    return result


def _value_problem(f: dict) -> str | None:
    for side in ("old", "new"):
        stored, digest = f[f"{side}_value"], f[f"{side}_digest"]
        if stored is None:
            continue  # no value, or erased: the digest alone stays in the chain
        try:
            salt, value = json.loads(stored)
        except (ValueError, TypeError):
            return f"the {side} value is not in the journal's format"
        if digest is None or value_digest(salt, value) != digest:
            return f"the {side} value does not match its digest: it was changed after it was written"
    return None


def _parse_head(text: str) -> tuple[int, str]:
    count, sep, digest = text.strip().partition(":")
    if not sep or not (count.isascii() and count.isdigit() and len(count) <= 19) or len(digest) != 64:
        raise InvalidValue(f"--head '{text}' is not COUNT:HASH as `salescrm journal verify` prints it.")
    return int(count), digest.lower()


# --- Showing -----------------------------------------------------------------------------------


@dataclass
class JournalFilter:
    deal: str | None = None
    company: str | None = None
    contact: str | None = None
    since: str | None = None
    by: str | None = None


def _conditions(session: Session, f: JournalFilter) -> list:
    conditions = []
    for record_type, ref, resolve in (
        ("deal", f.deal, refs.deal), ("company", f.company, refs.company), ("contact", f.contact, refs.contact),
    ):
        if ref:
            conditions += [_J.c.record_type == record_type, _J.c.record_id == resolve(session, ref).id]
    if f.since:
        day = parse_date(f.since, "--since")
        conditions.append(_J.c.at >= datetime.combine(day, time.min, tzinfo=timezone.utc))
    if f.by:
        conditions.append(_J.c.actor == f.by)
    return conditions


def iter_changes(session: Session, f: JournalFilter) -> Iterator[dict]:
    """One object per changed field, oldest first: the `journal show --json` shape."""
    conditions = _conditions(session, f)
    return stream_changes(session, conditions)


def stream_changes(session: Session, conditions: list) -> Iterator[dict]:
    conn = session.connection()
    query = (
        sa.select(_J.c.seq, _J.c.at, _J.c.actor, _J.c.command, _J.c.reason, _J.c.record_type, _J.c.record_id,
                  _J.c.action, _F.c.field, _F.c.old_value, _F.c.new_value, _F.c.old_digest, _F.c.new_digest)
        .select_from(_J.outerjoin(_F, _F.c.seq == _J.c.seq))
        .where(*conditions)
        .order_by(_J.c.seq, _F.c.field)
    )
    for row in conn.execute(query):
        yield {
            "seq": row.seq,
            "at": _iso_utc(row.at),
            "by": row.actor,
            "command": shown_command(row.command),
            "reason": row.reason,
            "record_type": row.record_type,
            "record_id": row.record_id,
            "field": row.field,
            "old": _shown(row.old_value, row.old_digest),
            "new": _shown(row.new_value, row.new_digest),
        }


def _shown(stored: str | None, digest: str | None):
    if stored is None and digest is not None:
        return "(erased)"
    return unseal(stored)


def _iso_utc(at: datetime) -> str:
    return canonical_time(at).split(".")[0] + "Z"


def commands_holding_passwords(session: Session) -> int:
    """How many journal rows hold a database password in their command: rows written before salescrm
    masked every form of it (an empty user name, `?password=`, an unencoded `@`). They cannot be
    rewritten, since the chain's hashes cover them; `journal show` shows them masked."""
    rows = session.connection().execution_options(stream_results=True, yield_per=1000).execute(
        sa.select(_J.c.command).where(_J.c.command.like("%://%")))
    return sum(1 for (command,) in rows if holds_secret(command))
