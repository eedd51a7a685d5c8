"""Parsing and checking the values people type: text, amounts, dates, choices, contact details.

Each parser returns the stored form or raises InvalidValue (exit 2) with a message
that says what to type instead. Pure functions: no session, no printing.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable

from salescrm import process
from salescrm.errors import InvalidValue
from salescrm.typed_text import clean_text

# An amount: digits, optionally grouped by three with one kind of thousands separator (a comma, a space,
# a no-break space U+00A0 or a narrow no-break space U+202F), and optionally a point with one or two
# decimals: 12000, 12,000, 12 000, 12,000.50, 12000.5.
# Patterns are compiled when first used (re's own cache), not at import: each costs start-up time.
_AMOUNT = r"^(?:\d+|\d{1,3}(?P<sep>[, \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*)(?:\.\d{1,2})?$"
_SEPARATORS = str.maketrans("", "", ", \u00a0\u202f")
# Either a thousands point or a decimal comma (12.000, 12,50): what was meant cannot be told.
_AMBIGUOUS = r"\.\d{3}(?!\d)|,\d{1,2}(?!\d)"


def clean_name(value: str | None, label: str, max_length: int) -> str:
    """A name records are found by (at most `max_length`, its column's size): digits alone would be read as an
    id, so they are refused."""
    from salescrm.domain.naming import name_key

    name = clean_text(value, label, max_length=max_length, name=True)
    if name.isdigit():
        raise InvalidValue(f"{label} '{name}' is only digits, which salescrm reads as an id; add a word to it.")
    check_key_length(name_key(name), label, max_length)
    return name


def check_key_length(key: str, label: str, max_length: int) -> None:
    """Comparison keys expand some characters (ß to ss, ligatures to several letters): keep them storable."""
    if len(key) > max_length:
        raise InvalidValue(f"{label} is too long once normalised for comparison ({len(key)} characters; the limit is {max_length}).")


def parse_amount(value: str | int | float | Decimal, label: str = "Amount") -> int:
    """An amount in currency units (`12000`, `12,000`, `12 000`, `12000.50`) to cents."""
    text = str(value).strip()
    if not re.match(_AMOUNT, text):
        if text.startswith("-"):
            raise InvalidValue(f"{label} cannot be negative: give 0 or more, e.g. 12000.")
        if re.search(_AMBIGUOUS, text):
            raise InvalidValue(
                f"{label} '{value}' is ambiguous: write 12000 (twelve thousand) or 12.00 (twelve)."
            )
        raise InvalidValue(
            f"{label} '{value}' is not an amount: give digits, e.g. 12000, 12,000 or 12000.50."
        )
    try:
        cents = int(Decimal(text.translate(_SEPARATORS)) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        raise InvalidValue(f"{label} '{value}' is not an amount.") from None
    if cents >= 10**15:
        raise InvalidValue(f"{label} '{value}' is too large.")
    return cents


def amount_units(cents: int) -> int | float:
    """Cents to the currency units shown in output and JSON (an int when whole)."""
    return cents // 100 if cents % 100 == 0 else cents / 100


# The days salescrm takes (and the times, in UTC): both backends and Python's own dates hold them, and a
# day before or after still has a neighbour to compute with (the day after, the local midnight).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 31)


def check_day(day: date, label: str, value: object = None) -> date:
    """`day` when it lies within FIRST_DAY..LAST_DAY; else InvalidValue naming the range."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise out_of_range(label, day.isoformat() if value is None else value)
    return day


def out_of_range(label: str, value: object) -> InvalidValue:
    return InvalidValue(f"{label} '{value}' is out of range: give a date from {FIRST_DAY.isoformat()} to "
                        f"{LAST_DAY.isoformat()}.")


def parse_date(value: str, label: str) -> date:
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidValue(f"{label} '{value}' is not a date: give it as YYYY-MM-DD, e.g. 2026-11-02.") from None
    return check_day(day, label, value)


def parse_past_date(value: str, label: str, today: date | None = None) -> date:
    """A date recording what already happened (gate dates): the future is refused."""
    day = parse_date(value, label)
    today = today or date.today()
    if day > today:
        raise InvalidValue(
            f"{label} {day.isoformat()} is in the future; it records what already happened, so give a date up to {today.isoformat()}."
        )
    return day


def parse_yes_no(value: str, label: str) -> bool:
    word = str(value).strip().lower()
    if word in process.YES_WORDS:
        return True
    if word in process.NO_WORDS:
        return False
    raise InvalidValue(f"{label} '{value}' is neither yes nor no: give yes, y, true, no, n or false.")


def note_met(value: str | None) -> bool:
    """A BANT note counts as met when it is not empty and not `no`, `none` or `-`."""
    return value is not None and value.strip().lower() not in process.UNMET_NOTES


def parse_choice(value: str, choices: Iterable[str], label: str, *, slugs: bool = False) -> str:
    """One of `choices`, matched ignoring case (and as a slug like `offer-sent` when `slugs`)."""
    choices = tuple(choices)
    wanted = str(value).strip().lower()
    for choice in choices:
        if choice.lower() == wanted or (slugs and process.slugify(choice) == process.slugify(wanted)):
            return choice
    raise InvalidValue(f"Unknown {label.lower()} '{value}': choose one of {', '.join(choices)}.")


def parse_stage(value: str) -> str:
    try:
        return process.stage(value).name
    except KeyError:
        raise InvalidValue(f"Unknown stage '{value}': choose one of {', '.join(process.STAGE_NAMES)}.") from None


def parse_deal_class(value: str) -> str:
    return parse_choice(value, process.DEAL_CLASSES, "Deal class", slugs=True)


def parse_lost_category(value: str) -> str:
    return parse_choice(value, process.LOST_CATEGORIES, "Lost reason category", slugs=True)


def parse_role(value: str, roles=None) -> str:
    """A GP-009 job description by code (`JD-019`, `jd019`) or title (`Business Development`), among
    `roles` (the database's process's; the default process's when not given)."""
    roles = process.ROLES if roles is None else roles
    wanted = str(value).strip().lower().replace(" ", "")
    for role in roles:
        if wanted in (role.code.lower(), role.code.lower().replace("-", ""), role.title.lower().replace(" ", "")):
            return role.code
    options = ", ".join(f"{r.code} ({r.title})" for r in roles)
    raise InvalidValue(f"Unknown role '{value}': choose one of {options}.")


def parse_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    from salescrm.store.models import Contact, size

    text = clean_text(value, "Email", max_length=size(Contact.email))
    try:
        email = _plain_email(text) or validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise InvalidValue(f"Email '{value}' is not valid: {e}") from None
    check_key_length(email.lower(), "Email", size(Contact.email_key))  # emails are unique by their lower case
    return email


# An address of the plainest form (an ASCII dot-atom before the @, letters-digits-hyphens labels after it,
# a TLD of letters), which email_validator accepts and normalises by lower-casing the domain alone. Its
# checks cost 100 us an address, most of an import's time for a contact; a differential test keeps this
# the same as the library's answer (tests/test_fast_paths.py).
_PLAIN_EMAIL = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
                          r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})")
_PLAIN_EMAIL_EXCEPTIONS: tuple[frozenset, tuple] | None = None


def _plain_email(text: str) -> str | None:
    """`text` normalised as email_validator would, when it is a plain address; None for any other text
    (which the library then reads, and refuses with its own reason)."""
    global _PLAIN_EMAIL_EXCEPTIONS
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None or len(text) > 254 or len(match.group(1)) > 64 or len(match.group(2)) > 253 or "--" in text:
        return None
    if _PLAIN_EMAIL_EXCEPTIONS is None:
        from email_validator import SPECIAL_USE_DOMAIN_NAMES
        from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

        _PLAIN_EMAIL_EXCEPTIONS = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES), tuple(SPECIAL_USE_DOMAIN_NAMES)
    mailboxes, special = _PLAIN_EMAIL_EXCEPTIONS
    local, domain = match.group(1), match.group(2).lower()
    if local.lower() in mailboxes or any(domain == d or domain.endswith("." + d) for d in special):
        return None  # lower-cased (`Info@`), or refused (`.local`): the library says which
    return f"{local}@{domain}"


def parse_phone(value: str, region: str | None) -> str:
    """A phone number in E.164 form, read with the company's country as the default region."""
    import phonenumbers

    from salescrm.store.models import Contact, size

    text = clean_text(value, "Phone", max_length=size(Contact.phone))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        hint = "" if region else " (the contact has no company whose country gives a default)"
        raise InvalidValue(
            f"Phone '{value}' is not a phone number{hint}: give it with its country code, e.g. +34 600 000 000."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_website(value: str) -> str:
    """A website as a URL with a scheme: `sanitas.es` becomes `https://sanitas.es`."""
    from urllib.parse import urlsplit, urlunsplit

    from salescrm.store.models import Company, size

    text = clean_text(value, "Website", max_length=size(Company.website))
    if "://" not in text:
        text = "https://" + text
    invalid = InvalidValue(f"Website '{value}' is not a web address: give one like https://www.sanitas.es.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port out of range, a broken IPv6 bracket
        raise invalid from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or "." not in host or " " in text:
        raise invalid
    netloc = host + (f":{port}" if port else "")
    website = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    if len(website) > size(Company.website):  # `https://` added to a long address
        raise InvalidValue(f"Website is {len(website)} characters long as {website[:8]}…; the limit is {size(Company.website)}.")
    return website


def parse_set_options(pairs: Iterable[str], known: Iterable[str] | None = None) -> dict[str, str]:
    """`--set KEY=VALUE` options to a dict; a key not `known` is an invalid value (None: the keys are checked
    against the database's process later, by domain/gates.check_keys)."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise InvalidValue(f"--set '{pair}' is not KEY=VALUE, e.g. --set budget='Approved for 2027'.")
        if known is not None and key not in known:
            raise InvalidValue(f"Unknown gate key '{key}' in --set: known keys are {', '.join(known)}.")
        values[key] = value
    return values
