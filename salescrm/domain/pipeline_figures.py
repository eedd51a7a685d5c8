"""Pipeline figures: the open deals per stage of each pipeline, per currency (`pipeline show`, `report
pipeline`), and the shapes every figure takes: one currency or `by_currency`, one pipeline or `pipelines`."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain.known_values import not_final
from salescrm.domain.values import amount_units
from salescrm.domain.views import DealFilter, deal_conditions, chosen_pipelines
from salescrm.store.tables import Deal


def stage_totals(by_stage: dict[str, tuple[int, int]], pipeline=None) -> dict:
    """Per open stage of `pipeline` (the default process's when None) and in total: count, amount and
    weighted amount, from {stage: (count, cents)} of one currency (the `pipeline show --json` shape)."""
    pipeline = pipeline or process.default().default_pipeline
    stages, count, cents, weighted = [], 0, 0, 0
    known = {s.name: s for s in pipeline.stages}
    open_names = tuple(s.name for s in pipeline.stages if s.open)
    unknown = sorted(name for name in by_stage if name not in open_names)  # written by SQL: shown as stored
    for name in (*open_names, *unknown):
        n, c = by_stage.get(name, (0, 0))
        stage = known.get(name)
        w = c * stage.probability // 100 if stage else 0  # no probability is known: weighted as nothing
        stages.append({"stage": name, "count": n, "amount": amount_units(c), "weighted_amount": amount_units(w)})
        count, cents, weighted = count + n, cents + c, weighted + w
    return {"stages": stages, "total": {"count": count, "amount": amount_units(cents),
                                        "weighted_amount": amount_units(weighted)}}


def by_currency(session: Session, figures: dict[str, dict], empty: Callable[[], dict]) -> dict:
    """Figures of several currencies, never summed across them. One currency in use (or none: the
    database's, with the `empty()` figure) gives its figure with `"currency"` first; several give
    `{"currency": null, "by_currency": [{"currency", ...figure}, ...]}`, the database's currency first."""
    from salescrm.domain.currency import database_currency, ordered

    home = database_currency(session)
    listed = [{"currency": c, **(figures[c] if c in figures else empty())} for c in ordered(figures, home) or [home]]
    return listed[0] if len(listed) == 1 else {"currency": None, "by_currency": listed}


def per_pipeline(session: Session, pipeline: str | None, figure_of: Callable[[object], dict]) -> dict:
    """Figures of each pipeline (`figure_of(Pipeline)`). A process with one pipeline gives its figure as it
    is; one with several gives `{"pipelines": [{"pipeline": KEY, "label": LABEL, ...figure}, ...]}`, for the
    pipeline `--pipeline` names or for each in the file's order."""
    proc = process.of(session)
    chosen = chosen_pipelines(session, pipeline)
    if len(proc.pipelines) == 1:
        return figure_of(chosen[0])
    return {"pipelines": [{"pipeline": p.key, "label": p.label, **figure_of(p)} for p in chosen]}


def pipeline_summary(session: Session, owner: str | None = None, deal_class: str | None = None,
                     pipeline: str | None = None) -> dict:
    """Open deals per stage: count, amount and weighted amount, aggregated in SQL, per currency, per pipeline."""
    proc = process.of(session)
    extra = deal_conditions(session, DealFilter(owner=owner, deal_class=deal_class))

    def figure(p) -> dict:
        rows = session.exec(
            select(Deal.currency, Deal.stage, sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
            .where(Deal.pipeline == p.label, not_final(Deal.stage, proc), *extra)
            .group_by(Deal.currency, Deal.stage)
        ).all()
        return stages_by_currency(session, rows, p)

    return per_pipeline(session, pipeline, figure)


def stages_by_currency(session: Session, rows, pipeline=None) -> dict:
    """(currency, stage, count, cents) rows as per-stage figures of `pipeline` for each currency."""
    grouped: dict[str, dict[str, tuple[int, int]]] = {}
    for currency, stage, count, cents in rows:
        grouped.setdefault(currency, {})[stage] = (count, int(cents))  # PostgreSQL sums to Decimal
    return by_currency(session, {c: stage_totals(s, pipeline) for c, s in grouped.items()},
                       lambda: stage_totals({}, pipeline))
