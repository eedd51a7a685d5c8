"""What the row modules share: a row's result, and a cell's text (rows.py, bulk.py, deal_rows.py, ...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)  # one per row, kept for the report: no __dict__ each
class Result:
    line: int
    action: str
    record_id: int | None = None
    reason: str | None = None
    label: str | None = None  # how the text report names the record


def text(values: dict, name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


def joined(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]
