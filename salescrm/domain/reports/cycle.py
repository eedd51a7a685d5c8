"""report cycle: days from creation to won, and the median days spent in each stage."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from salescrm import process
from salescrm.domain.reports.common import (
    BUCKETS_PER_DAY, Progress, Stages, Window, day_buckets, deal_conditions, each_pipeline, quiet, window,
)
from salescrm.domain.values import parse_choice
from salescrm.store.models import Deal, StageChange, TeamMember



def won_at_choices(pipeline) -> dict[str, str]:
    """Where a cycle may end: the pipeline's won stage (sp-009-001: payment-done), or the stage before it
    on the path (contract-signed; health-prime: partner-of-choice), by slug."""
    path = pipeline.path
    at = path.index(pipeline.won)
    return {s.slug: s.name for s in (path[at], *path[max(at - 1, 0):at])}


# The default process's choices, as the help names them.
WON_AT = won_at_choices(process.default().default_pipeline)


def parse_won_at(value: str | None, pipeline=None) -> str:
    """`--won-at`: the won stage (the default) or the stage before it, by slug or name, in `pipeline`
    (the default process's when None)."""
    pipeline = pipeline or process.default().default_pipeline
    if value is None:
        return pipeline.won.name
    choices = won_at_choices(pipeline)
    slug = parse_choice(value, choices, "--won-at value", slugs=True)
    return choices[slug]



# --- Percentiles from a histogram ---------------------------------------------------------------


class Durations:
    """Counts of durations in hundredths of a day, and their percentiles (linear interpolation, the
    'inclusive' method of Python's statistics.quantiles and numpy's default)."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def add(self, bucket: int | None, count: int) -> None:
        if bucket is not None:
            self.counts[int(bucket)] += int(count)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def percentiles(self, *fractions: float) -> list[float | None]:
        n = self.n
        if n == 0:
            return [None for _ in fractions]
        ordered = sorted(self.counts.items())

        def nth(k: int) -> int:  # the k-th smallest value (0-based)
            seen = 0
            for value, count in ordered:
                seen += count
                if k < seen:
                    return value
            return ordered[-1][0]

        out = []
        for q in fractions:
            position = q * (n - 1)
            low = int(position)
            lo, hi = nth(low), nth(min(low + 1, n - 1))
            value = lo + (hi - lo) * (position - low)
            out.append(round(value / BUCKETS_PER_DAY, 1))
        return out

    def summary(self) -> dict:
        p25, median, p75 = self.percentiles(0.25, 0.5, 0.75)
        return {"deals": self.n, "median_days": median, "p25_days": p25, "p75_days": p75}


# --- report cycle ---------------------------------------------------------------------------------


CYCLE_PHASES = ("cycle lengths", "stays in stages")


def cycle_report(session: Session, at: str | date | None = None, since: str | date | None = None,
                 until: str | date | None = None, owner: str | None = None, deal_class: str | None = None,
                 won_at: str | None = None, progress: Progress = None, exclude_imported: bool = False,
                 pipeline: str | None = None) -> dict:
    """Sales-cycle length: days from a deal's creation to won (the first move into the won stage, Payment
    Done in sp-009-001, or with `won_at` the stage before it, Contract Signed, or beyond), for deals won in
    the period up to the end of `at`: median and quartiles, overall, by class and by owner. And the median
    days deals spent in each stage, over the stays in the stage history that ended in the period.
    `exclude_imported`: leave out the deals whose history an import made (`salescrm import`: its moves
    carry the batch). Per pipeline, where a process has several."""
    from salescrm.domain.views import chosen_pipelines

    first = chosen_pipelines(session, pipeline)[0]
    target = parse_won_at(won_at, first)  # checked before anything is read
    w = window(at, since, until)
    conditions = deal_conditions(session, owner, deal_class)
    if exclude_imported:
        conditions.append(~sa.exists().where(StageChange.deal_id == Deal.id, StageChange.import_batch_id.is_not(None)))
    done = progress or quiet

    def figure(stages: Stages) -> dict:
        found = _cycle(session, w, conditions, stages, parse_won_at(won_at, stages.pipeline))
        return {**found, "stage_median_days": _stage_medians(session, w, conditions, stages)}

    shaped = each_pipeline(session, pipeline, figure)
    done("cycle lengths")
    done("stays in stages")
    return {"won_at": target, "at": w.at.isoformat(), "since": w.since.isoformat() if w.since else None,
            "until": w.until.isoformat() if w.until else None, **shaped}


def _cycle(session: Session, w: Window, conditions: list, stages: Stages, target: str) -> dict:
    """One pipeline's cycle lengths, overall, by class and by owner."""
    reached = [name for name in stages.names if stages.rank[name] >= stages.rank[target]]
    won = (
        sa.select(StageChange.deal_id, sa.func.min(StageChange.changed_at).label("won_at"))
        .where(StageChange.to_stage.in_(reached), StageChange.changed_at < w.end)
        .group_by(StageChange.deal_id)
        .subquery("won")
    )
    later_lost = (  # lost by the end of `at`
        sa.select(StageChange.id)
        .where(StageChange.deal_id == won.c.deal_id, StageChange.to_stage == stages.lost,
               StageChange.changed_at < w.at_end)
        .exists()
    )
    bucket = day_buckets(session, Deal.created_at, won.c.won_at)
    where = [Deal.pipeline == stages.label, *conditions]
    if w.start is not None:
        where.append(won.c.won_at >= w.start)
    if target != stages.won:
        where.append(~later_lost)  # a deal lost after its signature was not won
    rows = session.connection().execute(
        sa.select(Deal.deal_class, TeamMember.name, bucket, sa.func.count())
        .select_from(won)
        .join(Deal, Deal.id == won.c.deal_id)
        .outerjoin(TeamMember, TeamMember.id == Deal.owner_id)
        .where(*where)
        .group_by(Deal.deal_class, TeamMember.name, bucket)
    )
    overall, by_class, by_owner = Durations(), {}, {}
    for deal_class_name, owner_name, days, count in rows:
        overall.add(days, count)
        by_class.setdefault(deal_class_name, Durations()).add(days, count)
        by_owner.setdefault(owner_name, Durations()).add(days, count)
    class_order = {c: i for i, c in enumerate(process.of(session).deal_classes)}
    return {
        **overall.summary(),
        "by_class": [{"class": c, **by_class[c].summary()}
                     for c in sorted(by_class, key=lambda c: (class_order.get(c, len(class_order)), c or ""))],
        # None: deals whose owner_id points at no team member (written by SQL), listed last
        "by_owner": [{"owner": o, **by_owner[o].summary()} for o in sorted(by_owner, key=lambda o: (o is None, o or ""))],
    }


def _stage_medians(session: Session, w: Window, conditions: list, stages: Stages) -> list[dict]:
    """Median days in each open stage over the stays that ended (by a move or a loss) in the window:
    a stay runs from a change into the stage to the deal's next change (a window function)."""
    following = sa.func.lead(StageChange.changed_at).over(partition_by=StageChange.deal_id, order_by=StageChange.id)
    stays = (
        sa.select(StageChange.deal_id, StageChange.to_stage.label("stage"), StageChange.changed_at.label("entered_at"),
                  following.label("left_at"))
        .where(StageChange.changed_at < w.end)
        .subquery("stays")
    )
    bucket = day_buckets(session, stays.c.entered_at, stays.c.left_at)
    where = [stays.c.left_at.is_not(None), stays.c.stage.not_in((stages.won, stages.lost)),
             Deal.pipeline == stages.label, *conditions]
    if w.start is not None:
        where.append(stays.c.left_at >= w.start)
    rows = session.connection().execute(
        sa.select(stays.c.stage, bucket, sa.func.count())
        .select_from(stays)
        .join(Deal, Deal.id == stays.c.deal_id)
        .where(*where)
        .group_by(stays.c.stage, bucket)
    )
    per_stage: dict[str, Durations] = {}
    for stage, days, count in rows:
        per_stage.setdefault(stage, Durations()).add(days, count)
    out = []
    for name in (*stages.open, *sorted(s for s in per_stage if s not in stages.open)):
        durations = per_stage.get(name, Durations())
        out.append({"stage": name, "median_days": durations.percentiles(0.5)[0], "stays": durations.n})
    return out
