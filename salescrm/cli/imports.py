"""`salescrm import`: companies, contacts and deals from a team's files, through every rule (docs/import.md).

Reading, mapping and the rules are in salescrm/domain/imports/; here the options, the sessions and the
report. An import is one transaction: a refused row without `--skip-invalid` writes nothing (exit 1);
with it, the other rows are written and the command exits 1, so that cron sees a partial import.
`--chunk N` commits every N rows as a batch of its own, a weaker all-or-nothing. `--dry-run` runs every
rule in a transaction that is rolled back: it writes nothing.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import reason_option, runtime

app = typer.Typer(epilog="Example: salescrm import contacts hubspot-contacts.csv --dry-run", no_args_is_help=True)

_ONE = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity", "tasks": "task"}


class _RolledBack(Exception):
    """Ends a dry run's transaction (or a refused import's) without writing anything."""


def _file_argument():
    return typer.Argument(..., metavar="FILE", help="A CSV, JSON (an array or one object per line) or .xlsx file; - for stdin.")


def _common(kind: str):
    """The options every `import KIND` takes, in the order of its help."""
    return dict(
        sheet=typer.Option(None, "--sheet", metavar="NAME", help="The workbook's sheet to read (default: the first)."),
        maps=typer.Option(None, "--map", metavar="COLUMN=FIELD", help="Read COLUMN as FIELD (repeatable); COLUMN= ignores it."),
        defaults=typer.Option(None, "--default", metavar="FIELD=VALUE",
                              help="A value for a field the file lacks or leaves empty (repeatable), e.g. --default source=HubSpot."),
        source_system=typer.Option(None, "--source-system", metavar="NAME",
                                   help="The system the file comes from, kept with each record's external id "
                                        "(default: hubspot for HubSpot's headers, else file)."),
        date_format=typer.Option(None, "--date-format", metavar="FORMAT",
                                 help="How dates are written, e.g. %d/%m/%Y (default: ISO 8601 YYYY-MM-DD)."),
        decimal_comma=typer.Option(False, "--decimal-comma", help="Amounts are written 12.000,50."),
        dry_run=typer.Option(False, "--dry-run", help="Run every rule and report each row; write nothing."),
        skip_invalid=typer.Option(False, "--skip-invalid", help="Write the valid rows and report the others (exit 1 when any was refused)."),
        rejects=typer.Option(None, "--rejects", metavar="FILE",
                             help="Write the refused rows, in the input's format with a reason column, to this new file "
                                  "(default: FILE.rejects.EXT beside the input; required for stdin)."),
        chunk=typer.Option(None, "--chunk", metavar="N", min=1, help="Commit every N rows as a batch of its own "
                           "(a weaker all-or-nothing: the batches before a failure stay)."),
        json=typer.Option(False, "--json", help="Print the report as JSON: the batch, the counts and each row."),
        reason=reason_option(),
    )


def _follow_up_option():
    return typer.Option(False, "--follow-up", help="Create the follow-up call for each new record (an import creates none otherwise).")


def _distinct_option():
    return typer.Option(None, "--distinct", metavar="NAME",
                        help="Import this company as its own, though its name looks like a branch or local entity of "
                             "another (repeatable; needs --reason).")


@app.command("companies", epilog="Example: salescrm import companies hubspot-companies.csv --dry-run")
def import_companies(
    ctx: typer.Context, file: str = _file_argument(), distinct: Optional[List[str]] = _distinct_option(),
    follow_up: bool = _follow_up_option(), **_: None,
) -> None:
    """Import companies: a name each; branches and local entities merge into their global company."""


@app.command("contacts", epilog="Example: salescrm import contacts contacts.csv --skip-invalid --rejects bad.csv")
def import_contacts(
    ctx: typer.Context, file: str = _file_argument(), distinct: Optional[List[str]] = _distinct_option(),
    follow_up: bool = _follow_up_option(), **_: None,
) -> None:
    """Import contacts: a name and an email or a phone each, linked to their companies (created when new)."""


@app.command("deals", epilog='Example: salescrm import deals deals.csv --map-stage "Closed won=Payment Done" --accept-won '
                             '--default deal_class="Care provider inpatient private" --default source=HubSpot')
def import_deals(
    ctx: typer.Context, file: str = _file_argument(),
    map_stage: Optional[List[str]] = typer.Option(None, "--map-stage", metavar="LABEL=STAGE",
                                                  help="Read the stage label LABEL as STAGE (repeatable)."),
    place_at_met_stage: bool = typer.Option(False, "--place-at-met-stage",
                                            help="Import an open deal whose stage's gates it does not meet at the furthest stage whose gates it meets."),
    accept_won: bool = typer.Option(False, "--accept-won", help="Import won deals as won, their gate values recorded as imported."),
    **_: None,
) -> None:
    """Import deals: names rebuilt to the convention, stages mapped, gates checked."""


@app.command("activities", epilog="Example: salescrm import activities hubspot-activities.csv --default direction=outbound")
def import_activities(ctx: typer.Context, file: str = _file_argument(), **_: None) -> None:
    """Import activities: a type, a summary and a contact, company or deal each (calls, emails and meetings a direction)."""


@app.command("tasks", epilog="Example: salescrm import tasks tasks.csv --dry-run")
def import_tasks(ctx: typer.Context, file: str = _file_argument(), **_: None) -> None:
    """Import tasks: a title, a due time and a contact, company or deal each; done ones stay done."""


def _with_common(kind: str, command):
    """`command`'s signature with the common options added, and its body: the import of `kind`."""
    import inspect
    import typing

    hints = typing.get_type_hints(command)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in inspect.signature(command).parameters.values()
              if p.kind is not inspect.Parameter.VAR_KEYWORD]
    annotations = {"sheet": Optional[str], "maps": Optional[List[str]], "defaults": Optional[List[str]],
                   "source_system": Optional[str], "date_format": Optional[str], "decimal_comma": bool,
                   "dry_run": bool, "skip_invalid": bool, "rejects": Optional[str], "chunk": Optional[int],
                   "json": bool, "reason": Optional[str]}
    for name, default in _common(kind).items():
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotations[name]))

    def body(ctx: typer.Context, **options) -> None:
        _import(ctx, kind, options)

    body.__signature__ = inspect.Signature(params)
    body.__annotations__ = {p.name: p.annotation for p in params}
    body.__doc__, body.__name__ = command.__doc__, command.__name__
    return body


for _info in app.registered_commands:
    _info.callback = _with_common(_info.name, _info.callback)


def _import(ctx: typer.Context, kind: str, o: dict) -> None:
    from salescrm.domain.imports import mapping as mapping_module, rejected
    from salescrm.domain.imports.reading import open_source
    from salescrm.domain.imports.rows import Options
    from salescrm.domain.imports.results import Results
    from salescrm.domain.imports.run import Run
    from salescrm.domain.imports.values import Dates, Stages
    from salescrm.domain.input_files import Limits, open_input
    from salescrm.errors import InvalidValue

    if o.get("distinct") and not (o.get("reason") or "").strip():
        raise InvalidValue("--distinct needs --reason: say why the company is not a branch or local entity of the other.")
    follow_up = None
    if o.get("follow_up"):
        from salescrm import process
        from salescrm.domain.times import parse_duration

        follow_up = parse_duration(process.FOLLOW_UP_DELAY, "Follow-up delay")
    options = Options(
        kind, source_system=_source_system(o["source_system"]),
        defaults=_defaults(o["defaults"] or [], kind), distinct=list(o.get("distinct") or []),
        stages=Stages(mapping_module.parse_pairs(o.get("map_stage") or [], "--map-stage", "LABEL=STAGE")) if kind == "deals" else None,
        dates=Dates(o["date_format"]), decimal_comma=o["decimal_comma"],
        place_at_met_stage=o.get("place_at_met_stage", False), accept_won=o.get("accept_won", False), follow_up=follow_up,
    )
    overrides = mapping_module.parse_maps(o["maps"] or [], kind)
    rejects_path = None if o["dry_run"] else (o["rejects"] or rejected.default_path(o["file"]))
    rt = runtime(ctx)
    if o["dry_run"]:
        with rt.reading():  # a dry run writes nothing, so it never creates a database: "No database at PATH" (exit 3)
            pass
    proc = _process(rt)
    properties = proc.properties_of({"companies": "company", "contacts": "contact", "deals": "deal"}[kind]) \
        if kind in ("companies", "contacts", "deals") else ()
    options.properties = {p.key: p for p in properties}
    options.lifecycle_manual = tuple(proc.lifecycle.manual) if kind == "contacts" else ()
    with open_input(o["file"], "the import file", "FILE") as stream:
        source = open_source(stream, o["file"], o["sheet"], Limits.from_environment())
        run = Run(source, mapping_module.Mapping(kind, overrides, properties=properties,
                                                 derived_kept=bool(options.lifecycle_manual)), options,
                  results=Results(keep_created=o["dry_run"]))
        run.rejects = rejected.RowRejects(rejects_path, source.format) if rejects_path else None
        try:
            with _Progress(o["file"], source, shown=not o["json"]) as tick:
                run.on_row = tick
                _write(rt, run, o)
            if run.rejects is not None:
                run.rejects.keep()
        except BaseException:
            if run.rejects is not None:
                run.rejects.discard_unless_kept()
            raise
        finally:
            _columns(run)
    _report(run, kind, o)


class _Progress:
    """On a terminal, a progress bar on stderr: rows read, rows per second, and the time left (from the bytes
    read of a file whose size is known)."""

    def __init__(self, path: str, source, shown: bool):
        import os
        import sys

        self.bar = self.task = None
        self.source = source
        if not shown or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        try:
            total = os.path.getsize(path) if path != "-" else None
        except OSError:
            total = None
        self.bar = Progress(TextColumn("Importing"), BarColumn(), TextColumn("{task.fields[rows]} rows"),
                            TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("import", total=total or None, rows=0, rate=0)

    def __enter__(self):
        if self.bar is None:
            return None
        import time

        self.bar.start()
        started = time.monotonic()

        def tick(rows: int) -> None:
            if rows % 50 == 0:
                rate = int(rows / max(time.monotonic() - started, 1e-6))
                self.bar.update(self.task, completed=self.source.consumed(), rows=rows, rate=rate)

        return tick

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


def _write(rt, run, o: dict) -> None:
    """The rows in one transaction (or one per --chunk); a dry run, or refused rows without --skip-invalid,
    roll it back."""
    from salescrm.domain.imports import batches
    from salescrm.errors import Refused

    chunk = None if o["dry_run"] else o["chunk"]
    while not run.done:
        before = run.counts()
        try:
            with rt.writing(o["reason"]) as session:
                batch = batches.start(session, _file_name(o["file"]), run.options.kind, run.options.source_system or "file")
                importer = run.importer(session, batch.id)
                run.rows(importer, chunk)
                refused = run.counts(before)["refused"] > 0
                if refused and not o["skip_invalid"] and not o["dry_run"]:
                    run.rows(importer, None)  # every row is still checked, for the report and the rejects file
                if o["dry_run"] or (refused and not o["skip_invalid"]):
                    raise _RolledBack
                counts = run.counts(before)
                batch.source_system = run.options.source_system or "file"
                batches.finish(session, batch, counts["created"], counts["updated"])
            run.batches.append(batch.id)
        except _RolledBack:
            if o["dry_run"]:
                continue
            if run.rejects is not None:
                run.rejects.keep()
            _report(run, run.options.kind, o, written=False)
            kept = f" The refused rows are in {run.rejects.path}." if run.rejects is not None and run.rejects.file else ""
            saved = f" {len(run.batches)} earlier batch{'es' if len(run.batches) != 1 else ''} of --chunk stay." if run.batches else ""
            raise Refused(f"{run.refused} row{'s were' if run.refused != 1 else ' was'} refused, so nothing was imported: "
                          f"fix {'them' if run.refused != 1 else 'it'}, or pass --skip-invalid to import the others.{kept}{saved}")


def _process(rt):
    """The database's process (a new database follows the shipped default): its custom properties, its
    pipelines and stages, its lifecycle's manual values."""
    from salescrm import process
    from salescrm.errors import SalesCrmError

    try:
        with rt.reading() as session:
            from salescrm.process import bound

            return bound.of(session)
    except SalesCrmError:  # no database yet: the import's write makes one, bound to the default
        return process.default()


def _file_name(path: str) -> str:
    """The file a batch records: its absolute path (standard input as `-`)."""
    import os

    return path if path == "-" else os.path.abspath(path)


def _source_system(value: str | None) -> str | None:
    if value is None:
        return None
    from salescrm.typed_text import clean_text

    return clean_text(value, "--source-system", max_length=40).lower()


def _defaults(pairs: list[str], kind: str) -> dict[str, str]:
    from salescrm.domain.imports.mapping import FIELDS, parse_pairs
    from salescrm.errors import InvalidValue

    given = parse_pairs(pairs, "--default", "FIELD=VALUE (e.g. --default source=HubSpot)")
    for name in given:
        if name not in FIELDS[kind] and not name.startswith("gates."):
            raise InvalidValue(f"--default {name}=...: no field '{name}' for {kind}; the fields are {', '.join(FIELDS[kind])}.")
    return given


def _columns(run) -> None:
    """The columns that map to nothing, and the derived ones, on stderr: listed, never silently dropped."""
    if run.mapping.unmapped:
        output.err(f"Unmapped columns (not imported; --map COLUMN=FIELD reads one): {', '.join(run.mapping.unmapped)}.")
    if run.mapping.derived:
        output.err(f"Derived columns (they follow from the data, so they are not imported): {', '.join(run.mapping.derived)}.")


def row_line(result, kind: str, record_id: int | None) -> str:
    text = f"line {result.line}: {result.action}"
    if record_id is not None:
        text += f" {_ONE[kind]} {record_id}"
    elif result.action in ("created", "updated", "unchanged"):
        text += f" {_ONE[kind]}"
    if result.label and result.action != "skipped":
        text += f" {result.label}"
    return text + (f": {result.reason}" if result.reason else "")


def _report(run, kind: str, o: dict, written: bool = True) -> None:
    batch = run.batches[-1] if run.batches and written and not o["dry_run"] else None
    if o["json"]:
        output.print_json(run.report(batch, o["dry_run"]))
        if o["dry_run"] and run.refused and not o["skip_invalid"]:
            raise typer.Exit(1)  # the import itself would be refused
        if not o["dry_run"] and written and run.refused:  # --skip-invalid wrote the rest: exit 1 all the same
            if run.rejects is not None and run.rejects.file is not None:
                output.err(f"The refused rows are in {run.rejects.path}.")
            raise typer.Exit(1)
        return
    counts = run.counts()
    summary = ", ".join(f"{n} {action}" for action, n in counts.items())
    name = "standard input" if o["file"] == "-" else o["file"]
    if o["dry_run"]:
        for result in run.results:
            output.say(row_line(result, kind, run.shown_id(result, True)))
        output.say(f"Dry run of {name}: {summary}; nothing was written.")
        if run.refused and not o["skip_invalid"]:
            raise typer.Exit(1)  # the import itself would be refused
        return
    if not written:
        for result in run.results:
            if result.action == "refused":
                output.err(row_line(result, kind, None))
        return
    for result in run.results:
        if result.action == "refused":
            output.err(row_line(result, kind, None))
    several = len(run.batches) > 1
    where = f" as batch{'es' if several else ''} {', '.join(map(str, run.batches))}" if run.batches else ""
    output.say(f"Imported {name}{where}: {summary}.")
    if run.refused:
        if run.rejects is not None and run.rejects.file is not None:
            output.err(f"The refused rows are in {run.rejects.path}.")
        raise typer.Exit(1)


@app.command("list", epilog="Example: salescrm import list --json")
def list_batches(ctx: typer.Context, json: bool = typer.Option(False, "--json", help="Print the batches as JSON.")) -> None:
    """List the import batches: when, by whom, from which file, how many records each created and updated."""
    from salescrm.domain.imports import batches

    with runtime(ctx).reading() as session:
        found = batches.list_batches(session)
        objects = [batches.batch_object(b) for b in found]
        undone = {b.id: b.undone_at is not None for b in found}
    if json:
        output.print_json(objects)
        return
    output.table([("Batch", output.ID), ("At", output.TIME), ("By", output.NAME), ("File", output.TEXT),
                  ("Type", output.LABEL), ("Created", output.COUNT), ("Updated", output.COUNT), ("Undone", output.LABEL)],
                 [[o["batch"], output.when(o["at"]), o["by"], o["file"], o["record_type"], o["created"], o["updated"],
                   "yes" if undone[o["batch"]] else ""] for o in objects])


@app.command("undo", epilog="Example: salescrm import undo 3 --reason \"Wrong HubSpot export\"")
def undo(
    ctx: typer.Context,
    batch: str = typer.Argument(..., metavar="BATCH", help="The batch's id (`salescrm import list`)."),
    json: bool = typer.Option(False, "--json", help="Print the undone batch as JSON."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Reverse an import batch that nothing has changed since: remove what it created, restore what it updated."""
    from salescrm.domain import refs
    from salescrm.domain.imports import batches

    number = refs.id_of(batch, "batch")
    with runtime(ctx).writing(reason) as session:
        done = batches.undo(session, number)
        obj = batches.batch_object(done.batch)
    if json:
        output.print_json(obj)
        return
    output.say(f"Undid import batch {number}: removed {obj['created']} created and restored {obj['updated']} updated "
               f"record{'s' if obj['updated'] != 1 else ''} ({obj['record_type']} from {obj['file']}).{_also_removed(done, obj)}")


def _also_removed(done, obj: dict) -> str:
    """The records the batch created besides its own kind: a contact import's new companies."""
    plural = {"company": "companies", "contact": "contacts", "deal": "deals", "activity": "activities", "task": "tasks"}
    others = [f"{n} {plural[t] if n != 1 else t}" for t, n in sorted(done.removed.items())
              if t != obj["record_type"] and t in plural]
    return f" Also removed the {', '.join(others)} it created." if others else ""
