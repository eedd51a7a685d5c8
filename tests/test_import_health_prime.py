"""`salescrm import` into a database bound to health-prime (issue 13 on issue 12's processes): deals in the
pipeline their Pipeline column names, stage labels as a Health Prime export writes them ("Sales Qualified
Lead (SQL)", "Closed – Won"), gate values from columns named after the deal properties, no deal class;
and contacts' Lifecycle Stage imported only where it is one of the process's manual values (both backends)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ok
from tests.hp_helpers import health_prime_database

WON = {"Quoted RCM Rate": "5%", "Contract Status": "proposal signed", "Onboarding Questionnaire": "uploaded",
       "Projected/ Target Go-Live Date": "2027-05-01", "NDA Status": "signed", "BAA Status": "signed"}


@pytest.fixture
def hp(cli, request, backend, tmp_path):
    run, database = health_prime_database(cli, request, backend, tmp_path, ["team", "add", "Ana Lee", "--role", "JD-019"],
                                          ["company", "add", "Sunrise Clinics", "--no-follow-up"])
    yield run, database
    database.close()


def test_health_prime_deals_map_its_pipelines_stage_labels_and_properties(hp, tmp_path):
    run, db = hp
    header = ["Deal Name", "Pipeline", "Deal Stage", "Amount", "Close Date", "Deal owner", "Associated Company",
              "Country/Region", "Enterprise Deal Status", "HP Product(s)", "Closed lost reason", *WON]
    rows = [
        ["RCM", "New Business", "Sales Qualified Lead (SQL)", "50000", "2027-03-31", "Ana Lee", "Sunrise Clinics", "US",
         "", "", "", *[""] * len(WON)],
        ["IT", "New Business", "Engaged", "9000", "2027-03-31", "Ana Lee", "Sunrise Clinics", "US", "no", "rcm, it", "",
         *[""] * len(WON)],
        ["Old", "New Business", "Closed – Won", "7000", "2026-05-01", "Ana Lee", "Sunrise Clinics", "US", "", "", "",
         *WON.values()],
        ["Lab", "Expansion", "Sales Qualified Lead", "3000", "2027-03-31", "Ana Lee", "Sunrise Clinics", "US", "", "", "",
         *[""] * len(WON)],
        ["Gone", "new-business", "Closed Lost", "100", "2026-04-01", "Ana Lee", "Sunrise Clinics", "US", "", "",
         "Chose another vendor", *[""] * len(WON)],
        ["Bad", "Sales", "Engaged", "100", "2027-04-01", "Ana Lee", "Sunrise Clinics", "US", "", "", "", *[""] * len(WON)],
    ]
    path = tmp_path / "deals.csv"
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    r = run("import", "deals", str(path), "--default", "source=HubSpot", "--dry-run")
    assert r.exit_code == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "line 2: created deal US Sunrise Clinics RCM: named 'US Sunrise Clinics RCM' (the file's name was 'RCM')"
    assert lines[1].startswith("line 3: created deal US Sunrise Clinics IT")
    assert lines[2] == ("line 4: refused: The deal is won (Closed – Won): pass --accept-won to import it as won, its gate "
                        "values recorded as imported on its Close Date.")
    assert lines[5] == "line 7: refused: Unknown pipeline 'Sales': choose one of new-business (New Business), expansion, upsell (by key or label)."
    assert "Unmapped" not in r.stderr, r.stderr
    r = run("import", "deals", str(path), "--default", "source=HubSpot", "--accept-won", "--skip-invalid",
            "--rejects", str(tmp_path / "bad.csv"), "--json")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert [row["action"] for row in report["rows"]] == ["created", "created", "created", "created", "created", "refused"]
    assert db.query("SELECT name, pipeline, stage, deal_class, lost_reason_category, lost_reason FROM deal ORDER BY id") == [
        ("US Sunrise Clinics RCM", "New Business", "Sales Qualified Lead", "", None, None),
        ("US Sunrise Clinics IT", "New Business", "Engaged", "", None, None),
        ("US Sunrise Clinics Old", "New Business", "Closed Won", "", None, None),
        ("US Sunrise Clinics Lab", "Expansion", "Sales Qualified Lead", "", None, None),  # a won deal came first
        ("Lost US Sunrise Clinics Gone", "New Business", "Closed Lost", "", "Other", "Chose another vendor"),
    ]
    ids = {row["line"]: row["record_id"] for row in report["rows"]}
    assert db.query(f"SELECT key, value FROM gate_value WHERE deal_id = {ids[3]} ORDER BY key") == [
        ("enterprise_deal_status", "no"), ("hp_products", "RCM, IT")]
    assert db.query(f"SELECT count(*), min(set_by) FROM gate_value WHERE deal_id = {ids[4]}") == [(6, "imported")]
    ok(run("db", "check"))


def test_health_prime_contacts_import_only_the_manual_lifecycle_values(hp, tmp_path):
    run, db = hp
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Email,Company name,Lifecycle Stage\n"
                    "Ann,Lee,ann@sunrise.example,Sunrise Clinics,Exclude from Marketing\n"
                    "Bob,Ray,bob@sunrise.example,Sunrise Clinics,Customer\n"
                    "Cy,Fox,cy@sunrise.example,Sunrise Clinics,recycled\n", encoding="utf-8")
    r = run("import", "contacts", str(path), "--dry-run")
    assert r.stdout.splitlines()[:3] == [
        "line 2: created contact Ann Lee: lifecycle Exclude from Marketing (set by hand)",
        "line 3: created contact Bob Ray: Lifecycle Stage 'Customer' follows from the data, so it is not imported",
        "line 4: created contact Cy Fox: lifecycle Recycled (set by hand)",
    ]
    assert "Derived columns" not in r.stderr
    ok(run("import", "contacts", str(path)))
    assert db.query("SELECT email, manual_lifecycle FROM contact ORDER BY id") == [
        ("ann@sunrise.example", "Exclude from Marketing"), ("bob@sunrise.example", None), ("cy@sunrise.example", "Recycled")]
    again = json.loads(ok(run("import", "contacts", str(path), "--json")).stdout)
    assert [row["action"] for row in again["rows"]] == ["unchanged"] * 3
    stages = {c["email"]: c["lifecycle_stage"] for c in json.loads(ok(run("contact", "list", "--json")).stdout)}
    assert stages["ann@sunrise.example"] == "Exclude from Marketing" and stages["cy@sunrise.example"] == "Recycled"
    assert db.query("SELECT count(*) FROM journal_field WHERE field = 'manual_lifecycle'") == [(2,)]
    ok(run("db", "check"))


def test_sp_009_001_derives_lifecycle_stage_so_the_column_is_ignored(cli, db, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Email,Lifecycle Stage\nAnn,Lee,ann@x.example,Recycled\n", encoding="utf-8")
    r = ok(cli("import", "contacts", str(path)))
    assert r.stderr == "Derived columns (they follow from the data, so they are not imported): Lifecycle Stage.\n"
    assert db.query("SELECT manual_lifecycle FROM contact") == [(None,)]
