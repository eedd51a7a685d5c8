"""`salescrm activity`: every interaction with a customer, logged (SP-009-001: "we log all activity")."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm import process
from salescrm.cli import output
from salescrm.cli.prompts import required
from salescrm.cli.runtime import Needs, limit_option, no_limit, reason_option, runtime

app = typer.Typer(
    epilog='Example: salescrm activity log --contact marta@sanitas.es --type call --direction outbound --summary "Intro call"',
    no_args_is_help=True,
)

TYPE_HELP = "One of: {activity_types} (message: LinkedIn, WhatsApp...)."
DIRECTION_HELP = "outbound (we initiated it: the company becomes Attempted) or inbound (the contact did: Connected); none for a note."


@app.command("log", epilog='Example: salescrm activity log --company "Sanitas Hospitales" --type email --direction inbound '
                           '--summary "Replied with the waiting-list figures"')
def log(
    ctx: typer.Context,
    type_: Optional[str] = typer.Option(None, "--type", help=TYPE_HELP),
    direction: Optional[str] = typer.Option(None, "--direction", help=DIRECTION_HELP),
    summary: Optional[str] = typer.Option(None, "--summary", help="What was said or agreed."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Contact id, email or full name (links their company too)."),
    company: Optional[str] = typer.Option(None, "--company", help="Company id or name."),
    deal: Optional[str] = typer.Option(None, "--deal", help="Deal id or name (links its company too)."),
    at: Optional[str] = typer.Option(None, "--at", help="When it happened, to backdate: 2026-11-20 15:30 (local time) or a date; default now."),
    json: bool = typer.Option(False, "--json", help="Print the logged activity as JSON."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Log an interaction; the company's lead status follows (SP-009-001: Attempted, Connected)."""
    rt = runtime(ctx)
    needs = Needs()
    if contact is None and company is None and deal is None:
        needs.add("what it is about", "--contact, --company or --deal", lambda p: _ask_about(rt, p))
    if type_ is None:
        needs.add("activity type", "--type", lambda p: p.select("Type", list(process.ACTIVITY_TYPES)))
    answers = needs.resolve(rt)
    about = answers.get("--contact, --company or --deal", {})
    contact, company, deal = (about.get(f"--{kind}", given) for kind, given in
                              (("contact", contact), ("company", company), ("deal", deal)))
    type_ = answers.get("--type", type_)
    needs = Needs()
    if direction is None and type_ != process.ACTIVITY_NOTE:
        needs.add("direction", "--direction", lambda p: p.select("Who initiated it?", list(process.DIRECTIONS)))
    if summary is None:
        needs.add("summary", "--summary", lambda p: p.text("Summary", validate=required("Summary")))
    answers = needs.resolve(rt)
    from salescrm.domain import activities

    with rt.writing(reason) as session:
        outcome = activities.log_activity(
            session, type=type_, direction=answers.get("--direction", direction), summary=answers.get("--summary", summary),
            at=at, links=activities.Links(contact=contact, company=company, deal=deal),
        )
        obj = activities.shown_activity(session, outcome.record.id)
    for warning in outcome.warnings:
        output.warn(warning)
    if json:
        output.print_json(obj)
        return
    on = ", ".join(f"{key} {obj[key]['name']}" for key in ("contact", "company", "deal") if obj[key])
    output.say(f"Logged activity {obj['id']}: {obj['type']}{' ' + obj['direction'] if obj['direction'] else ''} on {on}")


def _ask_about(rt, p) -> dict[str, str]:
    from salescrm.cli.pick import ask_about

    return ask_about(rt, p)


@app.command("list", epilog='Example: salescrm activity list --company "Sanitas Hospitales" --since 2026-11-01 --json')
def list_(
    ctx: typer.Context,
    company: Optional[str] = typer.Option(None, "--company", help="Only activities linked to this company."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Only activities with this contact."),
    deal: Optional[str] = typer.Option(None, "--deal", help="Only activities on this deal."),
    type_: Optional[str] = typer.Option(None, "--type", help="Only this type. " + TYPE_HELP),
    by: Optional[str] = typer.Option(None, "--by", "--owner", help="Only those logged by this person (team member or login)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only from this date or time on (local time)."),
    limit: Optional[int] = limit_option(),
    json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout."),
) -> None:
    """List activities, newest first."""
    from salescrm.domain import activities

    f = activities.ActivityFilter(company=company, contact=contact, deal=deal, type=type_, by=by, since=since)
    with runtime(ctx).reading() as session:
        items = activities.iter_activity_objects(session, f, no_limit(limit))
        if json:
            output.print_json_array(items)
            return
        output.table(
            [("ID", output.ID), ("When", output.TIME), "Type", "Direction", ("Summary", output.TEXT), ("By", output.NAME),
             ("On", output.NAME)],
            ((a["id"], output.when(a["at"]), a["type"], a["direction"] or "", a["summary"], a["by"],
              ", ".join(a[k]["name"] for k in ("contact", "company", "deal") if a[k])) for a in items),
        )
