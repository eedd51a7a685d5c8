"""`salescrm report`: the five regular reports of the life-science article (docs/reports.md).

Each command parses its options, calls one function of salescrm.domain.reports in a read session, and
renders the result: tables (with bars on a terminal) or `--json`.
"""

from __future__ import annotations

from typing import Optional

import typer

from salescrm import process
from salescrm.cli import output

app = typer.Typer(epilog="Example: salescrm report pipeline --at 2026-03-31 --compare 2026-02-28", no_args_is_help=True)

CLASS_HELP = "Only deals of this class: {deal_classes}."
OWNER_HELP = "Only deals of this owner (id, name or login)."
AT_HELP = "The day whose end the report looks at, YYYY-MM-DD (default today), rebuilt from the stage history."
JSON_HELP = "Print JSON on stdout."


def _complete_class(ctx: typer.Context, incomplete: str) -> list[str]:
    from salescrm.cli.completion_values import deal_classes

    return deal_classes(ctx, incomplete)


def _owner():
    return typer.Option(None, "--owner", help=OWNER_HELP)


def _class():
    return typer.Option(None, "--class", help=CLASS_HELP, autocompletion=_complete_class)


def _at():
    return typer.Option(None, "--at", metavar="DATE", help=AT_HELP)


def _json():
    return typer.Option(False, "--json", help=JSON_HELP)


def _pipeline():
    from salescrm.cli.runtime import pipeline_option

    return pipeline_option()


# --- report cycle ---------------------------------------------------------------------------------


@app.command("cycle", epilog="Example: salescrm report cycle --since 2026-01-01 --won-at contract-signed --json")
def cycle(
    ctx: typer.Context,
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only deals won on or after this day (YYYY-MM-DD); stays in stages that ended on or after it."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Only deals won on or before this day (YYYY-MM-DD); stays that ended by then."),
    at: Optional[str] = _at(),
    won_at: Optional[str] = typer.Option(None, "--won-at", metavar="STAGE", help="Where the cycle ends: the won stage (the default: payment-done; health-prime: closed-won) or the one before it (contract-signed; partner-of-choice)."),
    exclude_imported: bool = typer.Option(False, "--exclude-imported", help="Leave out the deals whose stage history came from `salescrm import`."),
    pipeline: Optional[str] = _pipeline(),
    json: bool = _json(),
) -> None:
    """Sales-cycle length: days from a deal's creation to won, median and quartiles, by class and by owner; and the median days spent in each stage."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.CYCLE_PHASES, shown=not json) as done:
        report = reports.cycle_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                      won_at=won_at, progress=done, exclude_imported=exclude_imported, pipeline=pipeline)
        won = report["won_at"] in {p.won.name for p in process.of(session).pipelines}
    if json:
        output.print_json(report)
        return
    from salescrm.cli.report_views import render_cycle

    render_cycle(report, won)


# --- report pipeline --------------------------------------------------------------------------------


@app.command("pipeline", epilog="Example: salescrm report pipeline --at 2026-03-31 --compare 2026-02-28")
def pipeline(
    ctx: typer.Context,
    at: Optional[str] = _at(),
    compare: Optional[str] = typer.Option(None, "--compare", metavar="DATE", help="Also the pipeline at the end of this day (YYYY-MM-DD), and what changed between the two days: deals that entered, moved, were won or lost, and new companies with no deal."),
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    pipeline: Optional[str] = _pipeline(),
    json: bool = _json(),
) -> None:
    """The open deals per stage as they stood at a date, rebuilt from the stage history; with --compare, what changed since another date."""
    from salescrm.cli.report_views import print_json_streamed, render_pipeline
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session:
        with output.progress("Reading", reports.pipeline_phases(compare is not None), shown=not json) as done:
            report = reports.pipeline_report(session, at=at, compare=compare, owner=owner, deal_class=class_,
                                             progress=done, pipeline=pipeline)
        if json:
            print_json_streamed(report)  # the lists of changes are read from the database as they are written
        else:
            render_pipeline(report, process.of(session))


# --- report forecast --------------------------------------------------------------------------------


@app.command("forecast", epilog="Example: salescrm report forecast --since 2026-01-01 --until 2026-12-31 --owner \"Ana García\"")
def forecast(
    ctx: typer.Context,
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only close dates and won dates on or after this day (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Only close dates and won dates on or before this day (YYYY-MM-DD); with --since, every month between is listed."),
    at: Optional[str] = _at(),
    pipeline: Optional[str] = _pipeline(),
    json: bool = _json(),
) -> None:
    """Weighted amount (stage probability × amount) of the open deals by expected close month, and the amount won per month."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.FORECAST_PHASES, shown=not json) as done:
        report = reports.forecast_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                         progress=done, pipeline=pipeline)
    if json:
        output.print_json(report)
        return
    from salescrm.cli.report_views import render_forecast

    render_forecast(report)


# --- report conversion ------------------------------------------------------------------------------


@app.command("conversion", epilog="Example: salescrm report conversion --since 2026-01-01 --until 2026-03-31 --json")
def conversion(
    ctx: typer.Context,
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only deals and companies created on or after this day (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Only deals and companies created on or before this day (YYYY-MM-DD)."),
    at: Optional[str] = _at(),
    channel: Optional[str] = typer.Option(None, "--channel", help="Leads to won: only companies with a contact that came by this channel (web-form, phone, ...)."),
    source: Optional[str] = typer.Option(None, "--source", help="Leads to won: only companies with a contact whose search engine, keyword or source page contains this."),
    pipeline: Optional[str] = _pipeline(),
    json: bool = _json(),
) -> None:
    """Of the deals that entered each stage, the share that reached the next; win rate, loss reasons, and the share of new companies with a won deal."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.CONVERSION_PHASES, shown=not json) as done:
        report = reports.conversion_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                           channel=channel, source=source, progress=done, pipeline=pipeline)
        following = {p.label: dict(zip([s.name for s in p.path], [s.name for s in p.path][1:]))
                     for p in process.of(session).pipelines}
    if json:
        output.print_json(report)
        return
    from salescrm.cli.report_views import render_conversion

    render_conversion(report, following)


# --- report next-steps ------------------------------------------------------------------------------


@app.command("next-steps", epilog='Example: salescrm report next-steps --owner "Ana García"')
def next_steps(
    ctx: typer.Context,
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout (as `deal next-steps --json`)."),
) -> None:
    """Every open deal with its next step (its earliest open task); deals with none or an overdue one come first. The same as `deal next-steps`."""
    from salescrm.cli.deal_views import render_next_steps
    from salescrm.cli.runtime import runtime
    from salescrm.domain import tasks

    with runtime(ctx).reading() as session:
        render_next_steps(tasks.iter_next_steps(session, owner=owner, deal_class=class_), json)
