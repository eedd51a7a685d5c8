"""What every command shares: the database location, whether it may prompt, and its sessions.

Light at import (standard library only): the store and the prompter are imported when used.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

import typer

from salescrm.errors import MissingValues

if TYPE_CHECKING:
    from salescrm.cli.prompts import Prompter
    from salescrm.store.location import DatabaseLocation




@dataclass
class Runtime:
    db: str | None = None
    no_input: bool = False
    debug: bool = False
    # Tests pass a scripted prompter through `CliRunner.invoke(app, args, obj=Runtime(prompter=...))`.
    prompter: "Prompter | None" = None
    default_file: str | None = None
    argv: list[str] = field(default_factory=list)  # the command line, for the journal
    # Set once a question was asked: the command is then filled in as a form, optional values included.
    asked: bool = False
    # Set when the write transaction opens: no question may follow (or hold the database while it waits).
    wrote: bool = False

    def location(self) -> "DatabaseLocation":
        from salescrm.store.location import DEFAULT_FILE, resolve

        return resolve(self.db, self.default_file or DEFAULT_FILE)

    def can_prompt(self) -> bool:
        """Prompt only when a person is there: stdin and stdout are terminals and --no-input is not given."""
        if self.no_input:
            return False
        if self.prompter is not None:
            return True
        return sys.stdin.isatty() and sys.stdout.isatty()

    def ask(self) -> "Prompter":
        """The prompter; asking after the command's write began is a programming error (no prompt follows a commit)."""
        if self.wrote:
            raise RuntimeError("a prompt after the write transaction began: ask every question before writing")
        self.asked = True
        if self.prompter is None:
            from salescrm.cli.prompts import QuestionaryPrompter

            self.prompter = QuestionaryPrompter()
        return self.prompter

    @contextmanager
    def reading(self, create: bool = False) -> Iterator:
        """A read-only snapshot: the database must exist (a typo never creates one). `create`: a write
        command that reads first makes a missing database, as its write would."""
        from salescrm.store.engine import read_session

        with read_session(self.location(), create=create) as session:
            yield session

    def command_line(self) -> str:
        """The command as typed, with any password hidden (the --db value and every URL masked, and the
        secrets of --db and SALESCRM_DB removed wherever else they appear: store/masking.py)."""
        import shlex

        from salescrm.store.masking import shown_argv

        from salescrm.store.models import JournalEntry, size

        line = " ".join(["salescrm", *(shlex.quote(arg) for arg in shown_argv(self.argv))])
        limit = size(JournalEntry.command)
        return line if len(line) <= limit else line[: limit - 1] + "…"

    @contextmanager
    def writing(self, reason: str | None = None) -> Iterator:
        """One write transaction, journaled with the acting user, this command and `reason`."""
        from salescrm.store.engine import write_session
        from salescrm.store.models import JournalEntry, size

        info = self.journal_info(reason)
        self.wrote = True
        with write_session(self.location(), **info) as session:
            yield session

    def journal_info(self, reason: str | None = None) -> dict:
        """What the journal keeps with this command's changes: the acting user, the command line, the reason."""
        from salescrm.store.actors import current_user
        from salescrm.typed_text import clean_text
        from salescrm.store.masking import redact

        from salescrm.store.models import JournalEntry, size

        reason = clean_text(reason, "Reason (--reason)", required=False, lines=True, max_length=size(JournalEntry.reason))
        reason = redact(reason) if reason else reason  # a reason quoting $SALESCRM_DB keeps no password
        return {"actor": current_user(), "command": self.command_line(), "reason": reason}


# What a due time may be (`task add --due`, `deal advance --next-step-due`); here, so that the deal group
# does not import the task group for one line of help.
PROPERTY_SET_HELP = ("A {record} property KEY=VALUE that the database's process declares (repeatable; an empty VALUE "
                     "clears it). `salescrm process show` lists them.")
DUE_HELP = "A date (2027-01-15: the end of that day, local time), a time (2027-01-15 10:00) or a duration from now (2h, 3d)."


def reason_option():
    """`--reason TEXT`, which every write command takes (quality systems ask why a record changed)."""
    return typer.Option(None, "--reason", help="Why this change is made (kept with it in the journal).")


MAX_LIMIT = 2**63 - 1  # what both backends take in LIMIT (a signed 64-bit integer)


def limit_option():
    """`--limit N` of the list commands; 0, like no --limit, lists everything."""
    return typer.Option(None, "--limit", min=0, max=MAX_LIMIT, help="At most this many (0: no limit).")


PIPELINE_HELP = ("Only this pipeline (its key or label; health-prime: new-business, expansion, upsell); every "
                 "pipeline, each with its own stages, when left out (`salescrm process show`).")


def pipeline_option():
    """`--pipeline P` of `pipeline show`, `deal list`, the reports and the audit."""
    return typer.Option(None, "--pipeline", help=PIPELINE_HELP)


def no_limit(limit: int | None) -> int | None:
    """The row limit a list asks the domain for: None for none (no --limit, or --limit 0)."""
    return limit or None


def runtime(ctx: typer.Context) -> Runtime:
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
    return root.obj


@dataclass
class Need:
    """A value not given as an option: a required one is asked for on a terminal, else named in the
    error; an optional one is asked only while the command is asking anyway."""

    label: str
    option: str
    ask: Callable[["Prompter"], object]
    required: bool = True


@dataclass
class Needs:
    items: list[Need] = field(default_factory=list)

    def add(self, label: str, option: str, ask: Callable[["Prompter"], object]) -> None:
        self.items.append(Need(label, option, ask))

    def offer(self, label: str, option: str, ask: Callable[["Prompter"], object]) -> None:
        """An optional value (may be skipped): asked when a required value is asked, or was, in this
        command; a command given every required value as options runs without a question."""
        self.items.append(Need(label, option, ask, required=False))

    def resolve(self, rt: Runtime) -> dict[str, object]:
        """Ask for each missing value (keyed by option), or fail naming every required option to pass."""
        required = [n for n in self.items if n.required]
        if not required and not rt.asked:
            return {}
        if not rt.can_prompt():
            if required:
                raise MissingValues([(n.label, n.option) for n in required])
            return {}
        prompter = rt.ask()
        return {n.option: n.ask(prompter) for n in self.items}
