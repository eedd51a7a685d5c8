"""An import's rows through the importer, a session at a time, with its report.

The caller (cli/imports.py) opens the file, the sessions and the rejects file; `Run.rows` takes the rows
one session may write (all of them, or `--chunk N`), and `Run` keeps the counts and each row's result
for the report: `{"batch", "created", "updated", "unchanged", "skipped", "refused", "rows"}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Iterator

from salescrm.domain.imports.mapping import Mapping
from salescrm.domain.imports.reading import Row, Source
from salescrm.domain.imports import activity_rows, bulk, contact_rows, deal_rows, rows as record_rows
from salescrm.domain.imports.results import Results
from salescrm.domain.imports.rows import ACTIONS, Importer, Options, Result

HANDLERS = {"companies": record_rows.company_row, "contacts": contact_rows.contact_row, "deals": deal_rows.deal_row,
            "activities": activity_rows.activity_row, "tasks": activity_rows.task_row}


@dataclass
class Run:
    source: Source
    mapping: Mapping
    options: Options
    rejects: object | None = None  # rejected.RowRejects
    results: Results = field(default_factory=Results)
    batches: list[int] = field(default_factory=list)
    done: bool = False
    on_row: object = None  # (rows so far) -> None: the progress bar's tick
    _rows: Iterator[Row] | None = None

    def __post_init__(self):
        self._rows = iter(self.source.rows)
        for header in self.source.headers:
            self.mapping.field_of(header)
        if self.source.headers and self.options.source_system is None:
            self.options.source_system = "hubspot" if self.mapping.hubspot else "file"

    def importer(self, session, batch_id: int | None = None) -> Importer:
        return Importer(session, self.options, HANDLERS[self.options.kind], batch_id)

    @property
    def refused(self) -> int:
        return self.results.counts()["refused"]

    def rows(self, importer: Importer, limit: int | None = None) -> int:
        """Apply rows until the input ends (`done`) or `limit` rows were applied; the number applied. Rows are
        read a chunk at a time (bulk.CHUNK), whose names are looked up together (bulk.py)."""
        count = 0
        while limit is None or count < limit:
            size = bulk.CHUNK if limit is None else min(bulk.CHUNK, limit - count)
            chunk = list(islice(self._rows, size))
            if len(chunk) < size:
                self.done = True
            if not chunk:
                break
            count += len(chunk)
            self._chunk(importer, chunk)
        importer.settle()
        self._late(importer, {})
        return count

    def _chunk(self, importer: Importer, chunk: list[Row]) -> None:
        neutralised = self.source.format in ("csv", "xlsx")
        values = [None if row.problem is not None else self.mapping.values(row.cells, neutralised=neutralised) for row in chunk]
        if self.options.source_system is None and any(v is not None for v in values):
            self.options.source_system = "hubspot" if self.mapping.hubspot else "file"
        importer.prefetch([v for v in values if v])
        raw = {row.line: row for row in chunk}
        for row, cells in zip(chunk, values):
            if row.problem is not None:
                result = Result(row.line, "refused", None, row.problem)
            elif not cells:
                result = Result(row.line, "skipped", None, "no mapped column holds a value")
            else:
                result = importer.apply(row.line, cells)
            if result.action == "refused":
                self._reject(row, result)
            self._late(importer, raw)
            self.results.append(result)
            if self.on_row is not None:
                self.on_row(len(self.results))
        importer.settle()
        self._late(importer, raw)
        self.results.seal()

    def _late(self, importer: Importer, raw: dict[int, Row]) -> None:
        """Rows refused when they ran again alone, after the lot they were written with was refused."""
        late, importer.late = importer.late, []
        for result in late:
            if result.line in raw:
                self._reject(raw[result.line], result)

    def _reject(self, row: Row, result: Result) -> None:
        if self.rejects is not None:
            if not self.rejects._started:
                self.rejects.start(self.source.headers, self.source.delimiter)
            self.rejects.write(row.line, result.reason or "", row.raw)

    def counts(self, since: dict[str, int] | None = None) -> dict[str, int]:
        """The rows by action; `since`, an earlier `counts()`, leaves out the rows counted then."""
        now = self.results.counts()
        return {action: now[action] - (since or {}).get(action, 0) for action in ACTIONS}

    def report(self, batch: int | None, dry_run: bool = False) -> dict:
        return {"batch": batch, **self.counts(),
                "rows": [{"line": r.line, "action": r.action, "record_id": self.shown_id(r, dry_run), "reason": r.reason}
                         for r in self.results]}

    def shown_id(self, result: Result, dry_run: bool) -> int | None:
        """A record's id; in a dry run, none for a record the run itself would create (it is rolled back)."""
        if dry_run and result.record_id in self.results.created_ids:
            return None
        return result.record_id
