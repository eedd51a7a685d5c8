"""The sales process as a file: SP-009-001 and GP-009 in `shipped/sp-009-001.toml` (the default), the Health
Prime SOP in `shipped/health-prime.toml`.

- `model.py`: the process in memory (dataclasses, never changed once loaded); `load.py`: a TOML file to a validated process,
  with each problem's key path (`reader.py`: its typed look-ups; `load_rules.py`: properties and rules;
  `load_actions.py`: automations, the back-out, the summary note); `rules.py`: the rule kinds, each
  written once; `common.py`: the CRM's own vocabulary, which no process changes; `locate.py`: where a key
  path sits in a file's text; `views.py`: a process as `process show` gives it; `diff.py`: what a
  revision changes.
- `of(session)` is the process a database is bound to (`bound.py`: the latest `process_revision` row).
- The names below are the first release's module constants, now read from the shipped sp-009-001 file
  (`default()`), so that the domain keeps working unchanged until it asks the database's process. They
  are derived lazily, on first use (PEP 562 `__getattr__`), and the file is parsed once per run: this
  package is imported by `deal --help` and shell completion, and uses the standard library only.
"""

from __future__ import annotations

from salescrm.process.common import *  # noqa: F403 - the vocabulary every process shares
from salescrm.process.common import INBOUND, OUTBOUND

# The model's classes, imported on first use like the constants below: naming the package (every command
# group's module does) then costs nothing until a process is needed.
MODEL_NAMES = frozenset(("Gate", "GateField", "Pipeline", "Process", "Property", "Role", "Rule", "Stage", "slugify"))

def of(session) -> Process:
    """The database's own process: the latest revision applied to it (process/bound.py), parsed once per run."""
    from salescrm.process import bound

    return bound.of(session)


def default() -> Process:
    """The default process: the shipped sp-009-001, parsed once per run."""
    from salescrm.process.load import shipped

    return shipped()


def stage(name: str) -> Stage:
    """The stage named `name` (any case, or a slug such as `offer-sent`); KeyError if none."""
    return default().default_pipeline.stage(name)


def rank(name: str) -> int:
    """Position of a pipeline stage on the path to won (Lost has none)."""
    return default().default_pipeline.rank(name)


def stages_between(current: str, target: str) -> list[Stage]:
    """The stages a deal enters moving from `current` to `target`, in order."""
    return default().default_pipeline.stages_between(current, target)


def gate_field(key: str) -> tuple[Stage, GateField]:
    return default().gate_field(key)


def quotation_template_for(deal_class: str | None) -> str:
    return _quotation().default_for(deal_class)


def _quotation() -> Property:
    return default().deal_property("quotation_template")


def _named(values: tuple[str, ...], name: str) -> str:
    """`name`, checked to be one of the process's `values` (a constant the domain still names)."""
    if name not in values:
        raise KeyError(f"the default process declares no '{name}'")
    return name


def _derive() -> dict[str, object]:
    p = default()
    sales = p.default_pipeline
    leads, life = p.lead_statuses, p.lifecycle
    q = _quotation()
    return {
        "PIPELINE": sales.label,
        "QUOTATION_TEMPLATES": dict(q.titles),
        "QUOTATION_TEMPLATE_BY_CLASS": dict(q.default_by_class),
        "DEFAULT_QUOTATION_TEMPLATE": q.default,
        "STAGES": sales.stages,
        "STAGE_NAMES": tuple(s.name for s in sales.stages),
        "PIPELINE_STAGES": sales.path,
        "OPEN_STAGES": tuple(s.name for s in sales.stages if s.open),
        # A stored stage that is not one of these (written by SQL) is not final either: readers count it as
        # open, show it as stored, and the check `unknown-value` reports it (domain/known_values.py).
        "FINAL_STAGES": tuple(s.name for s in sales.stages if s.final),
        "FIRST_STAGE": sales.first.name,
        "WON_STAGE": sales.won.name,
        "LOST_STAGE": sales.lost.name,
        "LOST_PREFIX": p.deal_names.lost_prefix,
        "GATE_KEYS": p.gate_keys,
        "DEAL_CLASSES": p.deal_classes,
        "LOST_CATEGORIES": p.lost_categories,
        "LEAD_NEW": leads.on_create,
        "LEAD_OPEN": _named(leads.values, "Open"),
        "LEAD_IN_PROGRESS": _named(leads.values, "In progress"),
        "LEAD_OPEN_DEAL": leads.on_open_deal,
        "LEAD_UNQUALIFIED": _named(leads.values, "Unqualified"),
        "LEAD_ATTEMPTED": dict(leads.by_direction)[OUTBOUND],
        "LEAD_CONNECTED": dict(leads.by_direction)[INBOUND],
        "LEAD_BAD_TIMING": _named(leads.values, "Bad timing"),
        "LEAD_STATUSES": leads.values,
        "MANUAL_LEAD_STATUSES": leads.manual,
        "LEAD_STATUS_AFTER_LOSS": dict(leads.after_loss),
        "LEAD_STATUS_AFTER_CLOSE": leads.after_close,
        "LEAD_AUTOMATION_LADDER": dict(leads.ladder),
        "LEAD_STATUS_BY_DIRECTION": dict(leads.by_direction),
        "LIFECYCLE_MQL": life.initial,
        "LIFECYCLE_SQL": _named(life.values, "Sales Qualified Lead"),
        "LIFECYCLE_OPPORTUNITY": _named(life.values, "Opportunity"),
        "LIFECYCLE_CUSTOMER": _named(life.values, "Customer"),
        "LIFECYCLE_STAGES": life.values,
        "LIFECYCLE_BY_STAGE": dict(life.by_stage),
        "LIFECYCLE_KEPT_AFTER_LOSS_FROM": life.kept_after_loss_from,
        "ROLES": p.roles,
        "ROLE_TITLES": p.role_titles,
        "OWNER_ROLES": p.owner_roles,
        "SIGNER_ROLE": p.signer_roles[0],
    }


DERIVED = frozenset(("PIPELINE", "QUOTATION_TEMPLATES", "QUOTATION_TEMPLATE_BY_CLASS", "DEFAULT_QUOTATION_TEMPLATE",
                     "STAGES", "STAGE_NAMES", "PIPELINE_STAGES", "OPEN_STAGES", "FINAL_STAGES", "FIRST_STAGE",
                     "WON_STAGE", "LOST_STAGE", "LOST_PREFIX", "GATE_KEYS", "DEAL_CLASSES", "LOST_CATEGORIES",
                     "LEAD_NEW", "LEAD_OPEN", "LEAD_IN_PROGRESS", "LEAD_OPEN_DEAL", "LEAD_UNQUALIFIED",
                     "LEAD_ATTEMPTED", "LEAD_CONNECTED", "LEAD_BAD_TIMING", "LEAD_STATUSES", "MANUAL_LEAD_STATUSES",
                     "LEAD_STATUS_AFTER_LOSS", "LEAD_STATUS_AFTER_CLOSE", "LEAD_AUTOMATION_LADDER",
                     "LEAD_STATUS_BY_DIRECTION", "LIFECYCLE_MQL", "LIFECYCLE_SQL", "LIFECYCLE_OPPORTUNITY",
                     "LIFECYCLE_CUSTOMER", "LIFECYCLE_STAGES", "LIFECYCLE_BY_STAGE", "LIFECYCLE_KEPT_AFTER_LOSS_FROM",
                     "ROLES", "ROLE_TITLES", "OWNER_ROLES", "SIGNER_ROLE"))


def __getattr__(name: str):
    """The first release's constants, derived from the default process on first use and then kept."""
    if name == "FieldKind":  # the kinds of a GateField (typing is imported only by who asks)
        from typing import Literal

        globals()[name] = Literal["yes", "note", "text", "contact", "member", "date", "choice", "number", "money",
                                  "multi-choice"]
        return globals()[name]
    if name in MODEL_NAMES:
        from salescrm.process import model

        globals().update({n: getattr(model, n) for n in MODEL_NAMES})
        return globals()[name]
    if name not in DERIVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    derived = _derive()
    assert set(derived) == DERIVED
    globals().update(derived)
    return derived[name]


def __dir__():
    return sorted(set(globals()) | DERIVED | MODEL_NAMES)
