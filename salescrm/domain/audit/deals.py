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
from salescrm.process.model import FIELD_KIND
from salescrm.store.models import Activity, Company, Deal, DealContact, GateValue, StageChange, Task, TeamMember

OWNER = aliased(TeamMember)


def _open(ctx: Context):
    return not_final(Deal.stage, ctx.proc)


# Rule kinds the audit checks on the stored data (the gate's values, the company's and the contacts'
# properties, the amount); the others (has-next-step, has-activity, a role, the company's won deals) are
# about the moment of a move, not about what a deal holds afterwards.
_PRESENT = ("required", "date", "number > 0", "contact-of-company", "member-with-role")
_VALUE_KINDS = (*_PRESENT, "yes", "equals", "at-least", "one-of")


def stage_gate(ctx: Context):
    """A deal past a gate whose values are not met: each pipeline's gates (SP-009-001's thresholds, the
    Health Prime properties), checked again on the data."""
    several = len(ctx.proc.pipelines) > 1
    conditions = []
    for pipeline in ctx.pipelines:
        for stage in pipeline.path:
            if stage.gate is None:
                continue
            reached = [s.name for s in pipeline.path if pipeline.rank(s.name) >= pipeline.rank(stage.name)]
            lacking = _gate_lacking(stage.rules)
            if lacking is None:
                continue
            where = [_reached(reached, pipeline), lacking]
            conditions.append(sa.and_(Deal.pipeline == pipeline.label, *where) if several else sa.and_(*where))
    return sa.or_(*conditions) if conditions else sa.false()


def _gate_lacking(rules) -> sa.ColumnElement | None:
    """A gate's rules not all met, in SQL: the rules on the deal's own values counted in one subquery of its
    gate values (as the first release did), the others each by its own condition; None: nothing to check."""
    simple = [r for r in rules if _simple(r)]
    keys = [r.key for r in simple]
    if len(set(keys)) < len(keys):  # a key read twice: each rule on its own
        simple = []
    lacking = []
    if simple:
        met = sa.select(sa.func.count()).select_from(GateValue).where(
            GateValue.deal_id == Deal.id, GateValue.key.in_([r.key for r in simple]),  # the primary key's order
            sa.or_(*(_met(r) for r in simple))
        ).scalar_subquery()
        lacking.append(met < len(simple))
    for rule in rules:
        if rule in simple:
            continue
        if rule.kind == "k-of-n" and all(_simple(r) for r in rule.rules) and len({r.key for r in rule.rules}) == len(rule.rules):
            met = sa.select(sa.func.count()).select_from(GateValue).where(
                GateValue.deal_id == Deal.id, GateValue.key.in_([r.key for r in rule.rules]),
                sa.or_(*(_met(r) for r in rule.rules))
            ).scalar_subquery()
            lacking.append(met < rule.k)
            continue
        condition = _rule_met(rule)
        if condition is not None:
            lacking.append(sa.not_(condition))
    return sa.or_(*lacking) if lacking else None


def _simple(rule) -> bool:
    return rule.kind in _VALUE_KINDS and rule.property is not None and rule.record == "deal"


def _rule_met(rule) -> sa.ColumnElement | None:
    """Whether one rule holds for the deal, in SQL; None for a kind the audit does not check."""
    if rule.kind in ("k-of-n", "any-of"):
        parts = [_rule_met(r) for r in rule.rules]
        met = sum((sa.case((p, 1), else_=0) if p is not None else sa.literal(1)) for p in parts)
        return met >= rule.k
    if rule.property is None:
        return Deal.amount_cents > 0 if rule.kind == "number > 0" and rule.field_name == "amount" else None
    if rule.record == "deal" and rule.kind in _VALUE_KINDS:
        return sa.exists().where(GateValue.deal_id == Deal.id, _met(rule))
    if rule.kind == "company-property":
        from salescrm.store.models import CompanyProperty

        return sa.exists().where(CompanyProperty.company_id == Deal.company_id, CompanyProperty.key == rule.key,
                                 sa.func.trim(CompanyProperty.value) != "")
    if rule.kind == "contact-property":
        from salescrm.store.models import ContactProperty

        return sa.exists().where(DealContact.deal_id == Deal.id, ContactProperty.contact_id == DealContact.contact_id,
                                 ContactProperty.key == rule.key, sa.func.trim(ContactProperty.value) != "")
    return None


def _reached(stages: list[str], pipeline):
    """The deal is in one of `stages`, or was lost from one of them."""
    return sa.or_(Deal.stage.in_(stages), sa.and_(Deal.stage == pipeline.lost.name, Deal.lost_from_stage.in_(stages)))


# The yes-words and unmet notes are short: a longer value is decided by its length alone, without lower(),
# which SQLite calls in Python (store/sqlite_connections.py) for each of millions of gate values.
_SHORT = max(len(w) for w in process.YES_WORDS + process.UNMET_NOTES)


def _met(rule):
    """A gate value that meets `rule` (a rule on one of the deal's values), in SQL."""
    trimmed = sa.func.trim(GateValue.value)
    short = sa.func.length(trimmed) <= _SHORT
    kind, field_kind = rule.kind, FIELD_KIND[rule.property.type]
    if kind == "yes":
        condition = sa.and_(short, sa.func.lower(trimmed).in_(process.YES_WORDS))
    elif kind == "equals":
        condition = sa.func.lower(trimmed) == rule.value.lower()
    elif kind == "at-least":
        choices = rule.property.choices
        condition = trimmed.in_(choices[choices.index(rule.value):])
    elif kind == "one-of":
        condition = trimmed.in_(rule.values)
    elif field_kind == "note":
        condition = sa.or_(sa.not_(short), sa.func.lower(trimmed).not_in(process.UNMET_NOTES))
    else:
        condition = trimmed != ""
    return sa.and_(GateValue.key == rule.key, condition)


def describe_stage_gate(row, ctx: Context) -> tuple[str, str | None]:
    pipeline = _pipeline_of(ctx, row.pipeline)
    lost = row.stage == pipeline.lost.name
    stage = row.lost_from_stage if lost else row.stage
    conn = ctx.session.connection()
    values = {k: v for k, v in conn.execute(
        sa.select(GateValue.key, GateValue.value).where(GateValue.deal_id == row.id)).all()}
    facts = _Facts(ctx, row, values)
    missing, keys = [], []
    for s in pipeline.stages_between(pipeline.first.name, stage):
        if s.gate is None:
            continue
        unmet = [r for r in s.rules if not facts.met(r)]
        if unmet:
            missing.append(f"{s.name} ({s.gate.rule})")
            keys += [leaf.key for r in unmet for leaf in (r.rules or (r,))
                     if leaf.property is not None and leaf.record == "deal" and not facts.met(leaf)]
    keys = list(dict.fromkeys(keys))
    fix = f"salescrm deal edit {row.id} " + " ".join(f"--set {k}=..." for k in keys[:4]) + " --reason ..." if keys else None
    shown = f"{pipeline.lost.name} (from {stage})" if lost else row.stage
    return f"is in {shown} without what " \
           f"{'these gates need' if len(missing) > 1 else 'this gate needs'}: {'; '.join(missing)}.", fix


def _pipeline_of(ctx: Context, label: str | None):
    try:
        return ctx.proc.pipeline(label or "")
    except KeyError:
        return ctx.proc.default_pipeline


class _Facts:
    """What the SQL conditions above read, for one deal, read in Python (the finding's message)."""

    def __init__(self, ctx: Context, row, values: dict[str, str]):
        self.ctx, self.row, self.values = ctx, row, values
        self._company: dict | None = None
        self._contacts: list | None = None

    def met(self, rule) -> bool:
        if rule.kind in ("k-of-n", "any-of"):
            return sum(1 for r in rule.rules if self.met(r)) >= rule.k
        if rule.property is None:
            return self.row.amount_cents > 0 if rule.kind == "number > 0" and rule.field_name == "amount" else True
        if rule.record == "deal" and rule.kind in _VALUE_KINDS:
            return _value_met(rule, self.values.get(rule.key))
        if rule.kind == "company-property":
            return bool((self.company().get(rule.key) or "").strip())
        if rule.kind == "contact-property":
            return any((c.get(rule.key) or "").strip() for c in self.contacts())
        return True

    def company(self) -> dict:
        if self._company is None:
            from salescrm.store.models import CompanyProperty

            self._company = dict(self.ctx.session.connection().execute(
                sa.select(CompanyProperty.key, CompanyProperty.value)
                .where(CompanyProperty.company_id == sa.select(Deal.company_id).where(Deal.id == self.row.id)
                       .scalar_subquery())).all())
        return self._company

    def contacts(self) -> list:
        if self._contacts is None:
            from salescrm.store.models import ContactProperty

            found: dict[int, dict] = {}
            for cid, key, value in self.ctx.session.connection().execute(
                    sa.select(ContactProperty.contact_id, ContactProperty.key, ContactProperty.value)
                    .join(DealContact, DealContact.contact_id == ContactProperty.contact_id)
                    .where(DealContact.deal_id == self.row.id)):
                found.setdefault(cid, {})[key] = value
            self._contacts = list(found.values())
        return self._contacts


def _value_met(rule, value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if rule.kind == "yes":
        return text in process.YES_WORDS
    if rule.kind == "equals":
        return text == rule.value.lower()
    if rule.kind == "at-least":
        choices = rule.property.choices
        return value.strip() in choices[choices.index(rule.value):]
    if rule.kind == "one-of":
        return value.strip() in rule.values
    if FIELD_KIND[rule.property.type] == "note":
        return text not in process.UNMET_NOTES
    return text != ""


def owner_role(ctx: Context):
    return sa.and_(_open(ctx), OWNER.role.not_in(ctx.proc.owner_roles))


def describe_owner_role(row, ctx: Context):
    title = ctx.proc.role_titles.get(row.owner_role, "")
    return (f"is owned by {row.owner} ({row.owner_role} {title}), but GP-009 deal owners are "
            f"{' or '.join(ctx.proc.owner_roles)}.", f"salescrm deal edit {row.id} --owner NAME --reason ...")


def stale(ctx: Context):
    cutoff = ctx.now - timedelta(days=ctx.stale_days)
    recent_activity = sa.exists().where(Activity.deal_id == Deal.id, Activity.at >= cutoff)
    recent_change = sa.exists().where(StageChange.deal_id == Deal.id, StageChange.changed_at >= cutoff)
    return sa.and_(_open(ctx), sa.not_(recent_activity), sa.not_(recent_change))


def describe_stale(row, ctx: Context):
    return (f"has had no activity and no stage change for {ctx.stale_days} days or more.",
            f"salescrm activity log --deal {row.id} --type ... --summary ...")


def overdue_close(ctx: Context):
    return sa.and_(_open(ctx), Deal.close_date < ctx.today)


def describe_overdue_close(row, ctx: Context):
    return (f"is open and its close date {row.close_date.isoformat()} has passed.",
            f"salescrm deal edit {row.id} --close-date YYYY-MM-DD --reason ...")


def no_next_step(ctx: Context):
    return sa.and_(_open(ctx), sa.not_(sa.exists().where(Task.deal_id == Deal.id, Task.done.is_(False))))


def describe_no_next_step(row, ctx: Context):
    return ("is open with no open task linked to it (its next step).",
            f"salescrm task add TITLE --deal {row.id} --due YYYY-MM-DD")


def deal_missing(ctx: Context):
    """No amount, no source, or no class where the process declares deal classes (health-prime declares none)."""
    no_class = [sa.func.trim(Deal.deal_class) == ""] if ctx.proc.deal_classes else []
    return sa.or_(Deal.amount_cents <= 0, sa.func.trim(Deal.source) == "", *no_class)


def describe_deal_missing(row, ctx: Context):
    missing = [name for name, gone in (("amount", row.amount_cents <= 0), ("source", not row.source.strip()),
                                       ("class", bool(ctx.proc.deal_classes) and not row.deal_class.strip())) if gone]
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
        sa.select(Deal.id, Deal.name, Deal.stage, Deal.pipeline, Deal.lost_from_stage, Deal.amount_cents, Deal.close_date, Deal.source,
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
    stmt = stmt.where(*ctx.deals_only())
    lost_stages = {p.lost.name for p in ctx.proc.pipelines}
    prefix = ctx.proc.deal_names.lost_prefix
    for row in ctx.session.connection().execute(stmt.execution_options(yield_per=CHUNK)):
        lost = row.stage in lost_stages
        if _follows_convention(row, lost, alpha2, prefix):
            continue
        problems = []
        if row.country not in codes or codes[row.country] != row.country:
            problems.append(f"its country code '{row.country}' is not an ISO 3166-1 alpha-2 code")
        first = row.description.split()[0] if row.description.split() else ""
        if len(first) == 2 and first.isupper() and first in codes:
            problems.append(f"its description starts with a second country code ({first})")
        expected = naming.deal_name(row.country, row.company, row.description)
        expected = naming.lost_name(expected, ctx.proc.deal_names) if lost else expected
        if row.name.startswith(prefix) and not lost:
            problems.append(f"it is open but its name starts with `{prefix}`")
        elif lost and not row.name.startswith(prefix):
            problems.append(f"it is lost but its name lacks the `{prefix}` prefix")
        elif row.name != expected:
            problems.append(f"it should read '{expected}' (country, company '{row.company}', description)")
        if problems:
            fixable = row.name != expected
            yield Finding("deal-name", ERROR, "deal", row.id, row.name, row.owner,
                          f"Deal {row.id} '{row.name}': {'; '.join(problems)}.",
                          "salescrm audit fix --check deal-name" if fixable else f"salescrm deal edit {row.id} --reason ...")


def _follows_convention(row, lost: bool, alpha2: set[str], prefix: str) -> bool:
    """The common case, decided fast: the name is exactly `[Lost ]<CC> <Company> <description>` with a valid
    code, single spaces and no second code. Anything else goes through the full check above."""
    country, description = row.country, row.description
    plain = f"{country} {row.company} {description}"
    if row.name != (prefix + plain if lost else plain) or country not in alpha2 \
            or plain != " ".join(plain.split()):
        return False
    return not (description[2:3] in ("", " ") and description[:2] in alpha2)


def expected_deal_name(session: Session, deal_id: int) -> str:
    row = session.connection().execute(
        sa.select(Deal.stage, Deal.country, Deal.description, Company.name).join(Company, Company.id == Deal.company_id)
        .where(Deal.id == deal_id)).one()
    name = naming.deal_name(row.country, row.name, row.description)
    return naming.lost_name(name) if row.stage in {p.lost.name for p in process.of(session).pipelines} else name
