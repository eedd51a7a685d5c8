"""Ctrl-C and SIGTERM: the command stops, and nothing it was writing is committed.

Python may deliver a signal's exception where it is swallowed (a weakref callback, a finaliser), so
the handlers also remember the signal, and a write session refuses to commit once one arrived.
"""

from __future__ import annotations

import logging
import signal
import sys
from contextlib import contextmanager

from salescrm.errors import Interrupted

_received: int | None = None
_committed = False
_closing = False


def _handler(signum, _frame) -> None:
    global _received
    _received = signum
    if _closing:
        return  # the command's outcome is decided; the database is being closed
    raise KeyboardInterrupt() if signum == signal.SIGINT else Interrupted()


def install() -> None:
    global _received, _committed
    _received, _committed = None, False
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    sys.unraisablehook = _quiet_about_signals
    if _quiet_after_a_signal not in logging.lastResort.filters:
        logging.lastResort.addFilter(_quiet_after_a_signal)


_DRIVER_LOGGERS = ("psycopg", "sqlalchemy")


def _quiet_after_a_signal(record: logging.LogRecord) -> bool:
    """psycopg and SQLAlchemy's pool log, with tracebacks, that they could not tidy a connection a signal
    broke off ("error ignored terminating ... pipeline aborted", "Exception during reset or similar").
    The person already gets one line saying what happened, and the connection is thrown away unused."""
    return _received is None or not record.name.startswith(_DRIVER_LOGGERS)


def _quiet_about_signals(unraisable) -> None:
    """A signal's exception swallowed in a callback is not lost (check() raises it again): don't print it."""
    if isinstance(unraisable.exc_value, (KeyboardInterrupt, Interrupted)):
        return
    sys.__unraisablehook__(unraisable)


def check() -> None:
    """Raise again for a signal that arrived, even if its first exception was swallowed."""
    if _received is not None:
        raise KeyboardInterrupt() if _received == signal.SIGINT else Interrupted()


def begin_command() -> None:
    """Each command starts with nothing saved yet (tests run many commands in one process)."""
    global _committed, _writing
    _committed, _writing = False, 0


def note_commit() -> None:
    """The command's outermost write transaction committed: its change is saved."""
    global _committed
    _committed = True


def committed() -> bool:
    return _committed


_writing = 0  # write transactions open (a closed pipe does not stop a command inside one: cli/streams.py)


@contextmanager
def write_transaction():
    global _writing
    _writing += 1
    try:
        yield
    finally:
        _writing -= 1


def writing() -> bool:
    return _writing > 0


def outcome() -> str:
    """What to tell the person a signal stopped: whether the command's change was already saved."""
    return "the change was already saved" if _committed else "nothing was saved"


_HELD = {signal.SIGINT, signal.SIGTERM}


def settle() -> None:
    """The command ended and said its outcome: nothing after this may change its exit status.

    CPython quirk: a KeyboardInterrupt that lands while `exec` runs a string (SQLAlchemy and dataclasses
    generate code that way) sets the interpreter's "unhandled KeyboardInterrupt" flag even though the
    CLI catches it, and under `python -m` the process then kills itself with SIGINT at exit (status -2
    instead of 130). Running one string through `exec` resets that flag. Signals from now on are ignored."""
    exec("None")
    for signum in _HELD:
        signal.signal(signum, signal.SIG_IGN)


def hold() -> None:
    """Defer Ctrl-C and SIGTERM while a commit runs, so that it is either not begun or fully done."""
    check()
    signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def release() -> None:
    """Let deferred signals in; one that arrived during the commit is handled now, knowing the outcome."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


@contextmanager
def deferred():
    """Close the database without being cut short: Ctrl-C and SIGTERM are held, then only noted."""
    global _closing
    _closing = True
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a signal held meanwhile is handled now, and noted
        _closing = False
