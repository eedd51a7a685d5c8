"""The domain's errors, each carrying the exit code the CLI maps it to.

Exit codes (documented in `salescrm --help` and docs/cli.md):
  0 done; 1 refused by a rule of the process, or record not found;
  2 invalid usage or value; 3 the database cannot be reached, opened or written;
  4 the change was saved, but its output could not be written; 130 interrupted; 143 terminated.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INVALID = 2
EXIT_DATABASE = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 refused by a rule of the process or record not found; "
    "2 invalid usage or value; 3 the database cannot be reached, opened or written; "
    "4 the change was saved, but its output could not be written; 130 interrupted; 143 terminated."
)


class SalesCrmError(Exception):
    """Base of every error the CLI turns into a message and an exit code."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(SalesCrmError):
    """A referenced record does not exist (or a name matches none or several)."""


class Refused(SalesCrmError):
    """A well-formed request that a rule of the process does not allow."""


class GateNotMet(Refused):
    """Moving into a stage without the values its gate requires."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class StaleRecord(Refused):
    """The record changed between reading it and writing (another rep got there first)."""


class InvalidValue(SalesCrmError):
    """A value that is malformed or not one of its allowed choices."""

    exit_code = EXIT_INVALID


class MissingValues(InvalidValue):
    """Required values not given, off a terminal where nobody can be asked."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing
        fields = "; ".join(f"{label} ({option})" for label, option in missing)
        several = len(missing) > 1
        if any(option.startswith("the ") for _, option in missing):  # an argument ("the DEAL argument")
            how = f"Give {'them' if several else 'it'} on the command line"
        else:
            how = f"Pass {'them as options' if several else 'it as an option'}"
        super().__init__(
            f"Missing required value{'s' if several else ''}: {fields}. {how}, or run on a terminal to be asked."
        )


class DatabaseUnavailable(SalesCrmError):
    """The database cannot be reached, opened or used at its schema revision."""

    exit_code = EXIT_DATABASE


# --- The disk under the database ----------------------------------------------------------
#
# SQLite says "database or disk is full" (SQLITE_FULL) or "disk I/O error" (SQLITE_IOERR and its
# extended codes); PostgreSQL says SQLSTATE 53100 disk_full or 58030 io_error; a file written by
# salescrm itself (a backup) raises OSError ENOSPC, EDQUOT or EIO. A full disk met inside a savepoint
# can make SQLite roll the whole transaction back, and the savepoint's own rollback then fails with
# "no such savepoint": the cause is then found further down the exception's context.

_SQLITE_FULL, _SQLITE_IOERR = 13, 10
_DISK_FULL = "the disk that holds it is full"
_IO_ERROR = "the disk that holds it reported an I/O error"
_SQLSTATES = {"53100": _DISK_FULL, "58030": _IO_ERROR}


def storage_fault(error: BaseException | None) -> str | None:
    """What the disk did, when `error` (a driver's error, SQLAlchemy's wrapping of one, an OSError, or
    an error whose context is one of these) comes from a full or failing disk; else None."""
    import errno

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for candidate in (error, getattr(error, "orig", None)):
            if candidate is None:
                continue
            code = getattr(candidate, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in (_SQLITE_FULL, _SQLITE_IOERR):
                return _DISK_FULL if code & 0xFF == _SQLITE_FULL else _IO_ERROR
            state = getattr(candidate, "sqlstate", None)
            if state in _SQLSTATES:
                return _SQLSTATES[state]
            if isinstance(candidate, OSError) and candidate.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
                return _IO_ERROR if candidate.errno == errno.EIO else _DISK_FULL
            text = str(candidate)
            if "database or disk is full" in text:
                return _DISK_FULL
            if "disk I/O error" in text:
                return _IO_ERROR
        error = error.__cause__ or error.__context__
    return None


def storage_failure(error: BaseException, what: str, outcome: str = "nothing was saved") -> DatabaseUnavailable | None:
    """The one message for a full or failing disk (exit 3), naming the cause; None for any other error.

    `what` names what could not be written ("the database at crm.db", "the backup crm.bak"), `outcome`
    what that means for the command. The database's own message is not repeated: it is the cause."""
    cause = storage_fault(error)
    if cause is None:
        return None
    return DatabaseUnavailable(f"Cannot write {what}: {cause}; {outcome}. Free space on that disk (or check it), "
                               "then run the command again.")


class Interrupted(SystemExit):
    """Raised by the SIGTERM handler so that open transactions roll back on the way out.

    A SystemExit, because an event loop (prompt_toolkit's, under a prompt) passes only SystemExit and
    KeyboardInterrupt through: any other exception it shows and waits for ENTER. Exit code 143 if it
    ever got past the CLI's one error-mapping place."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)
