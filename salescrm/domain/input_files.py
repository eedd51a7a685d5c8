"""Records read from an input file, with bounds: one JSON object, a JSON array or JSON lines.

Nothing is loaded whole. A JSON array is streamed with ijson, one element at a time, and JSON lines are
read line by line, so memory stays flat whatever the file holds (`/dev/zero` included). Three bounds:

- the whole input is at most `SALESCRM_MAX_INPUT_BYTES` (default 2 GiB);
- one line, or one element of an array, at most `SALESCRM_MAX_LINE_BYTES` (default 1 MiB);
- a record nests at most 64 levels (`{"a": [1]}` is two).

Exceeding the byte bounds stops the reading: `InvalidValue` "line N: ..." (exit 2), and a command that
reads stops before writing anything. A record nested too deep is a problem of its own line (the caller
rejects or skips it), and never reaches a recursive parser. In an array, "line N" is its Nth element, as
the leads and their outputs count them.

Callers (`lead add --from-json`, and the imports to come) take `Record`s from `read_records` and write
the ones they refuse to a `rejects.RejectsFile`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from salescrm.errors import InvalidValue

MAX_DEPTH = 64
DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3
DEFAULT_MAX_LINE_BYTES = 1024 ** 2
INPUT_VARIABLE = "SALESCRM_MAX_INPUT_BYTES"
LINE_VARIABLE = "SALESCRM_MAX_LINE_BYTES"
_WHITE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Limits:
    input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    line_bytes: int = DEFAULT_MAX_LINE_BYTES
    depth: int = MAX_DEPTH

    @classmethod
    def from_environment(cls) -> "Limits":
        return cls(_bytes_variable(INPUT_VARIABLE, DEFAULT_MAX_INPUT_BYTES), _bytes_variable(LINE_VARIABLE, DEFAULT_MAX_LINE_BYTES))


def _bytes_variable(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise InvalidValue(f"{name} must be a number of bytes (at least 1), such as {default}; it is {raw!r}.")
    return int(value)


@dataclass
class Record:
    """One line of JSON lines, or one element of an array: its decoded `value`, or the `problem` that
    kept it from being read (then `text` holds the line as given, when there is one)."""

    line: int
    value: object = None
    text: str | None = None
    problem: str | None = None


@contextmanager
def open_input(source: str, what: str, option: str) -> Iterator[BinaryIO]:
    """The bytes of `source`: a file's path, or `-` for standard input. `what` names it in messages
    ("the lead file"), `option` is the option that gave it (`--from-json`)."""
    if source == "-":
        stdin = sys.stdin
        if stdin is None or getattr(stdin, "closed", False):
            raise InvalidValue(f"{option} - reads standard input, which is closed: pipe the data in, or give a file name.")
        yield getattr(stdin, "buffer", stdin)
        return
    try:
        stream = open(source, "rb")
    except OSError as e:
        raise InvalidValue(f"Cannot read {what} {source}: {e.strerror or e}.") from None
    with stream:
        yield stream


def read_records(stream: BinaryIO, limits: Limits, what: str) -> Iterator[Record]:
    """The records of one JSON object, a JSON array of them, or JSON lines (one per line; blank lines
    are skipped). An empty input is refused."""
    source = _Bounded(stream, limits, what)
    first = source.start()
    if not first:
        raise InvalidValue(f"{what.capitalize()} is empty: give one JSON object, an array of objects, or one object per line.")
    if first == b"[":
        yield from _array(source, limits)
    else:
        yield from _lines(source, limits)


class _Bounded:
    """The input as read, counted: it stops at the input bound, and at the line bound for an array's element."""

    def __init__(self, raw: BinaryIO, limits: Limits, what: str):
        self.raw, self.limits, self.what = raw, limits, what
        self.count = 0  # bytes taken from the input so far
        self.line = 1  # the line (or element) being read, for messages
        self.mark: int | None = None  # where the element being read began, at the latest (arrays)
        self.pending = b""  # bytes taken but not yet handed on
        self.over = False  # the input went on past its bound

    def _take(self, data: bytes) -> bytes:
        """`data` as far as the input bound; past it, reading on (`_raw`) is refused, naming the line then read."""
        room = self.limits.input_bytes - self.count
        if len(data) > room:
            data, self.over = data[:room], True
        self.count += len(data)
        return data

    def too_large(self) -> InvalidValue:
        return InvalidValue(f"line {self.line}: the input is longer than {self.limits.input_bytes} bytes "
                            f"({INPUT_VARIABLE}): split it, or raise the limit.")

    def _raw(self, call, n: int) -> bytes:
        if self.over:
            raise self.too_large()
        try:
            return call(n)
        except OSError as e:
            raise InvalidValue(f"Cannot read {self.what}: {e.strerror or e}.") from None

    def start(self) -> bytes:
        """The first byte that is not white space (after a UTF-8 byte-order mark), left unread; b'' at the end."""
        at_start = True
        while True:
            chunk = self._take(self._raw(self.raw.read, 65536))
            if not chunk:
                return b""
            if at_start and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
            at_start = False
            rest = chunk.lstrip(_WHITE)
            self.line += chunk.count(b"\n", 0, len(chunk) - len(rest))
            if rest:
                self.pending = rest
                return rest[:1]

    def too_long(self) -> InvalidValue:
        return InvalidValue(f"line {self.line}: longer than {self.limits.line_bytes} bytes ({LINE_VARIABLE}): "
                            "split the record, or raise the limit.")

    def read(self, n: int) -> bytes:
        """For ijson: at most `n` bytes; refused once the element being read is over the line bound."""
        if self.mark is not None and self.consumed() - self.mark > self.limits.line_bytes:
            raise self.too_long()
        if self.pending:
            data, self.pending = self.pending[:n], self.pending[n:]
            return data
        return self._take(self._raw(self.raw.read, n))

    def consumed(self) -> int:
        """Bytes handed on so far."""
        return self.count - len(self.pending)

    def readline(self) -> bytes:
        """The next line with its newline, or `line_bytes + 1` bytes of a longer one; b'' at the end."""
        limit = self.limits.line_bytes + 1
        if not self.pending:
            data = self._take(self._raw(self.raw.readline, limit))
        else:
            end = self.pending.find(b"\n", 0, limit)
            cut = end + 1 if end >= 0 else min(limit, len(self.pending))
            data, self.pending = self.pending[:cut], self.pending[cut:]
            if end < 0 and len(data) < limit:
                data += self._take(self._raw(self.raw.readline, limit - len(data)))
        if self.over and not self.pending and not data.endswith(b"\n") and len(data) < limit:
            raise self.too_large()  # the bound cut this line
        return data

    def read_upto(self, n: int) -> bytes:
        """Up to `n` more bytes (fewer only at the end of the input)."""
        first, self.pending = self.pending[:n], self.pending[n:]
        parts, size = [first], len(first)
        while size < n:
            chunk = self._take(self._raw(self.raw.read, min(n - size, 65536)))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)


# --- JSON lines -------------------------------------------------------------------------------


def _lines(source: _Bounded, limits: Limits) -> Iterator[Record]:
    number, first = source.line, True
    while True:
        source.line = number
        raw = source.readline()
        if not raw:
            return
        if len(raw) > limits.line_bytes and not raw.endswith(b"\n"):
            raise source.too_long()
        if raw.strip(_WHITE):
            record = _parse(number, raw, limits)
            if first and record.problem and raw.lstrip().startswith(b"{"):
                whole = _one_object(source, raw, number, limits)
                if whole is not None:
                    yield whole
                    return
            first = False
            yield record
        number += 1


def _one_object(source: _Bounded, raw: bytes, number: int, limits: Limits) -> Record | None:
    """The whole input as one object written over several lines (as `json.dump(..., indent=2)` writes
    it), when it is one and fits in a line's bound; else None, and the input reads on as JSON lines."""
    room = limits.line_bytes + 1 - len(raw)
    rest = source.read_upto(room) if room > 0 else b""
    if len(raw) + len(rest) <= limits.line_bytes:
        record = _parse(number, raw + rest, limits)
        if record.problem is None:
            return record
    source.pending = rest + source.pending
    return None


def _parse(number: int, raw: bytes, limits: Limits) -> Record:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return Record(number, text=raw.decode("utf-8", "backslashreplace").rstrip("\r\n"),
                      problem=f"not valid UTF-8 (byte {e.start + 1} of the line).")
    text = text.rstrip("\r\n")
    if _depth_over(text, limits.depth):
        return Record(number, text=text, problem=_too_deep(limits))
    try:
        return Record(number, value=json.loads(text))
    except json.JSONDecodeError as e:
        return Record(number, text=text, problem=f"not valid JSON ({e.msg} at column {e.colno}).")


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _depth_over(text: str, limit: int) -> bool:
    """Whether the JSON text nests deeper than `limit` (checked before any recursive parser sees it)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _too_deep(limits: Limits) -> str:
    return f"JSON nested deeper than {limits.depth} levels; a record is one object of fields."


# --- A JSON array, streamed ---------------------------------------------------------------------


def _array(source: _Bounded, limits: Limits) -> Iterator[Record]:
    """Each element of the top-level array, built from ijson's events (ijson's own `items` keeps a
    prefix per level, which grows with the square of the depth)."""
    import ijson  # only a command that reads an array loads it

    buf_size = max(64, min(65536, limits.line_bytes // 16))  # an element's bound holds to within 1/16
    index, stack, key, skip = 1, [], None, 0
    source.line, source.mark = 1, source.consumed()
    try:
        for event, value in ijson.basic_parse(source, use_float=True, buf_size=buf_size):
            if skip:  # inside an element nested too deep: wait for its end
                skip += 1 if event in ("start_map", "start_array") else -1 if event in ("end_map", "end_array") else 0
                if skip == 1:
                    skip = 0
                    yield Record(index, problem=_too_deep(limits))
                    index, source.line, source.mark = index + 1, index + 1, source.consumed()
                continue
            if event == "map_key":
                key = value
                continue
            if event in ("start_map", "start_array"):
                if len(stack) > limits.depth:  # the array itself is stack[0]
                    skip, stack = len(stack) + 1, stack[:1]  # the element's levels open, plus one
                    continue
                stack.append(({} if event == "start_map" else [], key))
                key = None
                continue
            if event in ("end_map", "end_array"):
                value, key = stack.pop()
                if not stack:
                    continue  # the array's end; ijson refuses anything but white space after it
            if len(stack) == 1:
                yield Record(index, value=value)
                index, source.line, source.mark = index + 1, index + 1, source.consumed()
            elif isinstance(stack[-1][0], dict):
                stack[-1][0][key] = value
            else:
                stack[-1][0].append(value)
    except ijson.JSONError as e:
        raise InvalidValue(f"line {index}: not valid JSON ({_ijson_message(e)}). An array is read as one value, so "
                           "nothing was taken from it: fix it, or give one object per line (JSON lines).") from None


def _ijson_message(error: Exception) -> str:
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = str(text).strip().splitlines()[0] if str(text).strip() else "incomplete"
    return first.removeprefix("parse error: ").removeprefix("lexical error: ")
