"""report forecast: open deals by the month of their expected close date, and the amount won per month."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from salescrm import process
from salescrm.domain.reports.common import Progress, Stages, deal_conditions, each_pipeline, quiet, stages_at, stream_rows, utc, window
from salescrm.domain.known_values import not_final
from salescrm.domain.values import amount_units
from salescrm.domain.pipeline_figures import by_currency
from salescrm.store.models import Deal, StageChange

# --- report forecast ----------------------------------------------------------------------------


def _month(year, month) -> str:
    return f"{int(year):04d}-{int(month):02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    while _month(year, month) <= last:
        out.append(_month(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


FORECAST_PHASES = ("open deals", "won amounts")


def forecast_report(session: Session, at: str | date | None = None, since: str | date | None = None,
                    until: str | date | None = None, owner: str | None = None, deal_class: str | None = None,
                    progress: Progress = None, pipeline: str | None = None) -> dict:
    """Open deals (as they stood at the end of `at`) by the month of their expected close date: count,
    amount and amount weighted by the stage's probability; and the amount won per month (the month of
    the move into the won stage, Payment Done in sp-009-001, in UTC). `since`/`until` bound the close dates
    and the won dates; with both, every month between them is listed. Per pipeline, where a process has several."""
    w = window(at, since, until)
    conditions = deal_conditions(session, owner, deal_class)
    proc = process.of(session)
    done = progress or quiet
    several = len(proc.pipelines) > 1
    shaped = each_pipeline(session, pipeline, lambda stages: _forecast(session, w, conditions, stages, several))
    done("open deals")
    done("won amounts")
    return {"at": w.at.isoformat(), **shaped}


def _forecast(session: Session, w, conditions: list, stages: Stages, several: bool) -> dict:
    """One pipeline's forecast, per currency."""
    proc = process.of(session)
    months: dict[str, dict[str, dict]] = {}  # currency -> month -> figures

    def month(currency: str, key: str) -> dict:
        return months.setdefault(currency, {}).setdefault(key, {"count": 0, "cents": 0, "weighted": 0, "won": 0})

    stage_at = stages_at(w.at_end)
    close = [Deal.close_date >= w.since] if w.since else []
    close += [Deal.close_date <= w.until] if w.until else []
    # Grouped by the close date itself (a few hundred distinct days), which SQLite does faster than by a
    # computed month; the days are folded into months here.
    rows = stream_rows(
        session,
        sa.select(Deal.currency, Deal.close_date, stage_at.c.stage, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
        .select_from(stage_at)
        .join(Deal, Deal.id == stage_at.c.deal_id)
        .where(not_final(stage_at.c.stage, proc), Deal.pipeline == stages.label, *close, *conditions)
        .group_by(Deal.currency, Deal.close_date, stage_at.c.stage),
    )
    for currency, close_date, stage, count, cents in rows:
        entry = month(currency, _month(close_date.year, close_date.month))
        entry["count"] += count
        entry["cents"] += int(cents)
        entry["weighted"] += int(cents) * stages.probability.get(stage, 0) // 100  # an unknown stage: no probability
    won_time = utc(session, StageChange.changed_at)
    won_year, won_month = sa.extract("year", won_time), sa.extract("month", won_time)
    # With one pipeline, no `Deal.pipeline` test: its won stage is a stage of that pipeline only, and the
    # test would lead SQLite to walk every deal by the pipeline index (4x slower at a million deals).
    in_pipeline = [Deal.pipeline == stages.label] if several else []
    rows = session.connection().execute(
        sa.select(Deal.currency, won_year, won_month, sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
        .select_from(StageChange)
        .join(Deal, Deal.id == StageChange.deal_id)
        .where(StageChange.to_stage == stages.won, *in_pipeline, *w.bounds(StageChange.changed_at), *conditions)
        .group_by(Deal.currency, won_year, won_month)
    )
    for currency, y, m, cents in rows:
        month(currency, _month(y, m))["won"] += int(cents)
    every = _months_between(w.since.isoformat()[:7], w.until.isoformat()[:7]) if w.since and w.until else []
    figures = {currency: _listed(by_month, every) for currency, by_month in months.items()}
    return by_currency(session, figures, lambda: _listed({}, every))


def _listed(by_month: dict[str, dict], every: list[str]) -> dict:
    """One currency's months (and every month of `every`, empty ones with zeros) and their total."""
    empty = {"count": 0, "cents": 0, "weighted": 0, "won": 0}
    listed, totals = [], Counter()
    for key in sorted(set(by_month) | set(every)):
        entry = by_month.get(key, empty)
        totals.update(entry)
        listed.append({"month": key, "count": entry["count"], "amount": amount_units(entry["cents"]),
                       "weighted_amount": amount_units(entry["weighted"]), "won_amount": amount_units(entry["won"])})
    return {
        "months": listed,
        "total": {"count": totals["count"], "amount": amount_units(totals["cents"]),
                  "weighted_amount": amount_units(totals["weighted"]), "won_amount": amount_units(totals["won"])},
    }
