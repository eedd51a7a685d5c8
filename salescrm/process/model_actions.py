"""What a process declares besides its pipelines: the tasks created on entering a stage, the one transition
from won to lost, and a summary note built from a deal's values. Part of model.py (which re-exports them);
standard library only, built by load_actions.py and never changed after."""

from __future__ import annotations

from dataclasses import dataclass

# Pipeline, Rule and Stage (model.py) appear in annotations only, which stay strings: importing typing for
# TYPE_CHECKING would cost every command's start-up.


@dataclass(eq=False, repr=False)
class Automation:
    """A task created when a deal enters a stage."""

    stage: str  # the stage entered
    title: str  # a pattern: `{company}`, `{deal}`
    assignee: str  # `owner` (the deal's), or a role code (the first member with it by name; none: the owner)
    due: str  # an offset from the move, a duration as `task add --due` takes it (`2d`)
    pipelines: tuple[str, ...] = ()  # the pipelines' keys (none: every pipeline)
    source: str = ""

    def applies_to(self, pipeline: Pipeline, stage: Stage) -> bool:
        return stage.name == self.stage and (not self.pipelines or pipeline.key in self.pipelines)


@dataclass(eq=False, repr=False)
class Transition:
    """The one move a process allows from a won stage to its lost stage (the backed-out deal)."""

    name: str  # the SOP's heading
    from_stage: str  # a won stage
    to_stage: str  # the lost stage
    rules: tuple[Rule, ...]  # who may make it (`acting-user-role`)
    action: str  # what messages call it: "back out a signed deal"
    source: str = ""


@dataclass(eq=False, repr=False)
class SummaryLine:
    record: str  # deal, company
    key: str  # a property, or one of SUMMARY_FIELDS
    label: str


@dataclass(eq=False, repr=False)
class Summary:
    """A note built from a deal's and its company's values (`[sop]`: Health Prime's S&OP snippet)."""

    heading: str  # the note's first line: `#S&OP`
    lines: tuple[SummaryLine, ...]
    source: str = ""
