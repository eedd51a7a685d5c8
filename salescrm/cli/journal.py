"""`salescrm journal`: the audit trail of every change, and the check that it is intact."""

from __future__ import annotations

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
    """Recompute the journal's hash chain and value digests; exit 0 if intact, 1 naming the first row that is not."""
    from salescrm.domain import journal
    from salescrm.errors import Refused

    with runtime(ctx).reading() as session:
        result = journal.verify(session, head)
    if not result.intact:
        raise Refused(result.problem)
    output.say(f"Journal intact: {result.count} rows. Head {result.head}")
    output.say("Record the head elsewhere (a weekly report, a ticket): a chain cannot show that its newest rows were cut off.")
