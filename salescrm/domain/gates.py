"""Stage gates: checking the values a deal needs to move into a stage (declared in process.py).

A value outside a gate's allowed choices, or a malformed one, is invalid (exit 2);
well-formed values that do not meet the gate are refused (exit 1) with a message
naming each missing or failing key and the `--set KEY=VALUE` that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import refs
from salescrm.domain.values import clean_text, note_met, parse_choice, parse_past_date, parse_yes_no
from salescrm.errors import GateNotMet, InvalidValue
from salescrm.process import GateField, Stage
from salescrm.store.models import ContactCompany

PLACEHOLDER = "…"


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


def check_keys_belong(stages: list[Stage], values: dict[str, str], move: str) -> None:
    entered = {k for s in stages if s.gate for k in s.gate.keys}
    for key in values:
        if key not in entered:
            owner_stage, _ = process.gate_field(key)
            raise InvalidValue(
                f"--set {key} belongs to the {owner_stage.name} gate, which {move} does not enter; remove it."
            )


def normalize(session: Session, field: GateField, raw: str, company_id: int, today: date | None = None) -> Checked:
    """Check one gate value: raises InvalidValue for a malformed value, reports whether it meets the gate."""
    label = f"--set {field.key}"
    if field.kind == "yes":
        yes = parse_yes_no(raw, label)
        problem = None if yes else f"{field.key} is no, and the gate needs yes (--set {field.key}=yes)"
        return Checked("yes" if yes else "no", yes, problem)
    if field.kind == "date":
        return Checked(parse_past_date(raw, label, today).isoformat(), True)
    if field.kind == "choice":
        return Checked(parse_choice(raw, field.choices, field.key.replace("_", " ").capitalize()), True)
    text = clean_text(raw, label, required=False)
    if field.kind == "note":
        return Checked(text, note_met(text))
    if text is None:
        return Checked(None, False)
    if field.kind == "text":
        return Checked(text, True)
    if field.kind == "contact":
        return _check_contact(session, field, text, company_id)
    if field.kind == "member":
        return _check_member(session, field, text)
    raise AssertionError(field.kind)  # pragma: no cover - the kinds are declared in process.py


def _check_contact(session: Session, field: GateField, ref: str, company_id: int) -> Checked:
    contact = refs.contact(session, ref)
    stored = contact.email or str(contact.id)
    linked = session.exec(
        select(ContactCompany).where(ContactCompany.contact_id == contact.id, ContactCompany.company_id == company_id)
    ).first()
    if linked is None:
        return Checked(
            stored,
            False,
            f"{field.key} {contact.first_name} {contact.last_name} is not a contact of the deal's company: name "
            f"another with --set {field.key}={PLACEHOLDER}, or link them with `salescrm contact edit {contact.id} --add-company ...`",
        )
    return Checked(stored, True)


def _check_member(session: Session, field: GateField, ref: str) -> Checked:
    member = refs.team_member(session, ref)
    if member.role != field.role:
        return Checked(
            member.name,
            False,
            f"{field.key} {member.name} is {member.role} ({process.ROLE_TITLES[member.role]}), not "
            f"{field.role} ({process.ROLE_TITLES[field.role]}): name one with --set {field.key}={PLACEHOLDER}",
        )
    return Checked(member.name, True)


def check_gates(
    session: Session,
    stages: list[Stage],
    values: dict[str, str],
    *,
    company_id: int,
    amount_cents: int,
    subject: str,
    today: date | None = None,
) -> dict[str, str]:
    """Check the values for every stage entered; return what to store, or raise GateNotMet.

    `subject` names the move in messages ("deal 4", "the new deal").
    """
    to_store: dict[str, str] = {}
    problems: list[str] = []
    for stage in stages:
        if stage.gate is None:
            continue
        checked = {
            f.key: normalize(session, f, values[f.key], company_id, today) if f.key in values else Checked(None, False)
            for f in stage.gate.fields
        }
        to_store.update({k: c.value for k, c in checked.items() if c.value is not None})
        problems += _stage_problems(stage, checked, amount_cents)
    if problems:
        raise GateNotMet(f"Cannot move {subject} into {stages[-1].name}: " + "; ".join(problems) + ".", problems)
    return to_store


def _stage_problems(stage: Stage, checked: dict[str, Checked], amount_cents: int) -> list[str]:
    gate = stage.gate
    problems = [c.problem for c in checked.values() if c.problem]
    unmet = [k for k, c in checked.items() if not c.met and not c.problem]
    if gate.min_met is not None:
        met = sum(1 for c in checked.values() if c.met)
        if met < gate.min_met:
            options = " ".join(f"--set {k}={PLACEHOLDER}" for k in unmet)
            problems.append(f"{stage.name} needs {gate.rule}, {met} met; add {options}")
    elif unmet:
        options = " ".join(f"--set {k}={PLACEHOLDER}" for k in unmet)
        problems.append(f"{stage.name} needs {', '.join(unmet)}: {options}")
    if gate.amount_positive and amount_cents <= 0:
        problems.append(f"{stage.name} needs an amount above 0 (set it with `salescrm deal edit --amount`)")
    return problems
