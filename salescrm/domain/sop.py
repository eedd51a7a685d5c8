"""`deal sop`: the summary note a process declares (`[sop]`, model_actions.py's Summary), built from a deal's
and its company's values. Health Prime's S&OP snippet: "Go to Notes in Hubspot and type #S&OP", with
"S&OP Snippet is intended to pull in properties from both the Deal and the Company objects. Please
ensure that the following are populated prior to adding the snippet in your notes".

The summary is its heading line (`#S&OP`) and one `Label: value` line per listed value, in the file's
order. It is logged as a note activity on the deal, whose summary is that text: each run logs a new one
(the Partner of Choice gate's `has-activity` rule looks for it). A value missing refuses it (exit 1),
naming each and the command that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from salescrm.domain import properties, refs
from salescrm.domain.pipelines import process_of
from salescrm.errors import Refused
from salescrm.process.rules import PLACEHOLDER


@dataclass
class Summary:
    deal_id: int
    lines: list[tuple[str, str]]  # (label, value), in the process's order
    text: str  # the heading, then one `Label: value` line each
    activity_id: int | None = None

    def as_object(self) -> dict:
        return {"deal": self.deal_id, "activity": self.activity_id, "text": self.text,
                "lines": [{"label": label, "value": value} for label, value in self.lines]}


FIELD_LABELS = {"owner": "Deal Owner", "amount": "Amount", "name": "Name", "pipeline": "Pipeline", "stage": "Stage",
                "country": "Country", "website": "Website"}


def build(session: Session, ref: str) -> Summary:
    """The deal's summary note, or Refused naming every value it lacks. Writes nothing."""
    from salescrm.domain.currency import database_currency
    from salescrm.domain.gates import recorded_values
    from salescrm.domain.values import amount_units
    from salescrm.store.models import Company, TeamMember

    proc = process_of(session)
    if proc.sop is None:
        raise Refused(f"The process {proc.name} declares no summary note ([sop] in its file), so a deal has no `deal sop`.")
    deal = refs.deal(session, ref)
    company = session.get(Company, deal.company_id)
    values = {"deal": recorded_values(session, deal.id),
              "company": properties.values_of(session, "company", company.id)}
    own = {"deal": {"owner": getattr(session.get(TeamMember, deal.owner_id), "name", None),
                    "amount": f"{amount_units(deal.amount_cents)} {deal.currency}", "name": deal.name,
                    "pipeline": deal.pipeline, "stage": deal.stage},
           "company": {"name": company.name, "country": company.country, "website": company.website}}
    currency = database_currency(session)
    lines: list[tuple[str, str]] = []
    missing: list[str] = []
    for line in proc.sop.lines:
        prop = _property(proc, line.record, line.key)
        label = line.label or (prop.label if prop else FIELD_LABELS.get(line.key, line.key))
        value = own[line.record].get(line.key) if prop is None else values[line.record].get(line.key)
        if value is None or not str(value).strip():
            missing.append(_supply(line.record, line.key, deal.id, company.id, prop is not None))
            continue
        if prop is not None and prop.type == "money":
            value = f"{value} {currency}"
        lines.append((label, str(value)))
    if missing:
        raise Refused(f"Cannot build the {proc.sop.heading} summary of deal {deal.id}: it needs " + "; ".join(missing) + ".")
    text = "\n".join([proc.sop.heading, *(f"{label}: {value}" for label, value in lines)])
    return Summary(deal.id, lines, text)


def log(session: Session, ref: str) -> Summary:
    """Build the deal's summary and log it as a note activity on the deal."""
    from salescrm.domain.activities import Links, log_activity

    summary = build(session, ref)
    activity = log_activity(session, type="note", summary=summary.text, links=Links(deal=str(summary.deal_id))).record
    summary.activity_id = activity.id
    return summary


def _property(proc, record: str, key: str):
    try:
        return proc.property_of(record, key)
    except KeyError:
        return None  # one of the record's own fields (SUMMARY_FIELDS)


def _supply(record: str, key: str, deal_id: int, company_id: int, is_property: bool) -> str:
    if not is_property:
        option = f"--{key.replace('_', '-')} {PLACEHOLDER}"
    else:
        option = f"--set {key}={PLACEHOLDER}"
    target = f"deal edit {deal_id}" if record == "deal" else f"company edit {company_id}"
    return f"the {record}'s {key} (salescrm {target} {option})"
