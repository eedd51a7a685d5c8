"""A process in memory: dataclasses built and validated by `load.py` from a process file, never changed after.

Standard library only: this is read by `deal --help` and shell completion. Mappings are kept as tuples of
pairs with a `dict` view where one is looked up. Each method a dataclass generates is compiled when the
module is imported, on every command, so these generate only `__init__`: not the frozen guards, which
tripled the import's cost (about 15 ms here); they compare by identity (`process diff` compares
snapshots of plain values) and are never printed. Nothing assigns to them after `load.py` built them.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from functools import cached_property

from salescrm.process.common import slugify  # noqa: F401  (the model's name for it)

from salescrm.process.model_actions import Automation, Summary, SummaryLine, Transition  # noqa: F401 - part of the model

# How the gate checks and prompts read a property's type (the kinds of the first release's GateField). An
# `ordered choice` is a choice whose choices are in order (`at-least`); a `multi-choice` holds several of its
# choices, stored in the file's order joined by ", ".
FIELD_KIND = {"yes/no": "yes", "note": "note", "text": "text", "date": "date", "choice": "choice",
              "contact": "contact", "member": "member", "number": "number", "money": "money",
              "ordered choice": "choice", "multi-choice": "multi-choice"}
CHOICE_TYPES = ("choice", "ordered choice", "multi-choice")
# The records a process declares properties on, and the types each may have (a contact or a member names
# another record: only a deal's gate value does that).
RECORDS = ("deal", "company", "contact")
RECORD_TYPES = {"deal": tuple(FIELD_KIND),
                "company": ("text", "number", "money", "date", "yes/no", "choice", "ordered choice", "multi-choice"),
                "contact": ("text", "number", "money", "date", "yes/no", "choice", "ordered choice", "multi-choice")}
MULTI_SEPARATOR = ", "
# Deal fields a rule may read without declaring them as properties.
DEAL_FIELDS = {"amount": "number"}
# The record's own fields a summary note (`[sop]`) may show beside its properties.
SUMMARY_FIELDS = {"deal": ("owner", "amount", "name", "pipeline", "stage"), "company": ("name", "country", "website")}


@dataclass(eq=False, repr=False)
class Property:
    """A value kept on a record (today: the deal's gate values), with how it is typed and asked."""

    key: str
    label: str
    type: str  # FIELD_KIND's keys
    record: str = "deal"  # deal, company, contact
    choices: tuple[str, ...] = ()
    titles: tuple[tuple[str, str], ...] = ()  # choice -> its title, shown beside it at a prompt
    default: str | None = None  # the choice a prompt offers first...
    default_by_class: tuple[tuple[str, str], ...] = ()  # ...by deal class
    past: bool = False  # a date that records what already happened: not in the future

    @builtins.property
    def multiple(self) -> bool:
        return self.type == "multi-choice"

    def selected(self, stored: str | None) -> tuple[str, ...]:
        """A multi-choice's stored value as its choices (any other type: the value alone, or none)."""
        if stored is None or not stored.strip():
            return ()
        return tuple(x.strip() for x in stored.split(",") if x.strip()) if self.multiple else (stored,)

    def title_of(self, choice: str) -> str:
        return dict(self.titles).get(choice, "")

    def default_for(self, deal_class: str | None) -> str | None:
        return dict(self.default_by_class).get(deal_class or "", self.default)


@dataclass(eq=False, repr=False)
class Rule:
    """One rule of a gate: a kind (rules.py) and its parameters, with the property it reads resolved."""

    kind: str
    property: Property | None = None  # None: a deal field (DEAL_FIELDS) or a rule over other rules
    field_name: str | None = None  # the deal field, when `property` is None
    value: str | None = None  # equals, at-least
    values: tuple[str, ...] = ()  # one-of
    role: str | None = None  # member-with-role
    role_titles: tuple[tuple[str, str], ...] = ()  # member-with-role, acting-user-role: every declared role, for messages
    k: int | None = None  # k-of-n, any-of
    rules: tuple["Rule", ...] = ()  # k-of-n, any-of
    test: "Rule | None" = None  # company-property, contact-property: the rule its value must meet
    roles: tuple[str, ...] = ()  # acting-user-role
    activities: tuple[str, ...] = ()  # has-next-step, has-activity: the activity types that count
    starts_with: str | None = None  # has-activity: the text the activity's summary starts with
    since_entered: bool = False  # has-activity: only since the deal entered its current stage
    hint: str | None = None  # has-activity: the command that makes one, said when it is missing

    @builtins.property
    def key(self) -> str | None:
        return self.property.key if self.property else self.field_name

    @builtins.property
    def record(self) -> str | None:
        """The record whose property the rule reads (deal, company, contact), or None."""
        return self.property.record if self.property else None

    def leaves(self) -> tuple["Rule", ...]:
        """The rules on the deal's properties, this one or those it groups, in order."""
        if self.rules:
            return tuple(leaf for r in self.rules for leaf in r.leaves())
        return (self,) if self.property and self.property.record == "deal" else ()

    def reads(self) -> tuple[Property, ...]:
        """Every property the rule reads, on any record, this one or those it groups."""
        if self.rules:
            return tuple(p for r in self.rules for p in r.reads())
        return (self.property,) if self.property else ()


@dataclass(eq=False, repr=False)
class GateField:
    """A property as one gate rule reads it (the view the first release's gate code and prompts use)."""

    key: str
    kind: str  # FIELD_KIND of the property's type
    label: str
    choices: tuple[str, ...] = ()
    # For `member` fields: the role the named team member must hold.
    role: str | None = None
    property: Property | None = field(default=None, compare=False)
    rule: Rule | None = field(default=None, compare=False)


def gate_field_of(rule: Rule) -> GateField:
    p = rule.property
    return GateField(p.key, FIELD_KIND[p.type], p.label, p.choices, rule.role, p, rule)


@dataclass(eq=False, repr=False)
class Gate:
    """What moving into a stage requires: its rules, and the one-line summary messages quote (`needs`).

    `fields`, `min_met` and `amount_positive` describe the rules as the first release's Gate did, for the
    readers that have not moved to the rules yet (the audit's SQL, the demo).
    """

    rules: tuple[Rule, ...]
    rule: str  # the stage's `needs`

    @cached_property  # computed once
    def fields(self) -> tuple[GateField, ...]:
        return tuple(gate_field_of(leaf) for r in self.rules for leaf in r.leaves())

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def min_met(self) -> int | None:
        groups = [r for r in self.rules if r.kind == "k-of-n"]
        return groups[0].k if len(groups) == 1 and len(self.rules) == 1 else None

    @property
    def amount_positive(self) -> bool:
        return any(r.kind == "number > 0" and r.field_name == "amount" for r in self.rules)


@dataclass(eq=False, repr=False)
class Stage:
    """A stage of a pipeline: its place is its position in the file."""

    name: str
    probability: int  # percent, for weighted amounts
    reason: str  # the SOP's one line about the stage, shown at gate prompts
    source: str  # the SOP sentence the gate comes from (docs/process.md)
    gate: Gate | None = None
    won: bool = False
    lost: bool = False
    won_order: int | None = None  # with several won stages, their order (the first counts as won)

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def final(self) -> bool:
        return self.won or self.lost

    @property
    def open(self) -> bool:
        return not self.final

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.gate.rules if self.gate else ()


@dataclass(eq=False, repr=False)
class Pipeline:
    """A pipeline: its ordered stages, the lost one among them."""

    key: str  # `sales`: what options and JSON keys name
    label: str  # `Sales`: what people read, and what a deal stores today
    stages: tuple[Stage, ...]
    entry: tuple[Rule, ...] = ()  # what a deal's creation in this pipeline requires (`company-has-won-deal`)
    entry_needs: str | None = None  # the entry rules in one line, as refusals quote them
    source: str | None = None  # the SOP sentence the pipeline (and its entry rules) come from

    @cached_property
    def path(self) -> tuple[Stage, ...]:
        """The ordered stages to won (the lost stage has no place on it)."""
        return tuple(s for s in self.stages if not s.lost)

    @property
    def first(self) -> Stage:
        return self.stages[0]

    @cached_property
    def won(self) -> Stage:
        won = [s for s in self.stages if s.won]
        return min(won, key=lambda s: s.won_order or 0)

    @property
    def lost(self) -> Stage:
        return next(s for s in self.stages if s.lost)

    def stage(self, name: str) -> Stage:
        """The stage named `name` (any case, or a slug such as `offer-sent`); KeyError if none."""
        wanted, slug = name.strip().lower(), slugify(name)
        for s in self.stages:
            if s.name.lower() == wanted:
                return s
        for s in self.stages:
            if s.slug == slug:
                return s
        raise KeyError(name)

    def rank(self, name: str) -> int:
        """Position of a stage on the path to won (the lost stage has none: ValueError)."""
        return [s.name for s in self.path].index(name)

    def stages_between(self, current: str, target: str) -> list[Stage]:
        """The stages a deal enters moving from `current` to `target`, in order."""
        return list(self.path[self.rank(current) + 1 : self.rank(target) + 1])


@dataclass(eq=False, repr=False)
class Role:
    """A GP-009 job description."""

    code: str
    title: str


@dataclass(eq=False, repr=False)
class LeadStatuses:
    """A company's lead statuses, and what moves them."""

    values: tuple[str, ...]
    manual: tuple[str, ...]  # what a person may set with `company set-status`
    on_create: str
    on_open_deal: str
    after_close: str  # when a company's last open deal closes...
    after_loss: tuple[tuple[str, str], ...]  # ...by lost reason category
    by_direction: tuple[tuple[str, str], ...]  # what an activity sets, by who initiated it
    ladder: tuple[tuple[str, int], ...]  # automation moves a status only forward along it


@dataclass(eq=False, repr=False)
class Lifecycle:
    """A contact's lifecycle values, and how they are derived."""

    values: tuple[str, ...]  # in order: a later value wins
    derived: str  # how: `furthest-deal-stage`
    initial: str
    by_stage: tuple[tuple[str, str], ...] = ()  # furthest-deal-stage: the value each stage gives
    kept_after_loss_from: str | None = None
    manual: tuple[str, ...] = ()  # what `contact set-lifecycle` may set (none: the lifecycle is only derived)
    kept: tuple[str, ...] = ()  # values set by hand that automation never overrides
    # first-that-holds: each value with the conditions (LIFECYCLE_CONDITIONS in load.py) that give it, in order
    precedence: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(eq=False, repr=False)
class DealNames:
    """How a deal is named."""

    pattern: str  # `{country} {company} {description}`
    lost_prefix: str

    def render(self, **fields: str) -> str:
        """The pattern with `fields`: each field's runs of whitespace collapsed, empty words left out."""
        values = {k: " ".join(str(v).split()) for k, v in fields.items()}
        words = (word.format(**values) for word in self.pattern.split())
        return " ".join(w for w in words if w)


@dataclass(eq=False, repr=False)
class Process:
    """A process: everything one process file declares."""

    name: str
    revision: int
    title: str
    pipelines: tuple[Pipeline, ...]
    properties: tuple[Property, ...]
    deal_classes: tuple[str, ...]
    lost_categories: tuple[str, ...]
    lead_statuses: LeadStatuses
    lifecycle: Lifecycle
    roles: tuple[Role, ...]
    owner_roles: tuple[str, ...]
    signer_roles: tuple[str, ...]
    deal_names: DealNames
    recyclable: tuple[str, ...] = ()  # lost reason categories after which a contact is Recycled
    automations: tuple[Automation, ...] = ()
    backout: Transition | None = None
    sop: Summary | None = None
    company_requires: tuple[str, ...] = ("name", "country", "website")  # what a company (not a lead) needs

    def properties_of(self, record: str) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.record == record)

    def property_of(self, record: str, key: str) -> Property:
        """A declared property of `record`; KeyError if none."""
        for p in self.properties:
            if p.record == record and p.key == key:
                return p
        raise KeyError(key)

    def automations_on(self, pipeline: Pipeline, stage: Stage) -> tuple[Automation, ...]:
        return tuple(a for a in self.automations if a.applies_to(pipeline, stage))

    @property
    def default_pipeline(self) -> Pipeline:
        return self.pipelines[0]

    def pipeline(self, name: str) -> Pipeline:
        """A pipeline by key or label (any case, or a slug); KeyError if none."""
        wanted = slugify(name)
        for p in self.pipelines:
            if wanted in (p.key, slugify(p.label)):
                return p
        raise KeyError(name)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(s for p in self.pipelines for s in p.stages)

    def gate_field(self, key: str) -> tuple[Stage, GateField]:
        """The first stage whose gate reads the property `key`, and the field it reads it as; KeyError if none."""
        for s in self.stages:
            if s.gate:
                for f in s.gate.fields:
                    if f.key == key:
                        return s, f
        raise KeyError(key)

    @property
    def gate_keys(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.stages:
            if s.gate:
                seen.update(dict.fromkeys(s.gate.keys))
        return tuple(seen)

    def deal_property(self, key: str) -> Property:
        return next(p for p in self.properties if p.key == key and p.record == "deal")

    @property
    def role_titles(self) -> dict[str, str]:
        return {r.code: r.title for r in self.roles}
