"""Values that follow from the data (SP-009-001): a contact's lifecycle stage and a company's lead status."""

from __future__ import annotations

import json

import pytest

from salescrm.domain import lifecycle
from salescrm.domain.lifecycle import lifecycle_from_deals
from tests.conftest import BANT, DEAL, QUALIFIED
from tests.helpers import gate_day, yesterday

MQL = "Marketing Qualified Lead"
SQL = "Sales Qualified Lead"
OPPORTUNITY = "Opportunity"
CUSTOMER = "Customer"


def steps() -> list[tuple[str, list[str]]]:
    return [
        ("Qualified", QUALIFIED),
        ("Discovered", BANT),
        ("Implementation Defined", ["--set", "implementation_method=API", "--set", "success_metrics=Fewer visits",
                                    "--set", "pricing_basis=Per report", "--set", "implementation_timeline=Q2"]),
        ("Offer Sent", ["--set", "quotation_template=T-009-002", "--set", "quotation_ref=Q-1"]),
        ("Offer Approved", ["--set", f"offer_approved_on={gate_day()}"]),
        ("Contract Signed", ["--set", f"contract_signed_on={gate_day()}", "--set", "healthcare_provider_clause=yes",
                             "--set", "signed_by=Elena Ortiz"]),
        ("Payment Done", ["--set", f"payment_received_on={gate_day()}"]),
    ]


def show(cli, kind: str, ref: str) -> dict:
    r = cli(kind, "show", ref, "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def stage_of(cli, ref: str = "marta@sanitas.es") -> str:
    return show(cli, "contact", ref)["lifecycle_stage"]


def lead_status(cli, company: str = "Sanitas Hospitales") -> str:
    return show(cli, "company", company)["lead_status"]


def walk_to(cli, stage: str, deal: str = "1") -> None:
    for name, values in steps():
        if show(cli, "deal", deal)["stage"] == stage:
            return
        r = cli("deal", "advance", deal, *values)
        assert r.exit_code == 0, (name, r.stderr)
    assert show(cli, "deal", deal)["stage"] == stage


def lose(cli, deal: str, category: str = "Other") -> None:
    r = cli("deal", "lose", deal, "--category", category, "--reason", "details")
    assert r.exit_code == 0, r.stderr


def second_deal(cli, description: str = "Rollout") -> None:
    args = list(DEAL)
    args[args.index("--description") + 1] = description
    r = cli(*args)
    assert r.exit_code == 0, r.stderr


# --- lifecycle_from_deals (pure) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        ([], MQL),
        ([("Prospected", None)], MQL),
        ([("Prospected", None), ("Prospected", None)], MQL),
        ([("Qualified", None)], SQL),
        ([("Discovered", None)], OPPORTUNITY),
        ([("Implementation Defined", None)], OPPORTUNITY),
        ([("Offer Sent", None)], OPPORTUNITY),
        ([("Offer Approved", None)], OPPORTUNITY),
        ([("Contract Signed", None)], CUSTOMER),
        ([("Payment Done", None)], CUSTOMER),
    ],
)
def test_lifecycle_follows_the_furthest_open_or_won_deal(deals, expected):
    assert lifecycle_from_deals(deals) == expected


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        ([("Lost", "Contract Signed")], CUSTOMER),
        ([("Lost", "Discovered")], MQL),
        ([("Lost", "Offer Approved")], MQL),
        ([("Lost", "Qualified")], MQL),
        ([("Lost", "Prospected")], MQL),
        ([("Lost", None)], MQL),
        ([("Lost", "Offer Approved"), ("Qualified", None)], SQL),
        ([("Lost", "Contract Signed"), ("Qualified", None)], CUSTOMER),
    ],
)
def test_lost_deals_count_only_from_contract_signed(deals, expected):
    assert lifecycle_from_deals(deals) == expected


def test_lifecycle_takes_the_furthest_of_several_deals_in_any_order():
    deals = [("Qualified", None), ("Offer Sent", None), ("Prospected", None)]
    assert lifecycle_from_deals(deals) == OPPORTUNITY
    assert lifecycle_from_deals(list(reversed(deals))) == OPPORTUNITY


def test_lifecycle_from_deals_accepts_a_generator():
    assert lifecycle_from_deals(d for d in [("Prospected", None), ("Contract Signed", None)]) == CUSTOMER


# --- Contact lifecycle through the CLI --------------------------------------------------------


def test_contact_without_deals_is_mql(seeded):
    r = seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "CMO",
               "--company", "Sanitas Hospitales", "--email", "luis@sanitas.es")
    assert r.exit_code == 0, r.stderr
    assert stage_of(seeded, "luis@sanitas.es") == MQL


def test_contact_of_a_prospected_deal_is_mql(seeded):
    assert stage_of(seeded) == MQL


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("Qualified", SQL),
        ("Discovered", OPPORTUNITY),
        ("Implementation Defined", OPPORTUNITY),
        ("Offer Sent", OPPORTUNITY),
        ("Offer Approved", OPPORTUNITY),
        ("Contract Signed", CUSTOMER),
        ("Payment Done", CUSTOMER),
    ],
)
def test_contact_lifecycle_follows_its_deal(seeded, stage, expected):
    walk_to(seeded, stage)
    assert stage_of(seeded) == expected
    listed = json.loads(seeded("contact", "list", "--json").stdout)
    assert [c["lifecycle_stage"] for c in listed if c["email"] == "marta@sanitas.es"] == [expected]


def test_customer_stays_customer_when_the_signed_deal_is_lost(seeded):
    walk_to(seeded, "Contract Signed")
    lose(seeded, "1")
    assert show(seeded, "deal", "1")["stage"] == "Lost"
    assert stage_of(seeded) == CUSTOMER


def test_deal_lost_from_discovered_leaves_the_contact_mql(seeded):
    walk_to(seeded, "Discovered")
    assert stage_of(seeded) == OPPORTUNITY
    lose(seeded, "1")
    assert stage_of(seeded) == MQL


def test_deal_lost_from_offer_approved_does_not_count(seeded):
    walk_to(seeded, "Offer Approved")
    lose(seeded, "1")
    assert stage_of(seeded) == MQL


def test_lost_deal_does_not_count_but_an_open_one_does(seeded):
    walk_to(seeded, "Offer Approved")
    lose(seeded, "1")
    second_deal(seeded)
    walk_to(seeded, "Qualified", "2")
    assert stage_of(seeded) == SQL


def test_contact_added_to_a_deal_later_takes_its_lifecycle(seeded):
    seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "CMO",
           "--company", "Sanitas Hospitales", "--email", "luis@sanitas.es")
    walk_to(seeded, "Discovered")
    assert stage_of(seeded, "luis@sanitas.es") == MQL
    assert seeded("deal", "edit", "1", "--add-contact", "luis@sanitas.es").exit_code == 0
    assert stage_of(seeded, "luis@sanitas.es") == OPPORTUNITY


def test_lifecycle_stages_queries_the_database(seeded, read):
    walk_to(seeded, "Qualified")
    assert read(lambda s: lifecycle.lifecycle_stages(s, [1])) == {1: SQL}


# --- Company lead status ----------------------------------------------------------------------


def test_new_company_is_new_set_by_the_acting_user(cli):
    r = cli("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es")
    assert r.exit_code == 0, r.stderr
    obj = show(cli, "company", "DKV")
    assert obj["lead_status"] == "New"
    assert obj["lead_status_set_by"] == "tester"


def test_company_with_a_deal_is_open_deal(seeded):
    obj = show(seeded, "company", "Sanitas Hospitales")
    assert obj["lead_status"] == "Open deal"
    assert obj["lead_status_set_by"] == "tester"


def test_creating_a_deal_overrides_a_status_set_by_hand(seeded):
    lose(seeded, "1", "Other")
    r = seeded("company", "set-status", "Sanitas Hospitales", "Unqualified")
    assert r.exit_code == 0, r.stderr
    assert lead_status(seeded) == "Unqualified"
    second_deal(seeded)
    assert lead_status(seeded) == "Open deal"


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("Bad timing", "Bad timing"),
        ("No segment fit", "Unqualified"),
        ("Other", "In progress"),
        ("No budget", "In progress"),
        ("Lost to competitor", "In progress"),
    ],
)
def test_losing_the_last_open_deal_sets_the_status_by_category(seeded, category, status):
    lose(seeded, "1", category)
    obj = show(seeded, "company", "Sanitas Hospitales")
    assert obj["lead_status"] == status
    assert obj["lead_status_set_by"] == "tester"


def test_winning_the_last_open_deal_sets_in_progress(seeded):
    walk_to(seeded, "Payment Done")
    assert lead_status(seeded) == "In progress"


def test_creating_a_won_deal_on_a_company_without_deals_sets_in_progress(seeded):
    assert seeded("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es").exit_code == 0
    sets = [a for _, values in steps() for a in values]
    sets[sets.index("decision_maker=marta@sanitas.es")] = "decision_maker=luis@dkv.es"
    r = seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "CMO",
               "--company", "DKV", "--email", "luis@dkv.es")
    assert r.exit_code == 0, r.stderr
    r = seeded("deal", "create", "--company", "DKV", "--description", "Licence", "--amount", "5000",
               "--close-date", yesterday(), "--class", "Insurance", "--source", "Referral", "--owner", "Ana García",
               "--contact", "luis@dkv.es", "--stage", "payment-done", *sets)
    assert r.exit_code == 0, r.stderr
    assert lead_status(seeded, "DKV") == "In progress"


def test_losing_one_of_two_open_deals_keeps_open_deal(seeded):
    second_deal(seeded)
    lose(seeded, "1", "Bad timing")
    assert lead_status(seeded) == "Open deal"
    lose(seeded, "2", "Bad timing")
    assert lead_status(seeded) == "Bad timing"


def test_winning_one_of_two_open_deals_keeps_open_deal(seeded):
    second_deal(seeded)
    walk_to(seeded, "Payment Done", "2")
    assert lead_status(seeded) == "Open deal"


@pytest.mark.parametrize(
    ("typed", "status"),
    [("Open", "Open"), ("open", "Open"), ("IN PROGRESS", "In progress"), ("unqualified", "Unqualified"),
     ("Bad Timing", "Bad timing")],
)
def test_set_status_accepts_the_manual_statuses_in_any_case(cli, typed, status):
    assert cli("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es").exit_code == 0
    r = cli("company", "set-status", "DKV", typed)
    assert r.exit_code == 0, r.stderr
    obj = show(cli, "company", "DKV")
    assert obj["lead_status"] == status
    assert obj["lead_status_set_by"] == "tester"


def test_set_status_records_who_set_it(cli, monkeypatch):
    assert cli("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es").exit_code == 0
    monkeypatch.setenv("SALESCRM_USER", "ana")
    assert cli("company", "set-status", "DKV", "Bad timing").exit_code == 0
    assert show(cli, "company", "DKV")["lead_status_set_by"] == "ana"


@pytest.mark.parametrize("typed", ["Attempted", "Open deal", "New", "Connected", "Lost"])
def test_set_status_refuses_statuses_that_follow_from_the_data(cli, typed):
    assert cli("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es").exit_code == 0
    r = cli("company", "set-status", "DKV", typed)
    assert r.exit_code == 2
    assert "Open, In progress, Unqualified, Bad timing" in r.stderr
    assert lead_status(cli, "DKV") == "New"


def test_set_status_is_refused_while_the_company_has_an_open_deal(seeded):
    r = seeded("company", "set-status", "Sanitas Hospitales", "Bad timing")
    assert r.exit_code == 1
    assert "open deal" in r.stderr
    obj = show(seeded, "company", "Sanitas Hospitales")
    assert obj["lead_status"] == "Open deal"


def test_set_status_is_allowed_once_the_deals_are_closed(seeded):
    lose(seeded, "1", "Other")
    r = seeded("company", "set-status", "Sanitas Hospitales", "Bad timing")
    assert r.exit_code == 0, r.stderr
    assert lead_status(seeded) == "Bad timing"
