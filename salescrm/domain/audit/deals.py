"""The checks on deals: SQL conditions on a deal joined with its owner (counted with GROUP BY, listed
streaming), and the deal-name convention, read in Python."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm import process
from salescrm.domain import naming
from salescrm.domain.audit.base import CHUNK, ERROR, Context, Finding
from salescrm.domain.known_values import not_final
from salescrm.store.models import Activity, Company, Deal, DealContact, GateValue, StageChange, Task, TeamMember

OWNER = aliased(TeamMember)


def _open():
    return not_final(Deal.stage)


def stage_gate(ctx: Context):
    """A deal past a gate whose values are not met: SP-009-001's thresholds, checked again on the data."""
    conditions = []
    for stage in process.PIPELINE_STAGES:
        if stage.gate is None:
            continue
        reached = [s.name for s in process.PIPELINE_STAGES if process.rank(s.name) >= process.rank(stage.name)]
        met = sa.select(sa.func.count()).select_from(GateValue).where(
            GateValue.deal_id == Deal.id, GateValue.key.in_([f.key for f in stage.gate.fields]),  # the primary key's order
            sa.or_(*(_met(f) for f in stage.gate.fields))
        ).scalar_subquery()
        needed = stage.gate.min_met or len(stage.gate.fields)
        lacking = met < needed
        if stage.gate.amount_positive:
            lacking = sa.or_(lacking, Deal.amount_cents <= 0)
        conditions.append(sa.and_(_reached(reached), lacking))
    return sa.or_(*conditions)


def _reached(stages: list[str]):
    """The deal is in one of `stages`, or was lost from one of them."""
    return sa.or_(Deal.stage.in_(stages), sa.and_(Deal.stage == process.LOST_STAGE, Deal.lost_from_stage.in_(stages)))


# The yes-words and unmet notes are short: a longer value is decided by its length alone, without lower(),
# which SQLite calls in Python (store/sqlite_connections.py) for each of millions of gate values.
_SHORT = max(len(w) for w in process.YES_WORDS + process.UNMET_NOTES)


def _met(f: process.GateField):
    trimmed = sa.func.trim(GateValue.value)
    short = sa.func.length(trimmed) <= _SHORT
    if f.kind == "yes":
        condition = sa.and_(short, sa.func.lower(trimmed).in_(process.YES_WORDS))
    elif f.kind == "note":
        condition = sa.or_(sa.not_(short), sa.func.lower(trimmed).not_in(process.UNMET_NOTES))
    else:
        condition = trimmed != ""
    return sa.and_(GateValue.key == f.key, condition)


def describe_stage_gate(row, ctx: Context) -> tuple[str, str | None]:
    stage = row.lost_from_stage if row.stage == process.LOST_STAGE else row.stage
    values = {k: v for k, v in ctx.session.connection().execute(
        sa.select(GateValue.key, GateValue.value).where(GateValue.deal_id == row.id)).all()}
    missing = []
    for s in process.stages_between(process.FIRST_STAGE, stage):
        if s.gate is None:
            continue
        met = [f for f in s.gate.fields if _value_met(f, values.get(f.key))]
        if len(met) < (s.gate.min_met or len(s.gate.fields)) or (s.gate.amount_positive and row.amount_cents <= 0):
            missing.append(f"{s.name} ({s.gate.rule})")
    keys = [f.key for s in process.stages_between(process.FIRST_STAGE, stage) if s.gate for f in s.gate.fields
            if not _value_met(f, values.get(f.key))]
    fix = f"salescrm deal edit {row.id} " + " ".join(f"--set {k}=..." for k in keys[:4]) + " --reason ..." if keys else None
    return f"is in {row.stage if row.stage != process.LOST_STAGE else 'Lost (from ' + stage + ')'} without what " \
           f"{'these gates need' if len(missing) > 1 else 'this gate needs'}: {'; '.join(missing)}.", fix


def _value_met(f: process.GateField, value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if f.kind == "yes":
        return text in process.YES_WORDS
    if f.kind == "note":
        return text not in process.UNMET_NOTES
    return text != ""


def owner_role(ctx: Context):
    return sa.and_(_open(), OWNER.role.not_in(process.OWNER_ROLES))


def describe_owner_role(row, ctx: Context):
    return (f"is owned by {row.owner} ({row.owner_role} {process.ROLE_TITLES.get(row.owner_role, '')}), but GP-009 deal "
            f"owners are JD-019 or JD-002.", f"salescrm deal edit {row.id} --owner NAME --reason ...")


def stale(ctx: Context):
    cutoff = ctx.now - timedelta(days=ctx.stale_days)
    recent_activity = sa.exists().where(Activity.deal_id == Deal.id, Activity.at >= cutoff)
    recent_change = sa.exists().where(StageChange.deal_id == Deal.id, StageChange.changed_at >= cutoff)
    return sa.and_(_open(), sa.not_(recent_activity), sa.not_(recent_change))


def describe_stale(row, ctx: Context):
    return (f"has had no activity and no stage change for {ctx.stale_days} days or more.",
            f"salescrm activity log --deal {row.id} --type ... --summary ...")


def overdue_close(ctx: Context):
    return sa.and_(_open(), Deal.close_date < ctx.today)


def describe_overdue_close(row, ctx: Context):
    return (f"is open and its close date {row.close_date.isoformat()} has passed.",
            f"salescrm deal edit {row.id} --close-date YYYY-MM-DD --reason ...")


def no_next_step(ctx: Context):
    return sa.and_(_open(), sa.not_(sa.exists().where(Task.deal_id == Deal.id, Task.done.is_(False))))


def describe_no_next_step(row, ctx: Context):
    return ("is open with no open task linked to it (its next step).",
            f"salescrm task add TITLE --deal {row.id} --due YYYY-MM-DD")


def deal_missing(ctx: Context):
    return sa.or_(Deal.amount_cents <= 0, sa.func.trim(Deal.source) == "", sa.func.trim(Deal.deal_class) == "")


def describe_deal_missing(row, ctx: Context):
    missing = [name for name, gone in (("amount", row.amount_cents <= 0), ("source", not row.source.strip()),
                                       ("class", not row.deal_class.strip())) if gone]
    return f"has no {', no '.join(missing)}.", f"salescrm deal edit {row.id} --reason ..."


def orphan_deal(ctx: Context):
    return sa.not_(sa.exists().where(DealContact.deal_id == Deal.id))


def describe_orphan_deal(row, ctx: Context):
    return "has no contact.", f"salescrm deal edit {row.id} --add-contact EMAIL"


def imported_name(ctx: Context):
    """A deal imported under another name (`salescrm import deals`): rebuilt to the convention, the file's kept."""
    return Deal.source_name.is_not(None)


def describe_imported_name(row, ctx: Context):
    return (f"was imported as '{row.source_name}'; its name was rebuilt to SP-009-001's convention: check that the "
            "description says what the deal sells.", f"salescrm deal edit {row.id} --description TEXT --reason ...")


def deal_select():
    return (
        sa.select(Deal.id, Deal.name, Deal.stage, Deal.lost_from_stage, Deal.amount_cents, Deal.close_date, Deal.source,
                  Deal.deal_class, Deal.source_name, OWNER.name.label("owner"), OWNER.role.label("owner_role"))
        .select_from(Deal)
        .outerjoin(OWNER, OWNER.id == Deal.owner_id)
    )


# --- Deal names (read in Python: the convention is code, not SQL) -------------------------------


def deal_names(ctx: Context) -> Iterator[Finding]:
    """SP-009-001: `<CC> <Company> <description>`, `Lost ` before a lost deal's; data edited outside the tool lands here."""
    from salescrm.domain.countries import country_index

    codes = country_index().codes
    alpha2 = set(codes.values())
    stmt = (sa.select(Deal.id, Deal.name, Deal.stage, Deal.country, Deal.description, Company.name.label("company"),
                      OWNER.name.label("owner"))
            .select_from(Deal).outerjoin(Company, Company.id == Deal.company_id).outerjoin(OWNER, OWNER.id == Deal.owner_id)
            .order_by(Deal.id))
    if ctx.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == ctx.owner_id)
    for row in ctx.session.connection().execute(stmt.execution_options(yield_per=CHUNK)):
        lost = row.stage == process.LOST_STAGE
        if _follows_convention(row, lost, alpha2):
            continue
        problems = []
        if row.country not in codes or codes[row.country] != row.country:
            problems.append(f"its country code '{row.country}' is not an ISO 3166-1 alpha-2 code")
        first = row.description.split()[0] if row.description.split() else ""
        if len(first) == 2 and first.isupper() and first in codes:
            problems.append(f"its description starts with a second country code ({first})")
        expected = naming.deal_name(row.country, row.company, row.description)
        expected = naming.lost_name(expected) if lost else expected
        if row.name.startswith(naming.LOST_PREFIX) and not lost:
            problems.append("it is open but its name starts with `Lost `")
        elif lost and not row.name.startswith(naming.LOST_PREFIX):
            problems.append("it is lost but its name lacks the `Lost ` prefix")
        elif row.name != expected:
            problems.append(f"it should read '{expected}' (country, company '{row.company}', description)")
        if problems:
            fixable = row.name != expected
            yield Finding("deal-name", ERROR, "deal", row.id, row.name, row.owner,
                          f"Deal {row.id} '{row.name}': {'; '.join(problems)}.",
                          "salescrm audit fix --check deal-name" if fixable else f"salescrm deal edit {row.id} --reason ...")


def _follows_convention(row, lost: bool, alpha2: set[str]) -> bool:
    """The common case, decided fast: the name is exactly `[Lost ]<CC> <Company> <description>` with a valid
    code, single spaces and no second code. Anything else goes through the full check above."""
    country, description = row.country, row.description
    plain = f"{country} {row.company} {description}"
    if row.name != (naming.LOST_PREFIX + plain if lost else plain) or country not in alpha2 \
            or plain != " ".join(plain.split()):
        return False
    return not (description[2:3] in ("", " ") and description[:2] in alpha2)


def expected_deal_name(session: Session, deal_id: int) -> str:
    row = session.connection().execute(
        sa.select(Deal.stage, Deal.country, Deal.description, Company.name).join(Company, Company.id == Deal.company_id)
        .where(Deal.id == deal_id)).one()
    name = naming.deal_name(row.country, row.name, row.description)
    return naming.lost_name(name) if row.stage == process.LOST_STAGE else name
