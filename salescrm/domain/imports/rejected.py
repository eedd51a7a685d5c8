"""The rows an import rejected, in the input's format with a `reason` column added (`--rejects FILE`).

The file is made as `lead add --from-json`'s is (rejects.RejectsFile): new (an existing file, or a
dangling link, is refused before anything is read), readable by its owner only, kept only when the
whole input was read. Its default is beside the input, `FILE.rejects.EXT`; standard input has no such
place, so `--rejects` is required with `-`.

- CSV: the input's header and delimiter, UTF-8, each rejected row's cells as read, then its reason.
  A cell that a spreadsheet would run as a formula gets the one `'` an export gives it.
- JSON (an array or JSON lines): JSON lines, each the object as given with `reason` added (a line that
  was not an object: `{"line": N, "reason": ..., "text": ...}`).
- xlsx: a workbook of one sheet, the input's header plus `reason`, text cells typed as text.
"""

from __future__ import annotations

import os

from salescrm.domain.rejects import RejectsFile
from salescrm.errors import InvalidValue

REASON = "reason"


def default_path(source: str) -> str:
    """`contacts.csv` -> `contacts.rejects.csv`."""
    if source == "-":
        raise InvalidValue("Reading standard input (-), the rejected rows have no file beside it: give --rejects FILE.")
    stem, ext = os.path.splitext(source)
    return f"{stem}.rejects{ext or '.csv'}"


class RowRejects:
    """Rejected rows, written as they come."""

    def __init__(self, path: str, fmt: str):
        """Refuses an existing `path` now; the file itself is made at the first rejected row, so that an
        import with none leaves no file behind."""
        if os.path.lexists(path):
            raise InvalidValue(f"{path} already exists, and --rejects never overwrites a file: give a new file name "
                               "(or remove it).")
        self.fmt, self._started, self._headers, self.count, self.path = fmt, False, [], 0, path
        self.file = None
        self._writer = self._book = self._sheet = None

    def start(self, headers: list[str], delimiter: str) -> None:
        """The file and its header, at the first rejected row."""
        self.file = RejectsFile(self.path, binary=self.fmt == "xlsx", encoding="utf-8")
        self._headers = list(headers)
        if self.fmt == "csv":
            import csv

            self._writer = csv.writer(self.file._stream, delimiter=delimiter, lineterminator="\r\n")
            self.file._guard(lambda: self._writer.writerow([*headers, REASON]))
        elif self.fmt == "xlsx":
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("rejects")
            self._sheet.append([*headers, REASON])
        self._started = True

    def write(self, line: int, reason: str, raw) -> None:
        from salescrm.domain.formulas import neutralised

        self.count += 1
        if self.fmt == "csv":
            cells = list(raw) if isinstance(raw, list) else []
            cells += [""] * (len(self._headers) - len(cells))
            self.file._guard(lambda: self._writer.writerow([*(neutralised(c) for c in cells), reason]))
        elif self.fmt == "xlsx":
            from openpyxl.cell import WriteOnlyCell

            cells = list(raw) if isinstance(raw, (list, tuple)) else []
            cells += [None] * (len(self._headers) - len(cells))
            row = []
            for value in [*cells, reason]:
                cell = WriteOnlyCell(self._sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                row.append(cell)
            self._sheet.append(row)
        else:
            import json

            entry = {**raw, REASON: reason} if isinstance(raw, dict) else {"line": line, REASON: reason, "text": raw}
            self.file._guard(lambda: self.file._stream.write(json.dumps(entry, ensure_ascii=True) + "\n"))

    def keep(self) -> None:
        if self.file is None or self.file.kept:
            return
        if self.fmt == "xlsx" and self._book is not None:
            self.file._guard(lambda: self._book.save(self.file._stream))
        self.file.keep()

    def discard_unless_kept(self) -> None:
        if self.file is not None:
            self.file.discard_unless_kept()
