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

BAR_WIDTH = 12
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


def parts(report: dict) -> list[tuple[dict, str | None, str | None]]:
    """(figures, pipeline key, label) of each pipeline a report holds: the report itself for a process with
    one pipeline (key None), else each entry of `pipelines`, whose tables a heading names."""
    if "pipelines" not in report:
        return [(report, None, None)]
    return [(p, p["pipeline"], p["label"]) for p in report["pipelines"]]


def pipeline_heading(key: str | None, label: str | None) -> None:
    if key is not None:
        output.heading(f"Pipeline {label}", f"pipeline {key}")


# --- rendering ----------------------------------------------------------------------------------


def _bar(value, largest) -> str:
    """A bar of █ scaled to the largest value (empty in a pipe, where numbers are what scripts read)."""
    if not output.is_terminal() or not largest or not value:
        return ""
    return "█" * max(1, round(BAR_WIDTH * value / largest))


def _table(columns: list, rows, *, title: str | None = None, bars: tuple[int, ...] = (), section: str | None = None) -> None:
    """A table whose bar columns (by index) are dropped in a pipe."""
    columns = [(c, output.BAR) if i in bars else c for i, c in enumerate(columns)]
    if not output.is_terminal() and bars:
        keep = [i for i in range(len(columns)) if i not in bars]
        columns = [columns[i] for i in keep]
        rows = [tuple(row[i] for i in keep) for row in rows]
    output.table(columns, rows, title=title, section=section)


N, AMT, DAYS = output.COUNT, output.AMOUNT, output.COUNT  # the kinds of the reports' number columns


def _days(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _percent(rate) -> str:
    if rate is None:
        return "-"
    return f"{rate * 100:.1f} %" if output.is_terminal() else str(rate)


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
    period = _period(report)
    for part, key, label in parts(report):
        pipeline_heading(key, label)
        _render_cycle(report, part, period, won)


def _render_cycle(report: dict, part: dict, period: str, won: bool) -> None:
    output.details(section="cycle", title="Sales cycle", pairs=[
        ("Cycle", f"days from creation to {report['won_at']}" + (" (won)" if won else "")),
        ("Deals", f"{part['deals']} reaching {report['won_at']}{period}, as of the end of {report['at']}"),
        ("Median days", _days(part["median_days"])),
        ("Middle half", f"{_days(part['p25_days'])} to {_days(part['p75_days'])} days (25th to 75th percentile)"),
    ])
    for key, label in (("by_class", "class"), ("by_owner", "owner")):
        groups = part[key]
        if not groups:
            continue
        output.heading(f"By {label}", key)
        largest = max((g["median_days"] or 0) for g in groups)
        _table([(label.capitalize(), output.NAME), ("Deals", N), ("Median", DAYS), ("25th", DAYS), ("75th", DAYS), ""],
               [(g[label], g["deals"], _days(g["median_days"]), _days(g["p25_days"]), _days(g["p75_days"]),
                 _bar(g["median_days"], largest)) for g in groups], bars=(5,))
    output.heading("Median days in each stage (stays that ended" + (period or "") + ")", "stage_median_days")
    stages = part["stage_median_days"]
    largest = max((s["median_days"] or 0) for s in stages)
    _table(["Stage", ("Stays", N), ("Median days", DAYS), ""],
           [(s["stage"], s["stays"], _days(s["median_days"]), _bar(s["median_days"], largest)) for s in stages], bars=(3,))


def _period(report: dict) -> str:
    since, until = report.get("since"), report.get("until")
    if since and until:
        return f" from {since} to {until}"
    if since:
        return f" since {since}"
    if until:
        return f" until {until}"
    return ""


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
    from salescrm.cli.report_pipeline import print_json_streamed, render_pipeline
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
    from salescrm.cli.report_pipeline import each_currency

    for part, key, label in parts(report):
        _render_forecast(report, part, key, label, each_currency)


def _render_forecast(report: dict, part: dict, key: str | None, label: str | None, each_currency) -> None:
    for figure, section in each_currency(part, f"pipeline {key}" if key else None):
        months = figure["months"]
        largest = max([m["weighted_amount"] + m["won_amount"] for m in months] + [0])
        rows = [(m["month"], m["count"], output.money(m["amount"]), output.money(m["weighted_amount"]),
                 output.money(m["won_amount"]), _stacked(m["won_amount"], m["weighted_amount"], largest))
                for m in months]
        total = figure["total"]
        rows.append(("Total", total["count"], output.money(total["amount"]), output.money(total["weighted_amount"]),
                     output.money(total["won_amount"]), ""))
        _table([("Month", output.DATE), ("Open deals", N), ("Amount", AMT), ("Weighted", AMT), ("Won", AMT),
                "█ won ░ weighted"], rows,
               title=f"Forecast{' of ' + label if label else ''} at the end of {report['at']} ({figure['currency']}): "
                     "open deals by close month, amount won by month", bars=(5,), section=section)


def _stacked(won, weighted, largest) -> str:
    """Won (█) then weighted open amount (░), on one scale."""
    if not output.is_terminal() or not largest:
        return ""
    solid = round(BAR_WIDTH * won / largest)
    shaded = round(BAR_WIDTH * (won + weighted) / largest) - solid
    return "█" * max(solid, 1 if won else 0) + "░" * max(shaded, 1 if weighted else 0)


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
    several = "pipelines" in report
    for part, key, label in parts(report):
        pipeline_heading(key, label)
        _render_conversion(report, part, following.get(label) if label else next(iter(following.values())))
    if several:  # the companies' conversion counts the won deals of every pipeline shown
        leads = report["leads"]
        output.details(section="leads", title="Every pipeline", pairs=[
            ("Leads to won", f"{_percent(leads['rate'])} ({leads['won']} of {leads['companies']} companies created"
                             f"{_period(report)} have a won deal)"),
        ])


def _render_conversion(report: dict, part: dict, following: dict) -> None:
    stages = part["stages"]
    largest = max((s["entered"] for s in stages), default=0)
    _table(["Stage", ("Entered", N), ("Reached next", N), "Next stage", ("Rate", N), ""],
           [(s["stage"], s["entered"], s["reached_next"], following.get(s["stage"], "-"), _percent(s["rate"]),
             _bar(s["entered"], largest)) for s in stages],
           title=f"Conversion of the deals created{_period(report) or ' (all)'}, as of the end of {report['at']}",
           bars=(5,), section="stages")
    pairs = [("Win rate", f"{_percent(part['win_rate'])} ({part['won']} won, {part['lost']} lost)")]
    if "pipelines" not in report:  # one pipeline: its rates and the leads' in one section, as they always were
        leads = report["leads"]
        pairs.append(("Leads to won", f"{_percent(leads['rate'])} ({leads['won']} of {leads['companies']} companies "
                                      f"created{_period(report)} have a won deal)"))
    output.details(section="rates", pairs=pairs)
    if part["lost_reasons"]:
        output.heading("Lost deals by reason category", "lost_reasons")
        largest = max(r["count"] for r in part["lost_reasons"])
        _table(["Category", ("Deals", N), ""],
               [(r["category"] or "-", r["count"], _bar(r["count"], largest)) for r in part["lost_reasons"]], bars=(2,))


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
