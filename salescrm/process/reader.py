"""The typed look-ups a process file's reader is built on: each notes a problem with its key path and goes
on, so that every problem of a file is found in one pass (load.py reads the file's tables with them)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(eq=False)
class Problem:
    path: str  # the TOML key path; "" for the whole file
    message: str
    line: int | None = None  # where the text shows it, when known


def quoted(key: str) -> str:
    """A key as key paths write it: bare when it can be, else in double quotes."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Reader:
    """Look-ups in parsed tables, noting each problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def get(self, table: dict, key: str, path: str, kind: type | tuple, default=..., what: str = ""):
        joined = f"{path}.{key}" if path else key
        if key not in table:
            if default is ...:
                self.fail(joined, f"missing: {what or 'required'}")
            return None if default is ... else default
        value = table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = {str: "a text", int: "a whole number", bool: "true or false", list: "an array", dict: "a table"}
            wanted = " or ".join(names[k] for k in (kind if isinstance(kind, tuple) else (kind,)))
            self.fail(joined, f"must be {wanted}, not {value!r}")
            return None if default is ... else default
        return value

    def texts(self, table: dict, key: str, path: str, default=...) -> tuple[str, ...]:
        values = self.get(table, key, path, list, default)
        if values is None:
            return ()
        good = []
        for i, v in enumerate(values):
            if isinstance(v, str) and v.strip():
                good.append(v)
            else:
                self.fail(f"{path}.{key}[{i}]", f"must be a text, not {v!r}")
        if len(set(good)) != len(good):
            self.fail(f"{path}.{key}", "lists a value twice")
        return tuple(good)

    def mapping(self, table: dict, key: str, path: str, keys, values, default=...) -> tuple[tuple[str, object], ...]:
        """A table whose keys are among `keys` and whose values among `values` (None: any text / int)."""
        found = self.get(table, key, path, dict, default)
        if not found:
            return ()
        pairs = []
        for k, v in found.items():
            where = f"{path}.{key}.{quoted(k)}"
            if keys is not None and k not in keys:
                self.fail(where, f"'{k}' is not one of {', '.join(keys)}")
            elif values is int and (not isinstance(v, int) or isinstance(v, bool)):
                self.fail(where, f"must be a whole number, not {v!r}")
            elif values is not int and values is not None and v not in values:
                self.fail(where, f"'{v}' is not one of {', '.join(values)}")
            elif values is None and not isinstance(v, str):
                self.fail(where, f"must be a text, not {v!r}")
            else:
                pairs.append((k, v))
        return tuple(pairs)

    def only(self, table: dict, path: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                self.fail(f"{path}.{quoted(key)}" if path else quoted(key),
                          f"unknown key '{key}': known keys here are {', '.join(allowed)}")

    def one_of(self, value, allowed, path: str, what: str) -> bool:
        if value is not None and value not in allowed:
            self.fail(path, f"{what} '{value}' is not declared: choose one of {', '.join(allowed)}")
            return False
        return True
