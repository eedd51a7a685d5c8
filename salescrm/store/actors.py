"""Who is acting: the user a write session was opened for (store.engine.write_session), else env
SALESCRM_USER, else the operating-system login name.

In the store, not the domain: the store records the actor with every journal row, and migration 0005
writes its baseline rows under it.
"""

from __future__ import annotations

import getpass
import os

from sqlmodel import Session

ENV_USER = "SALESCRM_USER"


def current_user() -> str:
    """The acting user, as every record and journal row stores it (refused, exit 2, when it cannot be)."""
    from salescrm.store.models import JournalEntry, size
    from salescrm.typed_text import clean_text

    name = os.environ.get(ENV_USER, "").strip()
    label = f"${ENV_USER}"
    if not name:
        try:
            name, label = getpass.getuser(), "The login name"
        except (KeyError, OSError):
            return f"uid:{os.getuid()}"
    return clean_text(name, label, max_length=size(JournalEntry.actor), name=True)


def actor_of(session: Session) -> str:
    """The acting user recorded with a write session (see store.engine.write_session)."""
    return session.info.get("actor") or current_user()
