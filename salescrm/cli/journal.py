"""`salescrm journal`: the audit trail of every change, and the check that it is intact."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import runtime

app = typer.Typer(
    epilog="Example: salescrm journal show --deal 1", no_args_is_help=True,
)


@app.command("show", epilog="Example: salescrm journal show --deal 1 --since 2026-11-01 --json")
def show(
    ctx: typer.Context,
    deal: Optional[str] = typer.Option(None, "--deal", help="Only changes of this deal (its gate values and contacts included)."),
    company: Optional[str] = typer.Option(None, "--company", help="Only changes of this company."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Only changes of this contact."),
    since: Optional[str] = typer.Option(None, "--since", help="Only changes on or after this date, YYYY-MM-DD (UTC)."),
    by: Optional[str] = typer.Option(None, "--by", help="Only changes made by this user."),
    json: bool = typer.Option(False, "--json", help="Print JSON on stdout: one object per changed field."),
) -> None:
    """Show the journal of changes, oldest first, one line per changed field."""
    from salescrm.domain import journal

    filters = journal.JournalFilter(deal=deal, company=company, contact=contact, since=since, by=by)
    with runtime(ctx).reading() as session:
        changes = journal.iter_changes(session, filters)
        if json:
            output.print_json_array(changes)
            return
        if not output.is_terminal():
            output.table(
                ["Seq", "At", "By", "Record", "Field", "Old", "New", "Reason"],
                ((c["seq"], c["at"], c["by"], _record(c), c["field"] or "-", _text(c["old"]), _text(c["new"]),
                  c["reason"] or "") for c in changes),
            )
            return
        output.table([("Seq", output.ID), ("At", output.TIME), ("By", output.NAME), ("Record and change", output.TEXT)],
                     _grouped(changes))


def _text(value) -> str:
    return "" if value is None else str(value)


def _record(change: dict) -> str:
    return f"{change['record_type']} {change['record_id'] or ''}".strip()


def _grouped(changes):
    """On a terminal, each change as a row naming its record (and a row with its reason), then one row
    per changed field, `field: old → new`, so that four columns fit the terminal."""
    last = None
    for c in changes:
        head = (c["seq"], output.when(c["at"]), c["by"], _record(c))
        if head != last:
            yield (*head[:3], head[3])
            if c["reason"]:
                yield ("", "", "", f"reason: {c['reason']}")
        last = head
        change = c["field"] or "-"
        if c["old"] is not None or c["new"] is not None:
            change += ": " + (f"{_text(c['old'])} → " if c["old"] is not None else "") + (_text(c["new"]) if c["new"] is not None else "(none)")
        yield ("", "", "", "  " + change)


@app.command("verify", epilog="Example: salescrm journal verify --head 1042:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
def verify(
    ctx: typer.Context,
    head: Optional[str] = typer.Option(None, "--head", help="A head recorded earlier (COUNT:HASH) that must still be part of the chain."),
) -> None:
    """Recompute the journal's hash chain and value digests, and check this database's anchors (`journal anchor`); exit 0 if intact, 1 naming the first row or anchor that is not."""
    from salescrm.domain import anchors, journal
    from salescrm.errors import Refused

    path = anchors.anchor_file()
    with runtime(ctx).reading() as session:
        journal.snapshot(session)
        dbid = anchors.database_id(session)
        kept = anchors.read(path, dbid)
        result = journal.verify(session, head, tuple((a.count, a.hash) for a in kept))
        judged = anchors.judge(kept, result.unmatched, anchors.restores(session))
    if not result.intact:
        raise Refused(result.problem)
    failed = [r for r in judged if r.problem and r.superseded_by is None]
    if failed:
        raise Refused("\n".join(
            f"The anchor {r.anchor.head} taken {_time(r.anchor.at)} (in {path}) fails: {r.problem}." for r in failed))
    output.say(f"Journal intact: {result.count} rows. Head {result.head}")
    superseded = [r for r in judged if r.superseded_by is not None]
    if kept:
        output.say(f"Checked {len(kept)} anchor{'s' if len(kept) != 1 else ''} of database {dbid} in {path}: "
                   f"{len(kept) - len(superseded)} part of this chain"
                   + (f", {len(superseded)} superseded." if superseded else "."))
        for r in superseded:
            output.say(f"The anchor {r.anchor.head} taken {_time(r.anchor.at)} is superseded by the restore of "
                       f"{_time(r.superseded_by)}.")
    else:
        output.say(f"No anchors of database {dbid} in {path}: record the head with `salescrm journal anchor`, "
                   "and keep its line elsewhere too (a ticket, mail, git): a chain cannot show that its newest rows were cut off.")


@app.command("anchor", epilog="Example: salescrm journal anchor >> ~/crm-anchors.txt")
def anchor(ctx: typer.Context) -> None:
    """Print the journal's head as `DBID COUNT:HASH`, for keeping outside (mail, a ticket, git), and append it with the time to the anchor file in your data directory, after verifying the chain."""
    from salescrm.domain import anchors, journal
    from salescrm.errors import Refused

    with runtime(ctx).reading() as session:
        journal.snapshot(session)
        dbid = anchors.database_id(session)
        result = journal.verify(session)
    if not result.intact:
        raise Refused(f"{result.problem} Nothing was anchored.")
    path = anchors.anchor_file()
    try:
        anchors.append(path, dbid, result.head)
    except OSError as e:
        raise Refused(f"Cannot write the anchor file {path}: {e.strerror}; nothing was anchored.") from None
    output.say(f"{dbid} {result.head}")
    sys.stderr.write(f"Appended to {path}; `salescrm journal verify` checks it.\n")


def _time(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
