"""stdout and stderr that cannot be written: what the command did to the database decides its outcome.

The real program (`main()`) puts a guard around each of them. A write that fails (EBADF: closed with
`>&-`; ENOSPC: `>/dev/full`; EIO) never stops the command nor rolls its change back: the failure is noted,
the stream's descriptor is pointed at /dev/null (so that nothing more fails, at exit either), and the
command ends with exit 4, "the change was saved, but its output could not be written", said on stderr
when stderr still works (`finish`). A closed pipe (EPIPE: `| head -1`) is the reader having read enough:
it stops a command that is not inside its write transaction at once (exit 0), and inside one lets the
command commit (exit 0). A descriptor closed before the program started is given /dev/null first, so
that no file the command opens takes its number.

Standard library only: `salescrm --help` imports this.
"""

from __future__ import annotations

import errno
import os
import sys

from salescrm import interrupts

_failed: dict[str, OSError] = {}  # stream name -> the first error writing it ("stdout", "stderr")


class OutputClosed(Exception):
    """The reader of stdout went away. Not an OSError: rich (`Console.on_broken_pipe`) and Typer's bundled
    Click turn a BrokenPipeError into exit 1; this one reaches the CLI's own handlers, which exit 0."""


class Guarded:
    """A text stream whose write and flush failures are noted instead of raised (but a closed pipe's)."""

    def __init__(self, name: str, stream, fd: int, broken: OSError | None = None):
        self._name, self._stream, self._fd = name, stream, fd
        self._dead = False
        self._broken = broken  # closed before the program started: its first write is the failure

    def write(self, text: str) -> int:
        if not self._dead:
            if self._broken is not None:
                self._fail(self._broken)
            else:
                try:
                    return self._stream.write(text)
                except OSError as e:
                    self._fail(e)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._dead or self._broken is not None:
            return
        try:
            self._stream.flush()
        except OSError as e:
            self._fail(e)

    def _fail(self, error: OSError) -> None:
        self._dead = True
        _silence(self._fd)
        if error.errno == errno.EPIPE:
            if self._name == "stdout" and not interrupts.writing():
                raise OutputClosed() from None
            return
        _failed.setdefault(self._name, error)

    def __getattr__(self, name):  # isatty, fileno, encoding, buffer, ...: the stream's own
        return getattr(self._stream, name)


def _silence(fd: int) -> None:
    """Point `fd` at /dev/null: what the stream still buffers goes there when Python flushes it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)
    except OSError:
        pass


def install() -> None:
    """Guard stdout and stderr; give a descriptor 0, 1 or 2 closed at start /dev/null."""
    _failed.clear()
    for fd in (0, 1, 2):
        closed = _closed(fd)
        if closed:
            _silence(fd)
        if fd == 0:
            continue  # stdin stays as Python found it (None when closed): reading it says so
        name = "stdout" if fd == 1 else "stderr"
        stream = getattr(sys, name)
        if isinstance(stream, Guarded):
            stream = stream._stream
        if stream is None or closed:
            stream = open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
            setattr(sys, name, Guarded(name, stream, fd, OSError(errno.EBADF, os.strerror(errno.EBADF))))
        else:
            setattr(sys, name, Guarded(name, stream, fd))


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
        return False
    except OSError:
        return True


def finish(code: int) -> int:
    """The exit code once the command ended with `code`: 4 instead of 0 when its output could not be written."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, OutputClosed):  # a closed pipe: the reader has what it wanted
                pass
    if code != 0 or not _failed:
        return code
    from salescrm.errors import EXIT_OUTPUT

    said = "; ".join(f"{name}: {error.strerror or error}" for name, error in _failed.items())
    if interrupts.committed():
        message = f"The change was saved, but its output could not be written ({said})."
    else:
        message = f"The output could not be written ({said}); nothing was changed."
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    return EXIT_OUTPUT
