"""Cells a spreadsheet would run as formulas (OWASP's advice on CSV injection), both ways.

`export` puts one `'` before a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
(`neutralised`), and `import` removes exactly that one `'` again (`unneutralised`), so that a round trip
keeps the value: an E.164 phone `+34...` and a note `-` included. Standard library only.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """A text cell a spreadsheet would run as a formula, with one `'` before it; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralised(value: str) -> str:
    """`value` without the one `'` that `neutralised` put before a text a spreadsheet would run as a formula."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value
