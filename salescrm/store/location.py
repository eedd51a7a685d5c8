"""Where the database is: `--db PATH_OR_URL`, else env SALESCRM_DB, else the user data directory.

Standard library and platformdirs only: this runs before any command decides it needs SQLAlchemy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from salescrm.store import masking
from salescrm.store.masking import ENV_DB  # named there: what it may hold is redacted before it is read

ENV_DATA_DIR = "SALESCRM_DATA_DIR"
ENV_STATE_DIR = "SALESCRM_STATE_DIR"
DEFAULT_FILE = "salescrm.db"
DEMO_FILE = "demo.db"

_URL = re.compile(r"^[a-z][\w+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class DatabaseLocation:
    url: str  # a SQLAlchemy URL
    path: Path | None  # the file, for SQLite files
    explicit: bool  # given by --db or SALESCRM_DB rather than the default

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def display(self) -> str:
        """The location as it may be shown or journaled: never with a password (store/masking.py)."""
        if self.path is not None:
            return str(self.path)
        return masking.shown_url(self.url)


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("salescrm", appauthor=False))


def state_dir() -> Path:
    """Where salescrm keeps its error log: $SALESCRM_STATE_DIR, else the `state` folder of
    $SALESCRM_DATA_DIR when that alone is set (tests stay isolated), else the user state directory."""
    override = os.environ.get(ENV_STATE_DIR)
    if override:
        return Path(override)
    data_override = os.environ.get(ENV_DATA_DIR)
    if data_override:
        return Path(data_override) / "state"
    from platformdirs import user_state_dir

    return Path(user_state_dir("salescrm", appauthor=False))


def resolve(db: str | None, default_file: str = DEFAULT_FILE) -> DatabaseLocation:
    """The database the command works on. A bare path means a SQLite file.

    `--db` means what it says: a value that would silently use another database than the one written
    (nothing, memory, a different file) is refused (exit 2) with the reason.
    """
    if db is not None:
        value, source = db, "--db"
    else:
        value, source = os.environ.get(ENV_DB), ENV_DB
    if value is None:
        return _sqlite(data_dir() / default_file, explicit=False)
    masking.remember(value)
    _check(value, source)
    if _URL.match(value):
        if value.lower().startswith("sqlite"):
            return _sqlite(Path(value.split(":///", 1)[1]), explicit=True)
        _check_url(value, source)
        return DatabaseLocation(value, None, explicit=True)
    if _LOOKS_LIKE_URL.match(value) and "@" in value:
        raise _unreadable_url(source)
    return _sqlite(Path(value), explicit=True)


# `postgresql:/user:pw@host/db`, `postgresql:user@host`: a URL mistyped, not a file's path.
_LOOKS_LIKE_URL = re.compile(r"^[a-z][\w+.-]*:", re.IGNORECASE)


def _check_url(value: str, source: str) -> None:
    """A URL whose password cannot be told apart is refused without being echoed (store/masking.py)."""
    from salescrm.errors import InvalidValue

    problem = masking.problem(value)
    if problem == masking.AMBIGUOUS:
        raise InvalidValue(
            f"The database URL in {source} holds more than one @ before its host, so where its password ends "
            "cannot be told: percent-encode @ in the password as %40. The URL is not shown, since it may hold the password."
        )
    if problem == masking.UNPARSABLE:
        raise _unreadable_url(source)


def _unreadable_url(source: str):
    from salescrm.errors import InvalidValue

    return InvalidValue(
        f"The database URL in {source} cannot be read (it is not shown, as it may hold a password): write it as "
        "DRIVER://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgresql+psycopg://ana@db.example/crm."
    )


def _check(value: str, source: str) -> None:
    from salescrm.errors import InvalidValue

    shown = f"--db {value}" if source == "--db" else f"{ENV_DB}={value}"
    if not value.strip():
        if source == "--db":
            raise InvalidValue("--db is empty: give a database file or URL, or leave --db out to use the default database.")
        raise InvalidValue(f"{ENV_DB} is set but empty: give a database file or URL, or unset it to use the default database.")
    if value[:5].lower() == "file:":
        raise InvalidValue(f"{shown}: SQLite `file:` URIs are not taken; give the file's plain path instead.")
    sqlite_url = bool(_URL.match(value)) and value.lower().startswith("sqlite")
    if sqlite_url:
        path = value.split(":///", 1)[1] if ":///" in value else ""
        if not path or path.split("?")[0] in ("", ":memory:") or "mode=memory" in path:
            raise InvalidValue(f"{shown} is an in-memory database, which keeps nothing once the command ends: give a file path.")
    else:
        path = "" if _URL.match(value) else value
    if "?" in path:
        raise InvalidValue(
            f"{shown} carries URI parameters ({path[path.index('?'):]}), which salescrm does not take: give the plain "
            "path (read commands open a file read-only by themselves)."
        )


def _sqlite(path: Path, explicit: bool) -> DatabaseLocation:
    path = path.expanduser().absolute()
    return DatabaseLocation(f"sqlite:///{path}", path, explicit)
