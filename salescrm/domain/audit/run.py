"""Running the audit: counts first (summary, owners, score), then the findings, streamed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from salescrm.domain import times
from salescrm.domain.audit import deals
from salescrm.domain.audit.base import CHUNK, STALE_DAYS, Check, Context, Finding
from salescrm.domain.audit.checks import CHECKS, parse_checks
from salescrm.domain.audit.companies import company_checks
from salescrm.domain.audit.contacts import contact_checks
from salescrm.errors import InvalidValue
from salescrm.store.models import Company, Contact, Deal, DealContact, TeamMember

_OWNER = deals.OWNER

def company_owners(ctx: Context) -> dict[int, str]:
    """Each company's owner for the audit: the owner of its newest deal."""
    newest = sa.select(Deal.company_id, sa.func.max(Deal.id).label("deal_id")).group_by(Deal.company_id).subquery()
    rows = ctx.session.connection().execute(
        sa.select(newest.c.company_id, TeamMember.name).join(Deal, Deal.id == newest.c.deal_id)
        .join(TeamMember, TeamMember.id == Deal.owner_id))
    return {company_id: name for company_id, name in rows}


def contact_owners(ctx: Context) -> dict[int, str]:
    """Each contact's owner for the audit: the owner of the newest deal it is on."""
    newest = sa.select(DealContact.contact_id, sa.func.max(DealContact.deal_id).label("deal_id")) \
        .group_by(DealContact.contact_id).subquery()
    rows = ctx.session.connection().execute(
        sa.select(newest.c.contact_id, TeamMember.name).join(Deal, Deal.id == newest.c.deal_id)
        .join(TeamMember, TeamMember.id == Deal.owner_id))
    return {contact_id: name for contact_id, name in rows}


@dataclass
class Audit:
    """What the audit found: counts first (summary, owners, score), then the findings, streamed."""

    ctx: Context
    checks: list[str]
    records: dict[str, int]  # record type -> how many are checked
    summary: Counter = field(default_factory=Counter)  # check -> count
    by_owner: Counter = field(default_factory=Counter)  # owner -> findings
    owner_records: Counter = field(default_factory=Counter)  # owner -> records attributed to them
    flagged: dict[str, int] = field(default_factory=dict)
    by_pipeline: Counter = field(default_factory=Counter)  # pipeline label -> findings on its deals
    pipeline_deals: Counter = field(default_factory=Counter)  # pipeline label -> its deals audited
    _held: list[Finding] = field(default_factory=list)  # findings of companies, contacts and deal names

    @property
    def score(self) -> float:
        total = sum(self.records.values())
        return 1.0 if total == 0 else round((total - sum(self.flagged.values())) / total, 4)

    def findings(self) -> Iterator[Finding]:
        """Every finding, check by check, records in id order; deal checks are read from the database again."""
        held = {}
        for f in self._held:
            held.setdefault(f.check, []).append(f)
        for check_id in self.checks:
            yield from sorted(held.get(check_id, []), key=lambda f: (f.record_type, f.record_id))
            check = CHECKS[check_id]
            if check.condition is not None and self.summary.get(check_id):
                yield from _deal_findings(self.ctx, check)

    def owner_rows(self) -> list[dict]:
        """Per owner (None: records without one): how many records they hold and how many findings."""
        owners = set(self.by_owner) | set(self.owner_records)
        return [{"owner": o, "records": self.owner_records.get(o, 0), "findings": self.by_owner.get(o, 0)}
                for o in sorted(owners, key=lambda o: (o is None, o or ""))]

    def pipeline_rows(self) -> list[dict] | None:
        """Per pipeline, its deals audited and the findings on them; None for a process with one pipeline."""
        if len(self.ctx.proc.pipelines) == 1:
            return None
        return [{"pipeline": p.key, "label": p.label, "deals": self.pipeline_deals.get(p.label, 0),
                 "findings": self.by_pipeline.get(p.label, 0)} for p in self.ctx.pipelines]

    def summary_rows(self) -> list[dict]:
        return [{"check": c, "severity": CHECKS[c].severity, "count": self.summary.get(c, 0)} for c in self.checks]

    def severities(self) -> dict[str, int]:
        out = Counter()
        for check_id, n in self.summary.items():
            out[CHECKS[check_id].severity] += n
        return dict(out)


def _deal_findings(ctx: Context, check: Check) -> Iterator[Finding]:
    stmt = deals.deal_select().where(check.condition(ctx), *ctx.deals_only()).order_by(Deal.id)
    for row in ctx.session.connection().execute(stmt.execution_options(yield_per=CHUNK)):
        message, fix = check.describe(row, ctx)
        yield Finding(check.id, check.severity, "deal", row.id, row.name, row.owner, f"Deal {row.id} '{row.name}' {message}", fix)


def run_audit(session: Session, *, checks: list[str] = (), owner: str | None = None, stale_days: int = STALE_DAYS,
              today: date | None = None, progress: Callable[[str], None] | None = None,
              pipeline: str | None = None) -> Audit:
    """Count the findings (the records stay in the database); `Audit.findings()` lists them afterwards.
    `pipeline` (`--pipeline`) audits the deals of that pipeline only, as `owner` audits one member's."""
    from salescrm import process
    from salescrm.domain import refs
    from salescrm.domain.views import chosen_pipelines

    if stale_days < 1:
        raise InvalidValue(f"--stale-days {stale_days}: give a number of days of at least 1.")
    chosen = chosen_pipelines(session, pipeline)
    member = refs.team_member(session, owner) if owner else None
    deal_filter = (Deal.pipeline.in_([p.label for p in chosen]),) if pipeline else ()
    ctx = Context(session, today or date.today(), times.now(), stale_days, member.id if member else None,
                  process.of(session), chosen, deal_filter)
    wanted = parse_checks(list(checks))
    conn = session.connection()
    only_deals = member is not None or pipeline is not None
    audit = Audit(ctx, wanted, records={
        "deal": conn.execute(sa.select(sa.func.count()).select_from(Deal).where(*ctx.deals_only())).scalar(),
        "company": 0 if only_deals else conn.execute(sa.select(sa.func.count()).select_from(Company)).scalar(),
        "contact": 0 if only_deals else conn.execute(sa.select(sa.func.count()).select_from(Contact)).scalar(),
    })
    step = progress or (lambda _check: None)
    held: list[Finding] = []
    if "deal-name" in wanted:
        held += deals.deal_names(ctx)
    step("deal names")
    audit.owner_records.update(owner_records(session, ctx.owner_id, ctx.deal_filter))
    if not only_deals:  # companies and contacts have no owner or pipeline of their own: --owner audits deals
        companies_owned, contacts_owned = company_owners(ctx), contact_owners(ctx)
        held += company_checks(ctx, set(wanted), companies_owned)
        step("companies")
        held += contact_checks(ctx, set(wanted), contacts_owned)
        step("contacts")
        audit.owner_records.update(companies_owned.get(i) for i in _ids(session, Company))
        audit.owner_records.update(contacts_owned.get(i) for i in _ids(session, Contact))
    if "unknown-value" in wanted:
        from salescrm.domain.audit.unknown_values import unknown_values

        held += unknown_values(session, ctx.owner_id, ctx.deal_filter)
    audit._held = held
    for f in held:
        audit.summary[f.check] += 1
        audit.by_owner[f.owner] += 1
    audit.by_pipeline.update(_pipelines_of(session, [f.record_id for f in held if f.record_type == "deal"]))
    audit.flagged["company"] = len({f.record_id for f in held if f.record_type == "company"})
    audit.flagged["contact"] = len({f.record_id for f in held if f.record_type == "contact"})
    _count_deal_findings(ctx, audit, [CHECKS[c] for c in wanted if CHECKS[c].condition is not None],
                         {f.record_id for f in held if f.record_type == "deal"}, step)
    return audit


def _count_deal_findings(ctx: Context, audit: Audit, checks: list[Check], named: set[int], step) -> None:
    """One pass over the deals: how many have each combination of findings, per owner (a few dozen rows).
    From it, the findings per check and owner, and the deals with at least one (flagged once however many)."""
    conn = ctx.session.connection()
    flags = [sa.case((check.condition(ctx), 1), else_=0) for check in checks]
    combinations = (sa.select(Deal.pipeline, _OWNER.name, *flags, sa.func.count()).select_from(Deal)
                    .outerjoin(_OWNER, _OWNER.id == Deal.owner_id).where(*ctx.deals_only())
                    .group_by(*(sa.literal_column(str(i + 1)) for i in range(len(flags) + 2))))
    flagged = 0
    for pipeline, owner_name, *found, n in conn.execute(combinations) if checks else ():
        for check, hit in zip(checks, found):
            if hit:
                audit.summary[check.id] += n
                audit.by_owner[owner_name] += n
                audit.by_pipeline[pipeline] += n
        flagged += n if any(found) else 0
    audit.pipeline_deals.update(dict(conn.execute(
        sa.select(Deal.pipeline, sa.func.count()).where(*ctx.deals_only()).group_by(Deal.pipeline)).all()))
    step("deal checks")
    any_condition = sa.or_(*(c.condition(ctx) for c in checks)) if checks else sa.false()
    named_only = 0
    ids = sorted(named)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        named_only += conn.execute(sa.select(sa.func.count()).select_from(Deal).outerjoin(_OWNER, _OWNER.id == Deal.owner_id)
                                   .where(Deal.id.in_(chunk), sa.not_(any_condition))).scalar()
    audit.flagged["deal"] = flagged + named_only


def owner_records(session: Session, owner_id: int | None = None, deal_filter=()) -> dict[str | None, int]:
    """How many deals each owner holds (of the pipelines `deal_filter` keeps to)."""
    stmt = (sa.select(TeamMember.name, sa.func.count()).select_from(Deal).outerjoin(TeamMember, TeamMember.id == Deal.owner_id)
            .where(*deal_filter).group_by(TeamMember.name))
    if owner_id is not None:
        stmt = stmt.where(Deal.owner_id == owner_id)
    return dict(session.connection().execute(stmt).all())


def _pipelines_of(session: Session, deal_ids: list[int]) -> Counter:
    """The pipeline of each deal of `deal_ids` (one per finding), counted."""
    found: Counter = Counter()
    pipeline_of: dict[int, str] = {}
    unique = sorted(set(deal_ids))
    for start in range(0, len(unique), 500):
        pipeline_of.update(session.connection().execute(
            sa.select(Deal.id, Deal.pipeline).where(Deal.id.in_(unique[start:start + 500]))).all())
    found.update(pipeline_of.get(i) for i in deal_ids)
    return found


def _ids(session: Session, model) -> Iterator[int]:
    yield from session.connection().execute(sa.select(model.id).execution_options(yield_per=CHUNK)).scalars()
