"""Asking, on a terminal, for what the stage gates of a move need (`deal advance`, `deal create --stage`).

A gate's values are asked stage by stage, after the SOP's reason for the stage. Each prompt accepts
what the gate accepts, so that no answer passes its prompt and fails afterwards; what no answer can
supply (a company without contacts, nobody to sign, an amount of 0) is said before the first question.
A yes the gate requires has no default, and a no stops the move at once; BANT stops asking once 3 of 4
can no longer be met. A select with one possible answer is chosen and said. A refused move prints the
command line that passes the same answers, so that nothing is typed twice.

Imported only by the commands that prompt (it reads the database through the domain).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from salescrm.cli.prompts import pick, required
from salescrm.cli.runtime import Runtime
from salescrm.errors import GateNotMet, SalesCrmError

if TYPE_CHECKING:
    from salescrm.domain.gates import DealFacts
    from salescrm.process.model import GateField, Property, Rule, Stage

RETRY = "To retry without typing them again: "


@dataclass
class GateContext:
    """What the prompts of one move offer and check, read before any question (no transaction open)."""

    facts: "DealFacts"
    company: str
    deal_class: str | None
    contacts: dict[str, str]  # the company's contacts: label -> the stored value (email, else id)
    accepted: dict[str, str]  # every accepted answer (label, email, id), folded -> stored value
    signers: dict[str, str]  # label -> team member name
    recorded: dict[str, str] = field(default_factory=dict)  # values recorded earlier that meet their gate field
    given_problems: list[str] = field(default_factory=list)  # why values given as options fail their field
    role_titles: dict[str, str] = field(default_factory=dict)  # the process's roles
    company_id: int | None = None
    company_values: dict[str, str] = field(default_factory=dict)  # the company's properties now
    contact: tuple[int, str] | None = None  # the deal's first contact (id, name): where a contact property is asked
    contact_values: list[dict[str, str]] = field(default_factory=list)  # each contact of the deal's properties
    # Answers for the company's and the contact's properties, stored in the move's transaction:
    # (record, id) -> {key: stored value}
    record_answers: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)


def gate_context(session, facts, *, company_id: int, deal_class: str | None, stages, given: dict[str, str],
                 deal_id: int | None = None) -> GateContext:
    from sqlmodel import select

    from salescrm.domain import gates, properties
    from salescrm.domain.pipelines import process_of
    from salescrm.store.models import Company, Contact, ContactCompany, DealContact, TeamMember

    contacts = session.exec(
        select(Contact).join(ContactCompany, ContactCompany.contact_id == Contact.id)
        .where(ContactCompany.company_id == company_id).order_by(Contact.id)
    ).all()
    labels = {f"{c.first_name} {c.last_name} <{c.email or 'no email'}> (id {c.id})": c.email or str(c.id) for c in contacts}
    accepted = {label.casefold(): value for label, value in labels.items()}
    for c in contacts:
        accepted[str(c.id)] = c.email or str(c.id)
        if c.email:
            accepted[c.email.casefold()] = c.email
    proc = process_of(session)
    keys = {f.key: f for s in stages if s.gate for f in s.gate.fields}
    roles = {f.role for f in keys.values() if f.kind == "member"} or set(proc.signer_roles[:1])
    signers = session.exec(select(TeamMember).where(TeamMember.role.in_(roles)).order_by(TeamMember.id)).all()
    recorded = {}
    for key, value in gates.recorded_values(session, deal_id).items():
        if key in keys:
            try:
                if gates.normalize(session, keys[key], value, facts).met:
                    recorded[key] = value
            except SalesCrmError:  # a contact or member gone since: ask again
                pass
    # A value given as an option is checked now (a malformed one is exit 2), so that a failing one is said
    # before any question rather than after them.
    problems = [gates.normalize(session, keys[k], v, facts).problem for k, v in given.items() if k in keys]
    deal_contacts = session.exec(select(Contact).join(DealContact, DealContact.contact_id == Contact.id)
                                 .where(DealContact.deal_id == deal_id).order_by(Contact.id)).all() if deal_id else []
    return GateContext(
        facts, session.get(Company, company_id).name, deal_class, labels, accepted,
        {f"{m.name} ({m.role})": m.name for m in signers}, recorded, [p for p in problems if p],
        proc.role_titles, company_id, properties.values_of(session, "company", company_id),
        (deal_contacts[0].id, f"{deal_contacts[0].first_name} {deal_contacts[0].last_name}") if deal_contacts else None,
        [properties.values_of(session, "contact", c.id) for c in deal_contacts],
    )


def _unanswerable(stage: Stage, fld: GateField, ctx: GateContext) -> str | None:
    """Why no answer at a prompt can meet this field, if none can."""
    if fld.kind == "contact" and not ctx.contacts:
        return (f"{stage.name} needs a {fld.key} who is a contact of {ctx.company}, which has none yet: add one with "
                f"`salescrm contact add --company \"{ctx.company}\" ...`")
    if fld.kind == "member" and not ctx.signers:
        return (f"{stage.name} needs {fld.key}, a team member with role {fld.role} ({ctx.role_titles.get(fld.role, fld.role)}), "
                f"and there is none: add one with `salescrm team add NAME --role {fld.role}`")
    return None


def precheck(stages: list[Stage], given: dict[str, str], ctx: GateContext) -> None:
    """Refuse, before any question, a move whose gates no answer can meet."""
    problems = list(ctx.given_problems)
    for stage in stages:
        if stage.gate is None:
            continue
        for fld in stage.gate.fields:
            if fld.key not in given and fld.key not in ctx.recorded:
                problem = _unanswerable(stage, fld, ctx)
                if problem:
                    problems.append(problem)
        if stage.gate.amount_positive and ctx.facts.amount_cents <= 0:
            problems.append(f"{stage.name} needs an amount above 0 (set it with `salescrm deal edit --amount`)")
    if problems:
        raise GateNotMet(f"Cannot move {ctx.facts.subject} into {stages[-1].name}: " + "; ".join(problems) + ".", problems)


def ask_gate_values(rt: Runtime, stages: list[Stage], given: dict[str, str], ctx: GateContext,
                    typed: dict[str, str]) -> dict[str, str]:
    """On a terminal, ask for every gate value neither given nor recorded, stage by stage; `typed` collects
    the answers that count (for the retry line: a no or an empty note is left out, so that a retry asks it
    again). Returns the given values with the answers."""
    from salescrm.domain.values import note_met

    if not rt.can_prompt():
        return given
    precheck(stages, given, ctx)
    values = dict(given)
    p = None
    for stage in stages:
        missing = [f for f in (stage.gate.fields if stage.gate else ()) if f.key not in values and f.key not in ctx.recorded]
        on_records = _record_rules(stage, ctx) if ctx.facts.deal_id else []  # `deal advance` stores them
        if not missing and not on_records:
            continue
        p = p or rt.ask()
        p.say(f"{stage.name}: {stage.reason}")
        for rule in on_records:
            _ask_record_property(p, rule, ctx)
        for fld in missing:
            if _cannot_reach(stage, values, ctx, missing[missing.index(fld):]):
                return values  # the gate is refused with its message: no more questions
            answer = _ask_field(p, fld, ctx)
            if fld.kind == "yes" and answer == "no" and fld.rule.kind == "yes":  # not in the retry line: asked again
                from salescrm.domain.gates import refuse_no

                raise refuse_no(stage, fld, ctx.facts.subject)
            values[fld.key] = answer
            if fld.kind != "note" or note_met(answer):  # an empty note is asked again on a retry
                typed[fld.key] = answer
    return values


def _record_rules(stage: Stage, ctx: GateContext) -> list[Rule]:
    """The gate's rules on a company or contact property that no value meets yet, each asked once (of an
    any-of, its first alternative: the company's providers before a contact's)."""
    from salescrm.process import rules

    found: list[Rule] = []
    for rule in stage.rules:
        if rule.kind == "any-of" and not rules.check(rule, {}, _rules_context(stage, ctx)).met:
            found += [r for r in rule.rules if r.kind in ("company-property", "contact-property")][:1]
        elif rule.kind in ("company-property", "contact-property") and not rules.check(
                rule, {}, _rules_context(stage, ctx)).met:
            found.append(rule)
    return [r for r in found if r.kind == "company-property" or ctx.contact is not None]


def _rules_context(stage: Stage, ctx: GateContext):
    from salescrm.process import rules

    company = {**ctx.company_values, **ctx.record_answers.get(("company", ctx.company_id), {})}
    contacts = list(ctx.contact_values)
    if ctx.contact is not None and contacts:
        contacts[0] = {**contacts[0], **ctx.record_answers.get(("contact", ctx.contact[0]), {})}
    return rules.Context(stage.name, ctx.facts.amount_cents, company=company, contacts=tuple(contacts))


def _ask_record_property(p, rule: Rule, ctx: GateContext) -> None:
    """Ask a company's (or the deal's first contact's) property, with its own prompt; kept for the move."""
    from salescrm.domain.property_values import parse_property

    record, prop = rule.record, rule.property
    record_id, whose = (ctx.company_id, ctx.company) if record == "company" else ctx.contact
    answer = _ask_property(p, prop, f"{prop.label} ({whose})")
    ctx.record_answers.setdefault((record, record_id), {})[prop.key] = parse_property(prop, answer)


def _ask_property(p, prop: Property, label: str) -> str:
    """A property's own prompt: a select for a choice, a checkbox for a multi-choice, a yes/no, a validated
    value otherwise (number, money, date, text)."""
    from salescrm.domain.property_values import parse_property

    if prop.type == "yes/no":
        return "yes" if p.confirm(label + "?", default=None) else "no"
    if prop.type in ("choice", "ordered choice"):
        return p.select(label, list(prop.choices))
    if prop.type == "multi-choice":
        return ", ".join(p.checkbox(label, list(prop.choices)))
    return p.text(label, validate=lambda a: required(label)(a) or parse_property(prop, a))


def _cannot_reach(stage: Stage, values: dict[str, str], ctx: GateContext, unasked) -> bool:
    """For a k-of-n gate (BANT 3 of 4): True once the notes met and those still to ask cannot reach k."""
    from salescrm.domain.values import note_met

    if stage.gate.min_met is None:
        return False
    met = sum(1 for f in stage.gate.fields if f.key in ctx.recorded or note_met(values.get(f.key)))
    return met + len(unasked) < stage.gate.min_met


def _ask_field(p, fld: GateField, ctx: GateContext) -> str:
    from salescrm.domain.gates import parse_gate_date
    from salescrm.domain.property_values import parse_property

    if fld.kind == "yes":
        return "yes" if p.confirm(fld.label + "?", default=None) else "no"
    if fld.kind == "note":
        return p.text(fld.label, instruction="(a short note; leave empty if not met)")
    if fld.kind == "date" and fld.property is not None and not fld.property.past:  # a date looked ahead to
        return p.text(fld.label, validate=lambda a: parse_property(fld.property, a), instruction="(YYYY-MM-DD)")
    if fld.kind == "date":
        return p.text(fld.label, default=ctx.facts.today.isoformat(),
                      validate=lambda a: parse_gate_date(a, fld.label, ctx.facts))
    if fld.kind == "choice":
        labels = {f"{c} {fld.property.title_of(c)}".strip(): c for c in fld.choices}  # a choice's title beside it
        default = next((label for label, c in labels.items() if c == fld.property.default_for(ctx.deal_class)), None)
        return labels[p.select(fld.label, list(labels), default=default)]
    if fld.kind == "contact":
        if len(ctx.contacts) == 1:
            return ctx.contacts[pick(p, fld.label, list(ctx.contacts))]
        answer = p.autocomplete(fld.label, list(ctx.contacts), validate=_one_of_contacts(ctx))
        return ctx.accepted[answer.strip().casefold()]
    if fld.kind == "member":
        return ctx.signers[pick(p, fld.label, list(ctx.signers))]
    if fld.kind in ("multi-choice", "number", "money"):
        return _ask_property(p, fld.property, fld.label)
    return p.text(fld.label, validate=required(fld.label))


def _one_of_contacts(ctx: GateContext):
    def check(answer: str) -> None:
        from salescrm.errors import InvalidValue

        if answer.strip().casefold() not in ctx.accepted:
            raise InvalidValue(f"Choose one of {ctx.company}'s contacts (type part of the name, then pick it).")

    return check


# --- The retry line ---------------------------------------------------------------------------


def retry_line(rt: Runtime, typed: dict[str, str], options: list[tuple[str, str]] = ()) -> str:
    """The command as typed, with the answers typed at prompts added as options (shell-quoted).

    A password in a database URL is shown as *** (as in the journal): it is never echoed, even to the
    person who typed it; pgpass or PGPASSWORD supply it again.
    """
    from salescrm.store.masking import shown_argv

    extra = [a for option, value in options for a in (option, value)]
    extra += [a for key, value in typed.items() for a in ("--set", f"{key}={value}")]
    return " ".join(shlex.quote(a) for a in ["salescrm", *shown_argv(rt.argv), *extra])


def with_retry(rt: Runtime, error: GateNotMet, typed: dict[str, str], options: list[tuple[str, str]] = ()) -> GateNotMet:
    """The refusal, followed by the command line that passes the same answers (when any was typed)."""
    if not typed and not options:
        return error
    return GateNotMet(f"{error.message}\n{RETRY}{retry_line(rt, typed, options)}", error.problems)
