"""Where a key path (`pipelines[0].stages[3].gate[1].kind`) shows in a process file's text.

tomllib gives lines only for syntax errors, and its values carry no positions, so `process check`
scans the text (already known to be valid TOML) once, noting the line of every key, table header and
array element under its key path. A path not found itself is placed at its nearest enclosing one
(a missing key: the line of its table). Standard library only.
"""

from __future__ import annotations

import re

from salescrm.process.reader import quoted

_BARE = re.compile(r"[A-Za-z0-9_-]+")

def join(path: str, key: str) -> str:
    return f"{path}.{quoted(key)}" if path else quoted(key)


class _Scanner:
    def __init__(self, text: str):
        self.s, self.i, self.lines = text, 0, {}
        self.counts: dict[str, int] = {}

    def line(self) -> int:
        return self.s.count("\n", 0, self.i) + 1

    def note(self, path: str, line: int | None = None) -> None:
        self.lines.setdefault(path, line or self.line())

    def skip(self, newlines: bool = True) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            else:
                return

    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip(False)
            c = self.s[self.i]
            if c in "\"'":
                parts.append(self.string())
            else:
                m = _BARE.match(self.s, self.i)
                parts.append(m.group())
                self.i = m.end()
            self.skip(False)
            if self.i < len(self.s) and self.s[self.i] == ".":
                self.i += 1
                continue
            return parts

    def string(self) -> str:
        q = self.s[self.i]
        if self.s.startswith(q * 3, self.i):
            end = self.s.index(q * 3, self.i + 3)
            while self.s.startswith(q, end + 3):  # up to two quotes may end a multi-line string's text
                end += 1
            raw, self.i = self.s[self.i + 3:end], end + 3
            return raw
        j = self.i + 1
        while self.s[j] != q:
            j += 2 if q == '"' and self.s[j] == "\\" else 1
        raw, self.i = self.s[self.i + 1:j], j + 1
        if q == '"':
            raw = re.sub(r'\\(["\\])', r"\1", raw)
        return raw

    def value(self, path: str) -> None:
        self.skip(False)
        c = self.s[self.i]
        if c in "\"'":
            self.string()
        elif c == "[":
            self.i += 1
            n = 0
            while True:
                self.skip()
                if self.s[self.i] == "]":
                    self.i += 1
                    return
                self.note(f"{path}[{n}]")
                self.value(f"{path}[{n}]")
                n += 1
                self.skip()
                if self.s[self.i] == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self.skip()
                if self.s[self.i] == "}":
                    self.i += 1
                    return
                self.pair(path)
                self.skip()
                if self.s[self.i] == ",":
                    self.i += 1
        else:
            m = re.compile(r"[^,\]}\s#]+").match(self.s, self.i)
            self.i = m.end()

    def pair(self, table: str) -> None:
        line = self.line()
        path = table
        for part in self.key():
            path = join(path, part)
            self.note(path, line)
        self.skip(False)
        self.i += 1  # "="
        self.value(path)

    def header(self) -> str:
        line = self.line()
        array = self.s.startswith("[[", self.i)
        self.i += 2 if array else 1
        parts = self.key()
        self.i += 2 if array else 1
        path = ""
        for n, part in enumerate(parts):
            path = join(path, part)
            if n < len(parts) - 1 and path in self.counts:  # a key of the latest element of an array of tables
                path = f"{path}[{self.counts[path] - 1}]"
        if array:
            self.counts[path] = self.counts.get(path, 0) + 1
            self.note(path, line)
            path = f"{path}[{self.counts[path] - 1}]"
        self.note(path, line)
        return path

    def scan(self) -> dict[str, int]:
        table = ""
        while True:
            self.skip()
            if self.i >= len(self.s):
                return self.lines
            if self.s[self.i] == "[":
                table = self.header()
            else:
                self.pair(table)


def lines_of(text: str) -> dict[str, int]:
    """Every key path of a valid TOML text, with the line it starts on."""
    return _Scanner(text).scan()


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest enclosing path found (a missing key: its table's line)."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
