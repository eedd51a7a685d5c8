"""Who is acting: env SALESCRM_USER, else the operating-system login name."""

from __future__ import annotations

import getpass
import os

from sqlmodel import Session

ENV_USER = "SALESCRM_USER"


def current_user() -> str:
    from salescrm.domain.values import plain_text

    name = plain_text(os.environ.get(ENV_USER, ""), f"${ENV_USER}", name=True).strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def actor_of(session: Session) -> str:
    """The acting user recorded with a write session (see store.engine.write_session)."""
    return session.info.get("actor") or current_user()
