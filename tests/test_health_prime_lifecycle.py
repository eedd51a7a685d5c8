"""Health Prime's contact lifecycle: each value by its first-that-holds rule, and `contact set-lifecycle`."""

from __future__ import annotations

import json

from tests.conftest import FakePrompter
from tests.helpers import ok
from tests.hp_helpers import BOB, hp, hp_deal  # noqa: F401  (hp is a fixture)

TARGET, MQL, SQL, CUSTOMER = "Target", "Marketing Qualified Lead", "Sales Qualified Lead", "Customer"
EXCLUDE, ADDITIONAL, RECYCLED = "Exclude from Marketing", "Additional Sales Contact", "Recycled"


def stage_of(run, contact: str = "ann@sunrise.example") -> str:
    return json.loads(ok(run("contact", "show", contact, "--json")).stdout)["lifecycle_stage"]


def test_a_new_contact_is_a_target_and_one_who_engaged_a_marketing_qualified_lead(hp):
    run, _ = hp
    assert stage_of(run) == TARGET
    ok(run("activity", "log", "--contact", "ann@sunrise.example", "--type", "call", "--direction", "outbound",
           "--summary", "Left a message"))
    assert stage_of(run) == TARGET  # we called: they did not engage yet
    ok(run("activity", "log", "--contact", "ann@sunrise.example", "--type", "email", "--direction", "inbound",
           "--summary", "Asked for the brochure"))
    assert stage_of(run) == MQL
    # A lead intake engages too.
    ok(run("lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--email", "luis@clinic.example",
           "--channel", "web-form", "--no-follow-up"))
    assert stage_of(run, "luis@clinic.example") == MQL
    listed = json.loads(ok(run("contact", "list", "--json")).stdout)
    assert [(c["email"], c["lifecycle_stage"], c["manual_lifecycle"]) for c in listed] == [
        ("ann@sunrise.example", MQL, None), ("luis@clinic.example", MQL, None)]


def test_an_open_deal_makes_a_sales_qualified_lead_and_a_won_deal_a_customer_of_every_contact(hp):
    run, db = hp
    ok(run(*BOB))
    hp_deal(db, "Engaged", contacts=(1,))
    assert (stage_of(run), stage_of(run, "bob@sunrise.example")) == (SQL, TARGET)
    hp_deal(db, "Closed Won", pipeline="Upsell", contacts=(), path=("Engaged", "Proposal", "Partner of Choice"))
    # "associated with a company that has an active deal": every contact of the company, before the open deal.
    assert (stage_of(run), stage_of(run, "bob@sunrise.example")) == (CUSTOMER, CUSTOMER)


def test_a_backed_out_deal_does_not_make_a_customer(hp):
    run, db = hp
    hp_deal(db, "Closed Lost", lost_category="Bad timing", lost_from="Closed Won", backout=True,
            path=("Engaged", "Proposal", "Partner of Choice", "Closed Won"))
    assert db.query("SELECT to_stage, backout FROM stage_change WHERE backout = ?", True) == [("Closed Lost", True)]
    assert stage_of(run) == RECYCLED  # all its deals lost, the latest for a recyclable reason


def test_recycled_when_every_deal_is_lost_and_the_latest_for_a_recyclable_reason(hp):
    run, db = hp
    hp_deal(db, "Closed Lost", lost_category="Lost to competitor")
    assert stage_of(run) == TARGET
    hp_deal(db, "Closed Lost", lost_category="No budget")
    assert stage_of(run) == RECYCLED
    hp_deal(db, "Closed Lost", lost_category="Other")  # the latest is not recyclable
    assert stage_of(run) == TARGET
    ok(run("activity", "log", "--contact", "1", "--type", "call", "--direction", "inbound", "--summary", "Called back"))
    assert stage_of(run) == MQL
    hp_deal(db, "Closed Lost", lost_category="Bad timing")
    assert stage_of(run) == RECYCLED  # before Marketing Qualified Lead
    hp_deal(db, "Proposal", path=("Engaged",))
    assert stage_of(run) == SQL  # an open deal: not all are lost


def test_recycled_when_marketing_consent_is_withdrawn_until_given_again(hp):
    run, _ = hp
    consent = ("contact", "consent", "1", "--purpose", "marketing", "--source", "Email Marketing Consent form")
    ok(run(*consent, "--granted", "--basis", "consent", "--at", "2026-01-01T10:00"))
    assert stage_of(run) == TARGET
    ok(run(*consent, "--withdrawn", "--at", "2026-02-01T10:00"))
    assert stage_of(run) == RECYCLED
    ok(run(*consent, "--granted", "--basis", "consent", "--at", "2026-03-01T10:00"))
    assert stage_of(run) == TARGET


def test_a_persons_choice_is_never_overridden_and_a_recycled_by_hand_gives_way(hp):
    run, db = hp
    hp_deal(db, "Closed Won", contacts=(), path=("Engaged", "Proposal", "Partner of Choice"))
    assert stage_of(run) == CUSTOMER
    r = ok(run("contact", "set-lifecycle", "ann@sunrise.example", "exclude from marketing", "--reason", "Asked us"))
    assert (r.stdout, r.stderr) == ("Contact 1 Ann Lee: lifecycle stage Exclude from Marketing (set by hand)\n", "")
    assert stage_of(run) == EXCLUDE
    ok(run("contact", "set-lifecycle", "1", "Additional Sales Contact"))
    assert stage_of(run) == ADDITIONAL
    r = ok(run("contact", "set-lifecycle", "1", "recycled"))
    assert r.stdout == ("Contact 1 Ann Lee: Recycled set by hand, but the lifecycle stage is Customer, which the "
                        "process's rules put first (`salescrm process show`)\n")
    assert db.query("SELECT manual_lifecycle FROM contact") == [(RECYCLED,)]
    r = ok(run("contact", "set-lifecycle", "1", "--clear", "--json"))
    assert (json.loads(r.stdout)["lifecycle_stage"], json.loads(r.stdout)["manual_lifecycle"]) == (CUSTOMER, None)
    changes = json.loads(ok(run("journal", "show", "--contact", "1", "--json")).stdout)
    assert [(c["field"], c["old"], c["new"], c["reason"]) for c in changes if c["field"] == "manual_lifecycle"] == [
        ("manual_lifecycle", None, EXCLUDE, "Asked us"), ("manual_lifecycle", EXCLUDE, ADDITIONAL, None),
        ("manual_lifecycle", ADDITIONAL, RECYCLED, None), ("manual_lifecycle", RECYCLED, None, None)]


def test_recycled_set_by_hand_holds_without_a_deal(hp):
    run, _ = hp
    ok(run("contact", "set-lifecycle", "1", "Recycled"))
    assert stage_of(run) == RECYCLED


def test_set_lifecycle_takes_only_the_manual_values_and_writes_nothing_when_refused(hp):
    run, db = hp
    before = db.count("journal")
    r = run("contact", "set-lifecycle", "1", "Customer")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "Unknown lifecycle stage 'Customer': choose one of Exclude "
                                                        "from Marketing, Additional Sales Contact, Recycled.\n")
    r = run("contact", "set-lifecycle", "1")
    assert (r.exit_code, r.stderr) == (2, "Missing required value: lifecycle stage (the VALUE argument). Give it on "
                                          "the command line, or run on a terminal to be asked.\n")
    r = run("contact", "set-lifecycle", "1", "Recycled", "--clear")
    assert (r.exit_code, r.stderr) == (2, "Give a VALUE or --clear, not both.\n")
    r = run("contact", "set-lifecycle", "nobody@example.com", "Recycled")
    assert r.exit_code == 1
    assert db.query("SELECT manual_lifecycle FROM contact") == [(None,)] and db.count("journal") == before


def test_set_lifecycle_asks_for_the_value_on_a_terminal(hp):
    run, db = hp
    prompter = FakePrompter([("select", "Lifecycle stage", ADDITIONAL)])
    r = ok(run("contact", "set-lifecycle", "1", prompter=prompter))
    assert r.stdout == "Contact 1 Ann Lee: lifecycle stage Additional Sales Contact (set by hand)\n"
    assert db.query("SELECT manual_lifecycle FROM contact") == [(ADDITIONAL,)]


def test_set_lifecycle_is_refused_where_the_lifecycle_is_only_derived(seeded, db):
    before = db.count("journal")
    for args in (("marta@sanitas.es", "Customer"), ("marta@sanitas.es",)):
        r = seeded("contact", "set-lifecycle", *args)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", (
            "The process sp-009-001 derives every contact's lifecycle stage from the data (Marketing Qualified "
            "Lead, Sales Qualified Lead, Opportunity, Customer), so none is set by hand.\n"))
    assert db.query("SELECT manual_lifecycle FROM contact") == [(None,)] and db.count("journal") == before
