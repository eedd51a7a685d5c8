"""How the reports are shown (cli/reports.py parses the options and calls the domain): tables per pipeline
and currency, with bars on a terminal; `report pipeline`'s then and now side by side with --compare, the
lists of changes, and its JSON streamed."""

from __future__ import annotations

from salescrm.cli import output

BAR_WIDTH = 12


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

def _render_forecast(report: dict, part: dict, key: str | None, label: str | None) -> None:
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


def render_cycle(report: dict, won: bool) -> None:
    period = _period(report)
    for part, key, label in parts(report):
        pipeline_heading(key, label)
        _render_cycle(report, part, period, won)


def render_forecast(report: dict) -> None:
    for part, key, label in parts(report):
        _render_forecast(report, part, key, label)


def render_conversion(report: dict, following: dict) -> None:
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




def _figures(report: dict) -> list[dict]:
    """A report's figures per currency (one, or those under `by_currency`): amounts are never added across them."""
    return report.get("by_currency", [report])


def each_currency(report: dict, section: str | None):
    """The figures of each currency with the `# section` line of its table in a pipe: `section` for one
    currency, and with several, the currency (`# EUR`, or `# stages EUR`). A terminal names the currency
    in each table's title."""
    figures = _figures(report)
    for figure in figures:
        if len(figures) == 1:
            yield figure, section
        else:
            yield figure, f"{section} {figure['currency']}" if section else figure["currency"]


def render_pipeline(report: dict, proc) -> None:
    """Each pipeline's figures (one table per currency), then with --compare what changed."""
    earlier = report.get("compare")
    if earlier is None:
        for part, key, label in parts(report):
            pipeline = proc.pipeline(key) if key else proc.default_pipeline
            probability = {s.name: s.probability for s in pipeline.stages}
            for figure, section in each_currency(part, f"pipeline {key}" if key else None):
                largest = max(s["amount"] for s in figure["stages"])
                rows = [(s["stage"], probability.get(s["stage"], "?"), s["count"], output.money(s["amount"]),
                         output.money(s["weighted_amount"]), _bar(s["amount"], largest)) for s in figure["stages"]]
                total = figure["total"]
                rows.append(("Total", "", total["count"], output.money(total["amount"]),
                             output.money(total["weighted_amount"]), ""))
                _table(["Stage", ("Prob. %", N), ("Deals", N), ("Amount", AMT), ("Weighted", AMT), ""], rows,
                       title=f"Pipeline {pipeline.label} at the end of {report['at']} (open deals, {figure['currency']})",
                       bars=(5,), section=section)
        return
    then, now = sorted((earlier, report), key=lambda r: r["at"])
    then_parts = {key: part for part, key, _ in parts(then)}
    for part, key, label in parts(now):
        _render_compared(then_parts[key], part, then["at"], now["at"], label or proc.default_pipeline.label, key)
    _render_changes(report["changes"])


def _render_compared(then: dict, now: dict, then_at: str, now_at: str, label: str, key: str | None) -> None:
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
        section = " ".join(x for x in ("pipeline", key, "stages") if key) or "stages"
        section += f" {currency}" if len(currencies) > 1 else ""
        _table(["Stage", ("Deals then", N), ("Amount then", AMT), ("Deals now", N), ("Amount now", AMT), ("Δ deals", N),
                ("Δ amount", AMT), ""], rows,
               title=f"Pipeline {label} (open deals, {currency}): then = the end of {then_at}, now = the end of {now_at}",
               bars=(7,), section=section)


def _render_changes(changes: dict) -> None:
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


def print_json_streamed(obj, indent: int = 0) -> None:
    """JSON like print_json, except that lists (and the report's streamed `Rows`) are written one item
    per line as they are read, as `print_json_array` does, so that no long list sits whole in memory."""
    import sys

    write = sys.stdout.write
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        write("{")
        for i, (key, value) in enumerate(obj.items()):
            write(("," if i else "") + "\n" + pad + output.json_text(key) + ": ")
            print_json_streamed(value, indent + 1)
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
