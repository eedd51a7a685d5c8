"""`salescrm pipeline`: the open deals per stage, with amounts weighted by each stage's probability."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm.cli import output

app = typer.Typer(epilog='Example: salescrm pipeline show', no_args_is_help=True)

BAR_WIDTH = 12


@app.command("show", epilog='Example: salescrm pipeline show --owner "Ana García" --json')
def show(
    ctx: typer.Context,
    owner: Optional[str] = typer.Option(None, "--owner", help="Only deals of this owner."),
    deal_class: Optional[str] = typer.Option(None, "--class", help="Only deals of this class."),
    json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Show open deals per stage: count, amount, weighted amount (won and lost deals are not open), per currency."""
    from salescrm import process
    from salescrm.cli.runtime import runtime
    from salescrm.domain import views

    with runtime(ctx).reading() as session:
        summary = views.pipeline_summary(session, owner=owner, deal_class=deal_class)
    if json:
        output.print_json(summary)
        return
    figures = summary.get("by_currency", [summary])
    for figure in figures:
        if len(figures) > 1:  # one table per currency: `# EUR` before each in a pipe, in its title on a terminal
            output.heading(None, figure["currency"])
        render_stages(figure, f"Pipeline {process.PIPELINE} (open deals, {figure['currency']})")


def render_stages(figure: dict, title: str) -> None:
    """One currency's open deals per stage, with a total and (on a terminal) bars."""
    from salescrm.domain.known_values import known_stage

    stages = figure["stages"]
    rows = [
        (s["stage"], known_stage(s["stage"]).probability if known_stage(s["stage"]) else "?", s["count"], output.money(s["amount"]),
         output.money(s["weighted_amount"]), _bar(s["amount"], stages))
        for s in stages
    ]
    total = figure["total"]
    rows.append(("Total", "", total["count"], output.money(total["amount"]), output.money(total["weighted_amount"]), ""))
    if not output.is_terminal():
        rows = [row[:5] for row in rows]
    output.table(
        ["Stage", ("Prob. %", output.COUNT), ("Deals", output.COUNT), ("Amount", output.AMOUNT),
         ("Weighted", output.AMOUNT), ("", output.BAR)],
        rows,
        title=title,
    )


def _bar(amount, stages: list[dict]) -> str:
    if not output.is_terminal():
        return ""
    largest = max((s["amount"] for s in stages), default=0)
    if not largest:
        return ""
    return "█" * max(1 if amount else 0, round(BAR_WIDTH * amount / largest))
