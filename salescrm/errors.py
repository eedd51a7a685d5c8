"""The domain's errors, each carrying the exit code the CLI maps it to.

Exit codes (documented in `salescrm --help` and docs/cli.md):
  0 done; 1 refused by a rule of the process, or record not found;
  2 invalid usage or value; 3 database unreachable; 130 interrupted; 143 terminated.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INVALID = 2
EXIT_DATABASE = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 refused by a rule of the process or record not found; "
    "2 invalid usage or value; 3 database cannot be reached or opened; "
    "130 interrupted; 143 terminated."
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
        super().__init__(
            f"Missing required value{'s' if several else ''}: {fields}. "
            f"Pass {'them as options' if several else 'it as an option'}, or run on a terminal to be asked."
        )


class DatabaseUnavailable(SalesCrmError):
    """The database cannot be reached, opened or used at its schema revision."""

    exit_code = EXIT_DATABASE


class Interrupted(SystemExit):
    """Raised by the SIGTERM handler so that open transactions roll back on the way out.

    A SystemExit, because an event loop (prompt_toolkit's, under a prompt) passes only SystemExit and
    KeyboardInterrupt through: any other exception it shows and waits for ENTER. Exit code 143 if it
    ever got past the CLI's one error-mapping place."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)
