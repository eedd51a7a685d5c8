"""Ctrl-C and SIGTERM: the command stops, and nothing it was writing is committed.

Python may deliver a signal's exception where it is swallowed (a weakref callback, a finaliser), so
the handlers also remember the signal, and a write session refuses to commit once one arrived.
"""

from __future__ import annotations

import signal

from salescrm.errors import Interrupted

_received: int | None = None
_committed = False


def _handler(signum, _frame) -> None:
    global _received
    _received = signum
    raise KeyboardInterrupt() if signum == signal.SIGINT else Interrupted()


def install() -> None:
    global _received, _committed
    _received, _committed = None, False
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def check() -> None:
    """Raise again for a signal that arrived, even if its first exception was swallowed."""
    if _received is not None:
        raise KeyboardInterrupt() if _received == signal.SIGINT else Interrupted()


def begin_command() -> None:
    """Each command starts with nothing saved yet (tests run many commands in one process)."""
    global _committed
    _committed = False


def note_commit() -> None:
    global _committed
    _committed = True


def outcome() -> str:
    """What to tell the person a signal stopped: whether the command's change was already saved."""
    return "the change was already saved" if _committed else "nothing was saved"
