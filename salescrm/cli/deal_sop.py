"""`salescrm deal sop`: the process's summary note of a deal (Health Prime's "#S&OP" snippet), printed alone
on stdout and logged as a note on the deal (domain/sop.py). Registered on `deal` by cli/deals.py."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import reason_option, runtime


def sop(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout: deal, activity, text, lines."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Log the deal's summary note (health-prime: the #S&OP snippet) and print it; refused while any value it lists is missing."""
    from salescrm.cli import pick
    from salescrm.domain import sop as summaries

    rt = runtime(ctx)
    deal = pick.argument(rt, deal, "deal")
    with rt.writing(reason) as session:
        summary = summaries.log(session, deal)
    if json:
        output.print_json(summary.as_object())
    else:
        output.lines(summary.text.split("\n"))
    output.err(f"Logged note {summary.activity_id} on deal {summary.deal_id}.")
