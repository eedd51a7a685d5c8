"""A deal's place in the database's process: its pipeline (deal.pipeline stores the pipeline's label, e.g.
"Sales", "New Business") and its stage in that pipeline, and the parsers of what people type for them.

Every deal rule reads these, never the module constants of `salescrm.process` (which are the shipped
sp-009-001's): a database bound to health-prime moves its deals through its own pipelines and gates.
"""

from __future__ import annotations

from sqlmodel import Session

from salescrm.domain.values import parse_choice
from salescrm.errors import InvalidValue
from salescrm.process import bound
from salescrm.process.model import Pipeline, Process, Stage


def process_of(session: Session) -> Process:
    """The database's own process (parsed once per run)."""
    return bound.of(session)


def pipeline_of(session: Session, deal) -> Pipeline | None:
    """The pipeline the deal is in (by its stored label), or None for one the process does not declare."""
    try:
        return process_of(session).pipeline(deal.pipeline)
    except KeyError:
        return None


def stage_of(session: Session, deal) -> Stage | None:
    """The deal's stage in its pipeline (exactly as stored), or None for a value salescrm does not know."""
    pipeline = pipeline_of(session, deal)
    if pipeline is None or not deal.stage:
        return None
    return next((s for s in pipeline.stages if s.name == deal.stage), None)


def parse_pipeline(proc: Process, value: str | None) -> Pipeline:
    """A pipeline by key or label (`new-business`, `New Business`); None: the process's first."""
    if value is None:
        return proc.default_pipeline
    try:
        return proc.pipeline(str(value))
    except KeyError:
        # A label is shown beside its key where it is more than the key in another case (New Business).
        options = ", ".join(f"{p.key} ({p.label})" if p.label.casefold() != p.key else p.key for p in proc.pipelines)
        raise InvalidValue(f"Unknown pipeline '{value}': choose one of {options} (by key or label).") from None


def parse_stage(pipeline: Pipeline, value: str) -> Stage:
    """A stage of `pipeline` by name in any case, or by slug (`partner-of-choice`)."""
    try:
        return pipeline.stage(value)
    except KeyError:
        raise InvalidValue(f"Unknown stage '{value}': choose one of {', '.join(s.name for s in pipeline.stages)}.") from None


def parse_deal_class(proc: Process, value: str) -> str:
    """One of the process's deal classes; a process that declares none takes no `--class` (exit 2)."""
    if not proc.deal_classes:
        raise InvalidValue(f"The process {proc.name} has no deal classes.")
    return parse_choice(value, proc.deal_classes, "Deal class", slugs=True)


def parse_lost_category(proc: Process, value: str) -> str:
    return parse_choice(value, proc.lost_categories, "Lost reason category", slugs=True)


def won_stage_names(proc: Process) -> set[str]:
    return {s.name for p in proc.pipelines for s in p.stages if s.won}
