"""Times people type: when an activity happened, when a task is due, how far ahead to look.

Stored times are timezone-aware UTC. A time typed without an offset is local time (the machine's,
or TZ); a due date given alone means the end of that day, local time.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from salescrm.domain.values import FIRST_DAY, LAST_DAY
from salescrm.errors import InvalidValue

_DURATION = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
DURATION_HELP = "a duration such as 30m, 2h, 1d or 1w (combined: 1d12h)"
# The longest duration taken: a hundred years (no task is due, nor a follow-up made, further ahead).
MAX_DURATION = timedelta(days=36525)
# A stored time is shown in the reader's time zone (UTC-12 to UTC+14): a day's margin inside 1900-9999 keeps
# every reader's local time within those years too.
FIRST_TIME = datetime.combine(FIRST_DAY + timedelta(days=1), time(), timezone.utc)
LAST_TIME = datetime.combine(LAST_DAY - timedelta(days=1), time(23, 59, 59), timezone.utc)
# Clocks of two machines differ a little; an activity "now" on one is not "in the future" on another.
_CLOCK_SLACK = timedelta(minutes=5)


def now() -> datetime:
    return datetime.now(timezone.utc)


def _duration_parts(value: str) -> list[tuple[str, str]] | None:
    """The (number, unit) parts of a duration such as 1d12h; None when `value` is not one."""
    text = str(value).strip().replace(" ", "")
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts).lower() != text.lower():
        return None
    return parts


def parse_duration(value: str, label: str) -> timedelta:
    parts = _duration_parts(value)
    if parts is None:
        raise InvalidValue(f"{label} '{value}' is not a duration: give {DURATION_HELP}.")
    too_long = InvalidValue(f"{label} '{value}' is longer than a hundred years: give {DURATION_HELP}.")
    total = timedelta()
    for number, unit in parts:
        number = number.lstrip("0") or "0"
        if len(number) > 8:  # a hundred years are 52,596,000 minutes: eight digits
            raise too_long
        total += timedelta(**{_UNITS[unit.lower()]: int(number)})
        if total > MAX_DURATION:
            raise too_long
    return total


def out_of_range(label: str, value: object) -> InvalidValue:
    return InvalidValue(f"{label} '{value}' is out of range: give a time from {FIRST_TIME:%Y-%m-%d} to "
                        f"{LAST_TIME:%Y-%m-%d} (UTC).")


def _local(moment: datetime, label: str = "Time", value: object = None) -> datetime:
    """A typed time to UTC (without an offset it is local time), within the days salescrm takes."""
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()  # interprets a naive time as local
        moment = moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # the conversion leaves the years datetime holds
        raise out_of_range(label, moment if value is None else value) from None
    if not FIRST_TIME <= moment <= LAST_TIME:
        raise out_of_range(label, moment if value is None else value)
    return moment


def later(start: datetime, duration: timedelta, label: str, value: object) -> datetime:
    """`start` + `duration`, within the days salescrm takes."""
    try:
        moment = start + duration
    except OverflowError:
        raise out_of_range(label, value) from None
    return _local(moment, label, value)


def _parse_moment(value: str) -> datetime | date | None:
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def end_of_day(day: date, label: str = "Due", value: object = None) -> datetime:
    return _local(datetime.combine(day, time(23, 59, 59)), label, value)


def parse_due(value: str, label: str = "Due", reference: datetime | None = None) -> datetime:
    """`2027-01-15` (end of that day, local time), `2027-01-15 10:00` (local), an ISO time with its
    offset, or a duration from now (`2h`, `3d`)."""
    moment = _parse_moment(value)
    if isinstance(moment, datetime):
        return _local(moment, label, value)
    if isinstance(moment, date):
        return end_of_day(moment, label, value)
    if _duration_parts(value) is None:
        raise InvalidValue(
            f"{label} '{value}' is neither a date (2027-01-15, meaning the end of that day), a time "
            f"(2027-01-15 10:00) nor {DURATION_HELP} from now."
        )
    return later(reference or now(), parse_duration(value, label), label, value)


def parse_past_time(value: str, label: str = "Time (--at)", reference: datetime | None = None) -> datetime:
    """When something happened: `2026-11-20 15:30` (local), a date alone (that day's start, local
    time), or an ISO time with its offset. The future is refused."""
    moment = _parse_moment(value)
    if moment is None:
        raise InvalidValue(f"{label} '{value}' is not a time: give 2026-11-20 15:30, or a date alone (2026-11-20).")
    at = _local(moment if isinstance(moment, datetime) else datetime.combine(moment, time()), label, value)
    current = reference or now()
    if at > current + _CLOCK_SLACK:
        raise InvalidValue(f"{label} {value} is in the future; log what already happened, or add a task for what is planned.")
    return at
