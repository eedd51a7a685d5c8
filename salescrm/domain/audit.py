"""The audit: every record checked against the rules of the process; findings, never changes.

The life-science CRM article: CRMs fail when "each salesperson enters data their own way" and the
database fills with duplicates and gaps; its remedy starts with an audit. SP-009-001 gives the rules.
Checks on deals are SQL predicates (counted with GROUP BY, listed streaming), so the audit of a
million deals never holds them in memory; checks on companies and contacts read names once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm import process
from salescrm.domain import naming, times
from salescrm.errors import InvalidValue
from salescrm.store.models import (
    Activity,
    Company,
    Contact,
    ContactCompany,
    Deal,
    DealContact,
    GateValue,
    StageChange,
    Task,
    TeamMember,
)

ERROR = "error"
WARNING = "warning"
STALE_DAYS = 30
_CHUNK = 2000


@dataclass(slots=True)
class Finding:
    check: str
    severity: str
    record_type: str  # company, contact, deal
    record_id: int
    record: str
    owner: str | None
    message: str
    fix: str | None = None

    def as_json(self) -> dict:
        return {"check": self.check, "severity": self.severity, "record_type": self.record_type,
                "record_id": self.record_id, "record": self.record, "owner": self.owner,
                "message": self.message, "fix": self.fix}


@dataclass
class Context:
    session: Session
    today: date
    now: datetime
    stale_days: int
    owner_id: int | None  # --owner: only records of this team member


# A deal check is a SQL condition on a deal (joined with its company and owner) and the sentence
# for one deal; a record check reads companies or contacts and yields its findings.
@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    record_type: str
    rule: str  # where the rule comes from (docs/audit.md)
    condition: Callable[[Context], sa.ColumnElement] | None = None
    describe: Callable[[object, Context], tuple[str, str | None]] | None = None
    find: Callable[[Context], Iterator[Finding]] | None = None


# --- Deals ------------------------------------------------------------------------------------

_OWNER = aliased(TeamMember)


def _open():
    return Deal.stage.in_(process.OPEN_STAGES)


def _stage_gate(ctx: Context):
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
# which SQLite calls in Python (engine.py) for each of millions of gate values.
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


def _describe_stage_gate(row, ctx: Context) -> tuple[str, str | None]:
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


def _owner_role(ctx: Context):
    return sa.and_(_open(), _OWNER.role.not_in(process.OWNER_ROLES))


def _describe_owner_role(row, ctx: Context):
    return (f"is owned by {row.owner} ({row.owner_role} {process.ROLE_TITLES.get(row.owner_role, '')}), but GP-009 deal "
            f"owners are JD-019 or JD-002.", f"salescrm deal edit {row.id} --owner NAME --reason ...")


def _stale(ctx: Context):
    cutoff = ctx.now - timedelta(days=ctx.stale_days)
    recent_activity = sa.exists().where(Activity.deal_id == Deal.id, Activity.at >= cutoff)
    recent_change = sa.exists().where(StageChange.deal_id == Deal.id, StageChange.changed_at >= cutoff)
    return sa.and_(_open(), sa.not_(recent_activity), sa.not_(recent_change))


def _describe_stale(row, ctx: Context):
    return (f"has had no activity and no stage change for {ctx.stale_days} days or more.",
            f"salescrm activity log --deal {row.id} --type ... --summary ...")


def _overdue_close(ctx: Context):
    return sa.and_(_open(), Deal.close_date < ctx.today)


def _describe_overdue_close(row, ctx: Context):
    return (f"is open and its close date {row.close_date.isoformat()} has passed.",
            f"salescrm deal edit {row.id} --close-date YYYY-MM-DD --reason ...")


def _no_next_step(ctx: Context):
    return sa.and_(_open(), sa.not_(sa.exists().where(Task.deal_id == Deal.id, Task.done.is_(False))))


def _describe_no_next_step(row, ctx: Context):
    return ("is open with no open task linked to it (its next step).",
            f"salescrm task add TITLE --deal {row.id} --due YYYY-MM-DD")


def _deal_missing(ctx: Context):
    return sa.or_(Deal.amount_cents <= 0, sa.func.trim(Deal.source) == "", sa.func.trim(Deal.deal_class) == "")


def _describe_deal_missing(row, ctx: Context):
    missing = [name for name, gone in (("amount", row.amount_cents <= 0), ("source", not row.source.strip()),
                                       ("class", not row.deal_class.strip())) if gone]
    return f"has no {', no '.join(missing)}.", f"salescrm deal edit {row.id} --reason ..."


def _orphan_deal(ctx: Context):
    return sa.not_(sa.exists().where(DealContact.deal_id == Deal.id))


def _describe_orphan_deal(row, ctx: Context):
    return "has no contact.", f"salescrm deal edit {row.id} --add-contact EMAIL"


def _deal_select():
    return (
        sa.select(Deal.id, Deal.name, Deal.stage, Deal.lost_from_stage, Deal.amount_cents, Deal.close_date, Deal.source,
                  Deal.deal_class, _OWNER.name.label("owner"), _OWNER.role.label("owner_role"))
        .select_from(Deal)
        .join(_OWNER, _OWNER.id == Deal.owner_id)
    )


# --- Deal names (read in Python: the convention is code, not SQL) -------------------------------


def _deal_names(ctx: Context) -> Iterator[Finding]:
    """SP-009-001: `<CC> <Company> <description>`, `Lost ` before a lost deal's; data edited outside the tool lands here."""
    from salescrm.domain.countries import country_index

    codes = country_index().codes
    alpha2 = set(codes.values())
    stmt = (sa.select(Deal.id, Deal.name, Deal.stage, Deal.country, Deal.description, Company.name.label("company"),
                      _OWNER.name.label("owner"))
            .select_from(Deal).join(Company, Company.id == Deal.company_id).join(_OWNER, _OWNER.id == Deal.owner_id)
            .order_by(Deal.id))
    if ctx.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == ctx.owner_id)
    for row in ctx.session.connection().execute(stmt.execution_options(yield_per=_CHUNK)):
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


# --- Companies ---------------------------------------------------------------------------------


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


_PUNCTUATION = str.maketrans({c: " " for c in ".,;:!?'\"()[]{}&/\\-_+*#@"})


def folded(name: str) -> str:
    """A company name folded for comparison: no case, accents, punctuation or legal form."""
    brand = naming.legal_form_brand(name) or name
    text = unicodedata.normalize("NFKD", brand)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().translate(_PUNCTUATION)
    return " ".join(text.split())


FUZZY_MIN_LENGTH = 6  # shorter names differ by one letter and are other companies (DKV, DKW)
FUZZY_MAX_DISTANCE = 1  # one-letter typos
_BLOCK = 3


def duplicate_company_pairs(names: dict[int, str]) -> list[tuple[int, int, str]]:
    """Pairs of companies that are the same after folding, or one edit apart (how: 'same' or 'close').

    Fuzzy matches are searched only within blocks: names sharing the first three letters of their
    folded key, or the last three of its first word. One typo cannot change both (in a first word of
    seven letters or more), so a typo pair shares at least one block; rapidfuzz compares in C. All
    pairs of 100,000 names would take half an hour; blocks take seconds. Names whose numbers differ
    are other companies (`Clinica 12` and `Clinica 13`), so a block also holds one set of numbers.
    """
    from rapidfuzz import process as fuzzy
    from rapidfuzz.distance import Levenshtein

    pairs: dict[tuple[int, int], str] = {}
    by_key: dict[str, list[int]] = {}
    for cid, name in names.items():
        by_key.setdefault(folded(name), []).append(cid)
    for ids in by_key.values():
        for other in ids[1:]:
            pairs[(ids[0], other)] = "same"
    representatives = {key: ids[0] for key, ids in by_key.items() if len(key) >= FUZZY_MIN_LENGTH}
    for block_of in (lambda k: (k[:_BLOCK], _numbers(k)), lambda k: (k.split(" ")[0][-_BLOCK:], _numbers(k))):
        blocks: dict[tuple[str, str], list[str]] = {}
        for key in representatives:
            blocks.setdefault(block_of(key), []).append(key)
        for block in blocks.values():
            for i in range(len(block) - 1):
                for match, _, _ in fuzzy.extract(block[i], block[i + 1:], scorer=Levenshtein.distance,
                                                 score_cutoff=FUZZY_MAX_DISTANCE, limit=None):
                    a, b = sorted((representatives[block[i]], representatives[match]))
                    pairs.setdefault((a, b), "close")
    return sorted((a, b, how) for (a, b), how in pairs.items())


_NUMBERS = re.compile(r"\d+")


def _numbers(key: str) -> str:
    return " ".join(_NUMBERS.findall(key))


def _companies(ctx: Context) -> dict[int, tuple[str, str | None, str | None]]:
    rows = ctx.session.connection().execute(sa.select(Company.id, Company.name, Company.country, Company.website))
    return {r.id: (r.name, r.country, r.website) for r in rows}


def _company_checks(ctx: Context, wanted: set[str], owners: dict[int, str]) -> Iterator[Finding]:
    companies = _companies(ctx)
    names = {cid: c[0] for cid, c in companies.items()}

    def finding(check: str, cid: int, message: str, fix: str | None) -> Finding:
        return Finding(check, CHECKS[check].severity, "company", cid, names[cid], owners.get(cid), message, fix)

    if "duplicate-company" in wanted:
        for a, b, how in duplicate_company_pairs(names):
            why = "the same name once case, accents, punctuation and legal forms are set aside" if how == "same" \
                else "names one letter apart"
            yield finding("duplicate-company", b, f"Company {b} '{names[b]}' and company {a} '{names[a]}' have {why}: "
                          "SP-009-001 keeps one company per brand; keep one and move the other's contacts and deals to it.",
                          f"salescrm company show {a}")
    if "local-branch" in wanted:
        keys = {naming.name_key(n): cid for cid, n in names.items()}
        for cid, name in names.items():
            for base, code in naming.branch_splits(name):
                parent = keys.get(base)
                if parent is not None and parent != cid:
                    yield finding("local-branch", cid, f"Company {cid} '{name}' is named like a local branch of '{names[parent]}' "
                                  f"(id {parent}): SP-009-001 keeps one company for the global entity.",
                                  f"salescrm company show {parent}")
                    break
    if "legal-name" in wanted:
        for cid, name in names.items():
            brand = naming.legal_form_brand(name)
            if brand:
                yield finding("legal-name", cid, f"Company {cid} '{name}' is named with its legal form; SP-009-001 names a "
                              f"company by its best-known brand ('{brand}').",
                              f"salescrm company edit {cid} --name '{brand}' --legal-name '{name}'")
    if "missing-field" in wanted:
        for cid, (name, country, website) in companies.items():
            missing = [f for f, v in (("country", country), ("website", website)) if not v]
            if missing:
                yield finding("missing-field", cid, f"Company {cid} '{name}' has no {' and no '.join(missing)}.",
                              f"salescrm company edit {cid} " + " ".join(f"--{f} ..." for f in missing))


# --- Contacts ----------------------------------------------------------------------------------


def _contact_checks(ctx: Context, wanted: set[str], owners: dict[int, str]) -> Iterator[Finding]:
    conn = ctx.session.connection()
    rows = conn.execute(sa.select(Contact.id, Contact.first_name, Contact.last_name, Contact.email, Contact.job_title)).all()
    names = {r.id: f"{r.first_name} {r.last_name}" for r in rows}

    def finding(check: str, cid: int, message: str, fix: str | None) -> Finding:
        return Finding(check, CHECKS[check].severity, "contact", cid, names[cid], owners.get(cid), message, fix)

    if "duplicate-contact" in wanted:
        by_email: dict[str, list[int]] = {}
        for r in rows:
            if r.email:
                by_email.setdefault(r.email.strip().lower(), []).append(r.id)
        for email, ids in by_email.items():
            for other in sorted(ids)[1:]:
                yield finding("duplicate-contact", other, f"Contact {other} '{names[other]}' shares the email {email} "
                              f"with contact {min(ids)}.", f"salescrm contact show {min(ids)}")
        companies_of: dict[int, list[int]] = {}
        for contact_id, company_id in conn.execute(sa.select(ContactCompany.contact_id, ContactCompany.company_id)):
            companies_of.setdefault(contact_id, []).append(company_id)
        seen: dict[tuple[str, int], int] = {}
        for r in sorted(rows, key=lambda r: r.id):
            key_name = naming.name_key(names[r.id])
            for company_id in companies_of.get(r.id, []):
                first = seen.setdefault((key_name, company_id), r.id)
                if first != r.id:
                    yield finding("duplicate-contact", r.id, f"Contact {r.id} '{names[r.id]}' has the same name as contact "
                                  f"{first} at the same company.", f"salescrm contact show {first}")
                    break
    if "missing-field" in wanted:
        for r in rows:
            if not (r.job_title or "").strip():
                yield finding("missing-field", r.id, f"Contact {r.id} '{names[r.id]}' has no job title.",
                              f"salescrm contact edit {r.id} --job-title ...")
    if "orphan" in wanted:
        linked = sa.select(ContactCompany.contact_id).distinct()
        for (cid,) in conn.execute(sa.select(Contact.id).where(Contact.id.not_in(linked)).order_by(Contact.id)):
            yield finding("orphan", cid, f"Contact {cid} '{names[cid]}' has no company.",
                          f"salescrm contact edit {cid} --add-company COMPANY")


# --- The checks --------------------------------------------------------------------------------

CHECKS: dict[str, Check] = {c.id: c for c in (
    Check("deal-name", ERROR, "deal", "SP-009-001 deal naming: `<CC> <Company> <description>`; lost deals renamed `Lost ...`",
          find=_deal_names),
    Check("stage-gate", ERROR, "deal", "SP-009-001 stage thresholds (BANT 3 of 4 before Discovered, ...)",
          condition=_stage_gate, describe=_describe_stage_gate),
    Check("duplicate-company", ERROR, "company", "SP-009-001 naming the company: one company per best-known brand"),
    Check("local-branch", ERROR, "company", "SP-009-001 global companies with local branches: one company for the global entity"),
    Check("legal-name", WARNING, "company", "SP-009-001: the company is named by its brand, not its legal entity"),
    Check("duplicate-contact", ERROR, "contact", "the article: duplicates make the database untrustworthy"),
    Check("missing-field", WARNING, "any", "SP-009-001 required properties (company: country, website; contact: job title; "
          "deal: amount, close date, class, source, owner)", condition=_deal_missing, describe=_describe_deal_missing),
    Check("orphan", WARNING, "any", "SP-009-001: contacts belong to companies; deals are associated with contacts",
          condition=_orphan_deal, describe=_describe_orphan_deal),
    Check("owner-role", ERROR, "deal", "GP-009: the deal owner is JD-019 or JD-002", condition=_owner_role,
          describe=_describe_owner_role),
    Check("stale-deal", WARNING, "deal", "the article: a pipeline nobody works on is not a pipeline", condition=_stale,
          describe=_describe_stale),
    Check("overdue-close", WARNING, "deal", "the article's forecast needs close dates that hold", condition=_overdue_close,
          describe=_describe_overdue_close),
    Check("no-next-step", WARNING, "deal", "the article's \"Pipeline Next Steps\" report", condition=_no_next_step,
          describe=_describe_no_next_step),
)}
CHECK_IDS = tuple(CHECKS)
PHASES = ("deal names", "companies", "contacts", "deal checks")  # what `run_audit` reports to its progress callback


def parse_checks(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in CHECKS]
    if unknown:
        raise InvalidValue(f"Unknown check {', '.join(repr(u) for u in unknown)}: choose from {', '.join(CHECK_IDS)}.")
    return [c for c in CHECK_IDS if c in values] if values else list(CHECK_IDS)


# --- Running -----------------------------------------------------------------------------------


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

    def summary_rows(self) -> list[dict]:
        return [{"check": c, "severity": CHECKS[c].severity, "count": self.summary.get(c, 0)} for c in self.checks]

    def severities(self) -> dict[str, int]:
        out = Counter()
        for check_id, n in self.summary.items():
            out[CHECKS[check_id].severity] += n
        return dict(out)


def _deal_findings(ctx: Context, check: Check) -> Iterator[Finding]:
    stmt = _deal_select().where(check.condition(ctx)).order_by(Deal.id)
    if ctx.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == ctx.owner_id)
    for row in ctx.session.connection().execute(stmt.execution_options(yield_per=_CHUNK)):
        message, fix = check.describe(row, ctx)
        yield Finding(check.id, check.severity, "deal", row.id, row.name, row.owner, f"Deal {row.id} '{row.name}' {message}", fix)


def run_audit(session: Session, *, checks: list[str] = (), owner: str | None = None, stale_days: int = STALE_DAYS,
              today: date | None = None, progress: Callable[[str], None] | None = None) -> Audit:
    """Count the findings (the records stay in the database); `Audit.findings()` lists them afterwards."""
    from salescrm.domain import refs

    if stale_days < 1:
        raise InvalidValue(f"--stale-days {stale_days}: give a number of days of at least 1.")
    member = refs.team_member(session, owner) if owner else None
    ctx = Context(session, today or date.today(), times.now(), stale_days, member.id if member else None)
    wanted = parse_checks(list(checks))
    conn = session.connection()
    owner_filter = [Deal.owner_id == ctx.owner_id] if ctx.owner_id is not None else []
    audit = Audit(ctx, wanted, records={
        "deal": conn.execute(sa.select(sa.func.count()).select_from(Deal).where(*owner_filter)).scalar(),
        "company": 0 if member else conn.execute(sa.select(sa.func.count()).select_from(Company)).scalar(),
        "contact": 0 if member else conn.execute(sa.select(sa.func.count()).select_from(Contact)).scalar(),
    })
    step = progress or (lambda _check: None)
    held: list[Finding] = []
    if "deal-name" in wanted:
        held += _deal_names(ctx)
    step("deal names")
    audit.owner_records.update(owner_records(session, ctx.owner_id))
    if member is None:  # companies and contacts have no owner of their own: --owner audits deals
        companies_owned, contacts_owned = company_owners(ctx), contact_owners(ctx)
        held += _company_checks(ctx, set(wanted), companies_owned)
        step("companies")
        held += _contact_checks(ctx, set(wanted), contacts_owned)
        step("contacts")
        audit.owner_records.update(companies_owned.get(i) for i in _ids(session, Company))
        audit.owner_records.update(contacts_owned.get(i) for i in _ids(session, Contact))
    audit._held = held
    for f in held:
        audit.summary[f.check] += 1
        audit.by_owner[f.owner] += 1
    audit.flagged["company"] = len({f.record_id for f in held if f.record_type == "company"})
    audit.flagged["contact"] = len({f.record_id for f in held if f.record_type == "contact"})
    _count_deal_findings(ctx, audit, [CHECKS[c] for c in wanted if CHECKS[c].condition is not None],
                         {f.record_id for f in held if f.record_type == "deal"}, step)
    return audit


def _count_deal_findings(ctx: Context, audit: Audit, checks: list[Check], named: set[int], step) -> None:
    """One pass over the deals: how many have each combination of findings, per owner (a few dozen rows).
    From it, the findings per check and owner, and the deals with at least one (flagged once however many)."""
    conn = ctx.session.connection()
    owner_filter = [Deal.owner_id == ctx.owner_id] if ctx.owner_id is not None else []
    flags = [sa.case((check.condition(ctx), 1), else_=0) for check in checks]
    combinations = (sa.select(_OWNER.name, *flags, sa.func.count()).select_from(Deal).join(_OWNER, _OWNER.id == Deal.owner_id)
                    .where(*owner_filter).group_by(*(sa.literal_column(str(i + 1)) for i in range(len(flags) + 1))))
    flagged = 0
    for owner_name, *found, n in conn.execute(combinations) if checks else ():
        for check, hit in zip(checks, found):
            if hit:
                audit.summary[check.id] += n
                audit.by_owner[owner_name] += n
        flagged += n if any(found) else 0
    step("deal checks")
    any_condition = sa.or_(*(c.condition(ctx) for c in checks)) if checks else sa.false()
    named_only = 0
    ids = sorted(named)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        named_only += conn.execute(sa.select(sa.func.count()).select_from(Deal).join(_OWNER, _OWNER.id == Deal.owner_id)
                                   .where(Deal.id.in_(chunk), sa.not_(any_condition))).scalar()
    audit.flagged["deal"] = flagged + named_only


def owner_records(session: Session, owner_id: int | None = None) -> dict[str | None, int]:
    """How many deals each owner holds."""
    stmt = (sa.select(TeamMember.name, sa.func.count()).select_from(Deal).join(TeamMember, TeamMember.id == Deal.owner_id)
            .group_by(TeamMember.name))
    if owner_id is not None:
        stmt = stmt.where(Deal.owner_id == owner_id)
    return dict(session.connection().execute(stmt).all())


def _ids(session: Session, model) -> Iterator[int]:
    yield from session.connection().execute(sa.select(model.id).execution_options(yield_per=_CHUNK)).scalars()


# --- Safe fixes ---------------------------------------------------------------------------------


@dataclass
class Rename:
    deal_id: int
    old: str
    new: str


def proposed_renames(session: Session) -> list[Rename]:
    """Deal names the convention can rebuild (wrong company part, missing or extra `Lost `, spacing)."""
    from salescrm.domain.countries import country_index

    codes = country_index().codes
    ctx = Context(session, date.today(), times.now(), STALE_DAYS, None)
    renames = []
    for f in _deal_names(ctx):
        expected = expected_deal_name(session, f.record_id)
        country = session.connection().execute(sa.select(Deal.country).where(Deal.id == f.record_id)).scalar()
        if expected != f.record and codes.get(country) == country:
            renames.append(Rename(f.record_id, f.record, expected))
    return renames


def apply_renames(session: Session, renames: list[Rename]) -> list[Rename]:
    """Rename, in one transaction; a deal changed since it was proposed is refused."""
    from salescrm.domain import refs
    from salescrm.domain.records import touch
    from salescrm.errors import StaleRecord

    done = []
    for r in renames:
        deal = refs.deal(session, str(r.deal_id), for_update=True)
        if deal.name != r.old:
            raise StaleRecord(f"Deal {deal.id} was renamed by someone else meanwhile; nothing was saved. Run the fix again.")
        deal.name, deal.name_key = r.new, naming.name_key(r.new)
        touch(session, deal)
        done.append(r)
    session.flush()
    return done


# --- The self-assessment (the life-science article) ----------------------------------------------

SURVEY_QUESTIONS = (
    ("capture", "how completely do we capture the information we need in order to manage the sales process effectively?"),
    ("qualifying_defined", "how clearly defined is the process for qualifying new life science leads?"),
    ("qualifying_understood", "how well is the process for qualifying new leads understood by our entire business development team?"),
    ("clean_data", "how clean is our database (lack of duplicate records, all information is accurate)?"),
)
# "On which of the following topics do we run regular reports out of our CRM?" (one point each)
SURVEY_REPORTS = (
    ("cycle", "Sales cycle report, showing the length of our sales cycle"),
    ("pipeline", "Pipeline report, showing how our leads are progressing through the buying cycle"),
    ("forecast", "Sales forecast report, projecting future revenue"),
    ("conversion", "Sales conversion reports: what percentage of leads convert into a closed deal"),
    ("next-steps", "Pipeline next steps, showing the next steps for each open opportunity"),
)
# "If your score is lower than 25, then you need to consider remedial action. If your score is below 18,
# then you're past the point of 'considering' a solution; you need to take action."
CONSIDER_BELOW = 25
ACT_BELOW = 18


def parse_scores(text: str) -> list[int]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != len(SURVEY_QUESTIONS) or not all(p.isdigit() and 1 <= int(p) <= 7 for p in parts):
        raise InvalidValue(f"--scores '{text}': give the four answers from 1 to 7, separated by commas, e.g. 5,6,4,7.")
    return [int(p) for p in parts]


def parse_reports(text: str) -> list[str]:
    """`cycle,pipeline` or `none`."""
    known = [r for r, _ in SURVEY_REPORTS]
    parts = [p.strip().lower() for p in str(text).split(",") if p.strip()]
    if parts == ["none"]:
        return []
    unknown = [p for p in parts if p not in known]
    if unknown or not parts:
        raise InvalidValue(f"--reports '{text}': give the reports the team runs from {', '.join(known)}, "
                           "separated by commas, or none.")
    return [r for r in known if r in parts]


def verdict(score: int) -> str:
    if score < ACT_BELOW:
        return "act now: below 18, you are past the point of considering a solution"
    if score < CONSIDER_BELOW:
        return "consider remedial action: below 25"
    return "good: 25 or more"


def record_survey(session: Session, scores: list[int], reports: list[str]):
    from salescrm.domain.actors import actor_of
    from salescrm.store.models import SurveyAnswer

    score = sum(scores) + len(reports)
    answer = SurveyAnswer(taken_by=actor_of(session), capture=scores[0], qualifying_defined=scores[1],
                          qualifying_understood=scores[2], clean_data=scores[3], reports=",".join(reports), score=score)
    session.add(answer)
    session.flush()
    return answer


def survey_object(answer) -> dict:
    from salescrm.domain.views import iso

    return {"id": answer.id, "at": iso(answer.taken_at), "by": answer.taken_by,
            "scores": {q: getattr(answer, q) for q, _ in SURVEY_QUESTIONS},
            "reports": [r for r in answer.reports.split(",") if r], "score": answer.score, "verdict": verdict(answer.score)}


def survey_history(session: Session) -> list[dict]:
    from sqlmodel import select

    from salescrm.store.models import SurveyAnswer

    return [survey_object(a) for a in session.exec(select(SurveyAnswer).order_by(SurveyAnswer.taken_at, SurveyAnswer.id)).all()]
