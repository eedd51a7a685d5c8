"""`salescrm process`: the sales process as a file: show the database's pipelines and what each stage needs,
export its file as the starting point of a revision, check and diff a revised file, and apply it
(docs/processes.md).

A database is bound to one process: the latest revision applied to it (salescrm/process/bound.py), which
`show`, `export` and `diff current` read. The process package is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import runtime

app = typer.Typer(epilog="Example: salescrm process show --stage offer-sent", no_args_is_help=True)

MAX_FILE_BYTES = 1024 * 1024  # a process file is a few dozen kilobytes


@app.command("show", epilog="Example: salescrm process show --stage contract-signed")
def show(
    ctx: typer.Context,
    pipeline: Optional[str] = typer.Option(None, "--pipeline", help="Only this pipeline, by key or name (sales)."),
    stage: Optional[str] = typer.Option(None, "--stage", help="Only this stage, by name or slug (offer-sent), with "
                                                            "each rule of its gate and the SOP sentence behind it."),
    json: bool = typer.Option(False, "--json", help='Print it as JSON on stdout: {"name", "revision", "pipelines": '
                                                    '[{"name", "key", "stages": [{"name", ..., "requires"}]}]}.'),
) -> None:
    """Show the database's process: each pipeline's stages in order, their probability, and what moving into each needs."""
    from salescrm.process import views

    proc = _current(ctx)
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
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="A shipped process (sp-009-001, or shipped:sp-009-001); "
                                                    "default: the database's own, as it was applied.",
                                         show_default=False),
) -> None:
    """Print a process file on stdout, as the starting point of a revision (check it with `salescrm process check`)."""
    import sys

    from salescrm.process import load

    if name is None or name == "current":
        text = _current(ctx, text=True)
    else:
        text = load.shipped_text(name.removeprefix("shipped:"))
    sys.stdout.write(text)


@app.command("check", epilog="Example: salescrm process check sp-009-001-rev2.toml")
def check(
    file: str = typer.Argument(..., help="The process file (TOML) to validate.", show_default=False),
) -> None:
    """Validate a process file: exit 0 when it is valid, 2 listing each problem with its key path and line."""
    from salescrm.process import load

    text = _read(file)
    proc, problems = load.check_text(text)
    if problems:
        raise _not_valid(file, text, problems)
    stages = sum(len(p.stages) for p in proc.pipelines)
    output.say(f"{file} is a valid process file: {proc.name} revision {proc.revision}, {len(proc.pipelines)} "
               f"pipeline{'s' if len(proc.pipelines) > 1 else ''}, {stages} stages, {len(proc.properties)} properties.")


@app.command("diff", epilog="Example: salescrm process diff shipped:sp-009-001 sp-009-001-rev2.toml")
def diff(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The process before: a file, shipped:NAME, or current (the database's).",
                              show_default=False),
    new: str = typer.Argument(..., help="The process after: a file, shipped:NAME, or current (the database's).",
                              show_default=False),
    json: bool = typer.Option(False, "--json", help='Print {"old", "new", "changes", "stranded"} as JSON on stdout.'),
) -> None:
    """List what a revision changes and the deals it would strand: exit 0 when none would be, 1 when some would.

    A deal is stranded by a revision that removes its stage, or (an open deal) that makes a gate it passed need a value it lacks."""
    from salescrm.domain import strand
    from salescrm.errors import Refused
    from salescrm.process import diff as differ

    with runtime(ctx).reading() as session:
        before, after = _source(old, session), _source(new, session)
        changes = differ.changes(before, after)
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


@app.command("apply", epilog="Example: salescrm process apply sp-009-001-rev2.toml --reason \"SP-009-001 rev 2\" "
                              "--map-stage \"sales/Offer Approved=Offer Sent\"")
def apply(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="The process file (TOML) to apply, valid for `salescrm process check`.",
                               show_default=False),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why this revision is applied (kept with it and in "
                                                                "the journal), e.g. \"SP-009-001 rev 4\"."),
    map_stage: list[str] = typer.Option([], "--map-stage", metavar="PIPELINE/OLD=NEW",
                                        help="Move the deals of PIPELINE in stage OLD to the revision's stage NEW "
                                             "(repeatable): each move is a journaled stage change."),
    json: bool = typer.Option(False, "--json", help='Print the revision applied as JSON on stdout: {"id", "name", '
                                                    '"revision", "sha256", "reason", "applied_by", "applied_at", "moved"}.'),
) -> None:
    """Apply a revision of the process to the database: every command follows it from then on.

    Only a JD-001 or JD-002 team member whose login is the acting user may apply one. It is refused when it would
    strand deals (`salescrm process diff current FILE` lists them) unless --map-stage moves them. Each apply is a
    new journaled revision, even of an unchanged file."""
    from salescrm.cli.runtime import Needs
    from salescrm.domain import revisions
    from salescrm.errors import Refused
    from salescrm.process import load
    from salescrm.typed_text import clean_text

    text = _read(file)
    proc, problems = load.check_text(text)
    if problems:
        raise _not_valid(file, text, problems)
    maps = [revisions.StageMap.parse(m) for m in map_stage]
    rt = runtime(ctx)
    if reason is None:
        needs = Needs()
        needs.add("reason", "--reason", lambda p: p.text("Why is this revision applied (reason)"))
        reason = needs.resolve(rt)["--reason"]
    reason = clean_text(reason, "Reason (--reason)", lines=True, max_length=2000)  # process_revision.reason's size
    try:
        with rt.writing(reason) as session:
            previous = revisions.bound.revision_of(session)
            applied = revisions.apply_revision(session, text, proc, reason, maps)
    except revisions.Stranding as e:
        lines = [f"Deal {s.deal_id} '{s.name}' ({s.stage}): {s.why}" for s in e.stranded]
        raise Refused("\n".join([*lines, str(e)])) from None
    if json:
        output.print_json(applied.as_object())
        return
    r = applied.revision
    same = " (the same file as the revision before, re-issued)" if previous.sha256 == r.sha256 else ""
    output.say(f"Applied {r.name} revision {r.revision} as the database's process revision {r.id}{same}: "
               f"{r.reason}")
    for m in applied.moved:
        output.say(f"Deal {m.deal_id} moved from {m.from_stage} to {m.to_stage}: {m.name}")


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


def _source(name: str, session):
    """A process to compare: `current` (the database's applied revision), shipped:NAME or a file."""
    from salescrm import process
    from salescrm.process import load

    if name == "current":
        return process.of(session)
    if name.startswith("shipped:"):
        return load.shipped(name.removeprefix("shipped:"))
    return load.loads(_read(name), name)


def _current(ctx: typer.Context, text: bool = False):
    """The database's process (its latest applied revision), or its file's text. Where no SQLite file is yet,
    the shipped default that `salescrm init` would bind it to, said on stderr."""
    from salescrm import process
    from salescrm.process import bound, load
    from salescrm.store import sqlite_file

    rt = runtime(ctx)
    path = rt.location().path
    if path is not None and not sqlite_file.exists(path):
        output.err(f"No database at {path} yet: this is the shipped {load.DEFAULT}, which `salescrm init` binds a "
                    "new database to (`init --process NAME` for another).")
        return load.shipped_text(load.DEFAULT) if text else load.shipped(load.DEFAULT)
    with rt.reading() as session:
        return bound.body_of(session) if text else process.of(session)


def _not_valid(file: str, text: str, problems) -> Exception:
    """Every problem of a file, each with its key path and line (exit 2)."""
    from salescrm.errors import InvalidValue
    from salescrm.process import locate

    lines = locate.lines_of(text) if problems[0].line is None else {}
    said = []
    for p in problems:
        line = p.line or locate.line_of(lines, p.path)
        said.append(f"{file}:{line}: " + (f"{p.path}: " if p.path else "") + p.message if line else
                    f"{file}: {p.path}: {p.message}")
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    return InvalidValue("\n".join(said) + f"\n{file} is not a valid process file ({count}); fix it and check again.")


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
