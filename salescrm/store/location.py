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


def resolve(db: str | None, default_file: str = DEFAULT_FILE) -> DatabaseLocation:
    """The database the command works on. A bare path means a SQLite file."""
    value = db or os.environ.get(ENV_DB) or None
    if value is None:
        return _sqlite(data_dir() / default_file, explicit=False)
    if _URL.match(value):
        if value.lower().startswith("sqlite"):
            path = value.split(":///", 1)[1] if ":///" in value else ""
            if path and path != ":memory:":
                return _sqlite(Path(path), explicit=True)
        return DatabaseLocation(value, None, explicit=True)
    return _sqlite(Path(value), explicit=True)


def _sqlite(path: Path, explicit: bool) -> DatabaseLocation:
    path = path.expanduser().absolute()
    return DatabaseLocation(f"sqlite:///{path}", path, explicit)
