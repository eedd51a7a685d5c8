"""The root command: global options, the command groups, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Optional

import typer
from typer.core import TyperGroup

from salescrm import __version__, interrupts
from salescrm.cli import db, demo, empty_values, placeholders, streams, typed
from salescrm.cli.runtime import Runtime, runtime
from salescrm.errors import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_REFUSED,
    EXIT_TERMINATED,
    Interrupted,
    SalesCrmError,
)


def _fail(message: str, code: int) -> typer.Exit:
    from salescrm.cli.output import err
    from salescrm.store.masking import redact  # a driver's message may quote what it was given

    err(redact(message).rstrip())
    return typer.Exit(code)


def _is_typer_control(error: BaseException) -> bool:
    """Typer's own exits and usage errors (from its bundled Click) pass through untouched."""
    return type(error).__module__.split(".")[0] in ("typer", "click", "_typer_click")


def _first_bad_argument(args: list[str]) -> int | None:
    """Bytes that are not UTF-8 reach Python as lone surrogates; SQLite and PostgreSQL would disagree on them."""
    for i, arg in enumerate(args):
        if "\x00" in arg or any("\ud800" <= ch <= "\udfff" for ch in arg):
            return i
    return None


# The command groups, in the order of `--help`: (name, module, the one line `salescrm --help` shows).
# A group's module is imported, and its commands built, only when a command line names the group, so
# that `--help`, completion and every command pay for one group, not for all of them.
GROUPS = (
    ("team", "salescrm.cli.team", "Team members and their GP-009 roles (deal owners are JD-019 or JD-002)."),
    ("company", "salescrm.cli.companies", "Companies: one per best-known brand, one for a global group (SP-009-001)."),
    ("contact", "salescrm.cli.contacts", "Contacts: the people we sell to, linked to one or more companies."),
    ("deal", "salescrm.cli.deals", "Deals: create, advance through the stage gates, lose, show, list, edit."),
    ("lead", "salescrm.cli.leads", "Leads: an incoming contact, its company if new, and a follow-up call one hour later."),
    ("activity", "salescrm.cli.activities",
     "Activities: calls, emails, meetings, messages and notes, on a contact, a company and/or a deal."),
    ("task", "salescrm.cli.tasks", "Tasks: what a team member must do by when (follow-up calls, a deal's next step)."),
    ("report", "salescrm.cli.reports", "Reports: sales cycle, pipeline at a date, forecast, conversion, next steps."),
    ("audit", "salescrm.cli.audit",
     "Audit: every record checked against SP-009-001's rules (read-only), safe fixes, and the CRM self-assessment."),
    ("pipeline", "salescrm.cli.pipeline", "The Sales pipeline: open deals per stage."),
    ("process", "salescrm.cli.process",
     "The sales process as a file: its stages and what each needs; export, check and diff a revision."),
    ("journal", "salescrm.cli.journal",
     "The change journal: who changed what, when, from what to what, and why (append-only, hash-chained)."),
    ("import", "salescrm.cli.imports",
     "Import companies, contacts or deals from CSV, JSON or xlsx (HubSpot's exports too), through every rule; undo a batch."),
    ("export", "salescrm.cli.export",
     "Export every company, contact, deal, activity or task: CSV, JSON, JSON lines or a workbook (xlsx)."),
    ("db", "salescrm.cli.db", "The database: schema status and upgrade, backup, restore, and integrity checks."),
)
_built: dict[str, TyperGroup] = {}  # groups already built in this process (tests run many commands)


def command_group(name: str) -> TyperGroup:
    """The `salescrm NAME` group: its module's Typer app, built into a command with its placeholders."""
    if name not in _built:
        import copy
        import importlib

        [(module, help_text)] = [(m, h) for n, m, h in GROUPS if n == name]
        typer_app = importlib.import_module(module).app
        shell = copy.copy(typer_app)
        shell.registered_commands = []
        group = typer.main.get_group(shell)
        group.__class__ = LazyCommands
        group.infos = {info.name or typer.main.get_command_name(info.callback.__name__): info
                       for info in typer_app.registered_commands}
        group.app = typer_app
        group.name, group.help = name, help_text
        placeholders.apply(group)
        empty_values.apply(group, name)
        typed.apply(group)
        _built[name] = group
    return _built[name]


class LazyCommands(placeholders.Group):
    """A group whose commands are built when first named: `deal show` builds the options of `show` alone
    (help and completion, which list them all, build them all)."""

    infos: dict
    app: typer.Typer

    def list_commands(self, ctx):
        return list(self.infos)

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in self.infos:
            command = typer.main.get_command_from_info(
                self.infos[cmd_name], pretty_exceptions_short=self.app.pretty_exceptions_short,
                rich_markup_mode=self.app.rich_markup_mode,
            )
            placeholders.apply(command)
            empty_values.apply(command, f"{self.name} {cmd_name}")
            typed.apply(command)
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.infos:  # a typo: build them all, so that the error suggests the closest
            for name in self.infos:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


class SalesCrmGroup(placeholders.Group):
    """Maps every error to one message on stderr and the documented exit code; loads command groups lazily."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        placeholders.apply(self)
        for name, command in self.commands.items():  # init, demo (the groups are built when named)
            empty_values.apply(command, name)
        typed.apply(self)
        self._listing = False

    def list_commands(self, ctx):
        return [name for name, _, _ in GROUPS if name not in self.commands] + super().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.commands or cmd_name not in {name for name, _, _ in GROUPS}:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # a list of the groups needs their names and help only, not their commands
            return TyperGroup(name=cmd_name, help=next(h for n, _, h in GROUPS if n == cmd_name))
        return command_group(cmd_name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except Exception as e:  # typer's UsageError: suggest the closest group, which is not built yet
            message = getattr(e, "message", None)
            if _is_typer_control(e) and message and args and "Did you mean" not in message:
                import difflib

                names = [name for name, _, _ in GROUPS] + list(self.commands)
                matches = difflib.get_close_matches(args[0], names)
                if matches:
                    e.message = f"{message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def format_help(self, ctx, formatter):
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def shell_complete(self, ctx, incomplete):
        self._listing = True
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing = False

    def parse_args(self, ctx, args):
        bad = _first_bad_argument(args)
        if bad is not None:
            raise _fail(
                f"Argument {bad + 1} is not valid UTF-8 text (or holds a NUL character); "
                "check the terminal's or the script's encoding.",
                EXIT_INVALID,
            )
        ctx.meta["salescrm.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        interrupts.begin_command()
        succeeded = False
        try:
            result = super().invoke(ctx)
            succeeded = True
            return result
        except SalesCrmError as e:
            e = _missing_database(e)
            raise _fail(e.message, e.exit_code) from None
        except KeyboardInterrupt:
            newline = "\n" if sys.stderr.isatty() else ""
            raise _fail(f"{newline}Interrupted; {interrupts.outcome()}.", EXIT_INTERRUPTED) from None
        except Interrupted:
            raise _fail(f"Terminated; {interrupts.outcome()}.", EXIT_TERMINATED) from None
        except (BrokenPipeError, streams.OutputClosed):
            succeeded = True
            _silence_stdout()
            raise typer.Exit(0) from None
        except Exception as e:
            if _is_typer_control(e):
                succeeded = getattr(e, "exit_code", 1) == 0
                _mask_usage_error(e)
                raise
            rt = ctx.obj if isinstance(ctx.obj, Runtime) else None
            if rt is not None and rt.debug:  # the traceback here, with any database password masked
                from salescrm.store.masking import shown_text

                sys.stderr.write(shown_text(traceback.format_exc()))
                raise _fail(f"Unexpected error: {type(e).__name__}; {interrupts.outcome()}.", EXIT_REFUSED) from None
            log = _write_error_log()
            raise _fail(
                f"Unexpected error: {type(e).__name__}; {interrupts.outcome()}. Details are in {log} "
                "(run with --debug to see them here).",
                EXIT_REFUSED,
            ) from None
        finally:
            _close_databases(succeeded)


def _missing_database(error: SalesCrmError) -> SalesCrmError:
    """A record looked for in a database that this very command created cannot be there: the path is
    likely a typo, so say that there is no database (the new file is removed again)."""
    from salescrm.errors import NotFound

    store = sys.modules.get("salescrm.store.engine")
    created = store.created_by_this_command() if store is not None and isinstance(error, NotFound) else []
    if not created:
        return error
    from salescrm.store.sqlite_file import no_database

    return no_database(created[0])


def _mask_usage_error(error: Exception) -> None:
    """Typer's usage errors quote what was typed: a database URL typed in the wrong place shows masked."""
    message = getattr(error, "message", None)
    if isinstance(message, str):
        from salescrm.store.masking import shown_text

        error.message = shown_text(message)


def _close_databases(succeeded: bool) -> None:
    """Every way out of a command closes what it opened: the SQLite file then holds every committed change,
    and a file that a failed command created is gone again."""
    store = sys.modules.get("salescrm.store.engine")  # imported only by commands that opened a database
    if store is not None:
        store.finish_command(succeeded)


def _write_error_log() -> str:
    from salescrm.store.location import state_dir
    from salescrm.store.masking import shown_text

    try:
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / "error.log"
        with open(path, "a", encoding="utf-8") as f:
            os.chmod(path, 0o600)
            f.write(shown_text(traceback.format_exc()) + "\n")
        return str(path)
    except OSError:
        return "(no log: the state directory is not writable; SALESCRM_STATE_DIR moves it)"


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so that Python's final flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


app = typer.Typer(
    cls=SalesCrmGroup,
    name="salescrm",
    help=(
        "salescrm: the command-line CRM for the SP-009-001 sales procedure: companies, contacts and deals "
        f"through the Sales pipeline, each move gated by what the procedure requires.\n\n{EXIT_CODES_HELP}"
    ),
    # demo writes its own file in the data directory and prints the commands that read it (Linux's path here).
    epilog="Example: salescrm demo && salescrm --db ~/.local/share/salescrm/demo.db deal list",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"salescrm {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None, "--db", metavar="PATH_OR_URL", help="Database file or SQLAlchemy URL (default: $SALESCRM_DB, else a "
        "file in the user data directory).", show_default=False,
    ),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt; a missing value is an error naming its option."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    rt = runtime(ctx)
    rt.db = db if db is not None else rt.db
    rt.no_input = no_input or rt.no_input
    rt.debug = debug or rt.debug
    rt.argv = ctx.meta.get("salescrm.argv", [])


app.command("init", help=db.INIT_HELP, epilog=db.INIT_EPILOG)(db.init)
app.command("demo", help=demo.HELP, epilog=demo.EPILOG)(demo.demo)


def main() -> None:
    interrupts.install()
    streams.install()
    code = 0
    try:
        app(prog_name="salescrm")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        if isinstance(e.code, str):
            sys.stderr.write(e.code + "\n")
    except (BrokenPipeError, streams.OutputClosed):  # help printed into a closed pipe
        _silence_stdout()
    code = streams.finish(code)
    interrupts.settle()
    sys.exit(code)
