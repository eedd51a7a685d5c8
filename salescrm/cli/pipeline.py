"""`salescrm pipeline`: the open deals per stage, with amounts weighted by each stage's probability."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import pipeline_option

app = typer.Typer(epilog='Example: salescrm pipeline show', no_args_is_help=True)

BAR_WIDTH = 12


@app.command("show", epilog='Example: salescrm pipeline show --owner "Ana García" --json')
def show(
    ctx: typer.Context,
    owner: Optional[str] = typer.Option(None, "--owner", help="Only deals of this owner."),
    deal_class: Optional[str] = typer.Option(None, "--class", help="Only deals of this class."),
    pipeline: Optional[str] = pipeline_option(),
    json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Show open deals per stage of each pipeline: count, amount, weighted amount (won and lost deals are not
    open), per currency."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import pipeline_figures

    with runtime(ctx).reading() as session:
        summary = pipeline_figures.pipeline_summary(session, owner=owner, deal_class=deal_class, pipeline=pipeline)
        shown = each_pipeline(session, summary)
    if json:
        output.print_json(summary)
        return
    for pipeline_figure, stages in shown:
        figures = pipeline_figure.get("by_currency", [pipeline_figure])
        for figure in figures:
            if len(figures) > 1 or len(shown) > 1:  # one table per pipeline and currency: a heading in a pipe
                output.heading(None, _heading(stages, figure["currency"], len(shown), len(figures)))
            render_stages(figure, f"Pipeline {stages.label} (open deals, {figure['currency']})", stages)


def each_pipeline(session, figures: dict) -> list[tuple[dict, object]]:
    """(figure, Pipeline) for each pipeline a figure holds: one, or those under `pipelines`."""
    from salescrm import process

    proc = process.of(session)
    if "pipelines" not in figures:
        return [(figures, proc.default_pipeline)]
    return [(f, proc.pipeline(f["pipeline"])) for f in figures["pipelines"]]


def _heading(pipeline, currency: str, pipelines: int, currencies: int) -> str:
    """A table's `# section` in a pipe: `pipeline new-business`, `EUR`, or both."""
    return " ".join(x for x in (f"pipeline {pipeline.key}" if pipelines > 1 else "", currency if currencies > 1 else "") if x)


def render_stages(figure: dict, title: str, pipeline=None) -> None:
    """One currency's open deals per stage, with a total and (on a terminal) bars."""
    known = {s.name: s for s in pipeline.stages} if pipeline is not None else {}
    stages = figure["stages"]
    rows = [
        (s["stage"], known[s["stage"]].probability if s["stage"] in known else "?", s["count"], output.money(s["amount"]),
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
