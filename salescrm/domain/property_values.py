"""A declared property's value, parsed by its type when it is set (`--set KEY=VALUE`), to the form stored.

The types a process file declares (docs/processes.md) other than `contact` and `member`, which name a
record and are read with a session by domain/gates.py. Pure functions: no session, no printing. A
malformed value raises InvalidValue (exit 2) saying what to type instead, with the choices of a choice.

Stored forms: yes/no `yes` or `no`; a date ISO; a choice as declared; a multi-choice as its choices in
the file's order joined by ", "; a number and an amount of money as a plain decimal (`12`, `2.5`; money
in the database's currency, with at most two decimals); a text or note trimmed.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from salescrm.domain.values import amount_units, parse_amount, parse_choice, parse_date, parse_past_date, parse_yes_no
from salescrm.errors import InvalidValue
from salescrm.process.model import MULTI_SEPARATOR, Property
from salescrm.typed_text import clean_text

MAX_VALUE = 2000  # gate_value.value, company_property.value and contact_property.value hold this many characters
_NUMBER = r"\d{1,15}(?:\.\d{1,6})?"


def parse_property(prop: Property, raw: str, today: date | None = None) -> str | None:
    """`raw` as `prop` stores it; None for an empty text (nothing to store)."""
    label = f"--set {prop.key}"
    kind = prop.type
    if kind == "yes/no":
        return "yes" if parse_yes_no(raw, label) else "no"
    if kind == "date":
        return (parse_past_date(raw, label, today) if prop.past else parse_date(raw, label)).isoformat()
    if kind in ("choice", "ordered choice"):
        return parse_choice(raw, prop.choices, prop.key.replace("_", " ").capitalize())
    if kind == "multi-choice":
        return parse_choices(prop, raw)
    if kind == "number":
        return parse_number(raw, label)
    if kind == "money":
        return str(amount_units(parse_amount(raw, label)))
    if kind in ("text", "note"):
        return clean_text(raw, label, required=False, lines=kind == "note", max_length=MAX_VALUE)
    raise InvalidValue(f"{label} is a {kind}, which names a record: give it at the deal's gate.")


def parse_choices(prop: Property, raw: str) -> str:
    """One or more of a multi-choice's choices, separated by commas, in any case and order."""
    picked = {parse_choice(part.strip(), prop.choices, prop.key.replace("_", " ").capitalize())
              for part in str(raw).split(",") if part.strip()}
    if not picked:
        raise InvalidValue(f"--set {prop.key} names none of its choices: give one or more of "
                           f"{', '.join(prop.choices)}, separated by commas.")
    return MULTI_SEPARATOR.join(c for c in prop.choices if c in picked)


def parse_number(raw: str, label: str) -> str:
    """A number of things (`12`, `2.5`): not negative, stored without trailing zeros."""
    text = str(raw).strip()
    if not re.fullmatch(_NUMBER, text):
        if text.startswith("-"):
            raise InvalidValue(f"{label} cannot be negative: give 0 or more, e.g. 12.")
        raise InvalidValue(f"{label} '{raw}' is not a number: give digits, e.g. 12 or 2.5.")
    return format(Decimal(text).normalize(), "f")
