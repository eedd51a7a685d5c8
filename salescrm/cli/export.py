"""`salescrm export`: every company, contact, deal, activity or task, as CSV, JSON, JSON lines or a workbook.

The fields are those of the list commands' `--json`, under the same names (domain/exports.py). A CSV
or xlsx cell that a spreadsheet would run as a formula is neutralised (OWASP's advice on CSV injection):
in CSV a text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets one `'` before it, and
in a workbook such a cell is typed as text. `--raw` writes the values as they are. A file given with
`--output` is written beside its name first, readable by its owner only, and takes the name only when
complete; an existing file is replaced only with `--force`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.output_files import Destination, force_option, output_option
from salescrm.cli.runtime import reason_option, runtime
from salescrm.domain.formulas import neutralised  # standard library only

app = typer.Typer(epilog="Example: salescrm export deals --format xlsx --output deals.xlsx", no_args_is_help=True)

FORMATS = ("csv", "json", "jsonl", "xlsx")
_ONE = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity", "tasks": "task"}
FORMAT_HELP = "csv (the default), json (an array), jsonl (one object per line) or xlsx (a workbook)."


def _export(ctx: typer.Context, kind: str, fmt: str, target: Optional[Path], force: bool, raw: bool,
            for_marketing: bool = False, reason: Optional[str] = None) -> None:
    from salescrm.errors import InvalidValue

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InvalidValue(f"--format '{fmt}' is not one of {', '.join(FORMATS)}.")
    if fmt == "xlsx" and target is None and sys.stdout.isatty():
        raise InvalidValue("A workbook is binary: give --output FILE.xlsx (or pipe it into a file).")
    destination = Destination(target, force, binary=fmt == "xlsx")  # refused before anything is read
    from salescrm.domain import exports

    rt = runtime(ctx)
    try:
        if for_marketing:  # a write: the export is recorded, committed before the file takes its name
            with destination as out, rt.writing(reason) as session:
                exported: list[int] = []
                records = exports.marketing_contacts(session, exported)
                count = WRITERS[fmt](out, kind, records, raw, exports.property_keys(session, kind))
                exports.record_marketing_export(session, exported)
        else:
            with rt.reading() as session, destination as out:
                count = WRITERS[fmt](out, kind, exports.records(session, kind), raw, exports.property_keys(session, kind))
    except BaseException:
        destination.discard()
        raise
    if target is not None:
        output.err(f"Exported {count} {kind if count != 1 else _ONE[kind]} to {target}.")


def _csv(out, kind: str, objects, raw: bool, properties: tuple[str, ...] = ()) -> int:
    import csv

    from salescrm.domain import exports

    writer = csv.writer(out)
    writer.writerow(exports.columns(kind, properties))
    count = 0
    for count, obj in enumerate(objects, 1):
        writer.writerow([_csv_cell(v, raw) for v in exports.flat_row(kind, obj, properties)])
    return count


def _csv_cell(value, raw: bool):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if raw else neutralised(value)


def _json(out, kind: str, objects, raw: bool, properties: tuple[str, ...] = ()) -> int:
    counted = _Counted(objects)
    output.print_json_array(counted, out=out)
    return counted.count


def _jsonl(out, kind: str, objects, raw: bool, properties: tuple[str, ...] = ()) -> int:
    count = 0
    for count, obj in enumerate(objects, 1):
        out.write(output.json_text(obj) + "\n")
    return count


def _xlsx(out, kind: str, objects, raw: bool, properties: tuple[str, ...] = ()) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from salescrm.domain import exports

    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    sheet.append(exports.columns(kind, properties))
    count = 0
    for count, obj in enumerate(objects, 1):
        row = []
        for value in exports.flat_row(kind, obj, properties):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and not raw:
                cell.data_type = "s"  # text, never a formula
            row.append(cell)
        sheet.append(row)
    book.save(out)
    return count


class _Counted:
    def __init__(self, items):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


WRITERS = {"csv": _csv, "json": _json, "jsonl": _jsonl, "xlsx": _xlsx}


def _format_option():
    return typer.Option("csv", "--format", metavar="FORMAT", help=FORMAT_HELP)


def _raw_option():
    return typer.Option(False, "--raw", help="Write text cells as they are: no ' before a leading =, +, -, @, tab or CR "
                                             "(CSV), no text typing (xlsx).")


def _command(kind: str, what: str):
    def command(
        ctx: typer.Context,
        fmt: str = _format_option(),
        target: Optional[Path] = output_option(),
        force: bool = force_option(),
        raw: bool = _raw_option(),
    ) -> None:
        _export(ctx, kind, fmt, target, force, raw)

    command.__doc__ = (f"Write every {what} with the fields of `{_LIST[kind]} --json`: CSV on stdout by default; "
                       "cells a spreadsheet would run as formulas are neutralised.")
    return command


@app.command("contacts", epilog="Example: salescrm export contacts --for-marketing --reason \"November newsletter\" "
                                 "--output newsletter.csv")
def export_contacts(
    ctx: typer.Context,
    fmt: str = _format_option(),
    target: Optional[Path] = output_option(),
    force: bool = force_option(),
    raw: bool = _raw_option(),
    for_marketing: bool = typer.Option(False, "--for-marketing", help="Only the contacts whose latest marketing consent "
                                       "event grants it; the export is recorded (who, when, which contacts) for the audit."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Write every contact with the fields of `contact list --json`: CSV on stdout by default; cells a spreadsheet
    would run as formulas are neutralised."""
    if reason is not None and not for_marketing:
        from salescrm.errors import InvalidValue

        raise InvalidValue("--reason is kept with a marketing export: give it with --for-marketing.")
    _export(ctx, "contacts", fmt, target, force, raw, for_marketing, reason)


_LIST = {"companies": "company list", "contacts": "contact list", "deals": "deal list", "activities": "activity list",
         "tasks": "task list"}
for _kind, _what in (("companies", "company"), ("deals", "deal"), ("activities", "activity"),
                     ("tasks", "task, done or open,")):
    app.command(_kind, epilog=f"Example: salescrm export {_kind} --output {_kind}.csv")(_command(_kind, _what))
