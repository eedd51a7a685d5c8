"""Stage gates: checking and recording the values a deal needs to move into a stage (the rules a process file
declares, evaluated by the rule kinds of salescrm/process/rules.py).

A value outside a gate's allowed choices, or a malformed one, is invalid (exit 2);
well-formed values that do not meet the gate are refused (exit 1) with a message
naming each missing or failing key and the `--set KEY=VALUE` that supplies it.

Any gate key may be recorded as soon as it is known (issue 10, "Values for later gates"):
a value is format-checked when it is set, stored with the stage whose gate it belongs to and
with its setter, and checked against its gate when the deal enters that stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone

from sqlmodel import Session, select

from salescrm.domain import refs
from salescrm.domain.property_values import parse_property
from salescrm.domain.values import parse_choice, parse_date, parse_past_date, parse_yes_no
from salescrm.errors import GateNotMet, InvalidValue
from salescrm.process import rules
from salescrm.process.model import GateField, Process, Rule, Stage, gate_field_of
from salescrm.process.rules import PLACEHOLDER, Value
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.typed_text import clean_text


@dataclass(frozen=True)
class DealFacts:
    """What gate checks read about the deal: its company and amount, how messages name it, and the
    dates a gate date must lie between (the local day the deal was created, and today)."""

    company_id: int
    amount_cents: int
    subject: str  # "deal 4", "the new deal"
    created_on: date
    today: date
    deal_id: int | None = None  # a stored deal: its tasks, activities and contacts count for its gates
    stage: str | None = None  # ...and the stage it is in (has-next-step: since it entered it)


def facts_of(deal, today: date | None = None) -> DealFacts:
    """The facts of a stored deal (its creation time is UTC; the gate-date floor is that day, local time)."""
    created = deal.created_at if deal.created_at.tzinfo else deal.created_at.replace(tzinfo=timezone.utc)
    return DealFacts(deal.company_id, deal.amount_cents, f"deal {deal.id}", created.astimezone().date(),
                     today or date.today(), deal.id, deal.stage)


def new_deal_facts(company_id: int, amount_cents: int, today: date | None = None, created_on: date | None = None) -> DealFacts:
    """`created_on`: the day an imported deal was created in the system it came from (default today)."""
    today = today or date.today()
    return DealFacts(company_id, amount_cents, "the new deal", min(created_on or today, today), today)


@dataclass
class Checked:
    value: str | None  # the stored form; None when not given
    met: bool
    problem: str | None = None


def describe_gate(stage: Stage) -> str:
    """What moving into `stage` needs, with the options that supply it."""
    if stage.gate is None:
        return f"{stage.name} needs nothing more."
    options = " ".join(f"--set {k}={PLACEHOLDER}" for k in stage.gate.keys)
    return f"{stage.name} needs {stage.gate.rule}: {options}"


def field_of(proc: Process, key: str) -> tuple[Stage | None, GateField]:
    """The first stage whose gate reads the deal property `key`, and the field it reads it as; a declared
    deal property no gate reads: no stage, and a field that only needs a value. KeyError if undeclared."""
    try:
        return proc.gate_field(key)
    except KeyError:
        return None, gate_field_of(Rule("required", proc.property_of("deal", key)))


def check_keys(proc: Process, keys) -> None:
    """Every `--set` key is a deal property of the process; else exit 2 listing them."""
    known = list(proc.gate_keys) + [p.key for p in proc.properties_of("deal") if p.key not in proc.gate_keys]
    for key in keys:
        if key not in known:
            raise InvalidValue(f"Unknown gate key '{key}' in --set: known keys are {', '.join(known)}.")


def parse_gate_date(raw: str, label: str, facts: DealFacts) -> date:
    """A gate date: not in the future, and not before the day the deal was created."""
    day = parse_past_date(raw, label, facts.today)
    if day < facts.created_on:
        raise InvalidValue(
            f"{label} {day.isoformat()} is before {facts.created_on.isoformat()}, the day {facts.subject} was "
            f"created; give a date from {facts.created_on.isoformat()} to {facts.today.isoformat()}."
        )
    return day


def parse_value(session: Session, field: GateField, raw: str, facts: DealFacts) -> Value:
    """One gate value parsed by its property's type: raises InvalidValue for a malformed value; what its
    rules read about it (a contact's company, a member's role) comes with it."""
    from salescrm.store.models import ContactCompany, GateValue, size

    label = f"--set {field.key}"
    if field.kind == "yes":
        return Value("yes" if parse_yes_no(raw, label) else "no")
    if field.kind == "date":
        day = parse_gate_date(raw, label, facts) if field.property is None or field.property.past else parse_date(raw, label)
        return Value(day.isoformat())
    if field.kind == "choice":
        return Value(parse_choice(raw, field.choices, field.key.replace("_", " ").capitalize()))
    if field.kind in ("number", "money", "multi-choice"):
        return Value(parse_property(field.property, raw))
    text = clean_text(raw, label, required=False, lines=field.kind == "note", max_length=size(GateValue.value))
    if text is None or field.kind in ("note", "text"):
        return Value(text)
    if field.kind == "contact":
        contact = refs.contact(session, text)
        linked = session.exec(
            select(ContactCompany).where(ContactCompany.contact_id == contact.id, ContactCompany.company_id == facts.company_id)
        ).first()
        return Value(contact.email or str(contact.id), f"{contact.first_name} {contact.last_name}", contact.id,
                     of_company=linked is not None)
    if field.kind == "member":
        member = refs.team_member(session, text)
        return Value(member.name, member.name, member.id, role=member.role)
    raise AssertionError(field.kind)  # pragma: no cover - the types are checked when the file is loaded


def _kinds(rules_: tuple[Rule, ...]) -> set[str]:
    return {k for r in rules_ for k in (r.kind, *_kinds(r.rules))}


def move_context(session: Session, deal, stage: Stage) -> rules.Context:
    """The context the rules of `stage` read for a stored deal moving into it."""
    return rule_context(session, stage.name, stage.rules, facts_of(deal))


def rule_context(session: Session, stage: str, rules_: tuple[Rule, ...], facts: DealFacts) -> rules.Context:
    """What the rules of one stage (or entry, or transition) read besides the deal's values, read only when
    one of them needs it: the company's and the deal's contacts' properties, the deal's open tasks and
    activities since it entered its stage, the company's other deals."""
    import sqlalchemy as sa

    from salescrm.domain import properties

    kinds = _kinds(rules_)
    ctx = rules.Context(stage, facts.amount_cents, current=facts.stage,
                        deal_ref=str(facts.deal_id) if facts.deal_id else "DEAL", company_ref=str(facts.company_id))
    if "company-property" in kinds:
        ctx.company = properties.values_of(session, "company", facts.company_id)
    if "contact-property" in kinds and facts.deal_id:
        from salescrm.store.models import DealContact

        ids = session.connection().execute(
            sa.select(DealContact.contact_id).where(DealContact.deal_id == facts.deal_id).order_by(DealContact.contact_id)).scalars()
        ctx.contacts = tuple(properties.values_of(session, "contact", i) for i in ids)
    if kinds & {"has-next-step", "has-activity"} and facts.deal_id:
        from salescrm.store.models import Activity, StageChange, Task

        conn = session.connection()
        ctx.open_tasks = tuple(conn.execute(sa.select(Task.title).where(
            Task.deal_id == facts.deal_id, Task.done.is_(False)).order_by(Task.id)).scalars())
        ctx.activities = tuple(rules.Activity(r.type, _aware(r.at), r.summary) for r in conn.execute(
            sa.select(Activity.type, Activity.at, Activity.summary).where(Activity.deal_id == facts.deal_id)))
        entered = conn.execute(sa.select(StageChange.changed_at).where(
            StageChange.deal_id == facts.deal_id, StageChange.to_stage == facts.stage)
            .order_by(StageChange.id.desc()).limit(1)).scalar()
        ctx.entered_at = _aware(entered) if entered is not None else None
    if "company-has-won-deal" in kinds:
        from salescrm.domain.pipelines import process_of, won_stage_names
        from salescrm.store.models import Deal

        won = won_stage_names(process_of(session))
        stages = session.connection().execute(sa.select(Deal.stage).where(
            Deal.company_id == facts.company_id, Deal.id != (facts.deal_id or -1))).scalars()
        ctx.company_deals = tuple(rules.CompanyDeal(s in won) for s in stages)  # a backed-out deal is lost
    if "acting-user-role" in kinds:
        from salescrm.domain.team import acting_member

        member = acting_member(session)
        ctx.acting_role = member.role if member else None
    return ctx


def _aware(at):
    return at if at is None or at.tzinfo else at.replace(tzinfo=timezone.utc)


def normalize(session: Session, field: GateField, raw: str, facts: DealFacts) -> Checked:
    """Check one gate value: raises InvalidValue for a malformed value, reports whether it meets its rule."""
    value = parse_value(session, field, raw, facts)
    verdict = rules.check(field.rule, {field.key: value}, rules.Context("", facts.amount_cents))
    return Checked(value.stored, verdict.met, verdict.problem)


def refuse_no(stage: Stage, field: GateField, subject: str) -> GateNotMet:
    """A no to a yes the gate requires: the move stops there, with the gate's rule."""
    problem = f"{field.key} is no, and {stage.name} needs {stage.gate.rule}"
    return GateNotMet(f"Cannot move {subject} into {stage.name}: {problem}.", [problem])


def check_gates(session: Session, stages: list[Stage], values: dict[str, str], facts: DealFacts) -> dict[str, str]:
    """Check the values for every stage entered against its declared rules; return what to store, or raise
    GateNotMet naming each rule not met."""
    to_store: dict[str, str] = {}
    problems: list[str] = []
    for stage in stages:
        if stage.gate is None:
            continue
        parsed = {f.key: parse_value(session, f, values[f.key], facts) for f in stage.gate.fields if f.key in values}
        to_store.update({k: v.stored for k, v in parsed.items() if v.stored is not None})
        ctx = rule_context(session, stage.name, stage.rules, facts)
        problems += rules.problems(stage.rules, stage.gate.rule, parsed, ctx)
    if problems:
        raise GateNotMet(f"Cannot move {facts.subject} into {stages[-1].name}: " + "; ".join(problems) + ".", problems)
    return to_store


# --- Recorded values --------------------------------------------------------------------------


def recorded_values(session: Session, deal_id: int | None) -> dict[str, str]:
    """The gate values stored for a deal, whichever stage they belong to."""
    from salescrm.store.models import GateValue

    if deal_id is None:
        return {}
    return {gv.key: gv.value for gv in session.exec(select(GateValue).where(GateValue.deal_id == deal_id)).all()}


def values_for(stages: list[Stage], recorded: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    """The values the gates of `stages` are checked with: those recorded earlier, overridden by those given."""
    keys = {k for s in stages if s.gate for k in s.gate.keys}
    return {k: v for k, v in {**recorded, **given}.items() if k in keys}


def check_values(
    session: Session,
    deal_id: int | None,
    given: dict[str, str],
    facts: DealFacts,
    *,
    entering: list[Stage] = (),
    passed: list[Stage] = (),
) -> dict[str, str]:
    """Check `given` (any gate keys) for a deal; return the values to store. Writes nothing.

    Keys of the stages `entering` are checked with their gates, with the values recorded earlier;
    keys of stages already `passed` correct a value that gate accepted, and that gate must still be
    met; keys of later stages are format-checked only, and checked when their gate is entered.
    """
    from salescrm.domain.pipelines import process_of

    proc = process_of(session)
    check_keys(proc, given)
    entering_keys = {k for s in entering if s.gate for k in s.gate.keys}
    passed_keys = {k for s in passed if s.gate for k in s.gate.keys}
    to_store: dict[str, str] = {}
    for key, raw in given.items():  # later gates first: a malformed value is exit 2 before any refusal
        if key not in entering_keys and key not in passed_keys:
            _, field = field_of(proc, key)
            value = normalize(session, field, raw, facts).value
            if value is not None:
                to_store[key] = value
    recorded = recorded_values(session, deal_id)
    if entering:
        to_store.update(check_gates(session, list(entering), values_for(list(entering), recorded, given), facts))
    for stage in passed:
        if stage.gate and set(stage.gate.keys) & set(given):
            accepted = check_gates(session, [stage], values_for([stage], recorded, given), facts)
            to_store.update({k: v for k, v in accepted.items() if k in given})
    return to_store


def store_values(session: Session, deal_id: int, values: dict[str, str], stage: str | None = None) -> None:
    """Store gate values, each with the stage whose gate it belongs to (a property no gate reads: `stage`,
    the deal's) and its setter."""
    from salescrm.domain.pipelines import process_of
    from salescrm.store.models import Deal, GateValue

    proc = process_of(session) if values else None
    actor = actor_of(session)
    for key, value in values.items():
        existing = session.get(GateValue, (deal_id, key))
        if existing is None:
            gated = field_of(proc, key)[0]
            at = gated.name if gated else (stage or session.get(Deal, deal_id).stage)
            session.add(GateValue(deal_id=deal_id, key=key, value=value, stage=at, set_by=actor))
        elif existing.value != value:
            existing.value, existing.set_at, existing.set_by = value, utcnow(), actor
            session.add(existing)
