"""Deals through the pipeline: advancing, skipping ahead, creating further along, naming, losing, editing,
history and weighted amounts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import BANT, DEAL, QUALIFIED
from tests.helpers import (
    IMPLEMENTATION, dated, gate_day, next_year, ok, payment_done, sets_until, show, today, walk_to, with_options,
)


def deal_list(cli) -> list[dict]:
    r = cli("deal", "list", "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def deal_args(description: str, **options: str) -> list[str]:
    """The seeded deal's `deal create` arguments with another description and, e.g., owner="Pablo Gil"."""
    return with_options(DEAL, description=description, **options)


def create(cli, description: str, *extra: str, **options: str):
    """A Sanitas deal like the seeded one, with another description."""
    return cli(*deal_args(description, **options), *extra)


# --- advance ---------------------------------------------------------------------------------


def test_advance_moves_to_the_next_stage_only(seeded):
    r = seeded("deal", "advance", "1", *QUALIFIED)
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["stage"] == "Qualified"
    assert "Next: Discovered needs" in r.stdout


def test_advance_to_skips_ahead_when_every_gate_passed_through_is_met(seeded):
    r = seeded("deal", "advance", "1", "--to", "Implementation Defined", *QUALIFIED, *BANT, *IMPLEMENTATION)
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Implementation Defined"
    assert set(obj["gates"]) == {"segment_verified", "decision_maker", "budget", "authority", "need",
                                 "implementation_method", "success_metrics", "pricing_basis", "implementation_timeline"}
    assert obj["history"][-1]["from"] == "Prospected"
    assert obj["history"][-1]["to"] == "Implementation Defined"


def test_advance_to_payment_done_in_one_move(seeded):
    r = seeded("deal", "advance", "1", "--to", "payment-done", *sets_until("Payment Done"))
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["stage"] == "Payment Done"


def test_advance_to_refuses_when_a_gate_passed_through_is_not_met(seeded):
    before = show(seeded)
    # Discovered's BANT notes are missing.
    r = seeded("deal", "advance", "1", "--to", "implementation-defined", *QUALIFIED, *IMPLEMENTATION)
    assert r.exit_code == 1
    assert "Cannot move deal 1 into Implementation Defined" in r.stderr
    assert "--set budget=…" in r.stderr
    after = show(seeded)
    assert (after["stage"], after["gates"], after["history"]) == ("Prospected", {}, before["history"])


@pytest.mark.parametrize("to", ["offer-sent", "OFFER SENT", "offer sent", "Offer Sent", "  offer-SENT "])
def test_stage_names_accept_any_case_and_slugs(seeded, to):
    r = seeded("deal", "advance", "1", "--to", to, *sets_until("Offer Sent"))
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["stage"] == "Offer Sent"


def test_stage_name_in_capitals_with_a_space(seeded):
    r = seeded("deal", "advance", "1", "--to", "IMPLEMENTATION DEFINED", *sets_until("Implementation Defined"))
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["stage"] == "Implementation Defined"


def test_unknown_stage_is_invalid(seeded):
    r = seeded("deal", "advance", "1", "--to", "negotiation", *QUALIFIED)
    assert r.exit_code == 2
    assert "Unknown stage 'negotiation'" in r.stderr
    assert show(seeded)["stage"] == "Prospected"


@pytest.mark.parametrize("to", ["Qualified", "prospected", "discovered"])
def test_advance_backwards_or_to_the_same_stage_is_refused(seeded, to):
    walk_to(seeded, "Discovered")
    before = show(seeded)
    r = seeded("deal", "advance", "1", "--to", to)
    assert r.exit_code == 1
    assert "not forward" in r.stderr
    after = show(seeded)
    assert (after["stage"], after["history"]) == ("Discovered", before["history"])


def test_advance_to_lost_points_to_deal_lose(seeded):
    r = seeded("deal", "advance", "1", "--to", "lost")
    assert r.exit_code == 2
    assert "salescrm deal lose 1" in r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Prospected"
    assert obj["name"] == "ES Sanitas Hospitales Proof of Concept"


# --- create --stage ---------------------------------------------------------------------------


def test_create_further_along_when_every_gate_up_to_it_is_met(seeded):
    r = create(seeded, "Rollout", "--stage", "discovered", *QUALIFIED, *BANT, "--json")
    assert r.exit_code == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["stage"] == "Discovered"
    assert obj["gates"]["segment_verified"] == "yes"
    assert obj["gates"]["budget"] == "Approved for 2027"
    assert [(h["from"], h["to"]) for h in show(seeded, str(obj["id"]))["history"]] == [(None, "Discovered")]


def test_create_at_payment_done_with_every_gate(seeded):
    r = create(seeded, "Licence", "--stage", "Payment Done", *sets_until("Payment Done"))
    assert r.exit_code == 0, r.stderr
    assert show(seeded, "2")["stage"] == "Payment Done"


def test_create_further_along_with_a_gate_unmet_creates_nothing(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--stage", "discovered", *QUALIFIED, "--set", "budget=Approved")
    assert r.exit_code == 1
    assert "Cannot move the new deal into Discovered" in r.stderr
    assert "--set authority=…" in r.stderr
    assert deal_list(seeded) == before


def test_create_further_along_with_no_values_creates_nothing(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--stage", "qualified")
    assert r.exit_code == 1
    assert "--set segment_verified=…" in r.stderr
    assert "--set decision_maker=…" in r.stderr
    assert deal_list(seeded) == before


def test_create_at_offer_sent_with_amount_zero_creates_nothing(seeded):
    before = deal_list(seeded)
    r = seeded(*deal_args("Rollout", amount="0"), "--stage", "offer-sent", *sets_until("Offer Sent"))
    assert r.exit_code == 1
    assert "amount above 0" in r.stderr
    assert deal_list(seeded) == before


def test_create_with_an_invalid_gate_value_creates_nothing(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--stage", "qualified", "--set", "segment_verified=maybe",
               "--set", "decision_maker=marta@sanitas.es")
    assert r.exit_code == 2
    assert deal_list(seeded) == before


def test_create_with_a_set_key_for_a_stage_not_entered_records_it(seeded, db):
    """Issue 10: any gate key may be recorded as soon as it is known (this test asserted exit 2)."""
    r = create(seeded, "Rollout", *QUALIFIED)
    assert r.exit_code == 0, r.stderr
    assert show(seeded, "2")["stage"] == "Prospected"
    assert db.query("SELECT key, value, stage, set_by FROM gate_value WHERE deal_id = 2 ORDER BY key") == [
        ("decision_maker", "marta@sanitas.es", "Qualified", "tester"), ("segment_verified", "yes", "Qualified", "tester")]
    ok(seeded("deal", "advance", "2"))  # checked, and met, when its gate is entered
    assert show(seeded, "2")["stage"] == "Qualified"


def test_create_with_a_malformed_value_for_a_later_gate_is_invalid(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--set", "segment_verified=maybe")
    assert r.exit_code == 2
    assert "--set segment_verified 'maybe' is neither yes nor no" in r.stderr
    assert deal_list(seeded) == before


def test_create_as_lost_is_invalid(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--stage", "lost")
    assert r.exit_code == 2
    assert "salescrm deal lose" in r.stderr
    assert deal_list(seeded) == before


def test_create_in_an_unknown_stage_is_invalid(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", "--stage", "negotiation")
    assert r.exit_code == 2
    assert "Unknown stage 'negotiation'" in r.stderr
    assert deal_list(seeded) == before


# --- Naming ------------------------------------------------------------------------------------


def test_name_is_country_company_description(seeded):
    obj = show(seeded)
    assert obj["name"] == "ES Sanitas Hospitales Proof of Concept"
    assert obj["country"] == "ES"


@pytest.mark.parametrize(("country", "code"), [("Germany", "DE"), ("DEU", "DE"), ("FR", "FR"), ("portugal", "PT")])
def test_country_option_accepts_codes_and_english_names(seeded, country, code):
    r = create(seeded, "Proof of Concept", "--json", country=country)
    assert r.exit_code == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["country"] == code
    assert obj["name"] == f"{code} Sanitas Hospitales Proof of Concept"


def test_two_open_deals_may_not_share_a_name(seeded):
    before = deal_list(seeded)
    r = seeded(*DEAL)
    assert r.exit_code == 1
    assert "one deal per revenue-generating event" in r.stderr
    assert "Deal 1" in r.stderr
    assert deal_list(seeded) == before


def test_duplicate_name_is_detected_ignoring_case(seeded):
    before = deal_list(seeded)
    r = create(seeded, "PROOF OF CONCEPT")
    assert r.exit_code == 1
    assert "one deal per revenue-generating event" in r.stderr
    assert deal_list(seeded) == before


def test_lost_deal_gets_the_lost_prefix_and_frees_its_name(seeded):
    r = seeded("deal", "lose", "1", "--category", "No budget", "--reason", "Budget went to radiology")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["name"] == "Lost ES Sanitas Hospitales Proof of Concept"
    r = seeded(*DEAL)
    assert r.exit_code == 0, r.stderr
    assert show(seeded, "2")["name"] == "ES Sanitas Hospitales Proof of Concept"
    assert show(seeded, "1")["name"] == "Lost ES Sanitas Hospitales Proof of Concept"


def test_create_from_a_lost_deal_copies_it_into_prospected(seeded):
    assert seeded("team", "add", "Pablo Gil", "--role", "JD-002").exit_code == 0
    r = create(seeded, "Pilot", country="Germany", owner="Pablo Gil")
    assert r.exit_code == 0, r.stderr
    walk_to(seeded, "Discovered", "2")
    assert seeded("deal", "lose", "2", "--category", "Bad timing", "--reason", "Frozen until 2028").exit_code == 0
    lost = show(seeded, "2")
    close = next_year()
    r = seeded("deal", "create", "--from", "2", "--amount", "15000", "--close-date", close, "--json")
    assert r.exit_code == 0, r.stderr
    new = json.loads(r.stdout)
    assert new["stage"] == "Prospected"
    assert new["name"] == "DE Sanitas Hospitales Pilot"
    for key in ("company", "country", "description", "deal_class", "source", "owner", "contacts"):
        assert new[key] == lost[key], key
    assert new["owner"] == "Pablo Gil"
    assert new["amount"] == 15000
    assert new["close_date"] == close
    assert new["gates"] == {}


def test_create_from_an_open_deal_is_refused_as_a_duplicate(seeded):
    before = deal_list(seeded)
    r = seeded("deal", "create", "--from", "1", "--amount", "1000", "--close-date", next_year())
    assert r.exit_code == 1
    assert "one deal per revenue-generating event" in r.stderr
    assert deal_list(seeded) == before


# --- Lose --------------------------------------------------------------------------------------


def test_lose_records_category_reason_and_stage(seeded):
    r = seeded("deal", "lose", "1", "--category", "lost to competitor", "--reason", "Chose a cheaper tool")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Lost"
    assert obj["lost_reason_category"] == "Lost to competitor"
    assert obj["lost_reason"] == "Chose a cheaper tool"
    assert (obj["history"][-1]["from"], obj["history"][-1]["to"]) == ("Prospected", "Lost")


def test_lose_with_an_unknown_category_is_invalid(seeded):
    r = seeded("deal", "lose", "1", "--category", "Too expensive", "--reason", "Price")
    assert r.exit_code == 2
    assert "Unknown lost reason category 'Too expensive'" in r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Prospected"
    assert obj["lost_reason_category"] is None


def test_lose_without_a_reason_is_invalid(seeded):
    r = seeded("deal", "lose", "1", "--category", "No budget")
    assert r.exit_code == 2
    assert "--reason" in r.stderr
    assert show(seeded)["stage"] == "Prospected"


def test_lose_with_an_empty_reason_is_invalid(seeded):
    r = seeded("deal", "lose", "1", "--category", "No budget", "--reason", "  ")
    assert r.exit_code == 2
    assert show(seeded)["stage"] == "Prospected"


def test_losing_a_lost_deal_is_refused(seeded):
    assert seeded("deal", "lose", "1", "--category", "No need", "--reason", "First").exit_code == 0
    before = show(seeded)
    r = seeded("deal", "lose", "1", "--category", "Other", "--reason", "Second")
    assert r.exit_code == 1
    assert "is already lost" in r.stderr
    after = show(seeded)
    assert (after["lost_reason_category"], after["lost_reason"]) == ("No need", "First")
    assert after["name"] == "Lost ES Sanitas Hospitales Proof of Concept"
    assert after["history"] == before["history"]


def test_advancing_a_lost_deal_points_to_create_from(seeded):
    assert seeded("deal", "lose", "1", "--category", "No need", "--reason", "r").exit_code == 0
    r = seeded("deal", "advance", "1", *QUALIFIED)
    assert r.exit_code == 1
    assert "salescrm deal create --from 1" in r.stderr
    assert show(seeded)["stage"] == "Lost"


def test_a_won_deal_cannot_be_lost(seeded):
    walk_to(seeded, "Payment Done")
    r = seeded("deal", "lose", "1", "--category", "Other", "--reason", "Changed our mind")
    assert r.exit_code == 1
    assert "won" in r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Payment Done"
    assert obj["name"] == "ES Sanitas Hospitales Proof of Concept"


def test_a_won_deal_cannot_be_advanced(seeded):
    walk_to(seeded, "Payment Done")
    r = seeded("deal", "advance", "1")
    assert r.exit_code == 1
    assert "won" in r.stderr
    assert show(seeded)["stage"] == "Payment Done"


def test_a_deal_at_contract_signed_may_still_be_lost(seeded):
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "lose", "1", "--category", "Other", "--reason", "Backed out of the contract")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Lost"
    assert obj["history"][-1]["from"] == "Contract Signed"


def test_lost_deal_edit_changes_only_the_lost_reason(seeded):
    assert seeded("deal", "lose", "1", "--category", "No need", "--reason", "r").exit_code == 0
    r = seeded("deal", "edit", "1", "--lost-category", "bad timing", "--lost-reason", "Budget frozen")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert (obj["lost_reason_category"], obj["lost_reason"]) == ("Bad timing", "Budget frozen")


@pytest.mark.parametrize("option", [["--amount", "99"], ["--description", "Other"], ["--close-date", "{next_year}"]])
def test_lost_deal_business_fields_cannot_be_edited(seeded, option):
    assert seeded("deal", "lose", "1", "--category", "No need", "--reason", "r").exit_code == 0
    before = show(seeded)
    r = seeded("deal", "edit", "1", *map(dated, option))
    assert r.exit_code == 1
    assert "only its lost reason can be edited" in r.stderr
    after = show(seeded)
    assert (after["amount"], after["description"], after["close_date"], after["name"]) == (
        12000, "Proof of Concept", before["close_date"], "Lost ES Sanitas Hospitales Proof of Concept")


def test_lost_category_on_an_open_deal_is_refused(seeded):
    r = seeded("deal", "edit", "1", "--lost-category", "Other")
    assert r.exit_code == 1
    assert show(seeded)["lost_reason_category"] is None


# --- Edit --------------------------------------------------------------------------------------


def test_edit_description_rebuilds_the_name(seeded):
    r = seeded("deal", "edit", "1", "--description", "Pilot phase 1")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["description"] == "Pilot phase 1"
    assert obj["name"] == "ES Sanitas Hospitales Pilot phase 1"


def test_edit_country_rebuilds_the_name(seeded):
    r = seeded("deal", "edit", "1", "--country", "Germany")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["country"] == "DE"
    assert obj["name"] == "DE Sanitas Hospitales Proof of Concept"


def test_company_rename_renames_its_deals_and_lost_ones_keep_the_prefix(seeded):
    assert create(seeded, "Rollout").exit_code == 0
    assert seeded("deal", "lose", "2", "--category", "Other", "--reason", "r").exit_code == 0
    r = seeded("company", "edit", "Sanitas Hospitales", "--name", "Sanitas")
    assert r.exit_code == 0, r.stderr
    assert show(seeded, "1")["name"] == "ES Sanitas Proof of Concept"
    assert show(seeded, "2")["name"] == "Lost ES Sanitas Rollout"
    assert show(seeded, "1")["company"] == "Sanitas"


def test_edit_into_a_duplicate_open_name_is_refused(seeded):
    assert create(seeded, "Rollout").exit_code == 0
    r = seeded("deal", "edit", "2", "--description", "Proof of Concept")
    assert r.exit_code == 1
    assert "one deal per revenue-generating event" in r.stderr
    obj = show(seeded, "2")
    assert (obj["description"], obj["name"]) == ("Rollout", "ES Sanitas Hospitales Rollout")


def test_edit_into_the_name_of_a_lost_deal_is_allowed(seeded):
    assert create(seeded, "Rollout").exit_code == 0
    assert seeded("deal", "lose", "1", "--category", "Other", "--reason", "r").exit_code == 0
    r = seeded("deal", "edit", "2", "--description", "Proof of Concept")
    assert r.exit_code == 0, r.stderr
    assert show(seeded, "2")["name"] == "ES Sanitas Hospitales Proof of Concept"


def test_owner_with_another_role_is_refused_at_create(seeded):
    assert seeded("team", "add", "Pedro Ruiz", "--role", "JD-013").exit_code == 0
    before = deal_list(seeded)
    r = create(seeded, "Rollout", owner="Pedro Ruiz")
    assert r.exit_code == 1
    assert "Pedro Ruiz is JD-013" in r.stderr
    assert "JD-019" in r.stderr and "JD-002" in r.stderr
    assert deal_list(seeded) == before


def test_owner_with_another_role_is_refused_at_edit(seeded):
    assert seeded("team", "add", "Pedro Ruiz", "--role", "JD-013").exit_code == 0
    r = seeded("deal", "edit", "1", "--owner", "Pedro Ruiz")
    assert r.exit_code == 1
    assert "Pedro Ruiz is JD-013" in r.stderr
    assert show(seeded)["owner"] == "Ana García"


def test_owner_may_be_a_sales_manager(seeded):
    assert seeded("team", "add", "Pablo Gil", "--role", "JD-002").exit_code == 0
    r = seeded("deal", "edit", "1", "--owner", "Pablo Gil")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["owner"] == "Pablo Gil"


def test_general_manager_cannot_own_a_deal(seeded):
    before = deal_list(seeded)
    r = create(seeded, "Rollout", owner="Elena Ortiz")
    assert r.exit_code == 1
    assert deal_list(seeded) == before


# --- Close date ----------------------------------------------------------------------------------


def test_close_date_in_the_past_is_accepted_with_a_warning(seeded):
    past = (today() - timedelta(days=30)).isoformat()
    r = create(seeded, "Late entry", close_date=past)
    assert r.exit_code == 0, r.stderr
    assert "Warning:" in r.stderr
    assert past in r.stderr
    obj = show(seeded, "2")
    assert obj["close_date"] == past


def test_close_date_in_the_future_gives_no_warning(seeded):
    r = create(seeded, "Forecast", close_date=next_year())
    assert r.exit_code == 0, r.stderr
    assert "Warning:" not in r.stderr


# --- History -------------------------------------------------------------------------------------


def test_creation_is_the_first_history_entry(seeded):
    history = show(seeded)["history"]
    assert len(history) == 1
    assert history[0]["from"] is None
    assert history[0]["to"] == "Prospected"
    assert history[0]["by"] == "tester"
    assert history[0]["at"]


def test_each_stage_change_appends_from_to_at_by(seeded, monkeypatch):
    assert seeded("deal", "advance", "1", *QUALIFIED).exit_code == 0
    monkeypatch.setenv("SALESCRM_USER", "ana")
    assert seeded("deal", "advance", "1", *BANT).exit_code == 0
    assert seeded("deal", "lose", "1", "--category", "Other", "--reason", "r").exit_code == 0
    history = show(seeded)["history"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        (None, "Prospected", "tester"),
        ("Prospected", "Qualified", "tester"),
        ("Qualified", "Discovered", "ana"),
        ("Discovered", "Lost", "ana"),
    ]
    assert all(set(h) == {"from", "to", "at", "by"} for h in history)
    assert all(h["at"] for h in history)


# --- Weighted amount -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "probability", "weighted"),
    [
        ("Prospected", 5, 600),
        ("Qualified", 10, 1200),
        ("Discovered", 20, 2400),
        ("Implementation Defined", 40, 4800),
        ("Offer Sent", 60, 7200),
        ("Offer Approved", 80, 9600),
        ("Contract Signed", 95, 11400),
        ("Payment Done", 100, 12000),
    ],
)
def test_weighted_amount_is_amount_times_stage_probability(seeded, stage, probability, weighted):
    walk_to(seeded, stage)
    obj = show(seeded)
    assert obj["amount"] == 12000
    assert obj["probability"] == probability
    assert obj["weighted_amount"] == weighted


def test_weighted_amount_of_a_lost_deal_is_zero(seeded):
    walk_to(seeded, "Offer Approved")
    assert seeded("deal", "lose", "1", "--category", "Other", "--reason", "r").exit_code == 0
    obj = show(seeded)
    assert obj["probability"] == 0
    assert obj["weighted_amount"] == 0
    assert obj["amount"] == 12000


def test_weighted_amount_in_deal_list(seeded):
    walk_to(seeded, "Offer Sent")
    [obj] = deal_list(seeded)
    assert obj["weighted_amount"] == 7200


# --- Values for later gates: deal edit --set -----------------------------------------------------------


def test_edit_records_a_value_for_a_later_gate_with_its_stage_and_setter(seeded, db):
    r = seeded("deal", "edit", "1", "--set", "quotation_ref=Q-2027-001")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["gates"] == {"quotation_ref": "Q-2027-001"}
    assert db.query("SELECT stage, set_by FROM gate_value WHERE key = 'quotation_ref'") == [("Offer Sent", "tester")]
    assert show(seeded)["stage"] == "Prospected"


@pytest.mark.parametrize("bad, code, message", [
    ("quotation_template=T-1", 2, "Unknown quotation template 'T-1'"),
    ("payment_received_on={tomorrow}", 2, "is in the future"),
    ("payment_received_on=2020-01-01", 2, "is before"),
    ("decision_maker=nobody@nowhere.es", 1, "No contact with email nobody@nowhere.es"),
])
def test_edit_format_checks_a_value_for_a_later_gate(seeded, db, bad, code, message):
    r = seeded("deal", "edit", "1", "--set", dated(bad))
    assert r.exit_code == code
    assert message in r.stderr
    assert db.count("gate_value") == 0


def test_edit_correcting_a_passed_gate_must_still_meet_it(seeded):
    walk_to(seeded, "Qualified")
    r = seeded("deal", "edit", "1", "--set", "segment_verified=no", "--reason", "Wrong segment")
    assert r.exit_code == 1
    assert "segment_verified is no" in r.stderr
    assert show(seeded)["gates"]["segment_verified"] == "yes"


def test_edit_set_help_says_any_gate_key_is_accepted():
    from salescrm.cli.app import command_group

    edit = command_group("deal").get_command(None, "edit")
    [option] = [p for p in edit.params if "--set" in p.opts]
    assert option.help.startswith("A gate value KEY=VALUE (repeatable), any gate key. A value of a later stage is "
                                  "recorded as soon as it is known and checked when its gate is entered")


# --- A final deal closes its open tasks --------------------------------------------------------------------


def tasks_of(db):
    return db.query("SELECT id, done, done_by, closed_as FROM task ORDER BY id")


def add_tasks(cli):
    """Task 2 on the deal (open), task 3 on the deal (done by hand), task 4 on the company; task 1 is the company's
    follow-up call."""
    ok(cli("task", "add", "Send the pricing calculator", "--deal", "1", "--due", "2099-01-15"))
    ok(cli("task", "add", "Call back", "--deal", "1", "--due", "2099-01-16"))
    ok(cli("task", "done", "3"))
    ok(cli("task", "add", "Yearly review", "--company", "Sanitas Hospitales", "--due", "2099-01-17"))


def test_winning_closes_the_deals_open_tasks(seeded, db):
    add_tasks(seeded)
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", *payment_done())
    assert r.exit_code == 0, r.stderr
    assert "Closed task 2 (deal won): Send the pricing calculator" in r.stdout.splitlines()
    assert [(t, bool(d), by, c) for t, d, by, c in tasks_of(db)] == [
        (1, False, None, None), (2, True, "tester", "deal won"), (3, True, "tester", None), (4, False, None, None)]


def test_losing_closes_the_deals_open_tasks(seeded, db):
    add_tasks(seeded)
    r = seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ("Deal 1 lost (Bad timing): Lost ES Sanitas Hospitales Proof of Concept\n"
                        "Closed task 2 (deal lost): Send the pricing calculator\n")
    assert [(t, bool(d), c) for t, d, _, c in tasks_of(db)] == [
        (1, False, None), (2, True, "deal lost"), (3, True, None), (4, False, None)]
    tasks = json.loads(seeded("task", "list", "--deal", "1", "--all", "--json").stdout)
    assert {t["id"]: t["closed_as"] for t in tasks} == {2: "deal lost", 3: None}


def test_keep_tasks_leaves_them_open(seeded, db):
    add_tasks(seeded)
    ok(seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen", "--keep-tasks"))
    assert [(t, bool(d)) for t, d, _, _ in tasks_of(db)] == [(1, False), (2, False), (3, True), (4, False)]


def test_keep_tasks_when_winning(seeded, db):
    add_tasks(seeded)
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", *payment_done(), "--keep-tasks", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["closed_tasks"] == []
    assert [(t, bool(d)) for t, d, _, _ in tasks_of(db)] == [(1, False), (2, False), (3, True), (4, False)]


def test_advance_json_lists_the_closed_tasks(seeded):
    add_tasks(seeded)
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", "--set", f"payment_received_on={gate_day()}", "--json")
    assert r.exit_code == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["stage"] == "Payment Done"
    assert [(t["id"], t["done"], t["closed_as"]) for t in obj["closed_tasks"]] == [(2, True, "deal won")]


def test_a_task_added_to_a_final_deal_afterwards_stays_open(seeded, db):
    ok(seeded("deal", "lose", "1", "--category", "Other", "--reason", "r"))
    ok(seeded("task", "add", "Send the close-out letter", "--deal", "1", "--due", "2099-01-15"))
    assert [(bool(done), closed_as) for done, closed_as in db.query("SELECT done, closed_as FROM task WHERE deal_id = 1")] \
        == [(False, None)]
