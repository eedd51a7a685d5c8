"""The gate rule kinds: each written once, here, and usable by any process file.

A kind is a small check on a value already parsed by its property's type (domain/gates.py parses and
stores; a malformed value never reaches a rule), plus what the loader checks about its parameters. A
check answers met or not, and, when the value is there but wrong, the problem to say. `problems`
turns a stage's rules into the refusal's sentences. Standard library only; no database: what a rule
needs to know about a contact or a team member comes in the `Value`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass(eq=False, repr=False)
class Activity:
    """An activity logged on the deal, as `has-next-step` and `has-activity` read it."""

    type: str  # call, email, meeting, message, note
    at: datetime
    summary: str = ""


@dataclass(eq=False, repr=False)
class CompanyDeal:
    """Another deal of the deal's company, as `company-has-won-deal` reads it."""

    won: bool  # it reached a won stage
    backed_out: bool = False  # ...and was then backed out (the process's transition to lost)


@dataclass(eq=False)
class Context:
    """What a rule knows of the move besides the deal's values: plain data the caller reads first, so
    that a rule needs no database. Each field is read only by the kinds named beside it."""

    stage: str  # the stage being entered (or the pipeline, the transition), as messages name it
    amount_cents: int = 0  # number > 0 on `amount`
    company: Mapping[str, str] = field(default_factory=dict)  # company-property: its properties, stored form
    contacts: tuple[Mapping[str, str], ...] = ()  # contact-property: each contact of the deal's properties
    open_tasks: tuple[str, ...] = ()  # has-next-step: the titles of the deal's open tasks
    activities: tuple[Activity, ...] = ()  # has-next-step, has-activity: the deal's activities
    entered_at: datetime | None = None  # ...and when the deal entered its current stage
    current: str | None = None  # the deal's current stage, as messages name it
    company_deals: tuple[CompanyDeal, ...] = ()  # company-has-won-deal: the company's other deals
    acting_role: str | None = None  # acting-user-role: the acting member's role (None: no member's login)
    action: str | None = None  # acting-user-role: what is done, as its message says it
    deal_ref: str = "DEAL"  # how commands in messages name the deal, its company and a contact
    company_ref: str = "COMPANY"


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
    if rule.property.multiple:
        return Verdict(bool(rule.property.selected(v.stored)))
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


# --- Kinds that read more than the deal's own values (the Context) ------------------------------

REQUIREMENT = {"required": "known", "yes": "yes", "date": "known", "number > 0": "above 0"}


def requirement(rule: Rule) -> str:
    """What a value rule asks of its value, in a few words (`above 0`, `equal to Approved`)."""
    if rule.kind == "equals":
        return f"equal to {rule.value}"
    if rule.kind == "one-of":
        return f"one of {', '.join(rule.values)}"
    if rule.kind == "at-least":
        return f"{rule.value} or later"
    return REQUIREMENT[rule.kind]


def need(rule: Rule, ctx: Context) -> str:
    """What a rule needs, and the command that supplies it, as a refusal says it after "X needs"."""
    if rule.kind in ("k-of-n", "any-of"):
        return f"{_count(rule.k)} of: " + "; ".join(need(r, ctx) for r in rule.rules)
    if rule.kind in ("company-property", "contact-property"):
        key, test = rule.key, requirement(rule.test)
        if rule.kind == "company-property":
            return f"the company's {key} {test} (salescrm company edit {ctx.company_ref} --set {key}={PLACEHOLDER})"
        return f"{key} {test} on a contact of the deal (salescrm contact edit CONTACT --set {key}={PLACEHOLDER})"
    if rule.kind == "has-next-step":
        return (f"a next step: an open task on the deal (salescrm task add TITLE --deal {ctx.deal_ref}), or "
                f"{_either(rule.activities)} logged on the deal since it entered {ctx.current or 'its stage'} "
                f"(salescrm activity log --deal {ctx.deal_ref})")
    if rule.kind == "has-activity":
        since = f" since it entered {ctx.current or 'its stage'}" if rule.since_entered else ""
        starting = f" starting {rule.starts_with}" if rule.starts_with else ""
        how = rule.hint or f"salescrm activity log --deal {ctx.deal_ref}"
        return f"{_either(rule.activities)}{starting} on the deal{since} ({how.replace('DEAL', ctx.deal_ref)})"
    if rule.kind == "company-has-won-deal":
        return "a company that already has a won deal (an existing client)"
    if rule.kind == "acting-user-role":
        return f"the acting user to be a team member with role {_roles(rule)}"
    if rule.property is None:
        return f"{rule.key} {requirement(rule)}"
    return f"{rule.key} {requirement(rule)} ({_set(rule.key)})"


def _count(k: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(k, str(k))


def _either(types: tuple[str, ...]) -> str:
    words = [f"an {t}" if t[0] in "aeiou" else f"a {t}" for t in types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _roles(rule: Rule) -> str:
    titles = dict(rule.role_titles)
    return " or ".join(f"{c} ({titles[c]})" if c in titles else c for c in rule.roles)


def _on_record(rule: Rule, stored: str | None, ctx: Context) -> Verdict:
    """A company's or contact's property checked by the rule's `test`."""
    return KINDS[rule.test.kind].check(rule.test, Value(stored), ctx)


def company_property(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """The deal's company has the property, meeting the rule's `test` (`required` by default)."""
    stored = ctx.company.get(rule.key)
    if _on_record(rule, stored, ctx).met:
        return MET
    if stored is None:
        return UNMET
    return Verdict(False, f"the company's {rule.key} is {stored}, and {ctx.stage} needs {need(rule, ctx)}")


def contact_property(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """A contact of the deal has the property, meeting the rule's `test` (`required` by default)."""
    return MET if any(_on_record(rule, c.get(rule.key), ctx).met for c in ctx.contacts) else UNMET


def has_next_step(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """An open task on the deal, or an activity of `activities` on it since it entered its current stage."""
    if ctx.open_tasks:
        return MET
    return MET if any(a.type in rule.activities and _since(a, ctx) for a in ctx.activities) else UNMET


def has_activity(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """An activity of `activities` on the deal (whose summary starts with `starts_with`, when given; since the
    deal entered its current stage, with `since_entered`)."""
    for a in ctx.activities:
        if a.type in rule.activities and (not rule.since_entered or _since(a, ctx)) and \
                (rule.starts_with is None or a.summary.lstrip().startswith(rule.starts_with)):
            return MET
    return UNMET


def _since(a: Activity, ctx: Context) -> bool:
    return ctx.entered_at is None or a.at >= ctx.entered_at


def company_has_won_deal(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """The deal's company has another deal that reached a won stage and was not backed out."""
    return MET if any(d.won and not d.backed_out for d in ctx.company_deals) else UNMET


def acting_user_role(rule: Rule, v: Value, ctx: Context) -> Verdict:
    """The acting user is the login of a team member whose role is one of `roles`."""
    if ctx.acting_role in rule.roles:
        return MET
    return Verdict(False, f"Only {_roles(rule)} may {ctx.action or 'enter ' + ctx.stage}")


@dataclass(eq=False)
class Kind:
    """A rule kind: its check, and what the loader requires of a rule of this kind."""

    check: Callable[[Rule, Value, Context], Verdict] | None
    params: tuple[str, ...] = ()  # required parameters besides `kind` and `property`
    types: tuple[str, ...] | None = None  # the property types it applies to (None: any)
    on_property: bool = True  # reads a property (or a deal field)
    fields: tuple[str, ...] = ()  # the deal fields it may read instead of a property
    record: str = "deal"  # whose property it reads
    optional: tuple[str, ...] = ()  # parameters it may have
    places: tuple[str, ...] = ("gate", "transition")  # where a rule of this kind may stand (PLACES)


KINDS: dict[str, Kind] = {
    "required": Kind(required),
    "yes": Kind(yes, types=("yes/no",)),
    "equals": Kind(equals, params=("value",), types=("text", "choice", "ordered choice", "yes/no")),
    "one-of": Kind(one_of, params=("values",), types=("text", "choice", "ordered choice")),
    "at-least": Kind(at_least, params=("value",), types=("ordered choice", "choice")),
    "date": Kind(date, types=("date",)),
    "number > 0": Kind(above_zero, types=("number", "money"), fields=("amount",)),
    "k-of-n": Kind(None, params=("k", "rules"), on_property=False),
    "contact-of-company": Kind(contact_of_company, types=("contact",)),
    "member-with-role": Kind(member_with_role, params=("role",), types=("member",)),
    "company-property": Kind(company_property, record="company", optional=("test", "value", "values"),
                             places=("gate", "entry", "transition")),
    "contact-property": Kind(contact_property, record="contact", optional=("test", "value", "values")),
    "has-next-step": Kind(has_next_step, on_property=False, optional=("activities",), places=("gate",)),
    "has-activity": Kind(has_activity, on_property=False, optional=("activities", "starts_with", "since_entered", "hint"),
                         places=("gate", "transition")),
    "any-of": Kind(None, params=("rules",), optional=("k",), on_property=False, places=("gate", "entry", "transition")),
    "company-has-won-deal": Kind(company_has_won_deal, on_property=False, places=("entry", "gate")),
    "acting-user-role": Kind(acting_user_role, params=("roles",), on_property=False,
                             places=("transition", "gate", "entry")),
}
# Where a rule stands: a stage's gate, a pipeline's entry (a deal being created: no values, tasks or
# activities yet), the process's transition from won to lost.
PLACES = {"gate": "a stage's gate", "entry": "a pipeline's entry", "transition": "a transition"}
NEXT_STEP_ACTIVITIES = ("note", "email", "call")  # has-next-step's default: "notes, email or call log"


def check(rule: Rule, values: Mapping[str, Value], ctx: Context) -> Verdict:
    """One rule on the values given (a key absent from `values` is not given)."""
    if rule.kind in ("k-of-n", "any-of"):
        met = sum(1 for r in rule.rules if check(r, values, ctx).met)
        return Verdict(met >= rule.k)
    value = (values.get(rule.key) if rule.record == "deal" or rule.field_name else None) or Value()
    return KINDS[rule.kind].check(rule, value, ctx)


def problems(rules: tuple[Rule, ...], needs: str, values: Mapping[str, Value], ctx: Context) -> list[str]:
    """Why the values do not meet a stage's rules: the values given that fail their rule first, then the
    keys still missing (with the `--set` that supplies each), then each k-of-n short of its k, then the
    other rules (on deal fields, other records, tasks and activities, roles). Empty when the gate is met."""
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
        if rule.record != "deal":  # a deal field, another record's property, or a rule on more than values
            if not verdict.met:
                fields.append(verdict.problem or f"{ctx.stage} needs {need(rule, ctx)}")
        elif verdict.problem:
            failing.append(verdict.problem)
        elif not verdict.met:
            missing.append(rule.key)
    if missing:
        failing.append(f"{ctx.stage} needs {', '.join(missing)}: " + " ".join(_set(k) for k in missing))
    return failing + groups + fields
