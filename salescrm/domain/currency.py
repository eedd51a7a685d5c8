"""Money has a currency: the database has one, and each deal carries its own.

The database's currency is its `setting` row `currency` (ISO 4217): EUR on every database the
migration met or made, or what `salescrm init --currency` said. A new deal takes it unless given
another (`deal create --currency`). Amounts of different currencies are never added together: totals
are grouped by currency (`by_currency`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from salescrm.errors import InvalidValue, Refused
from salescrm.store.models import Deal, Setting

DEFAULT = "EUR"
KEY = "currency"


def parse_currency(value: str, label: str = "--currency") -> str:
    """An ISO 4217 code in any case (`usd`) to its stored form (`USD`)."""
    import pycountry  # its data loads on first look-up; most commands never need it

    code = str(value).strip().upper()
    if len(code) == 3 and code.isalpha() and pycountry.currencies.get(alpha_3=code) is not None:
        return code
    raise InvalidValue(f"{label} '{value}' is not an ISO 4217 currency code: give one such as EUR, USD, GBP or CHF.")


def database_currency(session: Session) -> str:
    """The database's currency (EUR when the setting is missing)."""
    row = session.get(Setting, KEY)
    return row.value if row is not None else DEFAULT


def set_database_currency(session: Session, value: str) -> str:
    """Set the database's currency; refused once any deal exists, since their amounts were given in the old one."""
    code = parse_currency(value)
    row = session.get(Setting, KEY)
    if row is not None and row.value == code:
        return code
    if session.exec(select(Deal.id).limit(1)).first() is not None:
        current = row.value if row is not None else DEFAULT
        raise Refused(
            f"The database's currency is {current} and it already holds deals, whose amounts are in it; "
            f"it cannot change to {code}. Give a deal another currency with `salescrm deal edit DEAL --currency {code}`."
        )
    if row is None:
        session.add(Setting(key=KEY, value=code))
    else:
        row.value = code
        session.add(row)
    return code


def ordered(currencies: Iterable[str], first: str) -> list[str]:
    """Currencies in the order reports list them: the database's first, then the others alphabetically."""
    found = set(currencies)
    return ([first] if first in found else []) + sorted(found - {first})
