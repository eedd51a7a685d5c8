"""Rejected records: the file that keeps every one with its reason, and the few a message shows.

`RejectsFile` is what `--rejects FILE` writes. It is created with mode 0600 and exclusively
(`O_CREAT | O_EXCL`): a file that exists, a dangling symbolic link included, is refused before
anything is read or written, so that no earlier file is ever overwritten. For JSON input it holds JSON
lines, one per rejected record, in the order read:

    {"line": 3, "reason": "email: Email 'x' is not valid: ...", "record": {"first_name": "Pia", ...}}
    {"line": 6, "reason": "json: not valid JSON (...)", "text": "{\"first_name\": \"Broken\","}

`record` is the value as given; `text` replaces it for a line that could not be read as JSON. The file
is ASCII (other characters as JSON `\\u` escapes), so that printing it cannot drive a terminal. A command
keeps the file only when it read its whole input (`keep`); one that stopped early (a bound exceeded, a
broken array, an interrupt) removes it (`discard`), since it would list only part of the rejects.

`Tally` keeps the first `SHOWN` rejects for a message and counts the rest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from salescrm.errors import InvalidValue

SHOWN = 20  # rejects a message lists; the rest are counted (and all are in the rejects file)
SHOWN_REASON = 300  # characters of a reason a message shows (the file keeps it whole)


class RejectsFile:
    def __init__(self, path: str, option: str = "--rejects", *, binary: bool = False, encoding: str = "ascii"):
        """`binary`, `encoding`: for a file in another format (an import's rejects are in its input's)."""
        self.path, self.option, self.count, self.kept = path, option, 0, False
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            raise InvalidValue(f"{path} already exists, and {option} never overwrites a file: give a new file name.") from None
        except OSError as e:
            raise InvalidValue(f"Cannot create {path} ({option}): {e.strerror or e}.") from None
        os.fchmod(fd, 0o600)  # whatever the umask
        self._stream = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline="")

    def write(self, line: int, reason: str, *, value: object = None, text: str | None = None) -> None:
        entry = {"line": line, "reason": reason}
        entry.update({"text": text} if text is not None else {"record": value})
        self._guard(lambda: self._stream.write(json.dumps(entry, ensure_ascii=True) + "\n"))
        self.count += 1

    def keep(self) -> None:
        """The input was read to its end: the file is complete; flushed to disk before the command commits."""
        def finish():
            self._stream.flush()
            os.fsync(self._stream.fileno())
            self._stream.close()

        self._guard(finish)
        self.kept = True

    def discard(self) -> None:
        """The command stopped before the end of its input: remove the partial file (it was made by us)."""
        try:
            self._stream.close()
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def discard_unless_kept(self) -> None:
        if not self.kept:
            self.discard()

    def _guard(self, action) -> None:
        try:
            action()
        except OSError as e:
            self.discard()
            raise InvalidValue(f"Cannot write {self.path} ({self.option}): {e.strerror or e}. Nothing was saved.") from None


@dataclass
class Tally:
    """The first rejects, for a message, and how many there were in all."""

    shown: list[tuple[int, str]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append((line, reason if len(reason) <= SHOWN_REASON else reason[: SHOWN_REASON - 1] + "…"))

    @property
    def more(self) -> int:
        return self.count - len(self.shown)
