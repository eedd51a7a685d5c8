"""Records written in bulk (`demo --size`): their bulk row records their id range and one digest per
`BULK_CHUNK` ids of what was written (`reconcile.bulk_fields`); store/reconcile.py checks the records
against those digests, after undoing the changes journaled for them since."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from salescrm.store.journal_chain import unseal
from salescrm.store.models import JournalEntry, JournalField

BULK_CHUNK = 1000
_J = JournalEntry.__table__
_F = JournalField.__table__


def at_bulk_time(live, state, bulk_seq: int, sets: set[str]) -> dict:
    """A bulk-written record's values as the bulk row saw them: the live ones, with each later change undone."""
    if live is not None and (state is None or not state.later or state.later[-1][0] <= bulk_seq):
        return live  # nothing journaled since: the live values are those the bulk row saw
    values = {k: (list(v) if isinstance(v, list) else v) for k, v in (live or {}).items()}
    for seq, _action, changes in reversed(state.later if state else []):
        if seq <= bulk_seq:
            break
        for name, (old, new) in changes.items():
            if name in sets:
                current = values.setdefault(name, [])
                if new is not None and new in current:
                    current.remove(new)
                if old is not None and not isinstance(old, tuple):
                    current.append(old)
            else:
                values[name] = None if isinstance(old, tuple) else old
    return {k: v for k, v in values.items() if v not in (None, [])}


def record_digest_line(record_id: int, values: dict) -> bytes:
    items = sorted((k, sorted(v) if type(v) is list else v) for k, v in values.items() if v is not None and v != [])
    return (json.dumps([record_id, items], ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@dataclass
class Bulk:
    seq: int
    record_type: str
    first: int
    last: int
    digests: list[str]
    _chunk: int = -1
    _hash: object = None
    _found: dict = field(default_factory=dict)

    def feed(self, record_id: int, values: dict) -> None:
        chunk = (record_id - self.first) // BULK_CHUNK
        if chunk != self._chunk:
            self._close()
            self._chunk, self._hash = chunk, hashlib.sha256()
        self._hash.update(record_digest_line(record_id, values))

    def _close(self) -> None:
        if self._hash is not None:
            self._found[self._chunk] = self._hash.hexdigest()
            self._hash = None

    def written(self, chunks: int) -> list[str]:
        """The digest of each of the first `chunks` chunks fed: what a bulk row records of what it wrote."""
        self._close()
        empty = hashlib.sha256().hexdigest()
        return [self._found.get(i, empty) for i in range(chunks)]

    def finish(self) -> Iterator[tuple[int, int]]:
        """The id ranges whose records no longer match the digests the bulk row recorded."""
        self._close()
        empty = hashlib.sha256().hexdigest()
        for chunk, digest in enumerate(self.digests):
            if self._found.get(chunk, empty) != digest:
                low = self.first + chunk * BULK_CHUNK
                yield low, min(self.last, low + BULK_CHUNK - 1)


def bulk_rows(conn: sa.Connection) -> list[Bulk]:
    rows = conn.execute(
        sa.select(_J.c.seq, _F.c.field, _F.c.new_value).select_from(_J.join(_F, _F.c.seq == _J.c.seq))
        .where(_J.c.action == "bulk insert").order_by(_J.c.seq)
    ).all()
    by_seq: dict[int, dict] = {}
    for seq, name, stored in rows:
        by_seq.setdefault(seq, {})[name] = unseal(stored)
    bulks = []
    for seq, fields in by_seq.items():
        for name, value in fields.items():
            if name.endswith("_ids") and isinstance(value, list) and len(value) == 2:
                record_type = name[: -len("_ids")]
                digests = fields.get(f"{record_type}_digests")
                if isinstance(digests, list):
                    bulks.append(Bulk(seq, record_type, value[0], value[1], digests))
    return bulks
