"""What a database error means to the person using salescrm: a unique rule another writer raced past
(exit 1), a database that cannot be reached, opened or written (exit 3; a full disk said as such by
errors.storage_failure)."""

from __future__ import annotations

from sqlalchemy import exc

from salescrm.errors import DatabaseUnavailable, storage_failure
from salescrm.store.location import DatabaseLocation

# Unique rules the database enforces when two writers race past the domain's own checks.
_CONFLICTS = (
    (("uq_deal_open_name", "deal.name_key"), "Another open deal got this name meanwhile (one deal per revenue-generating event)"),
    (("uq_company_name_key", "company.name_key"), "A company with this name was added meanwhile"),
    (("uq_contact_email_key", "contact.email_key"), "A contact with this email was added meanwhile"),
    (("uq_team_member_name_key", "team_member.name_key"), "A team member with this name was added meanwhile"),
)


def conflict(error: exc.IntegrityError) -> str:
    """What a unique rule the database enforced says to the person: who got there first."""
    text = str(error.orig)
    for needles, message in _CONFLICTS:
        if any(n in text for n in needles):
            return message
    return f"Another change conflicted with this one ({first_line(error.orig)})"


def is_unavailable(error: exc.DBAPIError) -> bool:
    """Connection, locking and file errors, as opposed to errors in what a command asked for."""
    return isinstance(error, exc.OperationalError) or "not a database" in str(error.orig)


def unavailable(location: DatabaseLocation, error: Exception) -> DatabaseUnavailable:
    full = storage_failure(error, f"the database at {location.display}")
    if full is not None:
        return full
    reason = first_line(getattr(error, "orig", None) or error)
    return DatabaseUnavailable(
        f"Cannot use the database at {location.display}: {reason}. "
        "Check the location (--db or SALESCRM_DB) and that it is reachable."
    )


def first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
