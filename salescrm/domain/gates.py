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

from salescrm import process
from salescrm.domain import refs
from salescrm.domain.property_values import parse_property
from salescrm.domain.values import parse_choice, parse_date, parse_past_date, parse_yes_no
from salescrm.errors import GateNotMet, InvalidValue
from salescrm.process import GateField, Stage, rules
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


def facts_of(deal, today: date | None = None) -> DealFacts:
    """The facts of a stored deal (its creation time is UTC; the gate-date floor is that day, local time)."""
    created = deal.created_at if deal.created_at.tzinfo else deal.created_at.replace(tzinfo=timezone.utc)
    return DealFacts(deal.company_id, deal.amount_cents, f"deal {deal.id}", created.astimezone().date(),
                     today or date.today())


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


def stage_of_key(key: str) -> Stage:
    return process.gate_field(key)[0]


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
        problems += rules.problems(stage.rules, stage.gate.rule, parsed, rules.Context(stage.name, facts.amount_cents))
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
    entering_keys = {k for s in entering if s.gate for k in s.gate.keys}
    passed_keys = {k for s in passed if s.gate for k in s.gate.keys}
    to_store: dict[str, str] = {}
    for key, raw in given.items():  # later gates first: a malformed value is exit 2 before any refusal
        if key not in entering_keys and key not in passed_keys:
            _, field = process.gate_field(key)
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


def store_values(session: Session, deal_id: int, values: dict[str, str]) -> None:
    """Store gate values, each with the stage whose gate it belongs to and its setter."""
    from salescrm.store.models import GateValue

    actor = actor_of(session)
    for key, value in values.items():
        existing = session.get(GateValue, (deal_id, key))
        if existing is None:
            session.add(GateValue(deal_id=deal_id, key=key, value=value, stage=stage_of_key(key).name, set_by=actor))
        elif existing.value != value:
            existing.value, existing.set_at, existing.set_by = value, utcnow(), actor
            session.add(existing)
