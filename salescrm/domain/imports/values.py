"""Values as files write them: dates and times, amounts, stage labels.

- Dates and times: ISO 8601 (`2026-03-01`, `2026-03-01 10:00`, `2026-03-01T10:00:00Z`), or
  `--date-format` (strptime's, e.g. `%d/%m/%Y`). Without it, `d/m/yyyy` is read only when the day is
  over 12 (`25/03/2026`) or the month is (`03/25/2026`); `03/04/2026` could be either and is refused.
  Times without a zone are local.
- Amounts follow the commands' grammar (`12000`, `12,000`, `12000.50`); with `--decimal-comma`,
  `12.000,50` and `12 000,50`. Numbers of a workbook or JSON are taken as they are.
- Stages: each stage of the process by its name or slug, ignoring case, dashes and a trailing "(SQL)"
  (a Health Prime export says "Closed – Won"), HubSpot's "Closed Lost" as the lost stage, and
  `--map-stage LABEL=STAGE` for the rest; an unknown stage refuses the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from salescrm.errors import InvalidValue

_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass
class Dates:
    format: str | None = None  # --date-format

    def moment(self, value, label: str) -> datetime:
        """A time, as timezone-aware UTC (a date alone is its local midnight)."""
        if isinstance(value, (int, float)):
            raise InvalidValue(f"{label} '{value}' is a number, not a date: give it as YYYY-MM-DD.")
        text = str(value).strip()
        if self.format:
            try:
                found = datetime.strptime(text, self.format)
            except ValueError:
                raise InvalidValue(f"{label} '{text}' does not match --date-format {self.format}.") from None
        else:
            found = _iso(text) or _slashed(text, label)
            if found is None:
                raise InvalidValue(f"{label} '{text}' is not a date: give YYYY-MM-DD (ISO 8601), or pass --date-format.")
        if found.tzinfo is None:
            found = found.astimezone()  # local time
        if not 1900 <= found.year <= 9999:
            raise InvalidValue(f"{label} '{text}' is out of range: give a date from 1900-01-01 to 9999-12-31.")
        return found.astimezone(timezone.utc)

    def day(self, value, label: str) -> date:
        """A date (a time's local day)."""
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) and not self.format:
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise InvalidValue(f"{label} '{value}' is not a date: give YYYY-MM-DD.") from None
        return self.moment(value, label).astimezone().date()


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None


def _slashed(text: str, label: str) -> datetime | None:
    match = _SLASHED.match(text)
    if match is None:
        return None
    a, b, year = int(match[1]), int(match[2]), int(match[3])
    if a > 12 and b <= 12:
        day, month = a, b
    elif b > 12 and a <= 12:
        day, month = b, a
    elif a == b:
        day = month = a
    else:
        raise InvalidValue(f"{label} '{text}' is ambiguous: {a} and {b} could each be the day or the month; pass "
                           "--date-format (e.g. %d/%m/%Y), or write dates as YYYY-MM-DD.")
    try:
        return datetime(year, month, day, int(match[4] or 0), int(match[5] or 0), int(match[6] or 0))
    except ValueError:
        raise InvalidValue(f"{label} '{text}' is not a date.") from None


def amount_text(value, decimal_comma: bool) -> str:
    """An amount cell as the commands' grammar reads it."""
    if isinstance(value, bool):
        raise InvalidValue(f"Amount '{value}' is not an amount.")
    if isinstance(value, (int, float)):
        return format(Decimal(str(value)), "f")
    text = str(value).strip()
    if decimal_comma:
        if re.fullmatch(r"\d{1,3}(?:[.\s\u00a0\u202f]\d{3})*(?:,\d{1,2})?|\d+(?:,\d{1,2})?", text):
            return re.sub(r"[.\s\u00a0\u202f]", "", text).replace(",", ".")
        raise InvalidValue(f"Amount '{text}' is not an amount with a decimal comma (e.g. 12.000,50).")
    return text


def stage_key(label: str) -> str:
    from salescrm.domain.naming import name_key

    text = re.sub(r"\(\s*sql\s*\)\s*$", "", name_key(label))
    return " ".join(re.sub(r"[-\u2010-\u2015_]+", " ", text).split())


@dataclass
class Stages:
    """Stage labels of a file to the stages of the database's process, pipeline by pipeline: each stage by
    its name or slug (ignoring case, dashes and a trailing "(SQL)"), HubSpot's "Closed Lost" as the
    pipeline's lost stage, and `--map-stage LABEL=STAGE` for the rest (`bind` checks each STAGE names a
    stage of some pipeline)."""

    mapped: dict[str, str] = field(default_factory=dict)  # --map-stage, as given
    process: object = None  # the database's Process, once bound
    _known: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline key -> stage key -> stage name

    def bind(self, proc) -> None:
        self.process = proc
        self._known = {}
        for label, target in self.mapped.items():
            if not any(_has(p, target) for p in proc.pipelines):
                names = list(dict.fromkeys(s.name for p in proc.pipelines for s in p.stages))
                raise InvalidValue(f"--map-stage {label}={target}: Unknown stage '{target}': choose one of "
                                   f"{', '.join(names)}.")

    def _of(self, pipeline) -> dict[str, str]:
        if pipeline.key not in self._known:
            known: dict[str, str] = {}
            for stage in pipeline.stages:
                known[stage_key(stage.name)] = stage.name
                known[stage_key(stage.slug)] = stage.name
            known.setdefault("closed lost", pipeline.lost.name)
            known.setdefault("closedlost", pipeline.lost.name)
            for label, target in self.mapped.items():
                if _has(pipeline, target):
                    known[stage_key(label)] = pipeline.stage(target).name
            self._known[pipeline.key] = known
        return self._known[pipeline.key]

    def stage(self, label: str, pipeline) -> str:
        """The stage of `pipeline` that `label` names; an unknown one refuses the row."""
        found = self._of(pipeline).get(stage_key(str(label)))
        if found is None:
            raise InvalidValue(f"Unknown stage '{label}': map it with --map-stage \"{label}=STAGE\" "
                               f"(the stages are {', '.join(s.name for s in pipeline.stages)}).")
        return found


def _has(pipeline, name: str) -> bool:
    try:
        pipeline.stage(name)
    except KeyError:
        return False
    return True
