"""`salescrm process`: the sales process as a file: show its pipelines and what each stage needs, export
it as the starting point of a revision, and check a revised file (docs/processes.md).

A database is not yet bound to a process: every database follows the shipped sp-009-001, so `show` and
`export` read that file. The process package is imported inside the commands (its file is parsed then).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from salescrm.cli import output

app = typer.Typer(epilog="Example: salescrm process show --stage offer-sent", no_args_is_help=True)

MAX_FILE_BYTES = 1024 * 1024  # a process file is a few dozen kilobytes


@app.command("show", epilog="Example: salescrm process show --stage contract-signed")
def show(
    pipeline: Optional[str] = typer.Option(None, "--pipeline", help="Only this pipeline, by key or name (sales)."),
    stage: Optional[str] = typer.Option(None, "--stage", help="Only this stage, by name or slug (offer-sent), with "
                                                            "each rule of its gate and the SOP sentence behind it."),
    json: bool = typer.Option(False, "--json", help='Print it as JSON on stdout: {"name", "revision", "pipelines": '
                                                    '[{"name", "key", "stages": [{"name", ..., "requires"}]}]}.'),
) -> None:
    """Show the process: each pipeline's stages in order, their probability, and what moving into each needs."""
    from salescrm.process import views

    proc = _current()
    pipelines = views.chosen(proc, pipeline, stage)
    if json:
        output.print_json(views.process_object(proc, pipelines))
        return
    if stage is not None:
        for p, stages in pipelines:
            for s in stages:
                output.details(views.stage_details(p, s), title=f"{s.name} ({p.label} pipeline, {proc.name} "
                                                                f"revision {proc.revision})", section=s.slug)
        return
    for p, stages in pipelines:
        rows = [(s.name, s.probability, "won" if s.won else "lost" if s.lost else "", views.needs_text(p, s))
                for s in stages]
        output.table([("stage", output.LABEL), ("%", output.COUNT), ("final", output.LABEL), ("needs", output.LABEL)],
                     rows, title=f"{p.label} pipeline ({proc.name} revision {proc.revision})",
                     section=p.key if len(pipelines) > 1 else None)


@app.command("export", epilog="Example: salescrm process export > sp-009-001-rev2.toml")
def export(
    name: Optional[str] = typer.Argument(None, help="A shipped process (sp-009-001, or shipped:sp-009-001); "
                                                    "default: the database's own, which is sp-009-001 today.",
                                         show_default=False),
) -> None:
    """Print a process file on stdout, as the starting point of a revision (check it with `salescrm process check`)."""
    import sys

    from salescrm.process import load

    sys.stdout.write(load.shipped_text(_shipped_name(name)))


@app.command("check", epilog="Example: salescrm process check sp-009-001-rev2.toml")
def check(
    file: str = typer.Argument(..., help="The process file (TOML) to validate.", show_default=False),
) -> None:
    """Validate a process file: exit 0 when it is valid, 2 listing each problem with its key path and line."""
    from salescrm.errors import InvalidValue
    from salescrm.process import load, locate

    text = _read(file)
    proc, problems = load.check_text(text)
    if problems:
        lines = locate.lines_of(text) if problems[0].line is None else {}
        said = []
        for p in problems:
            line = p.line or locate.line_of(lines, p.path)
            said.append(f"{file}:{line}: " + (f"{p.path}: " if p.path else "") + p.message if line else
                        f"{file}: {p.path}: {p.message}")
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise InvalidValue("\n".join(said) + f"\n{file} is not a valid process file ({count}); fix it and check again.")
    stages = sum(len(p.stages) for p in proc.pipelines)
    output.say(f"{file} is a valid process file: {proc.name} revision {proc.revision}, {len(proc.pipelines)} "
               f"pipeline{'s' if len(proc.pipelines) > 1 else ''}, {stages} stages, {len(proc.properties)} properties.")


@app.command("diff", epilog="Example: salescrm process diff shipped:sp-009-001 sp-009-001-rev2.toml")
def diff(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The process before: a file, or shipped:NAME.", show_default=False),
    new: str = typer.Argument(..., help="The process after: a file, or shipped:NAME.", show_default=False),
    json: bool = typer.Option(False, "--json", help='Print {"old", "new", "changes", "stranded"} as JSON on stdout.'),
) -> None:
    """List what a revision changes and the deals it would strand: exit 0 when none would be, 1 when some would.

    A deal is stranded by a revision that removes its stage, or (an open deal) that makes a gate it passed need a value it lacks."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import strand
    from salescrm.errors import Refused
    from salescrm.process import diff as differ

    before, after = _source(old), _source(new)
    changes = differ.changes(before, after)
    with runtime(ctx).reading() as session:
        stranded = strand.stranded(session, before, after)
    if json:
        output.print_json({"old": {"name": before.name, "revision": before.revision},
                           "new": {"name": after.name, "revision": after.revision},
                           "changes": [c.as_object() for c in changes], "stranded": [s.as_object() for s in stranded]})
    else:
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        output.say(f"{before.name} revision {before.revision} -> {after.name} revision {after.revision}: {count}")
        for c in changes:
            output.say(f"{c.sign} {c.path}" + _shown(c))  # wrapped at spaces on a terminal
        if stranded:
            output.table([("deal", output.ID), ("stage", output.LABEL), ("name", output.NAME), ("why", output.TEXT)],
                         [(s.deal_id, s.stage, s.name, s.why) for s in stranded], title="Deals it would strand",
                         section="stranded")
    if stranded:
        raise Refused(f"{len(stranded)} deal{'s' if len(stranded) > 1 else ''} would be stranded by {new}: move "
                      "them on, give them the values, or keep their stages in the revision.")


def _shown(change) -> str:
    def text(value) -> str:
        if isinstance(value, list):
            return "[" + "; ".join(map(str, value)) + "]"
        return "(a table)" if isinstance(value, dict) else str(value)

    if change.sign == "~" and isinstance(change.old, list) and isinstance(change.new, list):
        moved = [f"+ {x}" for x in change.new if x not in change.old] + [f"- {x}" for x in change.old if x not in change.new]
        if moved:  # a gate's rules, a list of values: what was added and removed
            return ": " + "; ".join(moved)
    if change.sign == "~":
        return f": {text(change.old)} -> {text(change.new)}"
    value = change.new if change.sign == "+" else change.old
    return "" if isinstance(value, dict) else f": {text(value)}"


def _source(name: str):
    """A process to compare: shipped:NAME or a file (`current` comes when databases are bound to a process)."""
    from salescrm.errors import InvalidValue
    from salescrm.process import load

    if name == "current":
        raise InvalidValue("A database is not bound to a process yet, so there is no `current`: every database "
                           "follows shipped:sp-009-001; compare files or shipped:NAME.")
    if name.startswith("shipped:"):
        return load.shipped(name.removeprefix("shipped:"))
    return load.loads(_read(name), name)


def _current():
    """The process `show` reads: the database's, once databases are bound to one; today the default."""
    from salescrm import process

    return process.default()


def _shipped_name(name: str | None) -> str:
    from salescrm.process import load

    if name is None:
        return load.DEFAULT
    return name.removeprefix("shipped:")


def _read(file: str) -> str:
    from salescrm.errors import InvalidValue

    path = Path(file)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidValue(f"No file {file}: give the path of a process file (`salescrm process export` writes one).") from None
    except IsADirectoryError:
        raise InvalidValue(f"{file} is a directory: give the path of a process file.") from None
    except OSError as e:
        raise InvalidValue(f"Cannot read {file}: {e.strerror}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidValue(f"{file} is larger than {MAX_FILE_BYTES // 1024} KiB, which no process file needs.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InvalidValue(f"{file}:{line}: not UTF-8 text; a process file is UTF-8 TOML.") from None
