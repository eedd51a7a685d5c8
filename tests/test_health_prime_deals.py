"""Deals in a database bound to health-prime (issue 12, the deal side): created in the pipeline given, moved
through the gates of their own pipeline (each stage's properties, on the deal, its company or a contact,
its next step and its #S&OP note), the Expansion/Upsell rule, Closed Lost by category and details,
`deal sop`, the Closed Won tasks, and the back-out of a signed deal, allowed and refused. Last, a stage
with a new gate added to a process file drives a deal with no code change."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from salescrm.process import load
from tests.helpers import ok, show, with_options
from tests.hp_helpers import health_prime_database

DEAL = ["deal", "create", "--company", "Sunrise Clinics", "--description", "RCM", "--amount", "50000",
        "--close-date", "2027-03-31", "--source", "Web", "--owner", "Ana Lee", "--country", "US"]
ENGAGED = ["--set", "enterprise_deal_status=no", "--set", "hp_products=rcm, it"]
PROPOSAL = ["--set", "likely_scope=RCM for 3 sites", "--set", "annual_practice_collections=2,000,000"]
POC_DEAL = {  # what Partner of Choice needs on the deal (set with `deal edit`, before `deal sop`)
    "proposal": "Quote emailed", "pricing_model": "Percent of collections", "volume_data": "4000 claims a month",
    "decision_date": "2027-02-01", "deal_meeting_required": "no", "approval_status": "approved",
    "rate_range": "4-6%", "verbal_commit": "yes", "contract_status": "proposal sent", "confidence_level": "High",
    "term_months": "36", "arr_at_signing": "120000", "non_recurring_revenue": "5000", "go_live_date": "2027-05-01",
    "legacy_pm": "Kareo", "legacy_ehr": "Athena", "tax_ids": "2", "annual_practice_charges": "4000000",
    "annual_visits": "30000", "backlog_details": "90 days AR", "license_restrictions": "None",
    "contract_provisions": "None"}
POC_COMPANY = {"business_unit": "East", "provider_specialty": "Cardiology", "providers": "12", "locations": "3",
               "current_pm": "Kareo", "current_ehr": "Athena", "current_rcm_processing": "In-house", "rcm_rate": "5%",
               "minimum": "1000", "support_global_note": "Weekly billing", "division": "North"}
WON = {"quoted_rcm_rate": "5%", "contract_status": "proposal signed", "onboarding_questionnaire": "uploaded",
       "go_live_date": "2027-05-01", "nda_status": "signed", "baa_status": "signed"}


def sets(values: dict[str, str]) -> list[str]:
    return [a for k, v in values.items() for a in ("--set", f"{k}={v}")]


@pytest.fixture
def hp(cli, request, backend, tmp_path, monkeypatch):
    """A database bound to health-prime: Ana (JD-019), Vic (JD-002, login vic), Sunrise Clinics (a name
    alone) and its contact Ann; (run, Database)."""
    run, database = health_prime_database(
        cli, request, backend, tmp_path, ["team", "add", "Ana Lee", "--role", "JD-019"],
        ["team", "add", "Vic Stone", "--role", "JD-002", "--login", "vic"],
        ["company", "add", "Sunrise Clinics", "--no-follow-up"],
        ["contact", "add", "--first-name", "Ann", "--last-name", "Lee", "--job-title", "CFO",
         "--company", "Sunrise Clinics", "--email", "ann@sunrise.example"])
    yield run, database
    database.close()


def to_partner_of_choice(run, deal: str = "1") -> None:
    """Walk `deal` from Sales Qualified Lead into Partner of Choice, meeting every gate."""
    ok(run("deal", "advance", deal, *ENGAGED))
    ok(run("company", "edit", "Sunrise Clinics", *sets(POC_COMPANY)))
    ok(run("task", "add", "Send the proposal", "--deal", deal, "--due", "3d"))
    ok(run("deal", "advance", deal, *PROPOSAL))
    ok(run("deal", "edit", deal, *sets(POC_DEAL)))
    ok(run("deal", "sop", deal, "--reason", "S&OP"))
    ok(run("deal", "advance", deal))


def test_a_company_needs_only_its_name_and_a_deal_starts_in_new_business_sql(hp):
    run, db = hp
    assert db.query("SELECT name, country, website FROM company") == [("Sunrise Clinics", None, None)]
    r = run(*DEAL)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "Created deal 1: US Sunrise Clinics RCM (Sales Qualified Lead)\n", "")
    assert db.query("SELECT pipeline, stage, deal_class FROM deal") == [("New Business", "Sales Qualified Lead", "")]
    assert show(run)["pipeline"] == "New Business"


def test_class_is_refused_where_the_process_has_no_deal_classes(hp):
    run, db = hp
    r = run(*DEAL, "--class", "Care provider inpatient private")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "The process health-prime has no deal classes.\n")
    assert db.count("deal") == 0


def test_on_a_terminal_create_asks_for_no_class(hp):
    from tests.conftest import FakePrompter

    run, db = hp
    asked = FakePrompter([("text", "Action that originated the deal", "Web"),  # fails on any other question
                          ("checkbox", "Contacts on this deal", [])])
    args = DEAL[:DEAL.index("--source")] + DEAL[DEAL.index("--source") + 2:]
    r = run(*args, prompter=asked)
    assert (r.exit_code, r.stdout) == (0, "Created deal 1: US Sunrise Clinics RCM (Sales Qualified Lead)\n"), r.stderr
    assert [a.message for a in asked.asked] == ["Action that originated the deal", "Contacts on this deal (none is fine)"]
    assert db.query("SELECT deal_class FROM deal") == [("",)]


def test_a_deal_owner_holds_one_of_the_processs_owner_roles(hp):
    run, db = hp
    ok(run("team", "add", "Bea Cole", "--role", "JD-016"))
    r = run(*with_options(DEAL, owner="Bea Cole"))
    assert (r.exit_code, r.stderr) == (1, "Bea Cole is JD-016 (Customer Success Manager) and cannot be a deal owner: "
                                          "choose a team member with role JD-019 (Business Development) or JD-002 "
                                          "(Sales VP).\n")
    ok(run(*with_options(DEAL, owner="Vic Stone")))
    assert db.query("SELECT m.name FROM deal d JOIN team_member m ON m.id = d.owner_id") == [("Vic Stone",)]


def test_an_unknown_pipeline_lists_the_processs_pipelines(hp):
    run, db = hp
    r = run(*DEAL, "--pipeline", "renewals")
    assert (r.exit_code, r.stderr) == (2, "Unknown pipeline 'renewals': choose one of new-business (New "
                                          "Business), expansion, upsell (by key or label).\n")
    assert db.count("deal") == 0


def test_each_stage_needs_its_properties(hp):
    run, db = hp
    ok(run(*DEAL, "--contact", "ann@sunrise.example"))
    r = run("deal", "advance", "1")
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Engaged: Engaged needs enterprise_deal_status, "
                                          "hp_products: --set enterprise_deal_status=… --set hp_products=….\n")
    r = run("deal", "advance", "1", "--set", "hp_products=RCM, Billing")
    assert (r.exit_code, r.stderr) == (2, "Unknown hp products 'Billing': choose one of RCM, IT, PM/EMR.\n")
    r = run("deal", "advance", "1", *ENGAGED)
    assert r.stdout.startswith("Deal 1 moved from Sales Qualified Lead to Engaged: US Sunrise Clinics RCM\n")
    assert show(run)["properties"] == {"enterprise_deal_status": "no", "hp_products": "RCM, IT"}
    # Into Proposal: the scope, the providers (on the company or on a contact of the deal), collections, a next step.
    r = run("deal", "advance", "1", *PROPOSAL)
    assert (r.exit_code, r.stderr) == (1, (
        "Cannot move deal 1 into Proposal: Proposal needs one of: the company's providers above 0 (salescrm company "
        "edit 1 --set providers=…); providers above 0 on a contact of the deal (salescrm contact edit CONTACT --set "
        "providers=…); Proposal needs a next step: an open task on the deal (salescrm task add TITLE --deal 1), or a "
        "note, an email or a call logged on the deal since it entered Engaged (salescrm activity log --deal 1).\n"))
    ok(run("contact", "edit", "ann@sunrise.example", "--set", "providers=4"))  # on a contact of the deal
    ok(run("activity", "log", "--type", "call", "--summary", "Next: the proposal on Friday", "--direction", "outbound",
               "--deal", "1"))
    ok(run("deal", "advance", "1", *PROPOSAL))
    assert show(run)["stage"] == "Proposal"
    # Into Partner of Choice: each value on the deal, each S&OP company property, and the #S&OP note.
    r = run("deal", "advance", "1")
    assert r.exit_code == 1
    said = r.stderr
    for key in POC_DEAL:
        assert f"--set {key}=…" in said
    for key in ("business_unit", "provider_specialty", "providers", "division"):
        assert f"the company's {key} known (salescrm company edit 1 --set {key}=…)" in said
    assert said.endswith("Partner of Choice needs a note starting #S&OP on the deal (salescrm deal sop 1).\n")
    ok(run("deal", "edit", "1", *sets(POC_DEAL)))
    ok(run("company", "edit", "1", *sets(POC_COMPANY)))
    r = run("deal", "advance", "1")
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Partner of Choice: Partner of Choice needs a note "
                                          "starting #S&OP on the deal (salescrm deal sop 1).\n")
    ok(run("deal", "sop", "1"))
    ok(run("deal", "advance", "1"))
    assert db.query("SELECT stage FROM deal") == [("Partner of Choice",)]


def test_the_approval_must_equal_approved_and_the_contract_be_at_least_proposal_sent(hp):
    run, _ = hp
    ok(run(*DEAL))
    to_partner_of_choice(run)  # with contract_status Proposal sent
    r = run("deal", "edit", "1", "--set", "approval_status=pending")  # a passed gate's value is a correction
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Partner of Choice: approval_status is Pending, and "
                                          "the gate needs Approved (--set approval_status=Approved).\n")
    r = run("deal", "edit", "1", "--set", "contract_status=not sent")
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Partner of Choice: contract_status is Not sent, and "
                                          "the gate needs Proposal sent or Proposal signed: --set contract_status=….\n")
    ok(run("deal", "edit", "1", "--set", "contract_status=proposal signed"))  # a later value meets at-least


@pytest.mark.parametrize("left_out", sorted(WON))
def test_closed_won_needs_all_six(hp, left_out):
    run, db = hp
    ok(run(*DEAL))
    to_partner_of_choice(run)
    values = {k: v for k, v in WON.items() if k != left_out}
    r = run("deal", "advance", "1", *sets(values))
    if left_out == "go_live_date":  # recorded on entering Partner of Choice, where the S&OP list asks for it
        assert r.exit_code == 0, r.stderr
        return
    assert r.exit_code == 1
    if left_out == "contract_status":  # Proposal sent, recorded earlier, is not Proposal signed
        assert "contract_status is Proposal sent, and the gate needs Proposal signed" in r.stderr
    else:
        assert f"--set {left_out}=…" in r.stderr
    assert db.query("SELECT stage FROM deal") == [("Partner of Choice",)]


def test_closed_won_creates_the_onboarding_and_contract_tasks(hp):
    run, db = hp
    ok(run("team", "add", "Zoe Park", "--role", "JD-016"))
    ok(run("team", "add", "Bea Cole", "--role", "JD-016"))  # the first JD-016 by name gets the onboarding
    ok(run(*DEAL))
    to_partner_of_choice(run)
    r = run("deal", "advance", "1", *sets(WON), "--json")
    assert r.exit_code == 0, r.stderr
    moved = json.loads(r.stdout)
    assert [(t["title"], t["done"], t["closed_as"]) for t in moved["closed_tasks"]] == [
        ("Send the proposal", True, "deal won")]
    assert [(t["title"], t["owner"]) for t in moved["created_tasks"]] == [
        ("Onboarding: Sunrise Clinics", "Bea Cole"),
        ("Attach the signed contract and Sunrise Clinics_Calculator", "Ana Lee")]
    won_at = datetime.fromisoformat(moved["history"][-1]["at"])
    dues = [datetime.fromisoformat(t["due"]) - won_at for t in moved["created_tasks"]]
    assert [round(d.total_seconds()) for d in dues] == [2 * 86400, 86400]
    assert db.query("SELECT title, done, closed_as FROM task WHERE deal_id = 1 ORDER BY id") == [
        ("Send the proposal", True, "deal won"), ("Onboarding: Sunrise Clinics", False, None),
        ("Attach the signed contract and Sunrise Clinics_Calculator", False, None)]


def test_with_no_onboarding_member_the_owner_gets_it_and_the_output_says_so(hp):
    run, db = hp
    ok(run(*DEAL))
    to_partner_of_choice(run)
    r = run("deal", "advance", "1", *sets(WON))
    assert r.exit_code == 0
    assert r.stderr == ("Warning: No team member has role JD-016 (Customer Success Manager), so the task 'Onboarding: "
                        "Sunrise Clinics' went to the deal's owner, Ana Lee: add one with `salescrm team add NAME --role "
                        "JD-016` for the next ones.\n")
    lines = r.stdout.splitlines()
    assert lines[0] == "Deal 1 moved from Partner of Choice to Closed Won: US Sunrise Clinics RCM"
    assert lines[1].startswith("Closed task ") and lines[1].endswith(" (deal won): Send the proposal")
    assert lines[2].startswith("Created task ") and " for Ana Lee, due " in lines[2] and lines[2].endswith(": Onboarding: Sunrise Clinics")
    assert db.query("SELECT t.title, m.name FROM task t JOIN team_member m ON m.id = t.owner_id WHERE t.done = false "
                    "ORDER BY t.id") == [("Onboarding: Sunrise Clinics", "Ana Lee"),
                                         ("Attach the signed contract and Sunrise Clinics_Calculator", "Ana Lee")]


def test_expansion_and_upsell_take_only_a_company_with_a_won_deal(hp, monkeypatch):
    run, db = hp
    refusal = ("The {} pipeline takes only a company that already has a won deal (an existing client), and Sunrise "
               "Clinics is not one (a backed-out deal does not count): create the deal in New Business (--pipeline "
               "new-business).\n")
    for pipeline, label in (("expansion", "Expansion"), ("Upsell", "Upsell")):
        r = run(*DEAL, "--pipeline", pipeline)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", refusal.format(label))
    assert db.count("deal") == 0
    ok(run(*DEAL))
    to_partner_of_choice(run)
    ok(run("deal", "advance", "1", *sets(WON)))
    r = ok(run(*with_options(DEAL, description="New site"), "--pipeline", "expansion"))
    assert r.stdout == "Created deal 2: US Sunrise Clinics New site (Sales Qualified Lead)\n"
    assert db.query("SELECT pipeline FROM deal WHERE id = 2") == [("Expansion",)]
    # Only New Business opens an onboarding ticket; the contract task is in every pipeline.
    to_partner_of_choice(run, "2")
    moved = json.loads(ok(run("deal", "advance", "2", *sets(WON), "--json")).stdout)
    assert [t["title"] for t in moved["created_tasks"]] == ["Attach the signed contract and Sunrise Clinics_Calculator"]
    # Once both won deals are backed out, the company is no existing client any more.
    monkeypatch.setenv("SALESCRM_USER", "vic")
    for deal in ("1", "2"):
        ok(run("deal", "lose", deal, "--category", "Other", "--reason", "Backed out after signing"))
    r = run(*with_options(DEAL, description="Second site"), "--pipeline", "upsell")
    assert (r.exit_code, r.stderr) == (1, refusal.format("Upsell"))


def test_on_a_terminal_advance_asks_each_property_with_its_own_prompt_the_companys_included(hp):
    from tests.conftest import FakePrompter

    run, db = hp
    ok(run(*DEAL))
    engaged = FakePrompter([("confirm", "Enterprise Deal Status", False),  # a no is a value: the rule is `required`
                            ("checkbox", "HP Product(s)", ["RCM", "PM/EMR"]),
                            ("text", "Next step", "")])
    ok(run("deal", "advance", "1", prompter=engaged))
    assert show(run)["properties"] == {"enterprise_deal_status": "no", "hp_products": "RCM, PM/EMR"}
    ok(run("task", "add", "Send the proposal", "--deal", "1", "--due", "3d"))
    proposal = FakePrompter([("text", "# of Providers (Sunrise Clinics)", "12"),
                             ("text", "Likely scope", "RCM for 3 sites"),
                             ("text", "Annual Practice Collections", "2,000,000"),
                             ("text", "Next step", "")])
    r = run("deal", "advance", "1", prompter=proposal)
    assert r.exit_code == 0, r.stderr
    assert [a.message for a in proposal.asked][:3] == [
        "# of Providers (Sunrise Clinics)", "Likely scope of services (all necessary HP Products are selected)",
        "Annual Practice Collections"]
    assert db.query("SELECT key, value FROM company_property") == [("providers", "12")]
    assert show(run)["properties"]["annual_practice_collections"] == "2000000"
    assert db.query("SELECT stage FROM deal") == [("Proposal",)]


def test_on_a_terminal_what_no_answer_supplies_is_said_before_any_question(hp):
    from tests.conftest import FakePrompter

    run, db = hp
    ok(run(*DEAL))
    ok(run("deal", "advance", "1", *ENGAGED))
    r = run("deal", "advance", "1", prompter=FakePrompter([]))  # fails on any question
    assert (r.exit_code, r.stderr) == (1, (
        "Cannot move deal 1 into Proposal: Proposal needs a next step: an open task on the deal (salescrm task add "
        "TITLE --deal 1), or a note, an email or a call logged on the deal since it entered Engaged (salescrm "
        "activity log --deal 1).\n"))


def test_closed_lost_takes_a_category_and_details_from_any_open_stage(hp):
    run, db = hp
    ok(run(*DEAL))
    ok(run("deal", "advance", "1", *ENGAGED))
    r = run("deal", "lose", "1", "--category", "Budget cut", "--reason", "No money")
    assert (r.exit_code, r.stderr) == (2, "Unknown lost reason category 'Budget cut': choose one of No budget, No "
                                          "authority, No need, Bad timing, Lost to competitor, No segment fit, "
                                          "Unresponsive, Other.\n")
    r = run("deal", "lose", "1", "--category", "bad-timing", "--reason", "Budget frozen until 2028")
    assert (r.exit_code, r.stdout) == (0, "Deal 1 lost (Bad timing): Lost US Sunrise Clinics RCM\n")
    assert db.query("SELECT stage, lost_from_stage, lost_reason_category, lost_reason FROM deal") == [
        ("Closed Lost", "Engaged", "Bad timing", "Budget frozen until 2028")]
    assert db.query("SELECT from_stage, to_stage, backout FROM stage_change ORDER BY id")[-1] == (
        "Engaged", "Closed Lost", False)
    r = run("deal", "advance", "1")
    assert (r.exit_code, r.stderr) == (1, "Deal 1 'Lost US Sunrise Clinics RCM' is lost, and deals can't be "
                                          "resurrected: create a new one with `salescrm deal create --from 1`.\n")


def test_a_deal_lost_twice_under_one_name_is_stored_in_closed_lost(hp):
    """The database's unique index on open deals' names left out only the stage `Lost`: a second
    `Lost US Sunrise Clinics RCM` in Closed Lost was refused as "another open deal" (migration 0008)."""
    run, db = hp
    for deal in ("1", "2"):
        ok(run(*DEAL))
        r = run("deal", "lose", deal, "--category", "No budget", "--reason", "No money this year")
        assert (r.exit_code, r.stdout, r.stderr) == (0, f"Deal {deal} lost (No budget): Lost US Sunrise Clinics RCM\n", "")
    ok(run(*DEAL))
    r = run(*DEAL)
    assert r.exit_code == 1 and "is already open under that name" in r.stderr
    assert db.query("SELECT id, stage FROM deal ORDER BY id") == [(1, "Closed Lost"), (2, "Closed Lost"),
                                                                  (3, "Sales Qualified Lead")]

def test_deal_sop_names_every_missing_property_then_prints_and_logs_the_snippet(hp):
    run, db = hp
    ok(run(*DEAL))
    ok(run("deal", "edit", "1", *ENGAGED, *sets({k: v for k, v in POC_DEAL.items() if k != "legacy_ehr"})))
    ok(run("company", "edit", "1", *sets({k: v for k, v in POC_COMPANY.items() if k not in ("minimum", "division")})))
    r = run("deal", "sop", "1")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", (
        "Cannot build the #S&OP summary of deal 1: it needs the deal's legacy_ehr (salescrm deal edit 1 --set "
        "legacy_ehr=…); the deal's annual_practice_collections (salescrm deal edit 1 --set "
        "annual_practice_collections=…); the company's minimum (salescrm company edit 1 --set minimum=…); the "
        "company's division (salescrm company edit 1 --set division=…).\n"))
    assert db.count("activity") == 0
    ok(run("deal", "edit", "1", "--set", "legacy_ehr=Athena", "--set", "annual_practice_collections=2000000"))
    ok(run("company", "edit", "1", "--set", "minimum=1,000", "--set", "division=North"))
    r = run("deal", "sop", "1", "--reason", "S&OP before Partner of Choice")
    expected = "\n".join([
        "#S&OP", "Deal Owner: Ana Lee", "Pricing Model: Percent of collections", "Term (Months): 36",
        "Deal Amount: 50000 EUR", "Annual Recurring Revenue (ARR) at Signing: 120000 EUR",
        "Non-Recurring Revenue: 5000 EUR", "Target Go Live Date: 2027-05-01", "HP Product: RCM, IT",
        "Legacy PM: Kareo", "Legacy EHR: Athena", "How many Tax ID's will be used by this practice?: 2",
        "Annual Practice Charges: 4000000 EUR", "Annual Practice Collections: 2000000 EUR", "Annual Visits: 30000",
        "Backlog Details (AR, Charges, Payments, Credit Balances, Rejections, Etc.): 90 days AR",
        "Are there any user license restrictions?: None",
        "Any specific contract provisions or handling we need to be aware of?: None",
        "Company Name: Sunrise Clinics", "Business Unit: East", "Provider Specialty: Cardiology", "# of Providers: 12",
        "Number of locations: 3", "Current PM: Kareo", "Current EHR: Athena", "Current RCM Processing: In-house",
        "RCM Rate: 5%", "Minimum: 1000 EUR", "Support Global Note (Brief summary of billing details): Weekly billing",
        "Division: North"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, expected + "\n", "Logged note 1 on deal 1.\n")
    assert db.query("SELECT type, summary, deal_id, company_id FROM activity") == [("note", expected, 1, 1)]
    shown = json.loads(ok(run("deal", "sop", "1", "--json")).stdout)  # each run logs a new note
    assert (shown["deal"], shown["activity"], shown["text"], shown["lines"][0]) == (
        1, 2, expected, {"label": "Deal Owner", "value": "Ana Lee"})
    assert db.count("activity") == 2


def test_a_signed_deal_is_backed_out_only_by_jd002(hp, monkeypatch):
    run, db = hp
    ok(run(*DEAL, "--contact", "ann@sunrise.example"))
    to_partner_of_choice(run)
    ok(run("deal", "advance", "1", *sets(WON)))
    before = db.query("SELECT stage, name, version FROM deal")
    for user in ("tester", "ana"):  # no member's login; then a JD-019's
        if user == "ana":
            ok(run("team", "set-login", "Ana Lee", "ana"))
        monkeypatch.setenv("SALESCRM_USER", user)
        r = run("deal", "lose", "1", "--category", "Other", "--reason", "Backed out after signing")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", "Only JD-002 (Sales VP) may back out a signed deal\n")
        assert db.query("SELECT stage, name, version FROM deal") == before
    monkeypatch.setenv("SALESCRM_USER", "vic")
    r = run("deal", "lose", "1", "--category", "Other", "--reason", "Backed out after signing")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Deal 1 lost (Other): Lost US Sunrise Clinics RCM\n")
    assert r.stderr == ("Warning: Backed out (Deals Backed out after a Contract is signed): review the lifecycle "
                        "stage of the deal's contacts; the sales representative who sold the deal is responsible "
                        "for it.\n")
    assert db.query("SELECT from_stage, to_stage, changed_by, backout FROM stage_change ORDER BY id")[-1] == (
        "Closed Won", "Closed Lost", "vic", True)
    assert db.query("SELECT stage, lost_from_stage FROM deal") == [("Closed Lost", "Closed Won")]


def test_a_won_deal_is_final_where_the_process_declares_no_backout(seeded, db):
    from tests.helpers import walk_to

    walk_to(seeded, "Payment Done")
    r = seeded("deal", "lose", "1", "--category", "Other", "--reason", "Changed their mind")
    assert (r.exit_code, r.stderr) == (1, "Deal 1 'ES Sanitas Hospitales Proof of Concept' is won (Payment Done), "
                                          "which is final.\n")
    assert db.query("SELECT stage FROM deal") == [("Payment Done",)]


def test_deal_properties_are_the_processs(hp):
    run, db = hp
    ok(run(*DEAL))
    r = run("deal", "edit", "1", "--set", "budget=Approved")
    assert r.exit_code == 2
    assert r.stderr.startswith("Unknown gate key 'budget' in --set: known keys are enterprise_deal_status, hp_products, ")
    r = run("deal", "advance", "1", "--set", "business_unit=East")
    assert (r.exit_code, r.stderr) == (2, "'business_unit' is a company property of the process health-prime, not a "
                                          "deal's: set it with `salescrm company edit COMPANY --set business_unit=…`.\n")
    r = run("deal", "edit", "1", "--set", "providers=3")
    assert r.stderr == ("'providers' is a company and a contact property of the process health-prime, not a deal's: set "
                        "it with `salescrm company edit COMPANY --set providers=…`.\n")
    r = run("deal", "edit", "1", "--set", "approval_status=maybe")
    assert (r.exit_code, r.stderr) == (2, "Unknown approval status 'maybe': choose one of Pending, Approved, Rejected.\n")
    r = run("deal", "edit", "1", "--set", "term_months=three")
    assert (r.exit_code, r.stderr) == (2, "--set term_months 'three' is not a number: give digits, e.g. 12 or 2.5.\n")
    ok(run("deal", "edit", "1", "--set", "quoted_rcm_rate=5%", "--set", "decision_date=2027-02-01"))
    assert db.query("SELECT key, value, stage FROM gate_value ORDER BY key") == [
        ("decision_date", "2027-02-01", "Partner of Choice"), ("quoted_rcm_rate", "5%", "Closed Won")]


# --- A stage with a new gate, added to a process file: no code change -----------------------------

SCREENED = '''
[[pipelines.stages]]
name = "Screened"
probability = 7
reason = "A screening call was held."
source = "A revision: every deal is screened before it is qualified."
needs = "a screening call held and its outcome"
gate = [
    { kind = "equals", property = "screening_call", value = "Held" },
    { kind = "required", property = "screening_notes" },
]
'''
SCREENING_PROPERTIES = '''
[[properties.deal]]
key = "screening_call"
type = "choice"
label = "Screening call"
choices = ["Planned", "Held"]

[[properties.deal]]
key = "screening_notes"
type = "text"
label = "What the screening call found"

'''


def test_a_stage_with_a_new_gate_needs_no_code_change(seeded, db, tmp_path, monkeypatch):
    text = load.shipped_text("sp-009-001").replace("revision = 1", "revision = 2", 1)
    qualified = text.index('[[pipelines.stages]]\nname = "Qualified"')
    text = text[:qualified] + SCREENED.lstrip("\n") + "\n" + text[qualified:]
    first_property = text.index("[[properties.deal]]")
    text = text[:first_property] + SCREENING_PROPERTIES.lstrip("\n") + text[first_property:]
    path = tmp_path / "rev2.toml"
    path.write_text(text, encoding="utf-8")
    assert ok(seeded("process", "check", str(path))).exit_code == 0
    ok(seeded("team", "set-login", "Elena Ortiz", "elena"))
    monkeypatch.setenv("SALESCRM_USER", "elena")
    ok(seeded("process", "apply", str(path), "--reason", "SP-009-001 rev 2: screening"))
    r = seeded("deal", "advance", "1")
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Screened: Screened needs screening_call, "
                                          "screening_notes: --set screening_call=… --set screening_notes=….\n")
    r = seeded("deal", "advance", "1", "--set", "screening_call=planned", "--set", "screening_notes=Fits")
    assert (r.exit_code, r.stderr) == (1, "Cannot move deal 1 into Screened: screening_call is Planned, and the gate "
                                          "needs Held (--set screening_call=Held).\n")
    r = ok(seeded("deal", "advance", "1", "--set", "screening_call=held", "--set", "screening_notes=Fits"))
    assert r.stdout.splitlines()[0] == "Deal 1 moved from Prospected to Screened: ES Sanitas Hospitales Proof of Concept"
    assert db.query("SELECT key, value, stage FROM gate_value WHERE key LIKE 'screening%' ORDER BY key") == [
        ("screening_call", "Held", "Screened"), ("screening_notes", "Fits", "Screened")]
    ok(seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=marta@sanitas.es"))
    assert db.query("SELECT from_stage, to_stage, process_revision_id FROM stage_change ORDER BY id")[1:] == [
        ("Prospected", "Screened", 2), ("Screened", "Qualified", 2)]
