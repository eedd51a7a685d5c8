"""`salescrm db`: the database itself: schema revision, upgrades, backups, restores and checks."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import reason_option, runtime

app = typer.Typer(epilog="Example: salescrm db check", no_args_is_help=True)


def _engine(ctx: typer.Context, write: bool = False):
    """The database's engine, for reading (a SQLite file opened read-only) unless `write`; the
    database must exist either way (only `init` and the commands that add records create one)."""
    from salescrm.store import sqlite_file
    from salescrm.store.engine import engine_for

    location = runtime(ctx).location()
    if write and location.path is not None:
        sqlite_file.check_directory(location.path, location.explicit)
        if not sqlite_file.exists(location.path):
            raise sqlite_file.no_database(location.path)
    return location, engine_for(location, write=write)


def _file_argument(ctx: typer.Context, file: Path | None, question: str) -> Path:
    """The FILE argument as given, or asked for on a terminal (a path, with ~ for the home directory)."""
    if file is not None:
        return file
    from salescrm.cli.runtime import Needs
    from salescrm.cli.prompts import required

    needs = Needs()
    needs.add("file", "the FILE argument", lambda p: p.text(question, validate=required(question)))
    return Path(needs.resolve(runtime(ctx))["the FILE argument"].strip())


def _revision(location, engine) -> str | None:
    from sqlalchemy import exc

    from salescrm.store import engine as store
    from salescrm.store.failures import unavailable

    try:
        return store.current_revision(engine)
    except (exc.OperationalError, exc.DatabaseError) as e:
        raise unavailable(location, e) from None


@app.command("status", epilog="Example: salescrm db status --json")
def status(ctx: typer.Context, json: bool = typer.Option(False, "--json", help="Print JSON on stdout.")) -> None:
    """Show the database's schema revision and the one this salescrm needs (changes nothing)."""
    from salescrm.store.engine import HEAD_REVISION, KNOWN_REVISIONS

    location, engine = _engine(ctx)
    revision = _revision(location, engine)
    if revision == HEAD_REVISION:
        state = "current"
    elif revision is None:
        from salescrm.store.engine import has_tables

        state = "not a salescrm database" if has_tables(engine) else "empty: run `salescrm init`"
    elif revision in KNOWN_REVISIONS:
        state = "older: run `salescrm db upgrade`"
    else:
        state = "newer than this salescrm: upgrade salescrm"
    current = revision == HEAD_REVISION
    info = {"database": location.display, "backend": engine.dialect.name, "revision": revision,
            "salescrm_revision": HEAD_REVISION, "state": state,
            "currency": _stored_currency(engine) if current else None,
            "backups_holding_erased_data": []}
    if current:
        from salescrm.cli.db_backups import backups_holding

        info["backups_holding_erased_data"] = backups_holding(engine)
    if json:
        output.print_json(info)
        return
    holding = info["backups_holding_erased_data"]
    output.details([("Database", info["database"]), ("Backend", info["backend"]),
                    ("Revision", revision or "(none)"), ("salescrm needs", HEAD_REVISION), ("State", state)]
                   + ([("Currency", info["currency"])] if info["currency"] else [])
                   + ([("Backups holding erased data", str(len(holding)))] if holding else []))
    if holding:
        from salescrm.cli.db_backups import show_backups

        show_backups(holding)


def _stored_currency(engine) -> str:
    """The database's currency (`db set-currency`), read without a session: status opens no transaction."""
    from sqlalchemy import text

    from salescrm.domain.currency import DEFAULT, KEY

    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM setting WHERE key = :key"), {"key": KEY}).scalar()
    return value or DEFAULT


@app.command("upgrade", epilog="Example: salescrm db upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending schema migrations in one transaction (on SQLite, after a backup copy next to the file)."""
    from salescrm.errors import DatabaseUnavailable
    from salescrm.store import engine as store

    location, engine = _engine(ctx, write=True)
    revision = _revision(location, engine)
    if revision == store.HEAD_REVISION:
        output.say(f"The database {location.display} is already at schema revision {revision}.")
        return
    if revision is not None and revision not in store.KNOWN_REVISIONS:
        raise DatabaseUnavailable(
            f"The database {location.display} is at schema revision {revision}, newer than this salescrm "
            f"({store.HEAD_REVISION}). Upgrade salescrm instead."
        )
    if revision is None and store.has_tables(engine):
        raise DatabaseUnavailable(f"The database at {location.display} holds tables that are not salescrm's; nothing was changed.")
    copy = None
    if revision is not None and location.path is not None:
        from salescrm.store.backup import copy_beside

        copy = copy_beside(location.path, f"schema-{revision}")
    store.upgrade_schema(engine, location)
    output.say(f"Upgraded {location.display} from schema revision {revision or '(empty)'} to {store.HEAD_REVISION}."
               + (f" The copy from before is {copy}." if copy else ""))


@app.command("backup", epilog="Example: salescrm db backup ~/backups/crm-2026-11-23.db")
def backup(ctx: typer.Context, file: Optional[Path] = typer.Argument(
        None, help="The new backup file: a name that does not exist yet, not even as a symbolic link (asked on a "
                   "terminal when left out).", show_default=False)) -> None:
    """Write a consistent copy of the database, even while others are writing (SQLite's online backup).

    The copy is written to a temporary file beside FILE, checked, and only then named FILE: a backup that
    fails (a full disk: exit 3) or is interrupted leaves no file."""
    from salescrm.errors import Refused
    from salescrm.store.backup import copy_database

    file = _file_argument(ctx, file, "Backup file to write")
    location, engine = _engine(ctx)
    if location.path is None:
        raise Refused(
            "salescrm backs up SQLite files itself; for a PostgreSQL database use pg_dump, e.g.: "
            f"pg_dump --format=custom --file {file} '{_libpq_url(location)}'"
        )
    revision = _revision(location, engine)  # fails cleanly when the file is not a database
    target = file.expanduser().absolute()
    copy_database(location.path, target)
    output.say(f"Backed up {location.display} to {file}.")
    from salescrm.store.engine import HEAD_REVISION

    if revision == HEAD_REVISION:
        from salescrm.cli.db_backups import record_backups

        record_backups(runtime(ctx), [(target, "backup")])


def _libpq_url(location) -> str:
    """The URL as libpq takes it (no SQLAlchemy driver name), shown as everywhere (store/masking.py) but
    without the masked password, which pgpass or PGPASSWORD give pg_dump."""
    from salescrm.store.masking import MASK

    scheme, rest = location.display.split("://", 1)
    rest = rest.replace(f":{MASK}@", "@", 1)
    if "?" in rest:
        rest, query = rest.split("?", 1)
        kept = [item for item in query.split("&") if item != f"password={MASK}"]
        rest += "?" + "&".join(kept) if kept else ""
    return f"{scheme.split('+')[0]}://{rest}"


@app.command("restore", epilog="Example: salescrm db restore ~/backups/crm-2026-11-23.db --force")
def restore(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(None, help="A backup made by `salescrm db backup` (asked on a terminal when left out).",
                                          show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace the current database (required off a terminal)."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Replace the current SQLite database with a backup, after checking the backup's integrity and revision.

    salescrm's writers wait while the database as it was is copied beside it and the backup swapped in,
    and the journal records the restore; programs that write the file by themselves are not held back."""
    from salescrm.errors import Refused
    from salescrm.store import engine as store
    from salescrm.store import sqlite_file
    from salescrm.store.restore import inspect_backup, restore_database

    rt = runtime(ctx)
    location = rt.location()
    if location.path is None:
        raise Refused("salescrm restores SQLite files only; restore a PostgreSQL database with pg_restore.")
    file = _file_argument(ctx, file, "Backup file to restore from")
    sqlite_file.check_directory(location.path, location.explicit)
    sqlite_file.exists(location.path)  # a directory, a device or another file is refused (exit 3)
    file = file.expanduser().absolute()
    revision = inspect_backup(file)
    if revision not in store.KNOWN_REVISIONS:
        raise Refused(f"{file} is at schema revision {revision}, which this salescrm does not know; nothing was restored.")
    if not force:
        if not rt.can_prompt() or not rt.ask().confirm(f"Replace {location.display} with {file}?", default=False):
            raise Refused(f"Restoring replaces {location.display}: pass --force to do it; nothing was restored.")
    from salescrm.cli import db_backups

    info = rt.journal_info(reason)
    lost = db_backups.erasures_missing_from(file, location.path)
    store.close_all()
    safety = restore_database(file, location.path, info)
    if safety is not None:
        db_backups.record_backups(rt, None)
    upgraded = f" It was upgraded from schema revision {revision} to {store.HEAD_REVISION}." if revision != store.HEAD_REVISION else ""
    output.say(f"Restored {location.display} from {file}.{upgraded}"
               + (f" The database as it was before is kept in {safety}." if safety else ""))
    db_backups.warn_erasures_undone(lost)


@app.command("check", epilog="Example: salescrm db check --json")
def check(ctx: typer.Context, json: bool = typer.Option(False, "--json", help=(
        'Print {"database", "backend", "sound", "checks": [{"check", "how", "problems"}]} on stdout.'))) -> None:
    """Check the database and say which checks ran on its backend (SQLite: schema revision, integrity, foreign
    keys, journal, unknown values; PostgreSQL: the same but integrity); exit 1 listing each problem."""
    from sqlmodel import Session

    from salescrm.domain.db_checks import CheckContext, run_checks
    from salescrm.errors import Refused
    from salescrm.store.engine import HEAD_REVISION

    rt = runtime(ctx)
    location, engine = _engine(ctx)
    revision = _revision(location, engine)
    # At the revision salescrm needs, one read snapshot for every check; before it, the file as it is.
    with rt.reading() if revision == HEAD_REVISION else Session(engine) as session:
        if revision == HEAD_REVISION:
            from salescrm.domain.journal import snapshot

            snapshot(session)  # on PostgreSQL, every check reads one snapshot
        ran = run_checks(CheckContext(session, engine.dialect.name, revision, HEAD_REVISION))
        if revision == HEAD_REVISION:
            from salescrm.domain import journal

            _warn_journaled_passwords(journal.commands_holding_passwords(session))
    problems = [f"Problem: {r.check}: {p}" for r in ran for p in r.problems]
    if json:
        output.print_json({"database": location.display, "backend": engine.dialect.name, "sound": not problems,
                           "checks": [r.as_json() for r in ran]})
        if problems:
            raise typer.Exit(1)
        return
    names = ", ".join(r.check for r in ran)
    if problems:
        raise Refused("\n".join(problems) + f"\nChecks run on {_backend_name(engine)}: {names}.")
    output.say(f"Database {location.display} is sound. Checks run on {_backend_name(engine)}:\n"
               + "\n".join(f"  {r.check}: {r.how}" for r in ran))


def _backend_name(engine) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine.dialect.name, engine.dialect.name)


@app.command("grants", epilog="Example: salescrm db grants --role salescrm_rep | psql -U salescrm_owner salescrm")
def grants(ctx: typer.Context, role: str = typer.Option(
        "salescrm_rep", "--role", help="The PostgreSQL role to grant a rep's privileges to (created beforehand).")) -> None:
    """Print the SQL that gives a PostgreSQL role a rep's privileges, generated from the schema: the records,
    the ledgers insert-only (journal, stage history, survey answers), the sequences (reads no database)."""
    from salescrm.errors import InvalidValue
    from salescrm.store.engine import HEAD_REVISION
    from salescrm.store.grants import rep_grants_sql

    if not role.strip() or len(role.encode()) > 63 or "\x00" in role:
        raise InvalidValue(f"--role '{role}': give a PostgreSQL role name of 1 to 63 bytes, e.g. salescrm_rep.")
    location = runtime(ctx).location()
    database = "salescrm"  # the name docs/teams.md uses, unless --db / SALESCRM_DB names a PostgreSQL database
    if location.path is None:
        from sqlalchemy.engine import make_url

        database = make_url(location.url).database or database
    output.say(rep_grants_sql(role, database, HEAD_REVISION).rstrip("\n"))


def _warn_journaled_passwords(rows: int) -> None:
    """Rows an older salescrm journaled with a database password in their command: a warning, not a
    problem of the database, since nothing can rewrite them (the chain's hashes cover them)."""
    if rows:
        output.warn(
            f"{rows} journal row{'s' if rows > 1 else ''} hold{'' if rows > 1 else 's'} a database password in "
            "the command recorded by an older salescrm; the journal's hashes cover them, so they cannot be "
            "rewritten (journal show masks it): change that database password."
        )


INIT_HELP = ("Create an empty salescrm database on purpose, at --db / SALESCRM_DB or the default location, bound to "
             "a process, and say where. Refuses an existing salescrm database (exit 1) and a file that is not one "
             "(exit 3).")
INIT_EPILOG = "Example: salescrm --db ~/crm/team.db init --currency EUR --process sp-009-001"


def init(
    ctx: typer.Context,
    currency: str = typer.Option("EUR", "--currency", metavar="CODE",
                                 help="The database's currency, an ISO 4217 code (EUR, USD, GBP, CHF, ...)."),
    process: str = typer.Option("sp-009-001", "--process", metavar="NAME",
                                help="The process the database follows, one shipped with salescrm (`salescrm process "
                                     "export NAME` prints it); a revision of it is applied later with "
                                     "`salescrm process apply`."),
    json: bool = typer.Option(False, "--json", help='Print {"database": ..., "currency": ..., "process": {"name", '
                                                    '"revision"}} on stdout.'),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why this change is made (kept with it in the journal)."),
) -> None:
    from salescrm.store import sqlite_file
    from salescrm.store.engine import bind_new_databases_to

    from salescrm.domain.currency import parse_currency, set_database_currency
    from salescrm.errors import InvalidValue, Refused
    from salescrm.process import bound, load

    code = parse_currency(currency)
    name = process.removeprefix("shipped:")
    if name not in load.shipped_names():
        raise InvalidValue(f"--process '{process}' is not a process shipped with salescrm: choose one of "
                           f"{', '.join(load.shipped_names())} (a revision of it is applied later with "
                           "`salescrm process apply FILE`).")
    rt = runtime(ctx)
    location = rt.location()
    if location.path is None or sqlite_file.exists(location.path):
        _refuse_existing(ctx, location)
    bind_new_databases_to(name)
    with rt.writing(reason) as session:  # creates the file and the schema ("Created a new database at PATH")
        follows = bound.revision_of(session)
        if follows.name != load.shipped(name).name:  # another command created the database meanwhile
            raise Refused(f"There is already a salescrm database at {location.display}, following {follows.name}; "
                          "nothing was changed.")
        set_database_currency(session, code)
    if json:
        output.print_json({"database": location.display, "currency": code,
                           "process": {"name": follows.name, "revision": load.shipped(name).revision}})
        return
    prefix = "salescrm " + (f"--db {_quote(location.display)} " if rt.db else "")
    output.say(f"Database {location.display} ready; it follows {follows.name} revision {follows.revision}, and its "
               f"currency is {code}.\n"
               f"Next: {prefix}team add NAME --role ROLE, then {prefix}company add NAME")


@app.command("set-currency", epilog="Example: salescrm db set-currency USD --reason \"The US team's database\"")
def set_currency(
    ctx: typer.Context,
    currency: Optional[str] = typer.Argument(None, metavar="CODE", show_default=False,
                                             help="An ISO 4217 code (EUR, USD, GBP, CHF, ...); asked on a terminal when left out."),
    json: bool = typer.Option(False, "--json", help='Print {"database": ..., "currency": ...} on stdout.'),
    reason: Optional[str] = reason_option(),
) -> None:
    """Change the database's currency, which new deals take; refused once it holds deals, whose amounts are in it."""
    from salescrm.cli.runtime import Needs
    from salescrm.domain.currency import database_currency, parse_currency, set_database_currency

    rt = runtime(ctx)
    if currency is None:
        needs = Needs()
        needs.add("currency", "the CODE argument", lambda p: p.text("Currency (ISO 4217 code)",
                                                                    validate=lambda a: parse_currency(a, "The currency")))
        currency = needs.resolve(rt)["the CODE argument"]
    code = parse_currency(currency, "The currency")
    with rt.writing(reason) as session:
        before = database_currency(session)
        set_database_currency(session, code)
    location = rt.location()
    if json:
        output.print_json({"database": location.display, "currency": code})
        return
    output.say(f"The currency of {location.display} is {code}" + (f" (it was {before})." if before != code else ", as before."))


def _refuse_existing(ctx: typer.Context, location) -> None:
    """An existing database is never initialised again: exit 1 for salescrm's, 3 for anything else."""
    from salescrm.errors import DatabaseUnavailable, Refused
    from salescrm.store.engine import has_tables

    location, engine = _engine(ctx)
    revision = _revision(location, engine)
    if revision is not None:
        raise Refused(f"There is already a salescrm database at {location.display} (schema revision {revision}); "
                      "nothing was changed.")
    if has_tables(engine):
        raise DatabaseUnavailable(f"The database at {location.display} holds tables that are not salescrm's; "
                                  "nothing was changed. Give init a new file.")


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
