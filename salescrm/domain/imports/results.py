"""What the row modules share: a row's result, and a cell's text (rows.py, bulk.py, deal_rows.py, ...);
the results of a whole import (`Results`), kept on disk rather than in memory."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import astuple, dataclass


@dataclass(slots=True)  # one per row, kept for the report: no __dict__ each
class Result:
    line: int
    action: str
    record_id: int | None = None
    reason: str | None = None
    label: str | None = None  # how the text report names the record


def text(values: dict, name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


def joined(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


class Results:
    """Every row's result, in order, for the report: a chunk's stay in memory until `seal` (its rows' ids and
    outcomes are final once the chunk is written), then go to a temporary file, so that the memory of an import
    does not grow with its rows. Counts by action, and, where `keep_created`, the ids of the records created
    (a dry run reports none of those, as they are rolled back)."""

    def __init__(self, keep_created: bool = False):
        self.recent: list[Result] = []
        self.tally: Counter = Counter()
        self.created_ids: set[int] = set()
        self._keep_created = keep_created
        self._spool = None
        self._sealed = 0

    def append(self, result: Result) -> None:
        self.recent.append(result)

    def __len__(self) -> int:
        return self._sealed + len(self.recent)

    def seal(self) -> None:
        if not self.recent:
            return
        if self._spool is None:
            import tempfile

            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._spool.seek(0, 2)
        for result in self.recent:
            self.tally[result.action] += 1
            if self._keep_created and result.action == "created" and result.record_id is not None:
                self.created_ids.add(result.record_id)
            self._spool.write(json.dumps(astuple(result), ensure_ascii=False) + "\n")
        self._sealed += len(self.recent)
        self.recent = []

    def counts(self) -> Counter:
        """The actions of the sealed rows and of those still in memory."""
        return self.tally + Counter(r.action for r in self.recent)

    def __iter__(self):
        if self._spool is not None:
            self._spool.flush()
            self._spool.seek(0)
            for line in self._spool:
                yield Result(*json.loads(line))
        yield from list(self.recent)
