"""Where the database is: `--db PATH_OR_URL`, else env SALESCRM_DB, else the user data directory.

Standard library and platformdirs only: this runs before any command decides it needs SQLAlchemy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ENV_DB = "SALESCRM_DB"
ENV_DATA_DIR = "SALESCRM_DATA_DIR"
ENV_STATE_DIR = "SALESCRM_STATE_DIR"
DEFAULT_FILE = "salescrm.db"
DEMO_FILE = "demo.db"

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


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
        """The location as it may be shown to a person: never with a password."""
        if self.path is not None:
            return str(self.path)
        return hide_password(self.url)


def hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


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
    _check(value, source)
    if _URL.match(value):
        if value.lower().startswith("sqlite"):
            return _sqlite(Path(value.split(":///", 1)[1]), explicit=True)
        return DatabaseLocation(value, None, explicit=True)
    return _sqlite(Path(value), explicit=True)


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
