"""The gate rule kinds: each written once, here, and usable by any process file.

A kind is a small check on a value already parsed by its property's type (domain/gates.py parses and
stores; a malformed value never reaches a rule), plus what the loader checks about its parameters. A
check answers met or not, and, when the value is there but wrong, the problem to say. `problems`
turns a stage's rules into the refusal's sentences. Standard library only; no database: what a rule
needs to know about a contact or a team member comes in the `Value`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from salescrm.process.common import UNMET_NOTES
from salescrm.process.model import Rule

PLACEHOLDER = "…"


@dataclass(eq=False)
class Value:
    """A property's value as rules read it. `stored` is None when not given."""

    stored: str | None = None
    name: str | None = None  # contact, member: who it names ("Ana García")
    id: int | None = None  # contact: its id
    of_company: bool = False  # contact: a contact of the deal's company
    role: str | None = None  # member: the member's role code


@dataclass(eq=False)
class Context:
    """What a rule knows of the move besides the values."""

    stage: str  # the stage being entered, as messages name it
    amount_cents: int = 0


@dataclass
class Verdict:
    """Whether a rule is met, and what to say when a value given does not meet it."""

    met: bool
    problem: str | None = None  # the value is given and does not meet the rule


MET, UNMET = Verdict(True), Verdict(False)


def _set(key: str) -> str:
    return f"--set {key}={PLACEHOLDER}"


# --- The kinds ----------------------------------------------------------------------------------


def required(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A value is present; a note counts only when it is not empty and not `no`, `none` or `-`."""
    if v.stored is None:
        return UNMET
    if rule.property.type == "note":
        return Verdict(v.stored.strip().lower() not in UNMET_NOTES)
    return MET


def yes(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A yes/no that is yes; a no is a problem."""
    if v.stored is None:
        return UNMET
    if v.stored == "yes":
        return MET
    return Verdict(False, f"{rule.key} is no, and the gate needs yes (--set {rule.key}=yes)")


def equals(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """The value is `value` (a choice compared as stored, a text ignoring case)."""
    if v.stored is None:
        return UNMET
    if v.stored.strip().casefold() == rule.value.casefold():
        return MET
    return Verdict(False, f"{rule.key} is {v.stored}, and the gate needs {rule.value} (--set {rule.key}={rule.value})")


def one_of(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """The value is one of `values`."""
    if v.stored is None:
        return UNMET
    if v.stored.strip().casefold() in {x.casefold() for x in rule.values}:
        return MET
    return Verdict(False, f"{rule.key} is {v.stored}, and the gate needs one of {', '.join(rule.values)}: "
                          f"{_set(rule.key)}")


def at_least(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """An ordered choice at `value` or a later one (its property's choices give the order)."""
    if v.stored is None:
        return UNMET
    order = rule.property.choices
    if v.stored in order and order.index(v.stored) >= order.index(rule.value):
        return MET
    later = order[order.index(rule.value):]
    return Verdict(False, f"{rule.key} is {v.stored}, and the gate needs {' or '.join(later)}: {_set(rule.key)}")


def date(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A date is known (its property says whether it may be in the future; its type checks that)."""
    return MET if v.stored is not None else UNMET


def above_zero(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A number above 0: the deal's amount, or a number property."""
    if rule.field_name == "amount":
        if ctx.amount_cents > 0:
            return MET
        return Verdict(False, f"{ctx.stage} needs an amount above 0 (set it with `salescrm deal edit --amount`)")
    if v.stored is None:
        return UNMET
    try:
        return MET if float(v.stored) > 0 else Verdict(False, f"{rule.key} is {v.stored}, and the gate needs a number "
                                                               f"above 0: {_set(rule.key)}")
    except ValueError:
        return UNMET


def contact_of_company(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A contact who is a contact of the deal's company (SP-009-001's decision maker)."""
    if v.stored is None:
        return UNMET
    if v.of_company:
        return MET
    return Verdict(False, f"{rule.key} {v.name} is not a contact of the deal's company: name another with "
                          f"{_set(rule.key)}, or link them with `salescrm contact edit {v.id} --add-company ...`")


def member_with_role(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A team member who holds `role` (GP-009's signer: JD-001)."""
    if v.stored is None:
        return UNMET
    if v.role == rule.role:
        return MET
    titles = dict(rule.role_titles)
    return Verdict(False, f"{rule.key} {v.name} is {v.role} ({titles.get(v.role, 'a role salescrm does not know')}), "
                          f"not {rule.role} ({titles[rule.role]}): name one with {_set(rule.key)}")


@dataclass(eq=False)
class Kind:
    """A rule kind: its check, and what the loader requires of a rule of this kind."""

    check: Callable[[Rule, Value, Context], Verdict] | None
    params: tuple[str, ...] = ()  # required parameters besides `kind` and `property`
    types: tuple[str, ...] | None = None  # the property types it applies to (None: any)
    on_property: bool = True  # reads a property (or a deal field)
    fields: tuple[str, ...] = ()  # the deal fields it may read instead of a property


KINDS: dict[str, Kind] = {
    "required": Kind(required),
    "yes": Kind(yes, types=("yes/no",)),
    "equals": Kind(equals, params=("value",), types=("text", "choice", "yes/no")),
    "one-of": Kind(one_of, params=("values",), types=("text", "choice")),
    "at-least": Kind(at_least, params=("value",), types=("choice",)),
    "date": Kind(date, types=("date",)),
    "number > 0": Kind(above_zero, types=("number",), fields=("amount",)),
    "k-of-n": Kind(None, params=("k", "rules"), on_property=False),
    "contact-of-company": Kind(contact_of_company, types=("contact",)),
    "member-with-role": Kind(member_with_role, params=("role",), types=("member",)),
}


def check(rule: Rule, values: Mapping[str, Value], ctx: Context) -> Verdict:
    """One rule on the values given (a key absent from `values` is not given)."""
    if rule.kind == "k-of-n":
        met = sum(1 for r in rule.rules if check(r, values, ctx).met)
        return Verdict(met >= rule.k)
    return KINDS[rule.kind].check(rule, values.get(rule.key) or Value(), ctx)


def problems(rules: tuple[Rule, ...], needs: str, values: Mapping[str, Value], ctx: Context) -> list[str]:
    """Why the values do not meet a stage's rules: the values given that fail their rule first, then the
    keys still missing (with the `--set` that supplies each), then each k-of-n short of its k, then the
    rules on deal fields. Empty when the gate is met."""
    failing: list[str] = []
    missing: list[str] = []
    groups: list[str] = []
    fields: list[str] = []
    for rule in rules:
        if rule.kind == "k-of-n":
            verdicts = [(r, check(r, values, ctx)) for r in rule.rules]
            failing += [v.problem for _, v in verdicts if v.problem]
            met = sum(1 for _, v in verdicts if v.met)
            if met < rule.k:
                options = " ".join(_set(r.key) for r, v in verdicts if not v.met and not v.problem)
                groups.append(f"{ctx.stage} needs {needs}, {met} met; add {options}")
            continue
        verdict = check(rule, values, ctx)
        if rule.property is None:
            if not verdict.met:
                fields.append(verdict.problem or f"{ctx.stage} needs {rule.key}")
        elif verdict.problem:
            failing.append(verdict.problem)
        elif not verdict.met:
            missing.append(rule.key)
    if missing:
        failing.append(f"{ctx.stage} needs {', '.join(missing)}: " + " ".join(_set(k) for k in missing))
    return failing + groups + fields
