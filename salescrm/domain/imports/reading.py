"""An import file as rows, streamed: nothing is loaded whole.

- CSV with any of `,` `;` tab `|` as delimiter (the one the header line uses most, outside quotes), in
  UTF-8 with or without a byte-order mark, or UTF-16 (Excel's "Unicode text"; by its BOM, or by the NULs
  of its first bytes). Cells may hold quoted line breaks; a row's line is the line it starts on.
- JSON: an array of objects, or one object per line (`input_files.read_records`, with its bounds). A
  nested `gates` object becomes `gates.KEY` cells, a list of links their names or emails joined by "; ",
  as `export` flattens them.
- `.xlsx` workbooks, read with openpyxl in read-only mode: the first sheet, or `sheet`. Standard input
  holding a workbook is spooled into a private temporary file first (the format needs to seek).

The format comes from the file's extension, or from its first bytes (stdin, other extensions). The
input is bounded as `lead add --from-json` is (`SALESCRM_MAX_INPUT_BYTES`, `SALESCRM_MAX_LINE_BYTES`).
"""

from __future__ import annotations

import codecs
import io
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from salescrm.domain.input_files import INPUT_VARIABLE, LINE_VARIABLE, Limits
from salescrm.errors import InvalidValue

FORMATS = ("csv", "json", "xlsx")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
               ".xlsx": "xlsx"}
DELIMITERS = (",", ";", "\t", "|")
_PEEK = 65536


@dataclass
class Row:
    """One record of the file: its first `line`, its `cells` by header, and what `rejected.py` writes back."""

    line: int
    cells: dict[str, object]
    raw: object = None  # the cells as read (a list for CSV and xlsx, the object for JSON)
    problem: str | None = None  # it could not be read (invalid JSON, not an object)


@dataclass
class Source:
    """What was read: the format, the headers as written (JSON: as met), the CSV dialect, the rows."""

    format: str
    headers: list[str] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: Iterator[Row] = iter(())
    consumed: object = None  # () -> bytes read so far, for a progress bar


def format_of(path: str, head: bytes) -> str:
    """The file's format, from its extension, else from its first bytes."""
    if path != "-":
        found = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
        if found:
            return found
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if text[:1] in (b"[", b"{") else "csv"


class _Counted(io.RawIOBase):
    """The input with its first bytes given back, counted against the input bound."""

    def __init__(self, raw: BinaryIO, head: bytes, limit: int):
        self.raw, self.head, self.limit, self.count = raw, head, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
        else:
            try:
                data = self.raw.read(len(buffer))
            except OSError as e:
                raise InvalidValue(f"Cannot read the import file: {e.strerror or e}.") from None
            n = len(data)
            buffer[:n] = data
        self.count += n
        if self.count > self.limit:
            raise InvalidValue(f"The input is longer than {self.limit} bytes ({INPUT_VARIABLE}): split it, or raise the limit.")
        return n


def open_source(stream: BinaryIO, path: str, sheet: str | None, limits: Limits) -> Source:
    """The rows of `stream` (the file at `path`, or stdin for `-`)."""
    head = _peek(stream)
    fmt = format_of(path, head)
    if sheet is not None and fmt != "xlsx":
        raise InvalidValue(f"--sheet names a sheet of a workbook, and {'standard input' if path == '-' else path} is {fmt}.")
    raw = _Counted(stream, head, limits.input_bytes)
    counted = io.BufferedReader(raw, buffer_size=_PEEK)
    if fmt == "json":
        source = _json(counted, limits)
    elif fmt == "xlsx":
        source = _xlsx(counted, path, sheet)
    else:
        source = _csv(counted, head, limits)
    source.consumed = lambda: raw.count
    return source


def _peek(stream: BinaryIO) -> bytes:
    parts, size = [], 0
    while size < _PEEK:
        try:
            chunk = stream.read(_PEEK - size)
        except OSError as e:
            raise InvalidValue(f"Cannot read the import file: {e.strerror or e}.") from None
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


# --- CSV ------------------------------------------------------------------------------------------


def encoding_of(head: bytes) -> str:
    """UTF-16 by its BOM (or the NULs of ASCII text in it), else UTF-8 (a UTF-8 BOM is dropped)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] != 0:
        return "utf-16-be"
    return "utf-8-sig"


def delimiter_of(header_line: str) -> str:
    """The delimiter the header line uses most, outside quoted text (a comma when it has none)."""
    counts, quoted = dict.fromkeys(DELIMITERS, 0), False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(stream: BinaryIO, head: bytes, limits: Limits) -> Source:
    import csv

    encoding = encoding_of(head)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError as e:
        raise InvalidValue(f"line 1: not valid {_encoding_name(encoding)} text (byte {e.start + 1}).") from None
    if not first.strip():
        raise InvalidValue("The import file is empty: its first line names the columns.")
    delimiter = delimiter_of(first)
    csv.field_size_limit(limits.line_bytes)
    headers = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    _check_headers(headers)
    return Source("csv", headers, delimiter, encoding, _csv_rows(text, headers, delimiter, encoding, limits))


def _encoding_name(encoding: str) -> str:
    return "UTF-16" if encoding.startswith("utf-16") else "UTF-8"


def _check_headers(headers: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, header in enumerate(headers, 1):
        if header and header in seen:
            raise InvalidValue(f"Columns {seen[header]} and {i} are both named '{header}': rename one of them.")
        seen[header] = i


def _csv_rows(text, headers: list[str], delimiter: str, encoding: str, limits: Limits) -> Iterator[Row]:
    import csv

    reader = csv.reader(text, delimiter=delimiter, strict=True)  # a quote left open is an error, not the rest of the file
    end = 1  # the last line read so far (the header's)
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            raise InvalidValue(f"line {start}: not valid {_encoding_name(encoding)} text (byte {e.start + 1} of the "
                               "chunk); save the file as UTF-8 or UTF-16.") from None
        except csv.Error as e:
            if "field larger" in str(e):
                raise InvalidValue(f"line {start}: a cell is longer than {limits.line_bytes} bytes ({LINE_VARIABLE}).") from None
            raise InvalidValue(f"line {start}: not valid CSV ({e}).") from None
        end = 1 + reader.line_num  # the reader counts from the line after the header
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            yield Row(start, {}, cells, f"{len(cells)} cells, and the header names {len(headers)} columns.")
            continue
        yield Row(start, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(headers) if h}, cells)


# --- JSON -----------------------------------------------------------------------------------------


def _json(stream: BinaryIO, limits: Limits) -> Source:
    from salescrm.domain.input_files import read_records

    source = Source("json")
    source.rows = _json_rows(read_records(stream, limits, "the import file"), source.headers)
    return source


def _json_rows(records, headers: list[str]) -> Iterator[Row]:
    for record in records:
        if record.problem is not None:
            yield Row(record.line, {}, record.text, record.problem)
            continue
        if not isinstance(record.value, dict):
            yield Row(record.line, {}, record.value, "a row is a JSON object of fields, such as {\"name\": \"Novartis\"}.")
            continue
        cells = flat_cells(record.value)
        headers.extend(k for k in cells if k not in headers)
        yield Row(record.line, cells, record.value)


def flat_cells(obj: dict) -> dict[str, object]:
    """An object as cells: `gates` as `gates.KEY`, `properties` as `properties.KEY`, links as names or emails
    joined by "; " (as `export`)."""
    from salescrm.domain.exports import JOINED

    cells: dict[str, object] = {}
    for key, value in obj.items():
        if key in ("gates", "properties") and isinstance(value, dict):
            cells.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            cells[key] = JOINED.join(str(_link(v)) for v in value) if value else None
        else:
            cells[key] = _link(value)
    return cells


def _link(value):
    if isinstance(value, dict):
        return value.get("email") or value.get("name")
    return value


# --- xlsx -----------------------------------------------------------------------------------------


def _xlsx(stream: BinaryIO, path: str, sheet: str | None) -> Source:
    import tempfile

    from openpyxl import load_workbook

    spool = tempfile.TemporaryFile()  # private, removed when closed; the zip format needs to seek
    try:
        while chunk := stream.read(_PEEK):
            spool.write(chunk)
        spool.seek(0)
        book = load_workbook(spool, read_only=True, data_only=True)
    except InvalidValue:
        spool.close()
        raise
    except Exception as e:  # openpyxl raises zipfile's, KeyError, ValueError... for a broken workbook
        spool.close()
        raise InvalidValue(f"{'Standard input' if path == '-' else path} is not a workbook openpyxl can read "
                           f"({type(e).__name__}): save it again as .xlsx, or export it as CSV.") from None
    if sheet is not None and sheet not in book.sheetnames:
        spool.close()
        raise InvalidValue(f"No sheet '{sheet}' in the workbook: its sheets are {', '.join(book.sheetnames)}.")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None or not any(c is not None for c in first):
        spool.close()
        raise InvalidValue("The workbook's sheet is empty: its first row names the columns.")
    headers = [("" if c is None else str(c)).strip() for c in first]
    _check_headers(headers)
    return Source("xlsx", headers, rows=_xlsx_rows(rows, headers, book, spool))


def _xlsx_rows(rows, headers: list[str], book, spool) -> Iterator[Row]:
    try:
        for number, values in enumerate(rows, 2):
            cells = [_xlsx_cell(v) for v in values]
            if not any(c not in (None, "") for c in cells):
                continue
            yield Row(number, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(headers) if h}, cells)
    finally:
        book.close()
        spool.close()


def _xlsx_cell(value):
    from datetime import date, datetime, time

    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
