"""`salescrm pipeline`: the open deals per stage, with amounts weighted by each stage's probability."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm.cli import output

app = typer.Typer(help="The Sales pipeline: open deals per stage.",
                  epilog='Example: salescrm pipeline show', no_args_is_help=True)

BAR_WIDTH = 12


@app.command("show", epilog='Example: salescrm pipeline show --owner "Ana García" --json')
def show(
    ctx: typer.Context,
    owner: Optional[str] = typer.Option(None, "--owner", help="Only deals of this owner."),
    deal_class: Optional[str] = typer.Option(None, "--class", help="Only deals of this class."),
    json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Show open deals per stage: count, amount, weighted amount (won and lost deals are not open)."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import views

    with runtime(ctx).reading() as session:
        summary = views.pipeline_summary(session, owner=owner, deal_class=deal_class)
    if json:
        output.print_json({"stages": [_public(s) for s in summary["stages"]], "total": summary["total"]})
        return
    rows = [
        (s["stage"], s["probability"], s["count"], output.money(s["amount"]), output.money(s["weighted_amount"]),
         _bar(s["amount"], summary["stages"]))
        for s in summary["stages"]
    ]
    total = summary["total"]
    rows.append(("Total", "", total["count"], output.money(total["amount"]), output.money(total["weighted_amount"]), ""))
    if not output.is_terminal():
        rows = [row[:5] for row in rows]
    output.table(
        ["Stage", ("Prob. %", output.COUNT), ("Deals", output.COUNT), ("Amount", output.AMOUNT),
         ("Weighted", output.AMOUNT), ("", output.BAR)],
        rows,
        title=f"Pipeline {summary['pipeline']} (open deals)",
    )


def _public(stage: dict) -> dict:
    return {k: stage[k] for k in ("stage", "count", "amount", "weighted_amount")}


def _bar(amount, stages: list[dict]) -> str:
    if not output.is_terminal():
        return ""
    largest = max((s["amount"] for s in stages), default=0)
    if not largest:
        return ""
    return "█" * max(1 if amount else 0, round(BAR_WIDTH * amount / largest))
