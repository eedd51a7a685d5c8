"""The sales process of SP-009-001 and GP-009, declared as data.

Everything the domain enforces about stages, gates, probabilities, deal classes,
lead statuses, roles and lifecycle stages is read from here; a rule is a line
in this module, not a branch in a command. Import cost matters: this module is
imported by `--help` and shell completion, so it uses the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

PIPELINE = "Sales"

# --- Gate fields -----------------------------------------------------------------

FieldKind = Literal["yes", "note", "text", "contact", "member", "date", "choice"]


@dataclass(frozen=True)
class GateField:
    key: str
    kind: FieldKind
    label: str
    choices: tuple[str, ...] = ()
    # For `member` fields: the role the named team member must hold.
    role: str | None = None


@dataclass(frozen=True)
class Gate:
    """What moving into a stage requires.

    `min_met` is how many of `fields` must be met (None: all of them). A yes/no
    field is met by yes; a note by a text that is not empty and not "no",
    "none" or "-"; every other field by a valid value. `amount_positive` adds
    the rule that the deal's amount is above zero.
    """

    fields: tuple[GateField, ...]
    rule: str
    min_met: int | None = None
    amount_positive: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int  # percent, for weighted amounts
    reason: str  # the SOP's one line about the stage, shown at gate prompts
    source: str  # the SOP sentence the gate comes from (docs/process.md)
    gate: Gate | None = None
    won: bool = False
    lost: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def final(self) -> bool:
        return self.won or self.lost

    @property
    def open(self) -> bool:
        return not self.final


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


QUOTATION_TEMPLATES = {
    "T-009-002": "Quotation for API",
    "T-009-004": "Quotation for Clinical Trials",
}

# GP-009: "T-009-002 Quotation for API or T-009-004 Quotation for Clinical Trials, depending on the
# nature of the request": the template a quotation prompt offers first, by deal class.
QUOTATION_TEMPLATE_BY_CLASS = {"Pharma clinical trials": "T-009-004"}
DEFAULT_QUOTATION_TEMPLATE = "T-009-002"


def quotation_template_for(deal_class: str | None) -> str:
    return QUOTATION_TEMPLATE_BY_CLASS.get(deal_class or "", DEFAULT_QUOTATION_TEMPLATE)


STAGES: tuple[Stage, ...] = (
    Stage(
        "Prospected",
        5,
        "Initial outreach to a prospect: direct interaction.",
        "SP-009-001: \"Prospected | Deal, contact and company | Initial outreach to a prospect. Direct interation.\"",
    ),
    Stage(
        "Qualified",
        10,
        "Qualified sales opportunity: the company is in one of our segments and a decision maker is identified.",
        "SP-009-001: \"Qualified sales opportunity. Decisionmaker identified.\" and \"A lead is qualified and "
        "prospected when we know that they are an actual company that belongs to one of our customer segments.\"",
        Gate(
            (
                GateField("segment_verified", "yes", "Segment verified (the company exists and belongs to one of our customer segments)"),
                GateField("decision_maker", "contact", "Decision maker (a contact of the deal's company: email or id)"),
            ),
            "segment_verified yes and a decision_maker who is a contact of the deal's company",
        ),
    ),
    Stage(
        "Discovered",
        20,
        "BANT: budget, authority, need, timeline; at least 3 of 4 met.",
        "SP-009-001: \"These 4 criteria are part of the BANT sales framework [...] You should meet at least 3 of 4 four criteria.\"",
        Gate(
            (
                GateField("budget", "note", "Budget: they have or can allocate funds"),
                GateField("authority", "note", "Authority: the person can make or strongly influence the decision"),
                GateField("need", "note", "Need: their specific needs and pain points, and how we address them"),
                GateField("timeline", "note", "Timeline: when they intend to purchase"),
            ),
            "at least 3 of 4 BANT notes",
            min_met=3,
        ),
    ),
    Stage(
        "Implementation Defined",
        40,
        "Solution and value proposition clear: method, success metrics, pricing basis and timeline decided.",
        "SP-009-001: \"The implementation is defined when we have achieved four things: [...] implementation method [...] "
        "metrics [...] information necessary to calculate the pricing [...] timeline for implementation.\"",
        Gate(
            (
                GateField("implementation_method", "text", "Implementation method (iframe, API, ...)"),
                GateField("success_metrics", "text", "Metrics the customer will use to prove the utility"),
                GateField("pricing_basis", "text", "Pricing basis (patients, per report, budget in mind, ...)"),
                GateField("implementation_timeline", "text", "Implementation timeline"),
            ),
            "all four implementation notes (method, success metrics, pricing basis, timeline)",
        ),
    ),
    Stage(
        "Offer Sent",
        60,
        "Sent a quotation, made with template T-009-002 (API) or T-009-004 (clinical trials).",
        "GP-009: \"The quotation will be prepared using the templates T-009-002 Quotation for API or "
        "T-009-004 Quotation for Clinical Trials, depending on the nature of the request.\"",
        Gate(
            (
                GateField("quotation_template", "choice", "Quotation template", choices=tuple(QUOTATION_TEMPLATES)),
                GateField("quotation_ref", "text", "Quotation reference"),
            ),
            "a quotation_template (T-009-002 or T-009-004), a quotation_ref and an amount above 0",
            amount_positive=True,
        ),
    ),
    Stage(
        "Offer Approved",
        80,
        "Quotation approved; sending the contract.",
        "SP-009-001: \"Offer Approved | Quotation approved. Sending contract.\"",
        Gate(
            (GateField("offer_approved_on", "date", "Date the offer was approved"),),
            "the date the offer was approved",
        ),
    ),
    Stage(
        "Contract Signed",
        95,
        "Contract signed by the General Manager, with the customer's healthcare-provider clause.",
        "GP-009: \"JD-001 General Manager: Supervises the sales process and ultimately signs contracts with customers.\" "
        "and \"The contract signed between us and the customers includes a clause in which the customers declare "
        "that they are healthcare providers.\"",
        Gate(
            (
                GateField("contract_signed_on", "date", "Date the contract was signed"),
                GateField("healthcare_provider_clause", "yes", "The contract has the healthcare-provider clause"),
                GateField("signed_by", "member", "Signed by (a team member with role JD-001)", role="JD-001"),
            ),
            "the signature date, the healthcare-provider clause (yes) and a JD-001 signer",
        ),
    ),
    Stage(
        "Payment Done",
        100,
        "Payment received: the deal is won.",
        "SP-009-001: \"A deal is considered won when the payment is done.\"",
        Gate(
            (GateField("payment_received_on", "date", "Date the payment was received"),),
            "the date the payment was received",
        ),
        won=True,
    ),
    Stage(
        "Lost",
        0,
        "Deal is lost: a lost reason category and its details.",
        "SP-009-001: \"Deals can't be resurrected, we create a new one.\" The HubSpot SOP: "
        "\"The Lost Reason Category and Lost Reason details are captured as part of the deal moving into the Closed - Lost status.\"",
        lost=True,
    ),
)

STAGE_NAMES = tuple(s.name for s in STAGES)
PIPELINE_STAGES = tuple(s for s in STAGES if not s.lost)  # the ordered path to won
OPEN_STAGES = tuple(s.name for s in STAGES if s.open)
# A stored stage that is not one of these (written by SQL) is not final either: readers count it as
# open, show it as stored, and the check `unknown-value` reports it (domain/known_values.py).
FINAL_STAGES = tuple(s.name for s in STAGES if s.final)
FIRST_STAGE = STAGES[0].name
WON_STAGE = next(s.name for s in STAGES if s.won)
LOST_STAGE = next(s.name for s in STAGES if s.lost)
LOST_PREFIX = "Lost "

_BY_KEY = {}
for _s in STAGES:
    _BY_KEY[_s.name.lower()] = _s
    _BY_KEY[_s.slug] = _s


def stage(name: str) -> Stage:
    """The stage named `name` (any case, or a slug such as `offer-sent`); KeyError if none."""
    return _BY_KEY.get(name.strip().lower()) or _BY_KEY[slugify(name)]


def rank(name: str) -> int:
    """Position of a pipeline stage on the path to won (Lost has none)."""
    return [s.name for s in PIPELINE_STAGES].index(name)


def stages_between(current: str, target: str) -> list[Stage]:
    """The stages a deal enters moving from `current` to `target`, in order."""
    return list(PIPELINE_STAGES[rank(current) + 1 : rank(target) + 1])


def gate_field(key: str) -> tuple[Stage, GateField]:
    for s in STAGES:
        if s.gate:
            for f in s.gate.fields:
                if f.key == key:
                    return s, f
    raise KeyError(key)


GATE_KEYS = tuple(f.key for s in STAGES if s.gate for f in s.gate.fields)

# --- Deal classes (GP-009 customer segments; SP-009-001 calls them deal classes) ---

DEAL_CLASSES = (
    "Care provider inpatient private",
    "Care provider inpatient government",
    "Care provider outpatient private",
    "Care provider outpatient government",
    "Pharma clinical trials",
    "Pharma marketing",
    "Insurance",
)

# --- Lost reasons (the HubSpot SOP's lost reason category + details) ---------------

LOST_CATEGORIES = (
    "No budget",
    "No authority",
    "No need",
    "Bad timing",
    "Lost to competitor",
    "No segment fit",
    "Unresponsive",
    "Other",
)

# --- Company lead status (SP-009-001) ------------------------------------------------

LEAD_NEW = "New"
LEAD_OPEN = "Open"
LEAD_IN_PROGRESS = "In progress"
LEAD_OPEN_DEAL = "Open deal"
LEAD_UNQUALIFIED = "Unqualified"
LEAD_ATTEMPTED = "Attempted"
LEAD_CONNECTED = "Connected"
LEAD_BAD_TIMING = "Bad timing"

LEAD_STATUSES = (
    LEAD_NEW,
    LEAD_OPEN,
    LEAD_IN_PROGRESS,
    LEAD_OPEN_DEAL,
    LEAD_UNQUALIFIED,
    LEAD_ATTEMPTED,
    LEAD_CONNECTED,
    LEAD_BAD_TIMING,
)
# What a person may set with `company set-status`; the others follow from the data.
MANUAL_LEAD_STATUSES = (LEAD_OPEN, LEAD_IN_PROGRESS, LEAD_UNQUALIFIED, LEAD_BAD_TIMING)
# The status a company takes when its last open deal closes, by lost reason category.
LEAD_STATUS_AFTER_LOSS = {"Bad timing": LEAD_BAD_TIMING, "No segment fit": LEAD_UNQUALIFIED}
LEAD_STATUS_AFTER_CLOSE = LEAD_IN_PROGRESS

# Automation moves a status only forward along this ladder (SP-009-001: Attempted "when there is an
# activity in a contact of that company", Connected when the activity was "iniciated by the contact");
# Unqualified and Bad timing are a person's judgement and are not on it, so automation leaves them.
LEAD_AUTOMATION_LADDER = {
    LEAD_NEW: 0,
    LEAD_OPEN: 0,
    LEAD_IN_PROGRESS: 0,
    LEAD_ATTEMPTED: 1,
    LEAD_CONNECTED: 2,
    LEAD_OPEN_DEAL: 3,
}

# --- Activities and tasks (SP-009-001: "we log all activity (emails, messages...)") ---------

ACTIVITY_TYPES = ("call", "email", "meeting", "message", "note")  # message: LinkedIn, WhatsApp...
ACTIVITY_NOTE = "note"
OUTBOUND = "outbound"  # we initiated it
INBOUND = "inbound"  # the contact initiated it
DIRECTIONS = (OUTBOUND, INBOUND)
LEAD_STATUS_BY_DIRECTION = {OUTBOUND: LEAD_ATTEMPTED, INBOUND: LEAD_CONNECTED}

TASK = "task"
FOLLOW_UP = "follow-up"  # the automatic call after a new lead (one per company while open)
# The implementation article: "registration of the lead + 1 hour".
FOLLOW_UP_DELAY = "1h"
# When a deal becomes final, the open tasks linked to it that were created before the move are
# closed, marked with why (a task closed by hand has none).
CLOSED_AS_WON = "deal won"
CLOSED_AS_LOST = "deal lost"

# Where a lead came from (`lead add --channel`), and the activity a repeat lead is logged as.
LEAD_CHANNELS = ("web-form", "phone", "email", "event", "referral", "linkedin")
ACTIVITY_TYPE_BY_CHANNEL = {
    "web-form": "message",
    "phone": "call",
    "email": "email",
    "event": "meeting",
    "referral": "message",
    "linkedin": "message",
}

# --- Contact lifecycle stage (SP-009-001), from the furthest stage of the contact's deals ---

LIFECYCLE_MQL = "Marketing Qualified Lead"
LIFECYCLE_SQL = "Sales Qualified Lead"
LIFECYCLE_OPPORTUNITY = "Opportunity"
LIFECYCLE_CUSTOMER = "Customer"
LIFECYCLE_STAGES = (LIFECYCLE_MQL, LIFECYCLE_SQL, LIFECYCLE_OPPORTUNITY, LIFECYCLE_CUSTOMER)
# The lifecycle stage a deal in each stage gives its contacts. A deal still in Prospected
# does not make its contact sales-qualified; a deal lost before Contract Signed counts for nothing.
LIFECYCLE_BY_STAGE = {
    "Prospected": LIFECYCLE_MQL,
    "Qualified": LIFECYCLE_SQL,
    "Discovered": LIFECYCLE_OPPORTUNITY,
    "Implementation Defined": LIFECYCLE_OPPORTUNITY,
    "Offer Sent": LIFECYCLE_OPPORTUNITY,
    "Offer Approved": LIFECYCLE_OPPORTUNITY,
    "Contract Signed": LIFECYCLE_CUSTOMER,
    "Payment Done": LIFECYCLE_CUSTOMER,
}
# Lost deals keep the lifecycle they gave only from this stage on (a contract backed out).
LIFECYCLE_KEPT_AFTER_LOSS_FROM = "Contract Signed"

# --- Roles (GP-009 job descriptions) --------------------------------------------------


@dataclass(frozen=True)
class Role:
    code: str
    title: str


ROLES = (
    Role("JD-001", "General Manager"),
    Role("JD-002", "Sales Manager"),
    Role("JD-003", "Design and Development Manager"),
    Role("JD-004", "Quality Manager & PRRC"),
    Role("JD-005", "Technical Manager & PRRC"),
    Role("JD-007", "Technology Manager"),
    Role("JD-008", "Sales Development Representative"),
    Role("JD-011", "Communications Manager"),
    Role("JD-012", "Executive Assistant"),
    Role("JD-013", "Project Manager"),
    Role("JD-016", "Customer Success Manager"),
    Role("JD-019", "Business Development"),
    Role("JD-021", "Account Manager"),
)
ROLE_TITLES = {r.code: r.title for r in ROLES}
# GP-009: "JD-019 or JD-002 Deal owner"; SP-009-001: "assign a deal owner from the pool of JD-019s".
OWNER_ROLES = ("JD-019", "JD-002")
SIGNER_ROLE = "JD-001"

# --- Values --------------------------------------------------------------------------

YES_WORDS = ("yes", "y", "true")
NO_WORDS = ("no", "n", "false")
UNMET_NOTES = ("", "no", "none", "-")
