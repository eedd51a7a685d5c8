"""Engines and sessions: transactions, the schema revision check.

Every command is one transaction. A read session sees one consistent snapshot; a write session on
SQLite begins with BEGIN IMMEDIATE (store/sqlite_connections.py: the settings of SQLite's connections).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlmodel import Session

from salescrm import interrupts
from salescrm.errors import DatabaseUnavailable, Refused, storage_fault
from salescrm.store import sqlite_connections, sqlite_file, write_lock
from salescrm.store.failures import conflict, first_line, is_unavailable, unavailable
from salescrm.store.location import DatabaseLocation

# The newest migration in salescrm/store/migrations/versions (a test keeps them in step).
HEAD_REVISION = "0009"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")


_engines: dict[tuple[str, bool], sa.Engine] = {}  # (url, write): a read opens a SQLite file read-only
_checked: set[str] = set()
_warned: set[Path] = set()
_inodes: dict[Path, int] = {}  # the file each SQLite write engine's connections were made to
_schema_made: set[Path] = set()  # files whose schema this process created: the one that says "Created"
_created: dict[Path, bool] = {}  # SQLite files this command made (True) or found empty (False):
# said when it succeeds, removed (or emptied again) when it fails
_new_process: list[str] = []  # the shipped process a database this command creates follows (`init --process`)


def bind_new_databases_to(process: str) -> None:
    """A database this command creates follows the shipped `process` (migration 0007 binds it); set by
    `salescrm init --process NAME` and `demo --process NAME` before they open the database."""
    _new_process[:] = [process]


def engine_for(location: DatabaseLocation, write: bool = True) -> sa.Engine:
    """The engine of a database, opened for writing or for reading only; the one way in.

    A SQLite file is looked at first (store/sqlite_file.py): a read needs a database there, a write
    creates a missing file readable by its owner only. Everything opened here is closed by close_all().
    """
    key = (location.url, write)
    engine = _engines.get(key)
    if engine is None:
        if location.path is not None:
            _open_file(location, write)
        engine = _create_engine(location, write)
        _engines[key] = engine
    return engine


def _follow_the_file(engine: sa.Engine, path: Path) -> None:
    """Under the write lock, the connections must reach the file now at `path`: a restore may have swapped
    it in, and a failed first command may have removed the file it created (finish_command)."""
    try:
        inode = os.stat(path).st_ino
    except FileNotFoundError:
        raise DatabaseUnavailable(
            f"The database {path} was removed while this command waited to write; nothing was saved. "
            "Check --db / SALESCRM_DB, or create one with `salescrm init`."
        ) from None
    if _inodes.setdefault(path, inode) != inode:
        engine.dispose()  # pooled connections still point at the file as it was
        _inodes[path] = inode


def _open_file(location: DatabaseLocation, write: bool) -> None:
    path = location.path
    sqlite_file.check_directory(path, location.explicit)
    if not sqlite_file.exists(path):
        if not write:
            raise sqlite_file.no_database(path)
        made = sqlite_file.create(path)  # a 0-byte file is made private too: it is about to hold personal data
        _created.setdefault(path, made)
    elif write and not sqlite_file.writable(path):
        raise DatabaseUnavailable(
            f"The database {path} is read-only for you: commands that read it work, and changing it needs write "
            "access to the file and its directory."
        )
    if write:
        _inodes[path] = os.stat(path).st_ino
    if path not in _warned:
        _warned.add(path)
        warn_if_shared(path)


def close_all() -> None:
    """Close every engine this process opened, and checkpoint each SQLite file it touched.

    Runs when a command ends, whichever way (success, refusal, error, Ctrl-C, SIGTERM): afterwards
    the file alone holds every committed change. Read-only engines close first, so that the last
    connection to close is one that may checkpoint; a log a read left behind, or one a killed command
    left, is checkpointed after. A failure here changes nothing that was committed, so it is not shown.
    """
    paths = {key[0]: engine.url.database for key, engine in _engines.items() if engine.dialect.name == "sqlite"}
    with interrupts.deferred():
        for key in sorted(_engines, key=lambda k: k[1]):  # read-only (False) first
            try:
                _engines[key].dispose()
            except Exception:
                pass
        _engines.clear()
        _inodes.clear()
        _checked.clear()
        _warned.clear()
        for database in paths.values():
            if database:
                sqlite_file.checkpoint(Path(database))


def created_by_this_command() -> list[Path]:
    """The SQLite files this command made, or found empty and filled with the schema."""
    return list(_created)


def finish_command(succeeded: bool) -> None:
    """The end of a command: close everything, then settle the files it created.

    A command that failed, was refused or was interrupted writes nothing, so a file it created is removed
    again, unless another process has written to it meanwhile (under the exclusive write lock, so that no
    salescrm writer is inside). A command that succeeded says where its new database is.
    """
    close_all()
    created, schema_made = dict(_created), list(_schema_made)
    _created.clear()
    _schema_made.clear()
    _new_process.clear()
    with interrupts.deferred():
        if succeeded:
            for path in schema_made:
                notice(f"Created a new database at {path}")
            return
        for path, made in created.items():
            try:
                with write_lock.exclusive(path):
                    if not sqlite_file.holds_records(path):
                        sqlite_file.remove(path, keep_empty=not made)
            except (OSError, DatabaseUnavailable):
                pass  # the file stays, empty: the next command uses it


def dispose_all() -> None:
    """Close everything and forget what was created (tests and benches, between runs)."""
    close_all()
    _created.clear()
    _schema_made.clear()
    _new_process.clear()


def warn_if_shared(path: Path) -> None:
    """An existing database that others on the machine may read holds customers' personal data."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        notice(f"Warning: the database {path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")


def _create_engine(location: DatabaseLocation, write: bool) -> sa.Engine:
    if location.is_sqlite:
        engine = sqlite_connections.sqlite_engine(location, write)
    else:
        try:
            engine = sa.create_engine(location.url)
        except (exc.ArgumentError, exc.NoSuchModuleError, ImportError, ValueError) as e:
            raise DatabaseUnavailable(
                f"Cannot use the database URL {location.display}: {first_line(e)}. "
                'For PostgreSQL, install the extra with: pip install "salescrm[postgres]".'
            ) from None
    # A long command stops at its next statement once Ctrl-C or SIGTERM arrived, even if the
    # signal's own exception was swallowed somewhere Python ignores exceptions.
    event.listen(engine, "before_cursor_execute", _check_interrupts)
    return engine


def _after_commit(session) -> None:
    # SQLAlchemy sends after_commit for a savepoint's release too (a lead of `lead add --from-json`):
    # only the outermost transaction's commit saves anything.
    if not session.in_nested_transaction():
        interrupts.note_commit()
    interrupts.release()


def _check_interrupts(*_args) -> None:
    interrupts.check()


@contextmanager
def read_session(location: DatabaseLocation, create: bool = False) -> Iterator[Session]:
    """A session over one consistent snapshot, for commands that only read.

    A SQLite file is opened read-only, and must be there. `create`: a write command reading first
    (`audit fix`) creates a missing database, as its write would.
    """
    if create:
        ensure_schema(engine_for(location, write=True), location, write=True)
    with _session(location, write=False) as session:
        yield session


@contextmanager
def write_session(
    location: DatabaseLocation, actor: str | None = None, command: str | None = None, reason: str | None = None
) -> Iterator[Session]:
    """One short write transaction: committed when the block ends, rolled back on any error.

    Every change it makes is journaled (store/journal.py) with the acting user, the command that
    made it and the reason given for it.
    """
    from salescrm.store import journal

    with interrupts.write_transaction(), _session(location, write=True) as session:
        session.info.update(actor=actor, command=command, reason=reason)
        journal.install(session)
        event.listen(session, "before_commit", lambda _session: interrupts.hold())
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", lambda _session: interrupts.release())
        try:
            yield session
        finally:
            interrupts.release()


@contextmanager
def _session(location: DatabaseLocation, write: bool) -> Iterator[Session]:
    engine = engine_for(location, write=write)  # a missing file (and the default directory) is made before its lock file
    with write_lock.for_writes(location.path if write else None):
        if write and location.path is not None:
            _follow_the_file(engine, location.path)
        with _open_session(location, write) as session:
            yield session


@contextmanager
def _open_session(location: DatabaseLocation, write: bool) -> Iterator[Session]:
    engine = engine_for(location, write=write)
    ensure_schema(engine, location, write=write)
    bind = engine.execution_options(**{sqlite_connections.WRITE: True}) if write else engine
    try:
        with Session(bind, expire_on_commit=False, autoflush=True) as session:
            with session.begin():
                yield session
    except exc.IntegrityError as e:
        raise Refused(f"{conflict(e)}; nothing was saved. Run the command again to see why.") from None
    except (exc.OperationalError, exc.DatabaseError) as e:
        # A signal can break the driver mid-statement (psycopg: "cannot exit pipeline mode while busy");
        # the person stopped the command, and that is what they are told.
        interrupts.check()
        if not (is_unavailable(e) or storage_fault(e)):
            raise
        raise unavailable(location, e) from None


# --- Schema revision ----------------------------------------------------------------


def ensure_schema(engine: sa.Engine, location: DatabaseLocation, write: bool = True) -> None:
    """Make sure the database is at the schema this release uses, or say what to do.

    An empty database is created at the latest revision by a write; a read says there is no database. An older SQLite file (one user's own) is
    upgraded after a backup copy next to it; an older shared PostgreSQL database is left to the
    team's administrator (`salescrm db upgrade`). A newer one is refused. Costs one plain query
    when the database is current; Alembic is imported only when there is something to do.
    """
    if location.url in _checked:
        return
    try:
        revision = current_revision(engine)
    except (exc.OperationalError, exc.DatabaseError) as e:
        if not is_unavailable(e):
            raise
        raise unavailable(location, e) from None
    if revision != HEAD_REVISION:
        if not write:
            engine = _engine_to_upgrade_for_a_read(engine, location, revision)
        try:
            _bring_to_head(engine, location, revision)
        except (exc.DBAPIError, OSError) as e:  # the tables or the copy from before met a full disk
            if storage_fault(e) is None:
                raise
            raise unavailable(location, e) from None
    _checked.add(location.url)


def _engine_to_upgrade_for_a_read(engine: sa.Engine, location: DatabaseLocation, revision: str | None) -> sa.Engine:
    """A read never creates a database; it upgrades an older file it may write, as the first use does."""
    if revision is None and not has_tables(engine):
        if location.path is not None:
            raise sqlite_file.no_database(location.path)
        raise DatabaseUnavailable(
            f"The database at {location.display} has no salescrm tables yet: create them with `salescrm init`."
        )
    if revision not in KNOWN_REVISIONS or location.path is None:
        return engine  # refused below with the reason
    if not sqlite_file.writable(location.path):
        raise DatabaseUnavailable(
            f"The database {location.display} is at schema revision {revision} and this salescrm needs "
            f"{HEAD_REVISION}; it is read-only for you, so it cannot be upgraded: copy it where you may write, "
            "or use the salescrm release that made it."
        )
    return engine_for(location, write=True)


def _bring_to_head(engine: sa.Engine, location: DatabaseLocation, revision: str | None) -> None:
    if revision is None:
        if has_tables(engine):
            raise DatabaseUnavailable(
                f"The database at {location.display} holds tables that are not salescrm's. "
                "Point --db or SALESCRM_DB at a salescrm database or an empty one."
            )
        if upgrade_schema(engine, location) is None:  # this process made the schema (not a concurrent first use)
            if location.path is not None:
                _schema_made.add(location.path)  # said by finish_command, once the command has succeeded
            else:
                notice(f"Created salescrm's tables in the database at {location.display}")
        return
    if revision not in KNOWN_REVISIONS:
        raise DatabaseUnavailable(
            f"The database at {location.display} is at schema revision {revision}, newer than this "
            f"salescrm knows ({HEAD_REVISION}). Upgrade salescrm to use it."
        )
    if not location.is_sqlite or location.path is None:
        raise DatabaseUnavailable(
            f"The shared database at {location.display} is at schema revision {revision} and this salescrm "
            f"needs {HEAD_REVISION}: the team's administrator runs `salescrm db upgrade` once, for everyone."
        )
    from salescrm.store.backup import copy_beside

    copy = copy_beside(location.path, f"schema-{revision}")
    upgrade_schema(engine, location)
    notice(
        f"Upgraded the database {location.display} from schema revision {revision} to {HEAD_REVISION}; "
        f"the copy from before is {copy}."
    )


def upgrade_schema(engine: sa.Engine, location: DatabaseLocation) -> str | None:
    """Apply pending migrations in one transaction, with a message when the role may not; return the
    revision the database was at (None: the schema was created)."""
    from salescrm.store.migrate import upgrade

    try:
        with write_lock.for_writes(location.path):
            return upgrade(engine, process=_new_process[0] if _new_process else None)
    except exc.ProgrammingError as e:
        if "permission denied" not in str(e.orig):
            raise
        raise DatabaseUnavailable(
            f"The database at {location.display} needs its schema created or upgraded, and this login may not "
            "change it: run `salescrm db upgrade` as a role that may (see docs/teams.md)."
        ) from None


def notice(message: str) -> None:
    """One line on stderr about something the store did by itself (an upgrade)."""
    sys.stderr.write(message + "\n")


def current_revision(engine: sa.Engine) -> str | None:
    """The database's Alembic revision, in one plain query; None when it has no revision table."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except exc.ProgrammingError:  # PostgreSQL: no such table
            return None
        except exc.OperationalError as e:
            if "no such table" in str(e.orig):  # SQLite
                return None
            raise


def has_tables(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(sa.inspect(conn).get_table_names())
