"""The five regular reports of the life-science article (docs/reports.md): sales cycle, pipeline,
forecast, conversion and next steps (the last one is `tasks.iter_next_steps`).

Each report is one function taking a session and the options as typed, returning the plain dict that
`--json` prints. Every figure is aggregated in SQL, and every past state is rebuilt from the
append-only stage history (`stage_change`): the stage a deal was in at a time is the `to_stage` of its
last change made before that time. So a report run today for last quarter gives the figures that held
then. Amounts, close dates, owners and classes are today's values (their history is not kept).

Dates are typed as YYYY-MM-DD and mean local days (the project's rule for typed times): `--at D` is the
state at the end of day D; `--since D` starts at the beginning of D; `--until D` ends with the end of D.
Durations and percentiles are computed from counts of durations in hundredths of a day grouped in SQL
(a histogram), so no report holds one number per deal, let alone one row per deal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm import process
from salescrm.domain import refs
from salescrm.domain.values import amount_units, parse_choice, parse_date, parse_deal_class
from salescrm.errors import InvalidValue
from salescrm.store.models import Company, Deal, StageChange, TeamMember

PIPELINE_NAMES = tuple(s.name for s in process.PIPELINE_STAGES)  # Prospected ... Payment Done, in order
RANK = {name: i for i, name in enumerate(PIPELINE_NAMES)}
PROBABILITY = {s.name: s.probability for s in process.STAGES}
WON_AT = {"payment-done": process.WON_STAGE, "contract-signed": "Contract Signed"}
# Durations are grouped in SQL to this fraction of a day; figures are shown to a tenth of a day.
BUCKETS_PER_DAY = 100
Progress = Callable[[str], None] | None  # told each phase of a report as it is done (a progress bar)


def _quiet(_phase: str) -> None:
    pass



# --- Options ----------------------------------------------------------------------------------


def today() -> date:
    return date.today()


def _day_start(day: date) -> datetime:
    """The start of a local day, in UTC (typed dates are local days, like task due dates)."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc)


def _as_date(value: str | date | None, label: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not str(value).strip():
        raise InvalidValue(f"{label} is empty: give a date as YYYY-MM-DD, e.g. {today().isoformat()}.")
    return parse_date(value, label)


def parse_at(value: str | date | None, label: str = "Report date (--at)") -> date:
    """The day whose end the report looks at: today when not given; never in the future."""
    day = _as_date(value, label) or today()
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
    first = _as_date(since, "Start (--since)")
    last = _as_date(until, "End (--until)")
    if first is not None and last is not None and first > last:
        raise InvalidValue(
            f"Start (--since) {first.isoformat()} is after end (--until) {last.isoformat()}: "
            "give a start on or before the end."
        )
    at_end = _day_start(day + timedelta(days=1))
    end = at_end if last is None else min(at_end, _day_start(last + timedelta(days=1)))
    return Window(day, at_end, end, _day_start(first) if first else None, first, last)


def _deal_conditions(session: Session, owner: str | None, deal_class: str | None) -> list:
    conditions = []
    if deal_class is not None:
        conditions.append(Deal.deal_class == parse_deal_class(deal_class))
    if owner is not None:
        conditions.append(Deal.owner_id == refs.team_member(session, owner).id)
    return conditions


def parse_won_at(value: str | None) -> str:
    """`--won-at`: payment-done (the SOP's won) or contract-signed; a stage name works too."""
    if value is None:
        return process.WON_STAGE
    slug = parse_choice(value, WON_AT, "--won-at value", slugs=True)
    return WON_AT[slug]


# --- SQL helpers ------------------------------------------------------------------------------


def _rows(session: Session, statement) -> Iterable:
    """Rows through Core, streamed."""
    return session.connection().execute(statement.execution_options(yield_per=2000))


def _days(session: Session, start, end):
    """Days between two stored times, as a number, in SQL (the one place the dialects differ)."""
    if session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return sa.extract("epoch", end - start) / sa.literal_column("86400.0")


def _utc(session: Session, column):
    """A stored time as UTC wall-clock time (PostgreSQL would otherwise read it in the session's time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.timezone(sa.literal_column("'UTC'"), column)
    return column  # SQLite stores UTC


def _bucket(session: Session, start, end):
    """A duration in whole hundredths of a day (what durations are grouped by)."""
    # A literal, not a bound parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
    return sa.cast(sa.func.round(_days(session, start, end) * sa.literal_column(str(BUCKETS_PER_DAY))), sa.Integer)


def _last_change_ids(end: datetime):
    """Each deal's last stage change made before `end` (ids only grow: the history is append-only)."""
    return (
        sa.select(StageChange.deal_id, sa.func.max(StageChange.id).label("change_id"))
        .where(StageChange.changed_at < end)
        .group_by(StageChange.deal_id)
        .subquery("last_change")
    )


def _stage_at(end: datetime):
    """(deal_id, stage): the stage each deal was in just before `end`; deals not yet created are absent."""
    last = _last_change_ids(end)
    change = aliased(StageChange, name="change_at")
    return (
        sa.select(last.c.deal_id, change.to_stage.label("stage"))
        .join(change, change.id == last.c.change_id)
        .subquery("stage_at")
    )


def _rank_case(column):
    """The position of a stage on the path to won (Lost: NULL, so max() gives the furthest stage reached)."""
    return sa.case(RANK, value=column, else_=None)


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


# --- report pipeline ----------------------------------------------------------------------------


def _pipeline_at(session: Session, end: datetime, conditions: list) -> dict:
    """Open deals per stage as they stood just before `end`: the `pipeline show --json` shape."""
    at = _stage_at(end)
    rows = session.connection().execute(
        sa.select(at.c.stage, sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
        .select_from(at)
        .join(Deal, Deal.id == at.c.deal_id)
        .where(at.c.stage.in_(process.OPEN_STAGES), Deal.pipeline == process.PIPELINE, *conditions)
        .group_by(at.c.stage)
    ).all()
    by_stage = {stage: (count, int(cents)) for stage, count, cents in rows}  # PostgreSQL sums to Decimal
    stages, total_count, total_cents, total_weighted = [], 0, 0, 0
    for name in process.OPEN_STAGES:
        count, cents = by_stage.get(name, (0, 0))
        weighted = cents * PROBABILITY[name] // 100
        stages.append({"stage": name, "count": count, "amount": amount_units(cents),
                       "weighted_amount": amount_units(weighted)})
        total_count, total_cents, total_weighted = total_count + count, total_cents + cents, total_weighted + weighted
    return {"stages": stages, "total": {"count": total_count, "amount": amount_units(total_cents),
                                        "weighted_amount": amount_units(total_weighted)}}


def pipeline_phases(compare: bool) -> tuple[str, ...]:
    return ("pipeline", "comparison") if compare else ("pipeline",)


def pipeline_report(session: Session, at: str | date | None = None, compare: str | date | None = None,
                    owner: str | None = None, deal_class: str | None = None, progress: Progress = None) -> dict:
    """The pipeline per stage at the end of day `at` (default today), rebuilt from the stage history;
    with `compare`, also the pipeline that day and what changed between the two days. The lists of
    changes are `Rows`, read when iterated: use them inside the session."""
    day = parse_at(at)
    other = parse_at(compare, "Comparison date (--compare)") if compare is not None else None
    conditions = _deal_conditions(session, owner, deal_class)
    done = progress or _quiet
    report = {"at": day.isoformat(), **_pipeline_at(session, _day_start(day + timedelta(days=1)), conditions)}
    done("pipeline")
    if other is None:
        return report
    report["compare"] = {"at": other.isoformat(),
                         **_pipeline_at(session, _day_start(other + timedelta(days=1)), conditions)}
    done("comparison")
    first, last = sorted((day, other))
    report["changes"] = _changes(session, first, last, conditions)
    return report


class Rows:
    """A list that is read from the database each time it is iterated (inside the session that made it),
    so that a long one is streamed to its reader and never sits whole in memory. `list(rows)` reads it all."""

    def __init__(self, produce: Callable[[], Iterable[dict]]):
        self._produce = produce

    def __iter__(self) -> Iterator[dict]:
        return iter(self._produce())


CHANGE_KINDS = ("entered", "moved", "won", "lost")


def _changes(session: Session, first: date, last: date, conditions: list) -> dict:
    """Deals that entered, moved, were won or lost after the end of day `first` up to the end of day `last`,
    and the companies created then that have no deal by the end of `last`, as streamed lists in id order.

    Per deal, one grouping of the history finds its last change before each end; deals whose two differ
    changed in the period. A deal created and won in the period is in `entered` and in `won`; `moved`
    holds the deals that were open at both ends, in different stages.
    """
    a_end, b_end = _day_start(first + timedelta(days=1)), _day_start(last + timedelta(days=1))
    a_id = sa.func.max(sa.case((StageChange.changed_at < a_end, StageChange.id), else_=None))
    b_id = sa.func.max(StageChange.id)
    per_deal = (
        sa.select(StageChange.deal_id, a_id.label("a_id"), b_id.label("b_id"))
        .where(StageChange.changed_at < b_end)
        .group_by(StageChange.deal_id)
        .having(sa.or_(a_id.is_(None), a_id != b_id))
        .subquery("changed")
    )
    before, after = aliased(StageChange, name="before"), aliased(StageChange, name="after")
    changed = (
        sa.select(Deal.id, Deal.name, Company.name.label("company"), TeamMember.name.label("owner"), Deal.amount_cents,
                  before.to_stage.label("from_stage"), after.to_stage.label("to_stage"))
        .select_from(per_deal)
        .join(after, after.id == per_deal.c.b_id)
        .outerjoin(before, before.id == per_deal.c.a_id)
        .join(Deal, Deal.id == per_deal.c.deal_id)
        .join(Company, Company.id == Deal.company_id)
        .join(TeamMember, TeamMember.id == Deal.owner_id)
        .where(*conditions)
        .order_by(Deal.id)
    )
    kinds = {
        "entered": [per_deal.c.a_id.is_(None)],
        "moved": [per_deal.c.a_id.is_not(None), after.to_stage.in_(process.OPEN_STAGES), before.to_stage != after.to_stage],
        "won": [after.to_stage == process.WON_STAGE],
        "lost": [after.to_stage == process.LOST_STAGE],
    }

    def deals(kind: str) -> Iterator[dict]:
        for row in _rows(session, changed.where(*kinds[kind])):
            yield {"id": row.id, "name": row.name, "company": row.company, "owner": row.owner,
                   "amount": amount_units(row.amount_cents), "from_stage": row.from_stage, "to_stage": row.to_stage}

    has_deal = sa.select(Deal.id).where(Deal.company_id == Company.id, Deal.created_at < b_end).exists()
    missing = (
        sa.select(Company.id, Company.name, Company.lead_status, Company.created_at)
        .where(Company.created_at >= a_end, Company.created_at < b_end, ~has_deal)
        .order_by(Company.id)
    )

    def companies() -> Iterator[dict]:
        from salescrm.domain.views import iso

        for r in _rows(session, missing):
            yield {"id": r.id, "name": r.name, "lead_status": r.lead_status, "created_at": iso(r.created_at)}

    out: dict = {"from": first.isoformat(), "to": last.isoformat()}
    for kind in CHANGE_KINDS:
        out[kind] = Rows(lambda kind=kind: deals(kind))
    out["missing"] = Rows(companies)
    return out


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
                    progress: Progress = None) -> dict:
    """Open deals (as they stood at the end of `at`) by the month of their expected close date: count,
    amount and amount weighted by the stage's probability; and the amount won per month (the month of
    the move into Payment Done, in UTC). `since`/`until` bound the close dates and the won dates; with
    both, every month between them is listed."""
    w = window(at, since, until)
    conditions = _deal_conditions(session, owner, deal_class)
    months: dict[str, dict] = {}

    def month(key: str) -> dict:
        return months.setdefault(key, {"month": key, "count": 0, "_cents": 0, "_weighted": 0, "_won": 0})

    stage_at = _stage_at(w.at_end)
    close = [Deal.close_date >= w.since] if w.since else []
    close += [Deal.close_date <= w.until] if w.until else []
    # Grouped by the close date itself (a few hundred distinct days), which SQLite does faster than by a
    # computed month; the days are folded into months here.
    rows = _rows(
        session,
        sa.select(Deal.close_date, stage_at.c.stage, sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
        .select_from(stage_at)
        .join(Deal, Deal.id == stage_at.c.deal_id)
        .where(stage_at.c.stage.in_(process.OPEN_STAGES), Deal.pipeline == process.PIPELINE, *close, *conditions)
        .group_by(Deal.close_date, stage_at.c.stage),
    )
    for close_date, stage, count, cents in rows:
        entry = month(_month(close_date.year, close_date.month))
        entry["count"] += count
        entry["_cents"] += int(cents)
        entry["_weighted"] += int(cents) * PROBABILITY[stage] // 100
    done = progress or _quiet
    done("open deals")
    won_time = _utc(session, StageChange.changed_at)
    won_year, won_month = sa.extract("year", won_time), sa.extract("month", won_time)
    rows = session.connection().execute(
        sa.select(won_year, won_month, sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
        .select_from(StageChange)
        .join(Deal, Deal.id == StageChange.deal_id)
        # No `Deal.pipeline` test here: Payment Done is a stage of the Sales pipeline only, and that test
        # would lead SQLite to walk every deal by the pipeline index (4x slower at a million deals).
        .where(StageChange.to_stage == process.WON_STAGE, *w.bounds(StageChange.changed_at), *conditions)
        .group_by(won_year, won_month)
    )
    for y, m, cents in rows:
        month(_month(y, m))["_won"] += int(cents)
    done("won amounts")
    if w.since is not None and w.until is not None:
        for key in _months_between(w.since.isoformat()[:7], w.until.isoformat()[:7]):
            month(key)
    listed = []
    totals = Counter()
    for key in sorted(months):
        entry = months[key]
        totals.update({"count": entry["count"], "cents": entry["_cents"], "weighted": entry["_weighted"], "won": entry["_won"]})
        listed.append({"month": key, "count": entry["count"], "amount": amount_units(entry["_cents"]),
                       "weighted_amount": amount_units(entry["_weighted"]), "won_amount": amount_units(entry["_won"])})
    return {
        "at": w.at.isoformat(),
        "months": listed,
        "total": {"count": totals["count"], "amount": amount_units(totals["cents"]),
                  "weighted_amount": amount_units(totals["weighted"]), "won_amount": amount_units(totals["won"])},
    }


# --- report conversion ----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


CONVERSION_PHASES = ("stages reached", "leads")


def conversion_report(session: Session, at: str | date | None = None, since: str | date | None = None,
                      until: str | date | None = None, owner: str | None = None,
                      deal_class: str | None = None, channel: str | None = None, source: str | None = None,
                      progress: Progress = None) -> dict:
    """Of the deals created in the period (all deals by default), as they stood at the end of `at`: per
    stage, how many entered it and how many of those reached the next stage; the win rate; the lost
    deals by reason category; and of the companies created in the period, the share with a won deal."""
    w = window(at, since, until)
    conditions = _deal_conditions(session, owner, deal_class)
    history_end = w.at_end
    lost_flag = sa.case((StageChange.to_stage == process.LOST_STAGE, 1), else_=0)
    per_deal = (
        sa.select(StageChange.deal_id, sa.func.max(_rank_case(StageChange.to_stage)).label("reached"),
                  sa.func.max(lost_flag).label("lost"))
        .where(StageChange.changed_at < history_end)
        .group_by(StageChange.deal_id)
        .subquery("reached")
    )
    rows = session.connection().execute(
        sa.select(per_deal.c.reached, per_deal.c.lost, Deal.lost_reason_category, sa.func.count())
        .select_from(per_deal)
        .join(Deal, Deal.id == per_deal.c.deal_id)
        .where(Deal.pipeline == process.PIPELINE, *w.bounds(Deal.created_at), *conditions)
        .group_by(per_deal.c.reached, per_deal.c.lost, Deal.lost_reason_category)
    ).all()
    done = progress or _quiet
    done("stages reached")
    reached = Counter()  # furthest stage rank -> deals
    lost_by_category = Counter()
    won = lost = 0
    for furthest, is_lost, category, count in rows:
        if furthest is not None:
            reached[int(furthest)] += count
        if is_lost:
            lost += count
            lost_by_category[category] += count
        elif furthest == RANK[process.WON_STAGE]:
            won += count
    stages = []
    for name in process.OPEN_STAGES:
        entered = sum(c for r, c in reached.items() if r >= RANK[name])
        next_ = sum(c for r, c in reached.items() if r >= RANK[name] + 1)
        stages.append({"stage": name, "entered": entered, "reached_next": next_, "rate": _rate(next_, entered)})
    order = {c: i for i, c in enumerate(process.LOST_CATEGORIES)}
    reasons = sorted(lost_by_category.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0] or ""))
    leads = _leads(session, w, history_end, conditions, channel, source)
    done("leads")
    return {
        "at": w.at.isoformat(),
        "since": w.since.isoformat() if w.since else None,
        "until": w.until.isoformat() if w.until else None,
        "stages": stages,
        "won": won,
        "lost": lost,
        "win_rate": _rate(won, won + lost),
        "lost_reasons": [{"category": c, "count": n} for c, n in reasons],
        "leads": leads,
    }


def _leads(session: Session, w: Window, history_end: datetime, conditions: list, channel: str | None = None,
           source: str | None = None) -> dict:
    """The article's "what percentage of leads convert into a closed deal": of the companies created in the
    period, how many have a deal won by the end of `at` (a deal of that owner or class, when filtered).
    `channel` and `source` count only the companies with a contact that came that way (lead intake)."""
    from salescrm.domain.contacts import lead_source_conditions
    from salescrm.store.models import Contact, ContactCompany

    lead_filter = lead_source_conditions(channel, source)
    if lead_filter:
        came = sa.select(ContactCompany.company_id).join(Contact, Contact.id == ContactCompany.contact_id).where(*lead_filter)
        lead_filter = [Company.id.in_(came)]
    won_companies = (
        sa.select(Deal.company_id)
        .join(StageChange, StageChange.deal_id == Deal.id)
        .where(StageChange.to_stage == process.WON_STAGE, StageChange.changed_at < history_end, *conditions)
    )
    has_won = sa.case((Company.id.in_(won_companies), 1), else_=0)
    companies, won = session.connection().execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(has_won), 0)).where(*w.bounds(Company.created_at), *lead_filter)
    ).one()
    return {"companies": companies, "won": int(won), "rate": _rate(int(won), companies)}


# --- report cycle ---------------------------------------------------------------------------------


CYCLE_PHASES = ("cycle lengths", "stays in stages")


def cycle_report(session: Session, at: str | date | None = None, since: str | date | None = None,
                 until: str | date | None = None, owner: str | None = None, deal_class: str | None = None,
                 won_at: str | None = None, progress: Progress = None) -> dict:
    """Sales-cycle length: days from a deal's creation to won (the first move into Payment Done, or with
    `won_at` contract-signed into Contract Signed or beyond), for deals won in the period up to the end
    of `at`: median and quartiles, overall, by class and by owner. And the median days deals spent in
    each stage, over the stays in the stage history that ended in the period."""
    target = parse_won_at(won_at)
    w = window(at, since, until)
    conditions = _deal_conditions(session, owner, deal_class)
    reached = [name for name in PIPELINE_NAMES if RANK[name] >= RANK[target]]
    won = (
        sa.select(StageChange.deal_id, sa.func.min(StageChange.changed_at).label("won_at"))
        .where(StageChange.to_stage.in_(reached), StageChange.changed_at < w.end)
        .group_by(StageChange.deal_id)
        .subquery("won")
    )
    later_lost = (  # lost by the end of `at`
        sa.select(StageChange.id)
        .where(StageChange.deal_id == won.c.deal_id, StageChange.to_stage == process.LOST_STAGE,
               StageChange.changed_at < w.at_end)
        .exists()
    )
    bucket = _bucket(session, Deal.created_at, won.c.won_at)
    where = [Deal.pipeline == process.PIPELINE, *conditions]
    if w.start is not None:
        where.append(won.c.won_at >= w.start)
    if target != process.WON_STAGE:
        where.append(~later_lost)  # a deal lost after its signature was not won
    rows = session.connection().execute(
        sa.select(Deal.deal_class, TeamMember.name, bucket, sa.func.count())
        .select_from(won)
        .join(Deal, Deal.id == won.c.deal_id)
        .join(TeamMember, TeamMember.id == Deal.owner_id)
        .where(*where)
        .group_by(Deal.deal_class, TeamMember.name, bucket)
    )
    overall, by_class, by_owner = Durations(), {}, {}
    for deal_class_name, owner_name, days, count in rows:
        overall.add(days, count)
        by_class.setdefault(deal_class_name, Durations()).add(days, count)
        by_owner.setdefault(owner_name, Durations()).add(days, count)
    done = progress or _quiet
    done("cycle lengths")
    stage_medians = _stage_medians(session, w, conditions)
    done("stays in stages")
    class_order = {c: i for i, c in enumerate(process.DEAL_CLASSES)}
    return {
        "won_at": target,
        "at": w.at.isoformat(),
        "since": w.since.isoformat() if w.since else None,
        "until": w.until.isoformat() if w.until else None,
        **overall.summary(),
        "by_class": [{"class": c, **by_class[c].summary()}
                     for c in sorted(by_class, key=lambda c: (class_order.get(c, len(class_order)), c))],
        "by_owner": [{"owner": o, **by_owner[o].summary()} for o in sorted(by_owner)],
        "stage_median_days": stage_medians,
    }


def _stage_medians(session: Session, w: Window, conditions: list) -> list[dict]:
    """Median days in each open stage over the stays that ended (by a move or a loss) in the window:
    a stay runs from a change into the stage to the deal's next change (a window function)."""
    following = sa.func.lead(StageChange.changed_at).over(partition_by=StageChange.deal_id, order_by=StageChange.id)
    stays = (
        sa.select(StageChange.deal_id, StageChange.to_stage.label("stage"), StageChange.changed_at.label("entered_at"),
                  following.label("left_at"))
        .where(StageChange.changed_at < w.end)
        .subquery("stays")
    )
    bucket = _bucket(session, stays.c.entered_at, stays.c.left_at)
    where = [stays.c.left_at.is_not(None), stays.c.stage.in_(process.OPEN_STAGES), Deal.pipeline == process.PIPELINE,
             *conditions]
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
    for name in process.OPEN_STAGES:
        durations = per_stage.get(name, Durations())
        out.append({"stage": name, "median_days": durations.percentiles(0.5)[0], "stays": durations.n})
    return out
