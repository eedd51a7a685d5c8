"""`salescrm report`: exact figures over small databases whose history is set to known days.

The `world` fixture builds six deals and three companies through the CLI, then moves their stage
history, creation times and company creation times to the days below (noon UTC, with TZ=UTC so that
local days are UTC days):

    deal  company  owner  class      amount  close       history
    1     Sanitas  Ana    inpatient  12000   2027-03-31  P 01-05, Q 01-20, D 02-10                (open)
    2     Sanitas  Ana    inpatient   5000   2026-03-31  P 01-10, Q 01-15, D 01-25, ID 02-05,
                                                         OS 02-15, OA 02-20, CS 02-25, PD 03-01  (won)
    3     DKV      Luis   Insurance   8000   2026-04-30  P 02-01, Lost 02-15 (Bad timing)
    4     DKV      Luis   Insurance  20000   2026-04-15  created in OS 02-03, CS 03-05, PD 03-15  (won)
    5     Sanitas  Ana    inpatient   3000   2026-05-31  P 03-10, Q 03-12, Lost 03-20 (No budget)
    6     DKV      Luis   Insurance  10000   2026-06-30  P 03-25                                  (open)

Companies created: Sanitas 2026-01-01, DKV 2026-01-25, HM Hospitales 2026-03-05 (no deal). All days 2026.
"""

from __future__ import annotations

import json
import os
import sys
import time as clock
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from salescrm.store.models import Company, Deal, StageChange
from tests.conftest import BANT
from tests.helpers import IMPLEMENTATION, OFFER_SENT, contract_signed, offer_approved, ok, payment_done, walk_to

INPATIENT = "Care provider inpatient private"
DKV_QUALIFIED = ["--set", "segment_verified=yes", "--set", "decision_maker=pablo@dkv.es"]


@pytest.fixture(autouse=True)
def utc_days():
    """Local days are UTC days here, so that noon UTC falls on the day written in the tables above."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    clock.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    clock.tzset()


def noon(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"2026-{day}").replace(hour=hour, tzinfo=timezone.utc)


def set_history(db, deal_id: int, *days: str) -> None:
    """Move a deal's stage changes (in order) and its creation to these days of 2026 (MM-DD, noon UTC)."""
    ids = [row[0] for row in db.query("SELECT id FROM stage_change WHERE deal_id = ? ORDER BY id", deal_id)]
    assert len(ids) == len(days), (deal_id, ids, days)
    with db.engine.begin() as conn:
        for change_id, day in zip(ids, days):
            conn.execute(sa.update(StageChange.__table__).where(StageChange.__table__.c.id == change_id)
                         .values(changed_at=noon(day)))
        conn.execute(sa.update(Deal.__table__).where(Deal.__table__.c.id == deal_id).values(created_at=noon(days[0])))


def set_company_created(db, name: str, day: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(Company.__table__).where(Company.__table__.c.name == name).values(created_at=noon(day)))


def new_deal(cli, description, amount, close, *, company="Sanitas Hospitales", owner="Ana García",
             deal_class=INPATIENT, more=()):
    return ok(cli("deal", "create", "--company", company, "--description", description, "--amount", str(amount),
                  "--close-date", close, "--class", deal_class, "--source", "Referral", "--owner", owner, *more))


@pytest.fixture
def world(seeded, db):
    cli = seeded
    ok(cli("team", "add", "Luis Pérez", "--role", "JD-002"))
    ok(cli("company", "add", "DKV", "--country", "ES", "--website", "dkv.es"))
    ok(cli("contact", "add", "--first-name", "Pablo", "--last-name", "Gil", "--job-title", "CFO", "--company", "DKV",
           "--email", "pablo@dkv.es"))
    ok(cli("company", "add", "HM Hospitales", "--country", "ES", "--website", "hmhospitales.com"))
    walk_to(cli, "Discovered", "1")
    new_deal(cli, "Second Phase", 5000, "2026-03-31")
    walk_to(cli, "Payment Done", "2")
    new_deal(cli, "Renewal", 8000, "2026-04-30", company="DKV", owner="Luis Pérez", deal_class="Insurance")
    ok(cli("deal", "lose", "3", "--category", "Bad timing", "--reason", "Budget frozen"))
    new_deal(cli, "Claims triage", 20000, "2026-04-15", company="DKV", owner="Luis Pérez", deal_class="Insurance",
             more=("--stage", "Offer Sent", *DKV_QUALIFIED, *BANT, *IMPLEMENTATION, *OFFER_SENT))
    ok(cli("deal", "advance", "4", "--to", "Contract Signed", *offer_approved(), *contract_signed()))
    ok(cli("deal", "advance", "4", *payment_done()))
    new_deal(cli, "Pilot", 3000, "2026-05-31")
    ok(cli("deal", "advance", "5", "--set", "segment_verified=yes", "--set", "decision_maker=marta@sanitas.es"))
    ok(cli("deal", "lose", "5", "--category", "No budget", "--reason", "No funds this year"))
    new_deal(cli, "Expansion", 10000, "2026-06-30", company="DKV", owner="Luis Pérez", deal_class="Insurance")
    set_history(db, 1, "01-05", "01-20", "02-10")
    set_history(db, 2, "01-10", "01-15", "01-25", "02-05", "02-15", "02-20", "02-25", "03-01")
    set_history(db, 3, "02-01", "02-15")
    set_history(db, 4, "02-03", "03-05", "03-15")
    set_history(db, 5, "03-10", "03-12", "03-20")
    set_history(db, 6, "03-25")
    set_company_created(db, "Sanitas Hospitales", "01-01")
    set_company_created(db, "DKV", "01-25")
    set_company_created(db, "HM Hospitales", "03-05")
    return cli


def report(cli, *args) -> dict:
    r = cli("report", *args, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def stages_of(obj: dict) -> dict:
    """{stage: (count, amount, weighted_amount)} for the stages with deals."""
    return {s["stage"]: (s["count"], s["amount"], s["weighted_amount"]) for s in obj["stages"] if s["count"]}


# --- report pipeline -----------------------------------------------------------------------------


def test_pipeline_at_past_dates_is_rebuilt_from_the_history(world):
    jan = report(world, "pipeline", "--at", "2026-01-31")
    assert jan["at"] == "2026-01-31"
    assert [s["stage"] for s in jan["stages"]] == ["Prospected", "Qualified", "Discovered", "Implementation Defined",
                                                   "Offer Sent", "Offer Approved", "Contract Signed"]
    assert stages_of(jan) == {"Qualified": (1, 12000, 1200), "Discovered": (1, 5000, 1000)}
    assert jan["total"] == {"count": 2, "amount": 17000, "weighted_amount": 2200}
    assert set(jan) == {"at", "currency", "stages", "total"}

    feb = report(world, "pipeline", "--at", "2026-02-28")
    assert stages_of(feb) == {"Discovered": (1, 12000, 2400), "Offer Sent": (1, 20000, 12000),
                              "Contract Signed": (1, 5000, 4750)}
    assert feb["total"] == {"count": 3, "amount": 37000, "weighted_amount": 19150}

    mar = report(world, "pipeline", "--at", "2026-03-31")
    assert stages_of(mar) == {"Prospected": (1, 10000, 500), "Discovered": (1, 12000, 2400)}
    assert mar["total"] == {"count": 2, "amount": 22000, "weighted_amount": 2900}

    before = report(world, "pipeline", "--at", "2026-01-04")
    assert before["total"] == {"count": 0, "amount": 0, "weighted_amount": 0}


def test_pipeline_today_matches_pipeline_show(world):
    now = report(world, "pipeline")
    shown = json.loads(ok(world("pipeline", "show", "--json")).stdout)
    assert {k: now[k] for k in ("currency", "stages", "total")} == shown
    assert stages_of(now) == {"Prospected": (1, 10000, 500), "Discovered": (1, 12000, 2400)}


def test_pipeline_filters_by_owner_and_class(world):
    assert stages_of(report(world, "pipeline", "--at", "2026-02-28", "--owner", "Luis Pérez")) == {
        "Offer Sent": (1, 20000, 12000)}
    assert stages_of(report(world, "pipeline", "--at", "2026-02-28", "--class", "care-provider-inpatient-private")) == {
        "Discovered": (1, 12000, 2400), "Contract Signed": (1, 5000, 4750)}


def test_pipeline_compare_lists_what_changed_and_the_companies_missing(world):
    r = report(world, "pipeline", "--at", "2026-03-31", "--compare", "2026-02-28")
    assert r["at"] == "2026-03-31"
    assert r["compare"]["at"] == "2026-02-28"
    assert r["compare"]["total"] == {"count": 3, "amount": 37000, "weighted_amount": 19150}
    assert r["total"] == {"count": 2, "amount": 22000, "weighted_amount": 2900}
    changes = r["changes"]
    assert (changes["from"], changes["to"]) == ("2026-02-28", "2026-03-31")

    def moves(key):
        return [(d["id"], d["from_stage"], d["to_stage"]) for d in changes[key]]

    assert moves("entered") == [(5, None, "Lost"), (6, None, "Prospected")]
    assert moves("moved") == []
    assert moves("won") == [(2, "Contract Signed", "Payment Done"), (4, "Offer Sent", "Payment Done")]
    assert moves("lost") == [(5, None, "Lost")]
    assert changes["won"][1] == {"id": 4, "name": "ES DKV Claims triage", "company": "DKV", "owner": "Luis Pérez",
                                 "amount": 20000, "currency": "EUR", "from_stage": "Offer Sent", "to_stage": "Payment Done"}
    assert changes["missing"] == [{"id": 3, "name": "HM Hospitales", "lead_status": "New",
                                   "created_at": "2026-03-05T12:00:00Z"}]


def test_pipeline_compare_in_either_order_and_moves(world):
    r = report(world, "pipeline", "--at", "2026-01-31", "--compare", "2026-02-28")
    assert r["at"] == "2026-01-31" and r["compare"]["at"] == "2026-02-28"
    changes = r["changes"]
    assert (changes["from"], changes["to"]) == ("2026-01-31", "2026-02-28")
    assert [(d["id"], d["from_stage"], d["to_stage"]) for d in changes["entered"]] == [
        (3, None, "Lost"), (4, None, "Offer Sent")]
    assert [(d["id"], d["from_stage"], d["to_stage"]) for d in changes["moved"]] == [
        (1, "Qualified", "Discovered"), (2, "Discovered", "Contract Signed")]
    assert changes["won"] == []
    assert [d["id"] for d in changes["lost"]] == [3]
    assert changes["missing"] == []
    # The owner filter narrows the deals; companies have no owner, so `missing` stays.
    luis = report(world, "pipeline", "--at", "2026-03-31", "--compare", "2026-02-28", "--owner", "Luis Pérez")["changes"]
    assert [d["id"] for d in luis["entered"] + luis["won"]] == [6, 4]
    assert [c["name"] for c in luis["missing"]] == ["HM Hospitales"]


def test_pipeline_table_in_a_pipe(world):
    r = world("report", "pipeline", "--at", "2026-02-28")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "Discovered\t20\t1\t12000\t2400" in lines
    assert "Contract Signed\t95\t1\t5000\t4750" in lines
    assert lines[-1] == "Total\t\t3\t37000\t19150"
    assert "█" not in r.stdout
    r = world("report", "pipeline", "--at", "2026-03-31", "--compare", "2026-02-28")
    assert r.exit_code == 0, r.stderr
    assert "Discovered\t1\t12000\t1\t12000\t0\t0" in r.stdout.splitlines()
    assert "Prospected\t0\t0\t1\t10000\t+1\t+10000" in r.stdout.splitlines()
    assert [line for line in r.stdout.splitlines() if line.startswith("#")] == [
        "# stages", "# entered", "# moved", "# won", "# lost", "# missing"]
    assert "4\tES DKV Claims triage\tOffer Sent\tPayment Done\t20000\tEUR\tLuis Pérez" in r.stdout
    assert "3\tHM Hospitales\tNew\t" in r.stdout


def test_pipeline_at_a_local_day(world, db):
    """`--at D` is the end of day D in local time: a move at 23:30 UTC on 03-31 is 01:30 on 04-01 in Madrid."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(StageChange.__table__).where(StageChange.__table__.c.deal_id == 6)
                     .values(changed_at=datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc)))
    assert report(world, "pipeline", "--at", "2026-03-31")["total"]["count"] == 2
    os.environ["TZ"] = "Europe/Madrid"  # utc_days puts it back
    clock.tzset()
    assert report(world, "pipeline", "--at", "2026-03-31")["total"]["count"] == 1
    assert report(world, "pipeline", "--at", "2026-04-01")["total"]["count"] == 2


# --- report forecast -----------------------------------------------------------------------------


def test_forecast_lists_open_deals_by_close_month_and_won_by_month(world):
    r = report(world, "forecast", "--at", "2026-03-31")
    assert r["months"] == [
        {"month": "2026-03", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 25000},
        {"month": "2026-06", "count": 1, "amount": 10000, "weighted_amount": 500, "won_amount": 0},
        {"month": "2027-03", "count": 1, "amount": 12000, "weighted_amount": 2400, "won_amount": 0},
    ]
    assert r["total"] == {"count": 2, "amount": 22000, "weighted_amount": 2900, "won_amount": 25000}
    assert r["at"] == "2026-03-31"


def test_forecast_at_a_past_date(world):
    r = report(world, "forecast", "--at", "2026-02-28")
    assert r["months"] == [
        {"month": "2026-03", "count": 1, "amount": 5000, "weighted_amount": 4750, "won_amount": 0},
        {"month": "2026-04", "count": 1, "amount": 20000, "weighted_amount": 12000, "won_amount": 0},
        {"month": "2027-03", "count": 1, "amount": 12000, "weighted_amount": 2400, "won_amount": 0},
    ]


def test_forecast_with_a_period_lists_every_month_in_it(world):
    r = report(world, "forecast", "--since", "2026-03-01", "--until", "2026-06-30")
    assert r["months"] == [
        {"month": "2026-03", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 25000},
        {"month": "2026-04", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 0},
        {"month": "2026-05", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 0},
        {"month": "2026-06", "count": 1, "amount": 10000, "weighted_amount": 500, "won_amount": 0},
    ]
    # Won dates are bounded too: deal 2 was won on 03-01, deal 4 on 03-15.
    r = report(world, "forecast", "--since", "2026-03-02", "--until", "2026-03-31", "--owner", "Ana García")
    assert r["months"] == [{"month": "2026-03", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 0}]
    r = report(world, "forecast", "--class", "Insurance", "--until", "2026-04-30")
    assert r["months"] == [{"month": "2026-03", "count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 20000}]


def test_forecast_table_in_a_pipe(world):
    r = world("report", "forecast", "--at", "2026-02-28")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2026-03\t1\t5000\t4750\t0",
        "2026-04\t1\t20000\t12000\t0",
        "2027-03\t1\t12000\t2400\t0",
        "Total\t3\t37000\t19150\t0",
    ]


# --- report conversion ---------------------------------------------------------------------------


def rates(r: dict) -> list[tuple]:
    return [(s["stage"], s["entered"], s["reached_next"], s["rate"]) for s in r["stages"]]


def test_conversion_of_every_deal(world):
    r = report(world, "conversion")
    # Deal 4 was created in Offer Sent and skipped Offer Approved: it entered every stage up to Payment Done.
    assert rates(r) == [
        ("Prospected", 6, 4, 0.6667),
        ("Qualified", 4, 3, 0.75),
        ("Discovered", 3, 2, 0.6667),
        ("Implementation Defined", 2, 2, 1.0),
        ("Offer Sent", 2, 2, 1.0),
        ("Offer Approved", 2, 2, 1.0),
        ("Contract Signed", 2, 2, 1.0),
    ]
    assert (r["won"], r["lost"], r["win_rate"]) == (2, 2, 0.5)
    assert r["lost_reasons"] == [{"category": "No budget", "count": 1}, {"category": "Bad timing", "count": 1}]
    assert r["leads"] == {"companies": 3, "won": 2, "rate": 0.6667}


def test_conversion_at_a_past_date(world):
    r = report(world, "conversion", "--at", "2026-02-28")
    assert rates(r) == [
        ("Prospected", 4, 3, 0.75),
        ("Qualified", 3, 3, 1.0),
        ("Discovered", 3, 2, 0.6667),
        ("Implementation Defined", 2, 2, 1.0),
        ("Offer Sent", 2, 1, 0.5),
        ("Offer Approved", 1, 1, 1.0),
        ("Contract Signed", 1, 0, 0.0),
    ]
    assert (r["won"], r["lost"], r["win_rate"]) == (0, 1, 0.0)
    assert r["lost_reasons"] == [{"category": "Bad timing", "count": 1}]
    assert r["leads"] == {"companies": 2, "won": 0, "rate": 0.0}


def test_conversion_of_a_period_and_an_owner(world):
    r = report(world, "conversion", "--since", "2026-03-01", "--until", "2026-03-31")
    assert (r["since"], r["until"]) == ("2026-03-01", "2026-03-31")
    assert rates(r)[:3] == [("Prospected", 2, 1, 0.5), ("Qualified", 1, 0, 0.0), ("Discovered", 0, 0, None)]
    assert (r["won"], r["lost"], r["win_rate"]) == (0, 1, 0.0)
    assert r["leads"] == {"companies": 1, "won": 0, "rate": 0.0}
    luis = report(world, "conversion", "--owner", "Luis Pérez")
    assert rates(luis)[:2] == [("Prospected", 3, 1, 0.3333), ("Qualified", 1, 1, 1.0)]
    assert (luis["won"], luis["lost"], luis["win_rate"]) == (1, 1, 0.5)
    assert luis["lost_reasons"] == [{"category": "Bad timing", "count": 1}]
    assert luis["leads"] == {"companies": 3, "won": 1, "rate": 0.3333}
    nothing = report(world, "conversion", "--until", "2026-01-01")
    assert all(s["entered"] == 0 and s["rate"] is None for s in nothing["stages"])
    assert nothing["win_rate"] is None and nothing["lost_reasons"] == []
    # Sanitas was created on 01-01; its deal 2 was won on 03-01: conversion counts what happened by --at.
    assert nothing["leads"] == {"companies": 1, "won": 1, "rate": 1.0}
    assert report(world, "conversion", "--until", "2026-01-01", "--at", "2026-02-28")["leads"] == {
        "companies": 1, "won": 0, "rate": 0.0}


def test_conversion_table_in_a_pipe(world):
    r = world("report", "conversion")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["# stages", "Prospected\t6\t4\tQualified\t0.6667"]
    assert [line for line in lines if line.startswith("#")] == ["# stages", "# rates", "# lost_reasons"]
    assert "Win rate\t0.5 (2 won, 2 lost)" in lines
    assert "Leads to won\t0.6667 (2 of 3 companies created have a won deal)" in lines
    assert "No budget\t1" in lines


# --- report cycle --------------------------------------------------------------------------------


def test_cycle_to_payment_done(world):
    r = report(world, "cycle")
    assert r["won_at"] == "Payment Done"
    # Deal 2: 01-10 to 03-01, 50 days; deal 4: 02-03 to 03-15, 40 days.
    assert {k: r[k] for k in ("deals", "median_days", "p25_days", "p75_days")} == {
        "deals": 2, "median_days": 45.0, "p25_days": 42.5, "p75_days": 47.5}
    assert r["by_class"] == [
        {"class": INPATIENT, "deals": 1, "median_days": 50.0, "p25_days": 50.0, "p75_days": 50.0},
        {"class": "Insurance", "deals": 1, "median_days": 40.0, "p25_days": 40.0, "p75_days": 40.0},
    ]
    assert r["by_owner"] == [
        {"owner": "Ana García", "deals": 1, "median_days": 50.0, "p25_days": 50.0, "p75_days": 50.0},
        {"owner": "Luis Pérez", "deals": 1, "median_days": 40.0, "p25_days": 40.0, "p75_days": 40.0},
    ]
    # Stays that ended: Prospected 15, 5, 14, 2; Qualified 21, 10, 8; Offer Sent 5, 30; Contract Signed 4, 10.
    assert r["stage_median_days"] == [
        {"stage": "Prospected", "median_days": 9.5, "stays": 4},
        {"stage": "Qualified", "median_days": 10.0, "stays": 3},
        {"stage": "Discovered", "median_days": 11.0, "stays": 1},
        {"stage": "Implementation Defined", "median_days": 10.0, "stays": 1},
        {"stage": "Offer Sent", "median_days": 17.5, "stays": 2},
        {"stage": "Offer Approved", "median_days": 5.0, "stays": 1},
        {"stage": "Contract Signed", "median_days": 7.0, "stays": 2},
    ]


def test_cycle_to_the_signature(world):
    r = report(world, "cycle", "--won-at", "contract-signed")
    # Deal 2 signed 02-25 (46 days), deal 4 03-05 (30 days).
    assert r["won_at"] == "Contract Signed"
    assert (r["deals"], r["median_days"], r["p25_days"], r["p75_days"]) == (2, 38.0, 34.0, 42.0)


def test_cycle_of_a_period_and_at_a_past_date(world):
    r = report(world, "cycle", "--since", "2026-03-10")
    assert (r["deals"], r["median_days"]) == (1, 40.0)
    assert [g["owner"] for g in r["by_owner"]] == ["Luis Pérez"]
    assert {s["stage"]: s["median_days"] for s in r["stage_median_days"] if s["stays"]} == {
        "Prospected": 2.0, "Qualified": 8.0, "Contract Signed": 10.0}
    past = report(world, "cycle", "--at", "2026-02-28")
    assert (past["deals"], past["median_days"], past["p25_days"], past["by_class"], past["by_owner"]) == (
        0, None, None, [], [])
    assert [(s["stage"], s["median_days"], s["stays"]) for s in past["stage_median_days"]] == [
        ("Prospected", 14.0, 3), ("Qualified", 15.5, 2), ("Discovered", 11.0, 1), ("Implementation Defined", 10.0, 1),
        ("Offer Sent", 5.0, 1), ("Offer Approved", 5.0, 1), ("Contract Signed", None, 0)]
    insurance = report(world, "cycle", "--class", "insurance", "--until", "2026-03-31")
    assert (insurance["deals"], insurance["median_days"]) == (1, 40.0)


def test_cycle_table_in_a_pipe(world):
    r = world("report", "cycle")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "Median days\t45.0" in lines
    assert "Middle half\t42.5 to 47.5 days (25th to 75th percentile)" in lines
    assert "Ana García\t1\t50.0\t50.0\t50.0" in lines
    assert "Prospected\t4\t9.5" in lines


def test_cycle_to_the_signature_leaves_out_a_deal_lost_after_it(seeded, db):
    cli = seeded
    walk_to(cli, "Contract Signed", "1")
    new_deal(cli, "Second Phase", 5000, "2026-03-31")
    walk_to(cli, "Contract Signed", "2")
    set_history(db, 1, "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-11")
    set_history(db, 2, "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-21")
    ok(cli("deal", "lose", "2", "--category", "Other", "--reason", "The contract was rescinded"))
    r = report(cli, "cycle", "--won-at", "Contract Signed")
    assert (r["deals"], r["median_days"]) == (1, 10.0)
    assert report(cli, "cycle")["deals"] == 0


# --- report next-steps ---------------------------------------------------------------------------


def test_next_steps_is_deal_next_steps(seeded):
    cli = seeded
    new_deal(cli, "Second Phase", 5000, "2027-03-31")
    ok(cli("task", "add", "Send the pricing calculator", "--deal", "2", "--due", "2027-01-15", "--owner", "Ana García"))
    r = cli("report", "next-steps", "--json")
    assert r.exit_code == 0, r.stderr
    items = json.loads(r.stdout)
    assert [(d["deal"], d["flag"], d["next_task"] and d["next_task"]["title"]) for d in items] == [
        (1, "missing", None), (2, None, "Send the pricing calculator")]
    assert r.stdout == cli("deal", "next-steps", "--json").stdout
    assert cli("report", "next-steps", "--owner", "Ana García").stdout == cli("deal", "next-steps").stdout


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, code, message", [
    (["pipeline", "--at", "31/03/2026"], 2, "give it as YYYY-MM-DD"),
    (["pipeline", "--at", "2999-01-01"], 2, "is in the future"),
    (["pipeline", "--compare", "March"], 2, "Comparison date (--compare) 'March' is not a date"),
    (["forecast", "--since", "2026-04-01", "--until", "2026-03-01"], 2, "give a start on or before the end"),
    (["conversion", "--until", "soon"], 2, "End (--until) 'soon' is not a date"),
    (["cycle", "--won-at", "offer-sent"], 2, "choose one of payment-done, contract-signed"),
    (["cycle", "--class", "Hospitals"], 2, "Unknown deal class 'Hospitals'"),
    (["forecast", "--owner", "Nobody Known"], 1, "No team member named 'Nobody Known'"),
])
def test_bad_values(seeded, args, code, message):
    r = seeded("report", *args)
    assert r.exit_code == code, r.stderr
    assert message in r.stderr
    assert r.stdout == ""


def test_reports_on_an_empty_database(cli):
    assert report(cli, "pipeline")["total"] == {"count": 0, "amount": 0, "weighted_amount": 0}
    assert report(cli, "forecast") == {"at": report(cli, "forecast")["at"], "currency": "EUR", "months": [],
                                       "total": {"count": 0, "amount": 0, "weighted_amount": 0, "won_amount": 0}}
    conversion = report(cli, "conversion")
    assert conversion["win_rate"] is None and conversion["leads"] == {"companies": 0, "won": 0, "rate": None}
    assert report(cli, "cycle")["deals"] == 0
    r = cli("report", "next-steps", "--json")
    assert (r.exit_code, r.stdout) == (0, "[]\n")


@pytest.mark.no_database
@pytest.mark.parametrize("args", [["report", "--help"], ["report", "pipeline", "--help"]])
def test_report_help_imports_nothing_heavy(tmp_path, args):
    from tests.test_startup import PROCESS, PROCESS_NAMES, SALESCRM, loaded, not_allowed

    p, modules = loaded(tmp_path, args)
    assert p.returncode == 0, p.stderr
    assert "Example: salescrm report" in p.stdout
    assert "salescrm.cli.reports" in modules
    assert not_allowed(modules, SALESCRM | {"salescrm.cli.reports"} | PROCESS_NAMES | PROCESS) == set()


def test_conversion_of_leads_by_channel_and_source(cli):
    """Issue: `report` can filter by channel and source, so that the team sees which ads and keywords bring leads."""
    from tests.conftest import ANA, ELENA
    from tests.helpers import steps

    for args in (ANA, ELENA):
        assert cli(*args).exit_code == 0
    for first, email, company, channel, extra in (
        ("Luis", "luis@vidal.es", "Clínica Vidal", "web-form", ["--keyword", "Dermatology AI", "--search-engine", "google"]),
        ("Ana", "ana@soto.es", "Clínica Soto", "phone", []),
    ):
        r = cli("lead", "add", "--first-name", first, "--last-name", "X", "--email", email, "--company", company,
                "--country", "ES", "--website", f"{email.split('@')[1]}", "--channel", channel, *extra, "--no-follow-up")
        assert r.exit_code == 0, r.stderr
    r = cli("deal", "create", "--company", "Clínica Vidal", "--description", "Pilot", "--amount", "5000", "--close-date",
            "2027-03-31", "--class", "Care provider outpatient private", "--source", "Web form", "--owner", "Ana García",
            "--contact", "luis@vidal.es")
    assert r.exit_code == 0, r.stderr
    for name, values in steps():
        values = [v.replace("marta@sanitas.es", "luis@vidal.es") for v in values]
        r = cli("deal", "advance", "1", *values)
        assert r.exit_code == 0, (name, r.stderr)

    def leads(*args):
        r = cli("report", "conversion", *args, "--json")
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)["leads"]

    assert leads() == {"companies": 2, "won": 1, "rate": 0.5}
    assert leads("--channel", "web-form") == {"companies": 1, "won": 1, "rate": 1.0}
    assert leads("--channel", "Phone") == {"companies": 1, "won": 0, "rate": 0.0}
    assert leads("--source", "dermatology") == {"companies": 1, "won": 1, "rate": 1.0}
    assert leads("--source", "nothing like it") == {"companies": 0, "won": 0, "rate": None}
    assert cli("report", "conversion", "--channel", "fax").exit_code == 2
