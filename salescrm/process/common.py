"""What every process shares: the CRM's own vocabulary, which no process file changes.

Activity types and directions, task kinds, lead channels and the words read as yes, no or "not met" are
salescrm's, not a sales procedure's; the rules common to every process (company naming, date sanity, the
closing of a final deal's tasks) stay in the domain's code.
"""

from __future__ import annotations

import re


def slugify(text: str) -> str:
    """A name as a slug: `Offer Sent` -> `offer-sent` (a stage, a pipeline)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- Activities and tasks (SP-009-001: "we log all activity (emails, messages...)") ---------

ACTIVITY_TYPES = ("call", "email", "meeting", "message", "note")  # message: LinkedIn, WhatsApp...
ACTIVITY_NOTE = "note"
OUTBOUND = "outbound"  # we initiated it
INBOUND = "inbound"  # the contact initiated it
DIRECTIONS = (OUTBOUND, INBOUND)

TASK = "task"
FOLLOW_UP = "follow-up"  # the automatic call after a new lead (one per company while open)
# The implementation article: "registration of the lead + 1 hour".
FOLLOW_UP_DELAY = "1h"
# When a deal becomes final, the open tasks linked to it that were created before the move are
# closed, marked with why (a task closed by hand has none).
CLOSED_AS_WON = "deal won"
CLOSED_AS_LOST = "deal lost"

# Where a lead came from (`lead add --channel`), and the activity a repeat lead is logged as.
LEAD_CHANNELS = ("web-form", "phone", "email", "event", "referral", "linkedin")
ACTIVITY_TYPE_BY_CHANNEL = {
    "web-form": "message",
    "phone": "call",
    "email": "email",
    "event": "meeting",
    "referral": "message",
    "linkedin": "message",
}

# --- Values --------------------------------------------------------------------------

YES_WORDS = ("yes", "y", "true")
NO_WORDS = ("no", "n", "false")
UNMET_NOTES = ("", "no", "none", "-")
