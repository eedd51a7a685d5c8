"""How `report pipeline` is shown: per pipeline and currency, then and now side by side with --compare, and
the lists of changes; its JSON streamed (cli/reports.py parses the options)."""

from __future__ import annotations

from salescrm.cli import output
from salescrm.cli.reports import AMT, N, _bar, _table, parts


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
