"""Writing a command's output to a file the user names (`--output FILE`): a new file, readable by its owner
only, that takes its name only once complete, so that a failed or interrupted command leaves no half
file, and an existing file is replaced only with `--force` (`export`, `contact export-data`).
"""

from __future__ import annotations

import os
import sys
import typer


class Destination:
    """Where an export goes: stdout, or a new private file that takes its name only once complete."""

    def __init__(self, target: Optional[Path], force: bool, binary: bool):
        self.target, self.force, self.binary, self.temporary, self.stream = target, force, binary, None, None
        if target is None:
            return
        from salescrm.errors import InvalidValue, Refused

        if target.is_dir():
            raise InvalidValue(f"{target} is a directory: give --output a file name.")
        if os.path.lexists(target) and not force:
            raise Refused(f"{target} already exists: pass --force to replace it, or give another --output.")
        if not target.parent.is_dir():
            raise InvalidValue(f"No directory {target.parent} for {target}; create it first.")

    def __enter__(self):
        if self.target is None:
            return sys.stdout.buffer if self.binary else sys.stdout
        import secrets

        self.temporary = self.target.with_name(f".{self.target.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(self.temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        self.stream = os.fdopen(fd, "wb") if self.binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.stream

    def __exit__(self, kind, error, trace):
        if self.stream is None or kind is not None:
            return False
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        if self.force:
            os.replace(self.temporary, self.target)
        else:
            os.link(self.temporary, self.target)  # never over a file that appeared meanwhile
            os.unlink(self.temporary)
        self.temporary = None
        return False

    def discard(self) -> None:
        if self.temporary is not None:
            try:
                self.stream.close()
                os.unlink(self.temporary)
            except OSError:
                pass


def output_option():
    return typer.Option(None, "--output", "-o", metavar="FILE",
                        help="Write to this new file (readable by you only) instead of stdout.")


def force_option():
    return typer.Option(False, "--force", help="Replace --output when it exists.")
