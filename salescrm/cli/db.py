"""`salescrm db`: the database itself: schema revision, upgrades, backups, restores and checks."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import runtime

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


def _revision(location, engine) -> str | None:
    from sqlalchemy import exc

    from salescrm.store import engine as store

    try:
        return store.current_revision(engine)
    except (exc.OperationalError, exc.DatabaseError) as e:
        raise store._unavailable(location, e) from None


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
    info = {"database": location.display, "backend": engine.dialect.name, "revision": revision,
            "salescrm_revision": HEAD_REVISION, "state": state}
    if json:
        output.print_json(info)
    else:
        output.details([("Database", info["database"]), ("Backend", info["backend"]),
                        ("Revision", revision or "(none)"), ("salescrm needs", HEAD_REVISION), ("State", state)])


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
def backup(ctx: typer.Context, file: Path = typer.Argument(..., help="The new backup file (must not exist).")) -> None:
    """Write a consistent copy of the database, even while others are writing (SQLite's online backup)."""
    from salescrm.errors import Refused
    from salescrm.store.backup import copy_database

    location, engine = _engine(ctx)
    if location.path is None:
        raise Refused(
            "salescrm backs up SQLite files itself; for a PostgreSQL database use pg_dump, e.g.: "
            f"pg_dump --format=custom --file {file} '{_libpq_url(engine)}'"
        )
    _revision(location, engine)  # fails cleanly when the file is not a database
    target = file.expanduser().absolute()
    if not target.parent.is_dir():
        from salescrm.errors import InvalidValue

        raise InvalidValue(f"{target.parent} is not a directory: create it, or give the backup a path in an existing one.")
    copy_database(location.path, target)
    output.say(f"Backed up {location.display} to {file}.")


def _libpq_url(engine) -> str:
    url = engine.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=True)


@app.command("restore", epilog="Example: salescrm db restore ~/backups/crm-2026-11-23.db --force")
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup made by `salescrm db backup`."),
    force: bool = typer.Option(False, "--force", help="Replace the current database (required off a terminal)."),
) -> None:
    """Replace the current SQLite database with a backup, after checking the backup's integrity and revision."""
    from salescrm.errors import Refused
    from salescrm.store import engine as store
    from salescrm.store.backup import copy_beside, inspect_backup, restore_database

    from salescrm.store import sqlite_file

    rt = runtime(ctx)
    location = rt.location()
    if location.path is None:
        raise Refused("salescrm restores SQLite files only; restore a PostgreSQL database with pg_restore.")
    sqlite_file.check_directory(location.path, location.explicit)
    existed = sqlite_file.exists(location.path)  # a directory, a device or another file is refused (exit 3)
    file = file.expanduser().absolute()
    revision = inspect_backup(file)
    if revision not in store.KNOWN_REVISIONS:
        raise Refused(f"{file} is at schema revision {revision}, which this salescrm does not know; nothing was restored.")
    if not force:
        if not rt.can_prompt() or not rt.ask().confirm(f"Replace {location.display} with {file}?", default=False):
            raise Refused(f"Restoring replaces {location.display}: pass --force to do it; nothing was restored.")
    safety = copy_beside(location.path, "before-restore") if existed else None
    store.close_all()
    if not existed:
        sqlite_file.create(location.path)
    restore_database(file, location.path)
    output.say(f"Restored {location.display} from {file}."
               + (f" The database as it was before is kept in {safety}." if safety else ""))


@app.command("check", epilog="Example: salescrm db check")
def check(ctx: typer.Context) -> None:
    """Check integrity, foreign keys, the journal chain and the schema revision; exit 1 listing each problem."""
    from salescrm.domain import journal
    from salescrm.errors import Refused
    from salescrm.store.engine import HEAD_REVISION

    rt = runtime(ctx)
    location, engine = _engine(ctx)
    problems = []
    revision = _revision(location, engine)
    if revision != HEAD_REVISION:
        problems.append(f"schema revision is {revision}, salescrm needs {HEAD_REVISION}")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems += [f"integrity: {line}" for line in integrity]
            for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                problems.append(f"foreign key: {table} row {rowid} points at a missing {parent}")
    if revision == HEAD_REVISION:
        with rt.reading() as session:
            result = journal.verify(session)
        if not result.intact:
            problems.append(f"journal: {result.problem}")
    if problems:
        raise Refused("\n".join(f"Problem: {p}" for p in problems))
    output.say(f"Database {location.display} is sound: integrity, foreign keys, journal and schema revision {revision}.")


INIT_HELP = ("Create an empty salescrm database on purpose, at --db / SALESCRM_DB or the default location, and say "
             "where. Refuses an existing salescrm database (exit 1) and a file that is not one (exit 3).")
INIT_EPILOG = "Example: salescrm --db ~/crm/team.db init --currency EUR"


def init(
    ctx: typer.Context,
    currency: str = typer.Option("EUR", "--currency", metavar="CODE",
                                 help="The database's currency, an ISO 4217 code (EUR, USD, GBP, CHF, ...)."),
    json: bool = typer.Option(False, "--json", help='Print {"database": ..., "currency": ...} on stdout.'),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why this change is made (kept with it in the journal)."),
) -> None:
    from salescrm.store import sqlite_file

    from salescrm.domain.currency import parse_currency, set_database_currency

    code = parse_currency(currency)
    rt = runtime(ctx)
    location = rt.location()
    if location.path is None or sqlite_file.exists(location.path):
        _refuse_existing(ctx, location)
    with rt.writing(reason) as session:  # creates the file and the schema ("Created a new database at PATH")
        set_database_currency(session, code)
    if json:
        output.print_json({"database": location.display, "currency": code})
        return
    prefix = "salescrm " + (f"--db {_quote(location.display)} " if rt.db else "")
    output.say(f"Database {location.display} ready; its currency is {code}.\n"
               f"Next: {prefix}team add NAME --role ROLE, then {prefix}company add NAME")


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
