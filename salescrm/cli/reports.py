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
    won_at: Optional[str] = typer.Option(None, "--won-at", metavar="STAGE", help="Where the cycle ends: payment-done (won, the default) or contract-signed."),
    exclude_imported: bool = typer.Option(False, "--exclude-imported", help="Leave out the deals whose stage history came from `salescrm import`."),
    json: bool = _json(),
) -> None:
    """Sales-cycle length: days from a deal's creation to won, median and quartiles, by class and by owner; and the median days spent in each stage."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.CYCLE_PHASES, shown=not json) as done:
        report = reports.cycle_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                      won_at=won_at, progress=done, exclude_imported=exclude_imported)
    if json:
        output.print_json(report)
        return
    period = _period(report)
    output.details(section="cycle", title="Sales cycle", pairs=[
        ("Cycle", f"days from creation to {report['won_at']}" + (" (won)" if report["won_at"] == process.WON_STAGE else "")),
        ("Deals", f"{report['deals']} reaching {report['won_at']}{period}, as of the end of {report['at']}"),
        ("Median days", _days(report["median_days"])),
        ("Middle half", f"{_days(report['p25_days'])} to {_days(report['p75_days'])} days (25th to 75th percentile)"),
    ])
    for key, label in (("by_class", "class"), ("by_owner", "owner")):
        groups = report[key]
        if not groups:
            continue
        output.heading(f"By {label}", key)
        largest = max((g["median_days"] or 0) for g in groups)
        _table([(label.capitalize(), output.NAME), ("Deals", N), ("Median", DAYS), ("25th", DAYS), ("75th", DAYS), ""],
               [(g[label], g["deals"], _days(g["median_days"]), _days(g["p25_days"]), _days(g["p75_days"]),
                 _bar(g["median_days"], largest)) for g in groups], bars=(5,))
    output.heading("Median days in each stage (stays that ended" + (period or "") + ")", "stage_median_days")
    stages = report["stage_median_days"]
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
    json: bool = _json(),
) -> None:
    """The open deals per stage as they stood at a date, rebuilt from the stage history; with --compare, what changed since another date."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session:
        with output.progress("Reading", reports.pipeline_phases(compare is not None), shown=not json) as done:
            report = reports.pipeline_report(session, at=at, compare=compare, owner=owner, deal_class=class_,
                                             progress=done)
        if json:
            _print_json_streamed(report)  # the lists of changes are read from the database as they are written
        else:
            _render_pipeline(report)


def _figures(report: dict) -> list[dict]:
    """A report's figures per currency (one, or those under `by_currency`): amounts are never added across them."""
    return report.get("by_currency", [report])


def _each_currency(report: dict, section: str | None):
    """The figures of each currency with the `# section` line of its table in a pipe: `section` for one
    currency, and with several, the currency (`# EUR`, or `# stages EUR`). A terminal names the currency
    in each table's title."""
    figures = _figures(report)
    for figure in figures:
        if len(figures) == 1:
            yield figure, section
        else:
            yield figure, f"{section} {figure['currency']}" if section else figure["currency"]


def _render_pipeline(report: dict) -> None:
    earlier = report.get("compare")
    if earlier is None:
        for figure, section in _each_currency(report, None):
            largest = max(s["amount"] for s in figure["stages"])
            rows = [(s["stage"], _probability(s["stage"]), s["count"], output.money(s["amount"]),
                     output.money(s["weighted_amount"]), _bar(s["amount"], largest)) for s in figure["stages"]]
            total = figure["total"]
            rows.append(("Total", "", total["count"], output.money(total["amount"]), output.money(total["weighted_amount"]), ""))
            _table(["Stage", ("Prob. %", N), ("Deals", N), ("Amount", AMT), ("Weighted", AMT), ""], rows,
                   title=f"Pipeline {process.PIPELINE} at the end of {report['at']} (open deals, {figure['currency']})",
                   bars=(5,), section=section)
        return
    then, now = sorted((earlier, report), key=lambda r: r["at"])
    then_by = {f["currency"]: f for f in _figures(then)}
    now_by = {f["currency"]: f for f in _figures(now)}
    currencies = list(now_by) + [c for c in then_by if c not in now_by]
    for currency in currencies:
        before_fig, after_fig = then_by.get(currency), now_by.get(currency)
        before_fig, after_fig = before_fig or _zero(after_fig), after_fig or _zero(before_fig)
        pairs = _aligned(before_fig, after_fig) + [(before_fig["total"], after_fig["total"])]
        largest = max(s["amount"] for s in after_fig["stages"])
        rows = []
        for i, (before, after) in enumerate(pairs):
            rows.append((before.get("stage", "Total"), before["count"], output.money(before["amount"]), after["count"],
                         output.money(after["amount"]), _signed(after["count"] - before["count"]),
                         _signed(after["amount"] - before["amount"], money=True),
                         _bar(after["amount"], largest) if i < len(pairs) - 1 else ""))
        _table(["Stage", ("Deals then", N), ("Amount then", AMT), ("Deals now", N), ("Amount now", AMT), ("Δ deals", N),
                ("Δ amount", AMT), ""], rows,
               title=f"Pipeline {process.PIPELINE} (open deals, {currency}): then = the end of {then['at']}, "
                     f"now = the end of {now['at']}",
               bars=(7,), section="stages" if len(currencies) == 1 else f"stages {currency}")
    changes = report["changes"]
    period = f"after {changes['from']} up to {changes['to']}"
    for key, label in (("entered", "Entered (created)"), ("moved", "Moved to another open stage"), ("won", "Won"),
                       ("lost", "Lost")):
        output.heading(f"{label} {period}", key)
        _table([("ID", output.ID), ("Name", output.NAME), "From", "To", ("Amount", AMT), "Cur.", ("Owner", output.NAME)],
               ((d["id"], d["name"], d["from_stage"] or "-", d["to_stage"], output.money(d["amount"]), d["currency"],
                 d["owner"]) for d in changes[key]))
    output.heading(f"Companies created {period} with no deal by the end of {changes['to']}", "missing")
    _table([("ID", output.ID), ("Company", output.NAME), "Lead status", ("Created", output.TIME)],
           ((c["id"], c["name"], c["lead_status"], output.when(c["created_at"])) for c in changes["missing"]))


def _probability(stage: str):
    from salescrm.domain.known_values import known_stage

    known = known_stage(stage)
    return known.probability if known else "?"  # a stage salescrm does not know (written by SQL)


def _aligned(before_fig: dict, after_fig: dict) -> list[tuple[dict, dict]]:
    """The stages of two days side by side, by name: a stage salescrm does not know may hold deals on one day only."""
    zero = {"count": 0, "amount": 0, "weighted_amount": 0}
    before = {s["stage"]: s for s in before_fig["stages"]}
    after = {s["stage"]: s for s in after_fig["stages"]}
    names = list(before) + [n for n in after if n not in before]
    return [(before.get(n, {"stage": n, **zero}), after.get(n, {"stage": n, **zero})) for n in names]


def _zero(figure: dict) -> dict:
    """The figure of a currency with no open deal that day: the same stages, all zero."""
    zero = {"count": 0, "amount": 0, "weighted_amount": 0}
    return {"stages": [{"stage": s["stage"], **zero} for s in figure["stages"]], "total": dict(zero)}


def _print_json_streamed(obj, indent: int = 0) -> None:
    """JSON like print_json, except that lists (and the report's streamed `Rows`) are written one item
    per line as they are read, as `print_json_array` does, so that no long list sits whole in memory."""
    import sys

    write = sys.stdout.write
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        write("{")
        for i, (key, value) in enumerate(obj.items()):
            write(("," if i else "") + "\n" + pad + output.json_text(key) + ": ")
            _print_json_streamed(value, indent + 1)
        write(("\n" + "  " * indent if obj else "") + "}")
    elif isinstance(obj, (str, int, float, bool)) or obj is None:
        write(output.json_text(obj))
    else:
        first = True
        write("[")
        for item in obj:
            write(("\n" if first else ",\n") + pad + output.json_text(item))
            first = False
        write("]" if first else "\n" + "  " * indent + "]")
    if indent == 0:
        write("\n")


def _signed(value, money: bool = False) -> str:
    text = output.money(abs(value)) if money else str(abs(value))
    return ("+" if value > 0 else "-" if value < 0 else "") + text


# --- report forecast --------------------------------------------------------------------------------


@app.command("forecast", epilog="Example: salescrm report forecast --since 2026-01-01 --until 2026-12-31 --owner \"Ana García\"")
def forecast(
    ctx: typer.Context,
    owner: Optional[str] = _owner(),
    class_: Optional[str] = _class(),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only close dates and won dates on or after this day (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Only close dates and won dates on or before this day (YYYY-MM-DD); with --since, every month between is listed."),
    at: Optional[str] = _at(),
    json: bool = _json(),
) -> None:
    """Weighted amount (stage probability × amount) of the open deals by expected close month, and the amount won per month."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.FORECAST_PHASES, shown=not json) as done:
        report = reports.forecast_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                         progress=done)
    if json:
        output.print_json(report)
        return
    for figure, section in _each_currency(report, None):
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
               title=f"Forecast at the end of {report['at']} ({figure['currency']}): open deals by close month, "
                     "amount won by month", bars=(5,), section=section)


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
    json: bool = _json(),
) -> None:
    """Of the deals that entered each stage, the share that reached the next; win rate, loss reasons, and the share of new companies with a won deal."""
    from salescrm.cli.runtime import runtime
    from salescrm.domain import reports

    with runtime(ctx).reading() as session, output.progress("Reading", reports.CONVERSION_PHASES, shown=not json) as done:
        report = reports.conversion_report(session, at=at, since=since, until=until, owner=owner, deal_class=class_,
                                           channel=channel, source=source, progress=done)
    if json:
        output.print_json(report)
        return
    stages = report["stages"]
    largest = max(s["entered"] for s in stages)
    following = dict(zip(process.OPEN_STAGES, process.OPEN_STAGES[1:] + (process.WON_STAGE,)))
    _table(["Stage", ("Entered", N), ("Reached next", N), "Next stage", ("Rate", N), ""],
           [(s["stage"], s["entered"], s["reached_next"], following.get(s["stage"], "-"), _percent(s["rate"]),
             _bar(s["entered"], largest)) for s in stages],
           title=f"Conversion of the deals created{_period(report) or ' (all)'}, as of the end of {report['at']}",
           bars=(5,), section="stages")
    leads = report["leads"]
    output.details(section="rates", pairs=[
        ("Win rate", f"{_percent(report['win_rate'])} ({report['won']} won, {report['lost']} lost)"),
        ("Leads to won", f"{_percent(leads['rate'])} ({leads['won']} of {leads['companies']} companies created"
                         f"{_period(report)} have a won deal)"),
    ])
    if report["lost_reasons"]:
        output.heading("Lost deals by reason category", "lost_reasons")
        largest = max(r["count"] for r in report["lost_reasons"])
        _table(["Category", ("Deals", N), ""],
               [(r["category"] or "-", r["count"], _bar(r["count"], largest)) for r in report["lost_reasons"]], bars=(2,))


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
