"""Stage gates (SP-009-001, GP-009): what moving into each stage requires, through `deal advance`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import BANT, QUALIFIED
from tests.helpers import (
    IMPLEMENTATION, OFFER_SENT, backdate_deal, contract_signed, dated, gate_day, payment_done, show, today, tomorrow,
    walk_to, yesterday,
)


def snapshot(cli, deal="1") -> dict:
    obj = show(cli, deal)
    return {k: obj[k] for k in ("stage", "gates", "history", "name", "amount", "updated_at")}


def other_company_contact(cli) -> None:
    assert cli("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es").exit_code == 0
    r = cli("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "CMO",
            "--company", "DKV", "--email", "luis@dkv.es")
    assert r.exit_code == 0, r.stderr


# --- Qualified ----------------------------------------------------------------------------


def test_qualified_gate_met_moves_the_deal_and_stores_the_values(seeded):
    r = seeded("deal", "advance", "1", *QUALIFIED)
    assert r.exit_code == 0, r.stderr
    assert "moved from Prospected to Qualified" in r.stdout
    obj = show(seeded)
    assert obj["stage"] == "Qualified"
    assert obj["gates"] == {"segment_verified": "yes", "decision_maker": "marta@sanitas.es"}


def test_decision_maker_may_be_given_by_contact_id(seeded):
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=1")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Qualified"
    assert obj["gates"]["decision_maker"] == "marta@sanitas.es"


def test_decision_maker_of_another_company_is_refused(seeded):
    other_company_contact(seeded)
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=luis@dkv.es")
    assert r.exit_code == 1
    assert "Luis Pardo is not a contact of the deal's company" in r.stderr
    assert snapshot(seeded) == before


def test_refusal_for_a_foreign_decision_maker_names_the_set_option(seeded):
    """Spec: the message names each failing key with `--set KEY=…`."""
    other_company_contact(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=luis@dkv.es")
    assert r.exit_code == 1
    assert "--set decision_maker=" in r.stderr


def test_unknown_decision_maker_is_not_found(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=nobody@nowhere.es")
    assert r.exit_code == 1
    assert "No contact with email nobody@nowhere.es" in r.stderr
    assert snapshot(seeded) == before


def test_segment_not_verified_is_refused_naming_the_key(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified=no", "--set", "decision_maker=marta@sanitas.es")
    assert r.exit_code == 1
    assert "Cannot move deal 1 into Qualified" in r.stderr
    assert "segment_verified is no" in r.stderr
    assert "--set segment_verified=" in r.stderr
    assert snapshot(seeded) == before


@pytest.mark.parametrize("word", ["yes", "YES", "y", "Y", "true", "True"])
def test_yes_is_accepted_as_yes_y_or_true_in_any_case(seeded, word):
    r = seeded("deal", "advance", "1", "--set", f"segment_verified={word}", "--set", "decision_maker=marta@sanitas.es")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["gates"]["segment_verified"] == "yes"


def test_yes_no_value_that_is_neither_is_invalid(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified=maybe", "--set", "decision_maker=marta@sanitas.es")
    assert r.exit_code == 2
    assert "--set segment_verified 'maybe' is neither yes nor no" in r.stderr
    assert snapshot(seeded) == before


def test_missing_qualified_values_are_each_named_with_their_set_option(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1")
    assert r.exit_code == 1
    assert "--set segment_verified=…" in r.stderr
    assert "--set decision_maker=…" in r.stderr
    assert snapshot(seeded) == before


def test_one_missing_qualified_value_is_named_alone(seeded):
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes")
    assert r.exit_code == 1
    assert "--set decision_maker=…" in r.stderr
    assert "--set segment_verified=…" not in r.stderr
    assert show(seeded)["stage"] == "Prospected"


# --- Discovered (BANT) ----------------------------------------------------------------------


def test_three_of_four_bant_notes_discover_the_deal(seeded):
    walk_to(seeded, "Qualified")
    r = seeded("deal", "advance", "1", *BANT)
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Discovered"
    assert obj["gates"]["budget"] == "Approved for 2027"
    assert obj["gates"]["need"] == "Long waiting list"
    assert "timeline" not in obj["gates"]


def test_four_of_four_bant_notes_discover_the_deal(seeded):
    walk_to(seeded, "Qualified")
    r = seeded("deal", "advance", "1", *BANT, "--set", "timeline=Before summer")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["gates"]["timeline"] == "Before summer"


def test_two_bant_notes_are_refused(seeded):
    walk_to(seeded, "Qualified")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "budget=Approved", "--set", "need=Waiting list")
    assert r.exit_code == 1
    assert "at least 3 of 4 BANT notes, 2 met" in r.stderr
    assert "--set authority=…" in r.stderr
    assert "--set timeline=…" in r.stderr
    assert "--set budget=…" not in r.stderr
    assert snapshot(seeded) == before


@pytest.mark.parametrize("unmet", ["no", "No", "NONE", "none", "-", "", "   "])
def test_a_bant_note_saying_no_none_dash_or_nothing_is_not_met(seeded, unmet):
    walk_to(seeded, "Qualified")
    r = seeded("deal", "advance", "1", "--set", "budget=Approved", "--set", "need=Waiting list",
               "--set", f"authority={unmet}")
    assert r.exit_code == 1
    assert "2 met" in r.stderr
    assert "--set authority=…" in r.stderr
    assert show(seeded)["stage"] == "Qualified"


# --- Implementation Defined ------------------------------------------------------------------


def test_implementation_defined_needs_all_four_notes(seeded):
    walk_to(seeded, "Discovered")
    r = seeded("deal", "advance", "1", *IMPLEMENTATION)
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Implementation Defined"
    assert obj["gates"]["pricing_basis"] == "Per report"


@pytest.mark.parametrize("missing", ["implementation_method", "success_metrics", "pricing_basis", "implementation_timeline"])
def test_implementation_defined_is_refused_without_any_one_note(seeded, missing):
    walk_to(seeded, "Discovered")
    given = [IMPLEMENTATION[i + 1] for i in range(0, len(IMPLEMENTATION), 2) if not IMPLEMENTATION[i + 1].startswith(missing + "=")]
    args = [a for v in given for a in ("--set", v)]
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", *args)
    assert r.exit_code == 1
    assert f"--set {missing}=…" in r.stderr
    assert snapshot(seeded) == before


# --- Offer Sent ----------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["T-009-002", "T-009-004", "t-009-004"])
def test_offer_sent_with_an_allowed_template(seeded, template):
    walk_to(seeded, "Implementation Defined")
    r = seeded("deal", "advance", "1", "--set", f"quotation_template={template}", "--set", "quotation_ref=Q-1")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Offer Sent"
    assert obj["gates"]["quotation_template"] == template.upper()
    assert obj["gates"]["quotation_ref"] == "Q-1"


def test_offer_sent_with_another_template_is_invalid(seeded):
    walk_to(seeded, "Implementation Defined")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "quotation_template=T-009-001", "--set", "quotation_ref=Q-1")
    assert r.exit_code == 2
    assert "T-009-001" in r.stderr
    assert "T-009-002, T-009-004" in r.stderr
    assert snapshot(seeded) == before


def test_offer_sent_without_a_quotation_ref_is_refused(seeded):
    walk_to(seeded, "Implementation Defined")
    r = seeded("deal", "advance", "1", "--set", "quotation_template=T-009-002")
    assert r.exit_code == 1
    assert "--set quotation_ref=…" in r.stderr
    assert show(seeded)["stage"] == "Implementation Defined"


def test_offer_sent_with_amount_zero_is_refused(seeded):
    walk_to(seeded, "Implementation Defined")
    assert seeded("deal", "edit", "1", "--amount", "0").exit_code == 0
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", *OFFER_SENT)
    assert r.exit_code == 1
    assert "Offer Sent needs an amount above 0" in r.stderr
    assert snapshot(seeded) == before


# --- Offer Approved ----------------------------------------------------------------------------


@pytest.mark.parametrize("days_ago", [0, 1, 30])
def test_offer_approved_with_a_date_from_the_deals_creation_up_to_today(seeded, db, days_ago):
    walk_to(seeded, "Offer Sent")
    backdate_deal(db, 30)
    when = (today() - timedelta(days=days_ago)).isoformat()
    r = seeded("deal", "advance", "1", "--set", f"offer_approved_on={when}")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Offer Approved"
    assert obj["gates"]["offer_approved_on"] == when


def test_a_gate_date_before_the_day_the_deal_was_created_is_invalid(seeded, db):
    """Issue 10: a gate date may not be before the local date on which the deal was created (exit 2)."""
    walk_to(seeded, "Offer Sent")
    backdate_deal(db, 30)
    day = today()
    created = (day - timedelta(days=30)).isoformat()
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", f"offer_approved_on={(day - timedelta(days=31)).isoformat()}")
    assert r.exit_code == 2
    assert r.stderr == (f"--set offer_approved_on {(day - timedelta(days=31)).isoformat()} is before {created}, the day "
                        f"deal 1 was created; give a date from {created} to {day.isoformat()}.\n")
    assert snapshot(seeded) == before


def test_a_gate_date_before_today_is_invalid_for_a_deal_created_today(seeded):
    walk_to(seeded, "Offer Sent")
    r = seeded("deal", "advance", "1", "--set", f"offer_approved_on={yesterday()}")
    assert r.exit_code == 2
    assert f"is before {today().isoformat()}, the day deal 1 was created" in r.stderr
    assert show(seeded)["stage"] == "Offer Sent"


def test_a_deal_created_further_along_takes_gate_dates_of_today_only(seeded):
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Licence", "--amount", "1",
               "--close-date", "2027-03-31", "--class", "Insurance", "--source", "Event", "--owner", "Ana García",
               "--stage", "offer-approved", *QUALIFIED, *BANT, *IMPLEMENTATION, *OFFER_SENT,
               "--set", f"offer_approved_on={yesterday()}")
    assert r.exit_code == 2
    assert f"is before {today().isoformat()}, the day the new deal was created" in r.stderr
    assert len(json.loads(seeded("deal", "list", "--json").stdout)) == 1


def test_offer_approved_without_a_date_is_refused(seeded):
    walk_to(seeded, "Offer Sent")
    r = seeded("deal", "advance", "1")
    assert r.exit_code == 1
    assert "--set offer_approved_on=…" in r.stderr
    assert show(seeded)["stage"] == "Offer Sent"


@pytest.mark.parametrize("bad", ["2026-13-01", "31/12/2025", "yesterday", "2025-02-30"])
def test_a_malformed_gate_date_is_invalid(seeded, bad):
    walk_to(seeded, "Offer Sent")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", f"offer_approved_on={bad}")
    assert r.exit_code == 2
    assert f"'{bad}' is not a date" in r.stderr
    assert snapshot(seeded) == before


def test_a_gate_date_in_the_future_is_invalid(seeded):
    walk_to(seeded, "Offer Sent")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", f"offer_approved_on={tomorrow()}")
    assert r.exit_code == 2
    assert f"{tomorrow()} is in the future" in r.stderr
    assert snapshot(seeded) == before


# --- Contract Signed ----------------------------------------------------------------------------


def test_contract_signed_by_the_general_manager(seeded):
    walk_to(seeded, "Offer Approved")
    r = seeded("deal", "advance", "1", *contract_signed())
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Contract Signed"
    assert obj["gates"]["contract_signed_on"] == gate_day()
    assert obj["gates"]["healthcare_provider_clause"] == "yes"
    assert obj["gates"]["signed_by"] == "Elena Ortiz"


def test_contract_without_the_healthcare_provider_clause_is_refused(seeded):
    walk_to(seeded, "Offer Approved")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", f"contract_signed_on={gate_day()}",
               "--set", "healthcare_provider_clause=no", "--set", "signed_by=Elena Ortiz")
    assert r.exit_code == 1
    assert "healthcare_provider_clause is no" in r.stderr
    assert "--set healthcare_provider_clause=" in r.stderr
    assert snapshot(seeded) == before


def test_contract_signed_by_a_jd_019_is_refused(seeded):
    walk_to(seeded, "Offer Approved")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", f"contract_signed_on={gate_day()}",
               "--set", "healthcare_provider_clause=yes", "--set", "signed_by=Ana García")
    assert r.exit_code == 1
    assert "Ana García is JD-019" in r.stderr
    assert "JD-001" in r.stderr
    assert snapshot(seeded) == before


def test_contract_signed_by_an_unknown_person_is_not_found(seeded):
    walk_to(seeded, "Offer Approved")
    r = seeded("deal", "advance", "1", "--set", f"contract_signed_on={gate_day()}",
               "--set", "healthcare_provider_clause=yes", "--set", "signed_by=Nobody Known")
    assert r.exit_code == 1
    assert "No team member named 'Nobody Known'" in r.stderr
    assert show(seeded)["stage"] == "Offer Approved"


def test_a_wrong_signer_and_a_missing_date_are_both_named(seeded):
    """Spec: the refusal names each missing/failing key, not only the first one found."""
    walk_to(seeded, "Offer Approved")
    r = seeded("deal", "advance", "1", "--set", "healthcare_provider_clause=yes", "--set", "signed_by=Ana García")
    assert r.exit_code == 1
    assert "signed_by" in r.stderr
    assert "--set contract_signed_on=…" in r.stderr


def test_contract_signed_with_nothing_names_every_key(seeded):
    walk_to(seeded, "Offer Approved")
    r = seeded("deal", "advance", "1")
    assert r.exit_code == 1
    for key in ("contract_signed_on", "healthcare_provider_clause", "signed_by"):
        assert f"--set {key}=…" in r.stderr
    assert show(seeded)["stage"] == "Offer Approved"


# --- Payment Done ----------------------------------------------------------------------------


def test_payment_done_wins_the_deal(seeded):
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", *payment_done())
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Payment Done"
    assert obj["gates"]["payment_received_on"] == gate_day()
    listed = json.loads(seeded("deal", "list", "--won", "--json").stdout)
    assert [d["id"] for d in listed] == [1]


def test_payment_date_in_the_future_is_invalid(seeded):
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", "--set", f"payment_received_on={tomorrow()}")
    assert r.exit_code == 2
    assert "is in the future" in r.stderr
    assert show(seeded)["stage"] == "Contract Signed"


# --- --set values -------------------------------------------------------------------------------


def test_unknown_set_key_is_invalid(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", *QUALIFIED, "--set", "favourite_colour=blue")
    assert r.exit_code == 2
    assert "Unknown gate key 'favourite_colour'" in r.stderr
    assert snapshot(seeded) == before


def test_set_without_equals_is_invalid(seeded):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", "--set", "segment_verified", "--set", "decision_maker=marta@sanitas.es")
    assert r.exit_code == 2
    assert "--set 'segment_verified' is not KEY=VALUE" in r.stderr
    assert snapshot(seeded) == before


def test_set_key_of_a_later_stage_is_recorded_for_its_gate(seeded, db):
    """Issue 10: values for later gates can be recorded as soon as they are known (this test asserted exit 2)."""
    r = seeded("deal", "advance", "1", *QUALIFIED, "--set", "budget=Approved")
    assert r.exit_code == 0, r.stderr
    obj = show(seeded)
    assert obj["stage"] == "Qualified"
    assert obj["gates"]["budget"] == "Approved"
    assert db.query("SELECT stage, set_by FROM gate_value WHERE key = 'budget'") == [("Discovered", "tester")]


def test_a_recorded_value_counts_when_its_gate_is_entered(seeded):
    assert seeded("deal", "advance", "1", *QUALIFIED, "--set", "budget=Approved").exit_code == 0
    r = seeded("deal", "advance", "1", "--set", "authority=Head of service", "--set", "need=Waiting list")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["stage"] == "Discovered"


def test_a_recorded_value_is_checked_when_its_gate_is_entered(seeded):
    walk_to(seeded, "Offer Approved")
    assert seeded("deal", "edit", "1", "--set", "signed_by=Ana García").exit_code == 0
    r = seeded("deal", "advance", "1", "--set", f"contract_signed_on={gate_day()}", "--set", "healthcare_provider_clause=yes")
    assert r.exit_code == 1
    assert "signed_by Ana García is JD-019 (Business Development), not JD-001" in r.stderr
    assert show(seeded)["stage"] == "Offer Approved"


@pytest.mark.parametrize("bad, message", [
    ("offer_approved_on={tomorrow}", "--set offer_approved_on {tomorrow} is in the future"),
    ("quotation_template=T-009-001", "Unknown quotation template 'T-009-001'"),
    ("healthcare_provider_clause=maybe", "--set healthcare_provider_clause 'maybe' is neither yes nor no"),
])
def test_a_value_for_a_later_gate_is_format_checked_when_set(seeded, bad, message):
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", *QUALIFIED, "--set", dated(bad))
    assert r.exit_code == 2
    assert dated(message) in r.stderr
    assert snapshot(seeded) == before


def test_a_refused_advance_records_no_value_for_a_later_gate(seeded, db):
    r = seeded("deal", "advance", "1", "--set", "segment_verified=no", "--set", "decision_maker=marta@sanitas.es",
               "--set", "budget=Approved")
    assert r.exit_code == 1
    assert db.count("gate_value") == 0


def test_set_key_of_a_stage_already_passed_corrects_it(seeded):
    """Any gate key is accepted (this test asserted exit 2): a passed gate's value is corrected, and that gate must
    still be met."""
    walk_to(seeded, "Qualified")
    r = seeded("deal", "advance", "1", *BANT, "--set", "segment_verified=y")
    assert r.exit_code == 0, r.stderr
    assert show(seeded)["gates"]["segment_verified"] == "yes"


def test_set_key_of_a_stage_already_passed_must_still_meet_its_gate(seeded):
    walk_to(seeded, "Qualified")
    before = snapshot(seeded)
    r = seeded("deal", "advance", "1", *BANT, "--set", "segment_verified=no")
    assert r.exit_code == 1
    assert "Cannot move deal 1 into Qualified: segment_verified is no" in r.stderr
    assert snapshot(seeded) == before


# --- Nothing written on failure -------------------------------------------------------------------


def test_refused_advance_writes_nothing(seeded):
    walk_to(seeded, "Qualified")
    before = show(seeded)
    r = seeded("deal", "advance", "1", "--set", "budget=Approved")
    assert r.exit_code == 1
    after = show(seeded)
    assert after["stage"] == before["stage"] == "Qualified"
    assert after["gates"] == before["gates"]
    assert after["history"] == before["history"]
    assert "budget" not in after["gates"]


def test_refused_skip_ahead_keeps_no_gate_value_of_earlier_stages(seeded):
    before = show(seeded)
    # Qualified's gate is met, Discovered's is not: the whole move is refused.
    r = seeded("deal", "advance", "1", "--to", "discovered", *QUALIFIED, "--set", "budget=Approved")
    assert r.exit_code == 1
    assert "Cannot move deal 1 into Discovered" in r.stderr
    after = show(seeded)
    assert after["stage"] == "Prospected"
    assert after["gates"] == {} == before["gates"]
    assert after["history"] == before["history"]


def test_invalid_value_in_a_later_gate_writes_nothing(seeded):
    before = show(seeded)
    r = seeded("deal", "advance", "1", "--to", "offer-approved", *QUALIFIED, *BANT, *IMPLEMENTATION, *OFFER_SENT,
               "--set", f"offer_approved_on={tomorrow()}")
    assert r.exit_code == 2
    after = show(seeded)
    assert (after["stage"], after["gates"], after["history"]) == (before["stage"], before["gates"], before["history"])
