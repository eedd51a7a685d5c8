"""Which column of an import file is which field.

Headers match ignoring case, spacing and punctuation, as HubSpot's own importer does: `Email`,
`Email address` and `E-mail` all map to `email`, `First Name` and `first_name` to `first_name`. The
names known are salescrm's own export headers (the `--json` keys, `gates.KEY` for each gate value) and
HubSpot's export headers. `--map COLUMN=FIELD` overrides a mapping (`--map COLUMN=` ignores the
column). Columns that map to nothing are listed in the report, never silently dropped; the derived
columns an export writes for people (`weighted_amount`, `probability`, `lifecycle_stage`,
`lead_status`) are reported as derived and ignored. In `health-prime`, Lifecycle Stage is a field the
team sets, so it is not derived there; sp-009-001 derives it.

A CSV or workbook cell that `export` neutralised (OWASP's advice on CSV injection) gets its one `'`
removed: exactly one, and only before `=`, `+`, `-`, `@`, a tab or a carriage return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from salescrm.domain.formulas import unneutralised
from salescrm.errors import InvalidValue

KINDS = ("companies", "contacts", "deals", "activities", "tasks")

# field -> the header names that map to it (compared as `header_key` gives them).
_COMMON = {"external_id": ("id", "Record ID", "external_id"), "created_at": ("created_at", "Create Date")}
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "companies": {
        "name": ("name", "Company name", "Company"), "country": ("country", "Country/Region", "Country or region"),
        "website": ("website", "Website URL"), "domain": ("Company Domain Name", "Domain"),
        "legal_name": ("legal_name",), **_COMMON,
    },
    "contacts": {
        "first_name": ("first_name",), "last_name": ("last_name",), "job_title": ("job_title",),
        "email": ("email", "Email address"), "phone": ("phone", "Phone Number", "Mobile Phone Number"),
        "channel": ("channel",), "search_engine": ("search_engine",), "keyword": ("keyword",),
        "source_page": ("source_page",), "companies": ("companies", "Associated Company", "Company name", "Company"),
        "country": ("country", "Country/Region", "Country or region"),  # a company the row creates (and its phone)
        "consent_basis": ("Legal basis for processing contact's data",),
        "unsubscribed": ("Unsubscribed from all email",), **_COMMON,
    },
    "deals": {
        "name": ("name", "Deal Name"), "stage": ("stage", "Deal Stage"), "pipeline": ("pipeline",),
        "country": ("country", "Country/Region"), "company": ("company", "Associated Company"),
        "description": ("description",), "amount": ("amount",), "currency": ("currency", "Currency code"),
        "close_date": ("close_date",), "deal_class": ("deal_class", "class"), "source": ("source",),
        "owner": ("owner", "Deal owner"), "contacts": ("contacts", "Associated Contact"),
        "lost_reason_category": ("lost_reason_category", "Lost reason category"),
        "lost_reason": ("lost_reason", "Closed lost reason"), **_COMMON,
    },
    "activities": {
        "type": ("type", "Activity type"), "direction": ("direction",), "at": ("at", "Activity date"),
        "summary": ("summary", "Body", "Notes"), "contact": ("contact", "Associated Contact"),
        "company": ("company", "Associated Company"), "deal": ("deal", "Associated Deal"),
    },
    "tasks": {
        "title": ("title", "Task title"), "due": ("due", "Due date"), "owner": ("owner", "Task owner", "Assigned to"),
        "done": ("done",), "contact": ("contact", "Associated Contact"), "company": ("company", "Associated Company"),
        "deal": ("deal", "Associated Deal"),
    },
}
# Columns an export writes that follow from other data (or name what another column names): ignored.
DERIVED = {
    "companies": ("lead_status", "lead_status_set_by", "lead_status_set_at", "contacts", "deals", "updated_at",
                  "Lifecycle Stage"),
    "contacts": ("lifecycle_stage", "updated_at", "Lifecycle Stage"),
    "deals": ("weighted_amount", "probability", "company_id", "owner_id", "updated_at"),
    "activities": ("id", "by"),  # an activity is logged by the importer; salescrm keeps no activity ids from elsewhere
    "tasks": ("id", "overdue", "closed_as"),
}
# Headers only HubSpot writes: a file with one of them is a HubSpot export (source system `hubspot`).
HUBSPOT = ("Record ID", "Company name", "Country/Region", "Website URL", "Company Domain Name", "Phone Number",
           "Lifecycle Stage", "Deal Name", "Deal Stage", "Deal owner", "Associated Company", "Associated Contact",
           "Create Date", "Closed lost reason", "Activity date", "Activity type", "Associated Deal", "Legal basis for processing contact's data", "Unsubscribed from all email")


def header_key(header: str) -> str:
    """A header as it is compared: letters and digits only, case-folded, accents dropped."""
    from salescrm.domain.naming import name_key

    return re.sub(r"[\W_]+", "", name_key(header))


_ALIASES = {"emailaddress": "email", "mail": "email", "telephone": "phone", "phonenumber": "phone"}


def _known(kind: str) -> dict[str, str]:
    from salescrm import process

    known = {header_key(name): f for f, names in FIELDS[kind].items() for name in (f, *names)}
    if kind == "contacts":
        known.update({k: v for k, v in _ALIASES.items() if k not in known})
    if kind == "deals":
        for key in process.GATE_KEYS:
            known[header_key(f"gates.{key}")] = f"gates.{key}"
            known[header_key(f"properties.{key}")] = f"gates.{key}"  # a deal's JSON `properties` repeats its gate values
            known.setdefault(header_key(key), f"gates.{key}")
    return known


@dataclass
class Mapping:
    """The field of each column of one file, and what the report says about the others."""

    kind: str
    overrides: dict[str, str | None] = field(default_factory=dict)  # header_key -> field (None: ignore)
    derived_kept: bool = False  # Lifecycle Stage is a field the team sets (health-prime): not derived
    fields: dict[str, str | None] = field(default_factory=dict)  # header as written -> field (None: unmapped)
    unmapped: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    hubspot: bool = False
    properties: tuple = ()  # the custom properties the database's process declares on this record (Property)
    _known: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self._known = _known(self.kind)
        if self.derived_kept and self.kind == "contacts":  # Lifecycle Stage holds values a person sets
            for name in ("Lifecycle Stage", "lifecycle_stage", "manual_lifecycle"):
                self._known[header_key(name)] = "manual_lifecycle"
        for prop in self.properties:  # a column named after a property (an export's `properties.KEY`, its key
            target = f"gates.{prop.key}" if self.kind == "deals" else f"properties.{prop.key}"  # a deal's: its gate values
            for name in (f"properties.{prop.key}", f"gates.{prop.key}", prop.key, prop.label):  # or its label) maps to it
                self._known.setdefault(header_key(name), target)
        self._derived = {header_key(h) for h in DERIVED[self.kind]}
        self._hubspot = {header_key(h) for h in HUBSPOT}

    def field_of(self, header: str) -> str | None:
        """The field `header` maps to (None: unmapped, derived or ignored); each header is decided once."""
        if header in self.fields:
            return self.fields[header]
        key = header_key(header)
        if key in self._hubspot:
            self.hubspot = True
        if key in self.overrides:
            found = self.overrides[key]
        elif key in self._known:
            found = self._known[key]
        elif key in self._derived:
            found = None
            self.derived.append(header)
        else:
            found = None
            if header.strip():
                self.unmapped.append(header)
        self.fields[header] = found
        return found

    def values(self, cells: dict[str, object], neutralised: bool) -> dict[str, object]:
        """A row's cells by field: empty cells left out, an export's formula `'` removed when `neutralised`."""
        out: dict[str, object] = {}
        for header, value in cells.items():
            name = self.field_of(header)
            if name is None or value is None:
                continue
            if isinstance(value, str):
                if neutralised:
                    value = unneutralised(value)
                if not value.strip():
                    continue
            out[name] = value
        return out


def parse_maps(pairs: list[str], kind: str) -> dict[str, str | None]:
    """`--map COLUMN=FIELD` (repeatable): header_key -> field; an empty FIELD ignores the column."""
    known = sorted(set(_known(kind).values()))
    out: dict[str, str | None] = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep or not column.strip():
            raise InvalidValue(f"--map '{pair}' is not COLUMN=FIELD: e.g. --map \"Organisation=name\".")
        name = name.strip()
        if name and name not in known:
            wanted = {header_key(k): k for k in known}.get(header_key(name))
            if wanted is None:
                raise InvalidValue(f"--map {pair}: no field '{name}' for {kind}; the fields are {', '.join(known)}.")
            name = wanted
        out[header_key(column)] = name or None
    return out


def parse_pairs(pairs: list[str], option: str, example: str) -> dict[str, str]:
    """`--default FIELD=VALUE`, `--map-stage LABEL=STAGE`: the pairs as given (the value may hold `=`)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidValue(f"{option} '{pair}' is not {example}.")
        out[key.strip()] = value.strip()
    return out
