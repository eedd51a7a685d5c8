"""A declared property's value parsed by its type as it is set (salescrm/domain/property_values.py), and a gate
of a file's own on number, money and multi-choice properties enforced by domain/gates.py."""

from __future__ import annotations

from datetime import date

import pytest

from salescrm.domain.property_values import parse_property
from salescrm.errors import GateNotMet, InvalidValue
from salescrm.process import load
from salescrm.process.model import Property

HP = load.shipped("health-prime")


def parsed(record: str, key: str, raw: str, **kw):
    return parse_property(HP.property_of(record, key), raw, **kw)


def refused(record: str, key: str, raw: str) -> str:
    with pytest.raises(InvalidValue) as e:
        parsed(record, key, raw)
    return e.value.message


@pytest.mark.no_database
def test_each_type_is_stored_in_its_form():
    assert parsed("deal", "enterprise_deal_status", "Y") == "yes"
    assert parsed("deal", "hp_products", "pm/emr, rcm") == "RCM, PM/EMR"  # the file's order, whatever was typed
    assert parsed("deal", "hp_products", "IT,,it") == "IT"
    assert parsed("deal", "approval_status", "approved") == "Approved"
    assert parsed("deal", "contract_status", "proposal sent") == "Proposal sent"
    assert parsed("company", "providers", "012") == "12"
    assert parsed("deal", "term_months", "2.50") == "2.5"
    assert parsed("deal", "annual_practice_collections", "1,250,000.50") == "1250000.5"
    assert parsed("company", "minimum", "1500") == "1500"
    assert parsed("deal", "go_live_date", "2031-01-15", today=date(2026, 12, 1)) == "2031-01-15"  # may be in the future
    assert parsed("deal", "likely_scope", "  RCM for 12 providers ") == "RCM for 12 providers"
    assert parsed("deal", "likely_scope", "   ") is None
    past = Property("paid_on", "Paid on", "date", past=True)
    with pytest.raises(InvalidValue):
        parse_property(past, "2031-01-15", today=date(2026, 12, 1))


@pytest.mark.no_database
def test_a_bad_value_says_what_to_type():
    assert refused("deal", "hp_products", "RCM, billing") == "Unknown hp products 'billing': choose one of RCM, IT, PM/EMR."
    assert refused("deal", "hp_products", " , ") == (
        "--set hp_products names none of its choices: give one or more of RCM, IT, PM/EMR, separated by commas.")
    assert refused("deal", "nda_status", "maybe") == "Unknown nda status 'maybe': choose one of Not needed, Sent, Signed."
    assert refused("company", "providers", "twelve") == "--set providers 'twelve' is not a number: give digits, e.g. 12 or 2.5."
    assert refused("company", "providers", "-3") == "--set providers cannot be negative: give 0 or more, e.g. 12."
    assert refused("company", "minimum", "12.000") == (
        "--set minimum '12.000' is ambiguous: write 12000 (twelve thousand) or 12.00 (twelve).")
    assert refused("deal", "verbal_commit", "perhaps") == (
        "--set verbal_commit 'perhaps' is neither yes nor no: give yes, y, true, no, n or false.")


COLLECTIONS = """
[[properties.deal]]
key = "collections"
type = "money"
label = "Annual Practice Collections"

[[properties.deal]]
key = "products"
type = "multi-choice"
label = "HP Product(s)"
choices = ["RCM", "IT", "PM/EMR"]

[[properties.deal]]
key = "providers"
type = "number"
label = "Number of providers"
"""
SCOPED = """
[[pipelines.stages]]
name = "Scoped"
probability = 15
reason = "Scope and size known."
source = 'A test: "the scope is known before discovery".'
needs = "the products, collections above 0 and the providers"
gate = [
    { kind = "required", property = "products" },
    { kind = "number > 0", property = "collections" },
    { kind = "required", property = "providers" },
]
"""


def scoped_process():
    text = load.shipped_text("sp-009-001")
    start = text.index('name = "Qualified"')
    nxt = text.index("[[pipelines.stages]]", start)
    text = text[:nxt] + SCOPED + "\n" + text[nxt:]
    at = text.index("# --- The Sales pipeline")
    return load.loads(text[:at] + COLLECTIONS + "\n" + text[at:], "scoped.toml")


def test_the_domains_gate_check_parses_number_money_and_multi_choice_values(seeded, location):
    from salescrm.domain import gates, refs
    from salescrm.store import engine

    entering = scoped_process().default_pipeline.stages_between("Qualified", "Scoped")
    with engine.read_session(location) as s:
        facts = gates.facts_of(refs.deal(s, "1"))
        with pytest.raises(InvalidValue) as bad:
            gates.check_gates(s, entering, {"products": "RCM, billing"}, facts)
        assert bad.value.message == "Unknown products 'billing': choose one of RCM, IT, PM/EMR."
        with pytest.raises(GateNotMet) as refused_:
            gates.check_gates(s, entering, {"products": "it", "collections": "0", "providers": "4"}, facts)
        assert refused_.value.problems == [
            "collections is 0, and the gate needs a number above 0: --set collections=…"]
        stored = gates.check_gates(s, entering, {"products": "pm/emr,rcm", "collections": "2,500,000", "providers": "4"},
                                   facts)
        assert stored == {"products": "RCM, PM/EMR", "collections": "2500000", "providers": "4"}
