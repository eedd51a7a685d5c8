"""Reconciliation: every live record is explained by the journal.

For each record type the journal describes (store/journal.py `_RECORDS`, with the gate values,
contacts, companies and distinct-company decisions that belong to a record), the journal's last
value of each journaled field is compared with the live record. A record no journal row describes,
a record the journal has but the database lacks, and every field whose values differ are
"changed outside salescrm". An erased journal value is compared by digest only (chain v2 keeps the
salt it was sealed with derivable; a v1 row's erased value cannot be compared and is passed).

Records written in bulk (`demo --size`) have no row each: their bulk row records their id range
and one digest per `BULK_CHUNK` ids of what was written; they are reconciled against those digests,
after undoing the changes journaled for them since.

Memory stays flat: records are read in windows of at most `WINDOW` ids, with ordered queries on
the live table, the tables of its parts and the journal's (record_type, record_id) index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from salescrm.store import journal
from salescrm.store.journal_chain import field_salt, unseal, value_digest
from salescrm.store.reconcile_bulk import BULK_CHUNK, Bulk, at_bulk_time, bulk_rows
from salescrm.store.models import JournalEntry, JournalField, TeamMember

WINDOW = 1000
BASELINE = "baseline"
_J = JournalEntry.__table__
_F = JournalField.__table__


@dataclass(frozen=True)
class Part:
    """Rows of another table that are fields of a record: `gates.KEY` values, or a set of linked ids."""

    table: sa.Table
    parent: str  # the column naming the record
    name: str  # the field ("gates." prefix for keyed values)
    key: str | None  # keyed values: the column holding the key
    value: str  # the column holding the value (or the linked id)

    @property
    def is_set(self) -> bool:
        return self.key is None


@dataclass(frozen=True)
class Spec:
    record_type: str
    table: sa.Table
    columns: tuple[tuple[str, str, object], ...]  # (storage column, field, converter)
    parts: tuple[Part, ...] = ()

    @property
    def set_fields(self) -> set[str]:
        return {p.name for p in self.parts if p.is_set}


def specs() -> list[Spec]:
    from salescrm.store.models import (
        CompanyProperty, ContactCompany, ContactProperty, DealContact, DistinctCompanies, GateValue)

    parts = {
        "deal": (Part(GateValue.__table__, "deal_id", "gates.", "key", "value"),
                 Part(DealContact.__table__, "deal_id", "contacts", None, "contact_id")),
        "contact": (Part(ContactCompany.__table__, "contact_id", "companies", None, "company_id"),
                    Part(ContactProperty.__table__, "contact_id", "properties.", "key", "value")),
        "company": (Part(DistinctCompanies.__table__, "company_id", "distinct_from", None, "other_company_id"),
                    Part(CompanyProperty.__table__, "company_id", "properties.", "key", "value")),
    }
    result = []
    for model, (record_type, _id, columns) in journal._RECORDS.items():
        cols = tuple((attr, name, convert) for attr, (name, convert) in columns.items())
        result.append(Spec(record_type, model.__table__, cols, parts.get(record_type, ())))
    return result


def bulk_fields(conn: sa.Connection, record_type: str, first: int, last: int) -> dict[str, object]:
    """What a bulk row records about the records `first`..`last` it wrote (`demo --size`): their range and
    digests, of the records as the reconciler reads them (store/reconcile_bulk.py)."""
    reconciler = Reconciler(conn)
    spec = next(s for s in specs() if s.record_type == record_type)
    bulk = Bulk(0, record_type, first, last, [])
    for record_id, live, _state in reconciler.records(spec, first - 1, last):
        if live is not None:
            bulk.feed(record_id, at_bulk_time(live, None, 0, spec.set_fields))
    return {f"{record_type}_ids": [first, last],
            f"{record_type}_digests": bulk.written((last - first) // BULK_CHUNK + 1)}


def journaled_fields() -> dict[str, list[str]]:
    """Record type -> the fields reconciled (docs/journal.md lists them)."""
    return {s.record_type: [name for _c, name, _v in s.columns] + [p.name + ("KEY" if p.key else "") for p in s.parts]
            for s in specs()}


# --- Differences ---------------------------------------------------------------------------------

ERASED = object()


@dataclass(frozen=True)
class Difference:
    record_type: str
    record_id: int | None
    field: str | None = None  # None: about the record as a whole (`note` says what)
    live: object = None
    journaled: object = None
    note: str | None = None

    def message(self) -> str:
        if self.record_id is None:
            return f"Changed outside salescrm: {self.note}."
        what = f"{self.record_type.replace('_', ' ').capitalize()} {self.record_id}"
        if self.field is None:
            return f"{what} changed outside salescrm: {self.note}."
        return (f"{what} changed outside salescrm: {self.field} is {shown(self.live)} in the database, "
                f"{shown(self.journaled)} in the journal.")


def shown(value) -> str:
    if value is ERASED:
        return "an erased value (its digest differs)"
    if value is None:
        return "empty"
    return json.dumps(value, ensure_ascii=False)


@dataclass
class _State:
    """What the journal says about one record: its fields' last values, and whether it exists."""

    exists: bool = False
    rows: int = 0
    last_seq: int = 0
    values: dict = field(default_factory=dict)  # field -> value, or (ERASED, digest, salt or None)
    later: list = field(default_factory=list)  # (seq, action, {field: (old, new)}) after a bulk row


_SIMPLE = (str, int, float, bool)


def _norm(value):
    """A live value as the journal's JSON gives it back."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _matches(live, journaled) -> bool:
    if isinstance(journaled, tuple) and journaled and journaled[0] is ERASED:
        _, digest, salt = journaled
        return salt is None or (live is not None and value_digest(salt, live) == digest)
    if isinstance(journaled, list) or isinstance(live, list):
        return sorted(live or []) == sorted(journaled or [])
    return live == journaled


class Reconciler:
    """One pass over a database's records; `differences()` streams what the journal does not explain."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        inspector = sa.inspect(conn)
        self.present = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
        self._team: dict[int, str] | None = None
        self.bulks = bulk_rows(conn)

    # live values

    def team_names(self) -> dict[int, str]:
        if self._team is None:
            t = TeamMember.__table__
            self._team = dict(self.conn.execute(sa.select(t.c.id, t.c.name)).all())
        return self._team

    def _convert(self, convert, value):
        if value is None or convert is None:
            return _norm(value)
        if convert == "owner":
            return self.team_names().get(value)
        return _norm(convert(value))

    def live(self, spec: Spec, low: int, high: int) -> dict[int, dict]:
        """The live records with ids in (low, high], their journaled fields converted as the journal has them."""
        present = self.present.get(spec.table.name, set())
        columns = [(c, n, v) for c, n, v in spec.columns if c in present]
        t = spec.table
        query = (sa.select(t.c.id, *(t.c[c] for c, _n, _v in columns))
                 .where(t.c.id > low, t.c.id <= high).order_by(t.c.id))
        records = {}
        converters = [(i, name, convert) for i, (_c, name, convert) in enumerate(columns, start=1)]
        for row in self.conn.execute(query):
            values = {}
            for i, name, convert in converters:
                value = row[i]
                if value is None:
                    continue
                if convert is not None:
                    value = self._convert(convert, value)
                elif type(value) not in _SIMPLE:
                    value = _norm(value)
                values[name] = value
            records[row[0]] = values
        for part in spec.parts:
            if part.table.name not in self.present:
                continue
            p = part.table
            columns = [p.c[part.parent], p.c[part.value]] + ([p.c[part.key]] if part.key else [])
            rows = self.conn.execute(sa.select(*columns).where(p.c[part.parent] > low, p.c[part.parent] <= high)
                                     .order_by(*columns))
            for row in rows:
                values = records.get(row[0])
                if values is None:
                    continue  # a part whose record is gone: the foreign-key check reports it
                if part.is_set:
                    values.setdefault(part.name, []).append(row[1])
                else:
                    values[part.name + row[2]] = _norm(row[1])
        return records

    # journaled values

    def journaled(self, spec: Spec, low: int, high: int) -> dict[int, _State]:
        query = (
            sa.select(_J.c.seq, _J.c.record_id, _J.c.action, _J.c.version, _J.c.salt, _F.c.field,
                      _F.c.old_value, _F.c.old_digest, _F.c.new_value, _F.c.new_digest)
            .select_from(_J.outerjoin(_F, _F.c.seq == _J.c.seq))
            .where(_J.c.record_type == spec.record_type, _J.c.record_id > low, _J.c.record_id <= high)
            .order_by(_J.c.record_id, _J.c.seq, _F.c.field)
        )
        sets = spec.set_fields
        states: dict[int, _State] = {}
        row_changes: dict[int, dict] = {}
        for row in self.conn.execute(query):
            state = states.setdefault(row.record_id, _State())
            if row.seq != state.last_seq:
                state.last_seq, state.rows = row.seq, state.rows + 1
                row_changes = {}
                state.later.append((row.seq, row.action, row_changes))
                state.exists = row.action != "delete"
            if row.field is None:
                continue
            salt = field_salt(row.salt, row.field, "new") if (row.version or 1) >= 2 and row.salt else None
            new = _value(row.new_value, row.new_digest, salt)
            old_salt = field_salt(row.salt, row.field, "old") if salt else None
            row_changes[row.field] = (_value(row.old_value, row.old_digest, old_salt), new)
            if row.field in sets:
                current = state.values.setdefault(row.field, [])
                if isinstance(new, list):  # a baseline gives the whole set
                    state.values[row.field] = list(new)
                    continue
                old = row_changes[row.field][0]
                if old is not None and old in current:
                    current.remove(old)
                if new is not None and not isinstance(new, tuple):
                    current.append(new)
            else:
                state.values[row.field] = new
        return states

    # the pass

    def windows(self, spec: Spec, low: int = 0, stop: int | None = None) -> Iterator[tuple[int, int]]:
        """Id windows (low, high]: at most WINDOW live records and WINDOW journaled ids each."""
        t = spec.table
        if t.name not in self.present:
            return
        sources = ((t.c.id, ()), (_J.c.record_id, (_J.c.record_type == spec.record_type,)))
        while stop is None or low < stop:
            ends = []
            for column, where in sources:
                where = (*where, column > low) + ((column <= stop,) if stop is not None else ())
                nth = self.conn.execute(sa.select(column).where(*where).order_by(column)
                                        .offset(WINDOW - 1).limit(1)).scalar()
                last = nth if nth is not None else self.conn.execute(sa.select(sa.func.max(column)).where(*where)).scalar()
                if last is not None:
                    ends.append((nth is not None, last))
            if not ends:
                return
            full = [last for is_full, last in ends if is_full]
            high = min(full) if full else max(last for _f, last in ends)
            yield low, high
            low = high

    def records(self, spec: Spec, low: int = 0, stop: int | None = None) -> Iterator[tuple[int, dict | None, _State | None]]:
        """Every record id the database or the journal knows, in order: (id, live values, journal state)."""
        for window_low, high in self.windows(spec, low, stop):
            live = self.live(spec, window_low, high)
            states = self.journaled(spec, window_low, high)
            for record_id in sorted(set(live) | set(states)):
                yield record_id, live.get(record_id), states.get(record_id)

    def differences(self) -> Iterator[Difference]:
        for spec in specs():
            yield from self.differences_of(spec)

    def differences_of(self, spec: Spec) -> Iterator[Difference]:
        bulks = [b for b in self.bulks if b.record_type == spec.record_type]
        for record_id, live, state in self.records(spec):
            bulk = next((b for b in bulks if b.first <= record_id <= b.last), None)
            if bulk is not None:
                bulk.feed(record_id, at_bulk_time(live, state, bulk.seq, spec.set_fields))
                yield from _later_differences(spec, record_id, live, state, bulk.seq)
                continue
            yield from compare(spec, record_id, live, state)
        for bulk in bulks:
            for low, high in bulk.finish():
                yield Difference(spec.record_type, None, note=(
                    f"the {spec.record_type} records {low}-{high}, written in bulk by journal row {bulk.seq}, no longer "
                    "match the digest that row recorded (a record was changed, added or removed)"))


def _value(stored, digest, salt):
    if stored is None and digest is not None:
        return (ERASED, digest, salt)
    return unseal(stored)


def compare(spec: Spec, record_id: int, live: dict | None, state: _State | None) -> Iterator[Difference]:
    if live is None:
        if state is not None and state.exists:
            yield Difference(spec.record_type, record_id, note="the journal has it, the database does not "
                             f"(journal row {state.last_seq} is its last)")
        return
    if state is None or not state.rows:
        yield Difference(spec.record_type, record_id, note="no journal row records it")
        return
    if not state.exists:
        yield Difference(spec.record_type, record_id, note=f"the journal records its deletion (journal row {state.last_seq})")
        return
    for name in sorted(set(live) | set(state.values)):
        journaled = state.values.get(name)
        if journaled == [] and name in spec.set_fields:
            journaled = None
        if not _matches(live.get(name), journaled):
            yield Difference(spec.record_type, record_id, name, live.get(name),
                             ERASED if isinstance(journaled, tuple) else journaled)


def _later_differences(spec, record_id, live, state, bulk_seq) -> Iterator[Difference]:
    """A record written in bulk: the fields journaled since the bulk row must match."""
    if state is None or live is None:
        return
    later = _State(exists=True, rows=1, last_seq=state.last_seq)
    changed = {name for seq, _a, changes in state.later if seq > bulk_seq for name in changes}
    later.values = {k: v for k, v in state.values.items() if k in changed}
    for d in compare(spec, record_id, {k: v for k, v in live.items() if k in changed}, later):
        yield d
