"""What the reports share: their options (days as local days, `--at`, `--since`, `--until`), the deals'
filters, and the SQL that rebuilds a past state from the stage history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm import process
from salescrm.domain import refs
from salescrm.domain.values import parse_date
from salescrm.errors import InvalidValue
from salescrm.store.models import Deal, StageChange




@dataclass(frozen=True)
class Stages:
    """What a report reads of one pipeline: its path's stage names in order (sp-009-001's Sales: Prospected
    ... Payment Done), their ranks, probabilities, the open ones, and its won and lost stages."""

    pipeline: object  # process.Pipeline
    names: tuple[str, ...]
    rank: dict
    probability: dict
    open: tuple[str, ...]
    won: str
    lost: str

    @property
    def label(self) -> str:
        return self.pipeline.label

    def rank_case(self, column):
        """The position of a stage on the path to won (lost: NULL, so max() gives the furthest stage reached)."""
        return sa.case(self.rank, value=column, else_=None)


def stages_of(pipeline) -> Stages:
    names = tuple(s.name for s in pipeline.path)
    return Stages(pipeline, names, {n: i for i, n in enumerate(names)}, {s.name: s.probability for s in pipeline.stages},
                  tuple(s.name for s in pipeline.stages if s.open), pipeline.won.name, pipeline.lost.name)


def each_pipeline(session: Session, pipeline: str | None, figure_of: Callable[[Stages], dict]) -> dict:
    """A report's figures per pipeline (`views.per_pipeline`): as they are for a process with one pipeline,
    `{"pipelines": [{"pipeline", "label", ...}]}` for one with several (only `pipeline` when it is given)."""
    from salescrm.domain.pipeline_figures import per_pipeline

    return per_pipeline(session, pipeline, lambda p: figure_of(stages_of(p)))


def pipeline_labels(session: Session, pipeline: str | None) -> list:
    """The conditions that keep a report's deals to the chosen pipelines (none: every deal, as with one pipeline)."""
    from salescrm.domain.views import chosen_pipelines

    proc = process.of(session)
    if len(proc.pipelines) == 1:
        return []
    return [Deal.pipeline.in_([p.label for p in chosen_pipelines(session, pipeline)])]
# Durations are grouped in SQL to this fraction of a day; figures are shown to a tenth of a day.
BUCKETS_PER_DAY = 100
Progress = Callable[[str], None] | None  # told each phase of a report as it is done (a progress bar)


def quiet(_phase: str) -> None:
    pass


# --- Options ----------------------------------------------------------------------------------


def today() -> date:
    return date.today()


def day_start(day: date) -> datetime:
    """The start of a local day, in UTC (typed dates are local days, like task due dates)."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc)


def as_date(value: str | date | None, label: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not str(value).strip():
        raise InvalidValue(f"{label} is empty: give a date as YYYY-MM-DD, e.g. {today().isoformat()}.")
    return parse_date(value, label)


def parse_at(value: str | date | None, label: str = "Report date (--at)") -> date:
    """The day whose end the report looks at: today when not given; never in the future."""
    day = as_date(value, label) or today()
    latest = max(today(), datetime.now(timezone.utc).date())
    if day > latest:
        raise InvalidValue(
            f"{label} {day.isoformat()} is in the future; a report rebuilds what held on a past day, "
            f"so give a date up to {latest.isoformat()}."
        )
    return day


@dataclass(frozen=True)
class Window:
    """The times a report looks at: changes before `end` (exclusive) count; `start` bounds a period."""

    at: date
    at_end: datetime  # the start of the day after `at`: the history counts up to here
    end: datetime  # the same, or the start of the day after --until when earlier: the period ends here
    start: datetime | None  # the start of --since
    since: date | None
    until: date | None

    def bounds(self, column) -> list:
        conditions = [column < self.end]
        if self.start is not None:
            conditions.append(column >= self.start)
        return conditions


def window(at: str | date | None = None, since: str | date | None = None, until: str | date | None = None) -> Window:
    day = parse_at(at)
    first = as_date(since, "Start (--since)")
    last = as_date(until, "End (--until)")
    if first is not None and last is not None and first > last:
        raise InvalidValue(
            f"Start (--since) {first.isoformat()} is after end (--until) {last.isoformat()}: "
            "give a start on or before the end."
        )
    at_end = day_start(day + timedelta(days=1))
    end = at_end if last is None else day_start(min(day, last) + timedelta(days=1))  # `day` is never after today
    return Window(day, at_end, end, day_start(first) if first else None, first, last)


def deal_conditions(session: Session, owner: str | None, deal_class: str | None) -> list:
    conditions = []
    if deal_class is not None:
        from salescrm.domain.pipelines import parse_deal_class

        conditions.append(Deal.deal_class == parse_deal_class(process.of(session), deal_class))
    if owner is not None:
        conditions.append(Deal.owner_id == refs.team_member(session, owner).id)
    return conditions


# --- SQL helpers ------------------------------------------------------------------------------


def stream_rows(session: Session, statement) -> Iterable:
    """Rows through Core, streamed."""
    return session.connection().execute(statement.execution_options(yield_per=2000))


def days_between(session: Session, start, end):
    """Days between two stored times, as a number, in SQL (the one place the dialects differ)."""
    if session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return sa.extract("epoch", end - start) / sa.literal_column("86400.0")


def utc(session: Session, column):
    """A stored time as UTC wall-clock time (PostgreSQL would otherwise read it in the session's time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.timezone(sa.literal_column("'UTC'"), column)
    return column  # SQLite stores UTC


def day_buckets(session: Session, start, end):
    """A duration in whole hundredths of a day (what durations are grouped by)."""
    # A literal, not a bound parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
    return sa.cast(sa.func.round(days_between(session, start, end) * sa.literal_column(str(BUCKETS_PER_DAY))), sa.Integer)


def last_change_ids(end: datetime):
    """Each deal's last stage change made before `end` (ids only grow: the history is append-only)."""
    return (
        sa.select(StageChange.deal_id, sa.func.max(StageChange.id).label("change_id"))
        .where(StageChange.changed_at < end)
        .group_by(StageChange.deal_id)
        .subquery("last_change")
    )


def stages_at(end: datetime):
    """(deal_id, stage): the stage each deal was in just before `end`; deals not yet created are absent."""
    last = last_change_ids(end)
    change = aliased(StageChange, name="change_at")
    return (
        sa.select(last.c.deal_id, change.to_stage.label("stage"))
        .join(change, change.id == last.c.change_id)
        .subquery("stage_at")
    )
