"""`salescrm import companies|contacts|deals`: HubSpot-shaped messy files through every rule; the dry run,
the reject file, refusals, idempotent re-imports (both backends)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import stat

import pytest

from tests.conftest import ANA
from tests.helpers import ok

COMPANIES = (
    "Record ID;Company name;Country/Region;Website URL;Lifecycle Stage;Number of Employees\r\n"
    "101;Novartis;Switzerland;novartis.com;Lead;100\r\n"
    "102;Novartis España;Spain;novartis.es;Lead;5\r\n"
    "103;Clínica Vidal;España;https://www.vidal.es;Customer;3\r\n"
    "104;;Spain;;Lead;\r\n"
    "105;Novartis Farmacéutica, S.A.;ES;;Lead;\r\n"
)
CONTACTS = (
    "Record ID\tFirst Name\tLast Name\tEmail\tPhone Number\tJob Title\tAssociated Company\tLifecycle Stage\r\n"
    "201\tMarta\tRuiz\tmarta@novartis.com\t'+34 600 000 000\tJefa de Dermatología\tNovartis España\tLead\r\n"
    "202\tMarta\tRuiz\tMARTA@Novartis.com\t\tHead of Dermatology\tNovartis\tLead\r\n"
    "203\tJosé\tPérez\t\t\tBuyer\tClínica Vidal\tLead\r\n"
    "204\tLuis\tVidal\t\t611 222 333\t\tClínica Vidal\tLead\r\n"
    "205\tAna\tSoto\tana@nowhere.example\t\t\tNowhere Inc\tLead\r\n"
)


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> str:
        path = tmp_path / name
        path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode(encoding))
        return str(path)

    return write


def test_companies_dry_run_prints_each_row_and_writes_nothing(cli, db, files):
    path = files("companies.csv", COMPANIES, bom=True)
    r = cli("import", "companies", path, "--dry-run")
    assert r.exit_code == 1, r.stderr  # as the import would be refused
    assert r.stdout.splitlines() == [
        "line 2: created company Novartis",
        "line 3: skipped: merged into Novartis (local branch)",
        "line 4: created company Clínica Vidal",
        "line 5: refused: A company needs its name (lead intake's minimum).",
        "line 6: skipped: merged into Novartis (local entity)",
        "Dry run of " + path + ": 2 created, 0 updated, 0 unchanged, 2 skipped, 1 refused; nothing was written.",
    ]
    assert r.stderr.splitlines() == [
        "Unmapped columns (not imported; --map COLUMN=FIELD reads one): Number of Employees.",
        "Derived columns (they follow from the data, so they are not imported): Lifecycle Stage.",
    ]
    assert db.count("company") == 0 and db.count("journal", "record_type = 'company'") == 0
    assert not os.path.exists(path.replace(".csv", ".rejects.csv"))


def test_json_report_has_the_issue_shape(cli, files):
    path = files("companies.csv", COMPANIES)
    report = json.loads(cli("import", "companies", path, "--dry-run", "--json").stdout)
    assert ok(cli("import", "companies", path, "--dry-run", "--skip-invalid", "--json"))
    assert list(report) == ["batch", "created", "updated", "unchanged", "skipped", "refused", "rows"]
    assert (report["batch"], report["created"], report["skipped"], report["refused"]) == (None, 2, 2, 1)
    assert report["rows"][1] == {"line": 3, "action": "skipped", "record_id": None,
                                 "reason": "merged into Novartis (local branch)"}
    assert set(report["rows"][0]) == {"line", "action", "record_id", "reason"}


def test_a_refused_row_writes_nothing_and_keeps_the_rejects(cli, db, files):
    path = files("companies.csv", COMPANIES)
    r = cli("import", "companies", path)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == ("1 row was refused, so nothing was imported: fix it, or pass --skip-invalid to "
                                         f"import the others. The refused rows are in {path[:-4]}.rejects.csv.")
    assert db.count("company") == 0
    rejects = path[:-4] + ".rejects.csv"
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    with open(rejects, encoding="utf-8", newline="") as f:
        assert list(csv.reader(f, delimiter=";")) == [
            ["Record ID", "Company name", "Country/Region", "Website URL", "Lifecycle Stage", "Number of Employees", "reason"],
            ["104", "", "Spain", "", "Lead", "", "A company needs its name (lead intake's minimum)."],
        ]
    again = cli("import", "companies", path)  # the rejects file is never overwritten
    assert again.exit_code == 2 and "already exists, and --rejects never overwrites a file" in again.stderr


def test_skip_invalid_writes_the_rest_and_exits_1(cli, db, files, tmp_path):
    path = files("companies.csv", COMPANIES)
    rejects = str(tmp_path / "bad.csv")
    r = cli("import", "companies", path, "--skip-invalid", "--rejects", rejects)
    assert r.exit_code == 1
    assert r.stdout == f"Imported {path} as batch 1: 2 created, 0 updated, 0 unchanged, 2 skipped, 1 refused.\n"
    assert "line 5: refused: A company needs its name (lead intake's minimum)." in r.stderr
    assert sorted(db.query("SELECT name, country, website FROM company")) == [
        ("Clínica Vidal", "ES", "https://www.vidal.es"), ("Novartis", "CH", "https://novartis.com")]
    assert len(open(rejects, encoding="utf-8").read().splitlines()) == 2


def test_reimporting_the_same_file_changes_nothing(cli, db, files):
    path = files("companies.csv", COMPANIES.replace("104;;Spain;;Lead;\r\n", ""))
    first = json.loads(ok(cli("import", "companies", path, "--json")).stdout)
    assert (first["created"], first["skipped"]) == (2, 2)
    journal = db.count("journal")
    second = json.loads(ok(cli("import", "companies", path, "--json")).stdout)
    assert (second["created"], second["updated"], second["unchanged"], second["skipped"]) == (0, 0, 2, 2)
    assert [r["reason"] for r in second["rows"]] == ["matched by external id", "merged into Novartis (local branch)",
                                                     "matched by external id", "merged into Novartis (local entity)"]
    assert db.count("company") == 2
    # the second batch is journaled, and changed nothing else
    assert db.query("SELECT record_type, record_id, action FROM journal WHERE seq > ?", journal) == [("import_batch", 2, "insert")]
    assert db.query("SELECT source_system, external_id FROM company ORDER BY id") == [("hubspot", "101"), ("hubspot", "103")]
    assert db.query("SELECT count(*) FROM journal WHERE record_type = 'company'") == [(2,)]  # one entry each, ids included


def test_contacts_utf16_duplicate_emails_and_links_to_the_global_company(cli, db, files):
    ok(cli("import", "companies", files("companies.csv", COMPANIES.replace("104;;Spain;;Lead;\r\n", ""))))
    path = files("contacts.txt", CONTACTS, encoding="utf-16")
    r = cli("import", "contacts", path, "--dry-run")
    assert r.stdout.splitlines() == [
        "line 2: created contact Marta Ruiz: Novartis España merged into Novartis (local branch)",
        "line 3: updated contact Marta Ruiz: same email as line 2; changed job_title",
        "line 4: refused: A contact needs a first and a last name, and an email or a phone (lead intake's minimum).",
        "line 5: created contact Luis Vidal",
        "line 6: created contact Ana Soto: created company Nowhere Inc",  # a company the file names is created
        f"Dry run of {path}: 3 created, 1 updated, 0 unchanged, 0 skipped, 1 refused; nothing was written.",
    ]
    r = cli("import", "contacts", path, "--skip-invalid")
    assert r.exit_code == 1
    assert db.query("SELECT c.first_name, c.email, c.phone, c.job_title, k.name FROM contact c "
                    "JOIN contact_company l ON l.contact_id = c.id JOIN company k ON k.id = l.company_id ORDER BY c.id") == [
        ("Marta", "marta@novartis.com", "+34600000000", "Head of Dermatology", "Novartis"),
        ("Luis", None, "+34611222333", None, "Clínica Vidal"),  # a national phone read with the company's country
        ("Ana", "ana@nowhere.example", None, None, "Nowhere Inc"),
    ]
    assert db.count("task") == 0  # an import creates no follow-up unless --follow-up
    with open(path[:-4] + ".rejects.txt", encoding="utf-8") as f:
        assert [line.split("\t")[0] for line in f.read().splitlines()] == ["Record ID", "203"]


def test_stdin_needs_rejects_and_reads_json_lines(cli, db, tmp_path):
    lines = "\n".join(json.dumps(o) for o in ({"name": "Sanitas Hospitales", "country": "ES"}, {"country": "ES"}))
    r = cli("import", "companies", "-", input=lines)
    assert r.exit_code == 2
    assert r.stderr.strip() == "Reading standard input (-), the rejected rows have no file beside it: give --rejects FILE."
    rejects = tmp_path / "rejects.jsonl"
    r = cli("import", "companies", "-", "--skip-invalid", "--rejects", str(rejects), input=lines)
    assert r.exit_code == 1
    assert db.query("SELECT name FROM company") == [("Sanitas Hospitales",)]
    assert [json.loads(x) for x in rejects.read_text().splitlines()] == [
        {"country": "ES", "reason": "A company needs its name (lead intake's minimum)."}]


def test_deals_owner_stage_gates_and_closed_rows(cli, db, files):
    ok(cli(*ANA, "--login", "ana"))
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    deals = (
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner,Associated Company,Create Date,Closed lost reason\n"
        "301,Novartis PoC,Prospected,\"12,000\",2027-03-31,Ana García,Novartis,2026-01-10,\n"
        "302,Rollout,Qualified,50000,2027-06-30,ana,Novartis España,2026-02-01,\n"
        "303,Pilot,Closed Lost,3000,2026-05-01,Ana García,Novartis,2026-01-05,Budget frozen\n"
        "304,Big,Closed won,9000,2026-05-01,Ana García,Novartis,2026-01-05,\n"
        "305,Other,Prospected,10,2027-01-01,Nobody,Novartis,,\n"
    )
    path = files("deals.csv", deals)
    defaults = ["--default", "deal_class=Care provider inpatient private", "--default", "source=HubSpot"]
    r = cli("import", "deals", path, "--dry-run", *defaults)
    assert r.stdout.splitlines() == [
        "line 2: created deal CH Novartis PoC: named 'CH Novartis PoC' (the file's name was 'Novartis PoC')",
        "line 3: refused: Cannot move the new deal into Qualified: Qualified needs segment_verified, decision_maker: "
        "--set segment_verified=… --set decision_maker=…. Pass --place-at-met-stage to import it at the furthest stage "
        "whose gates it meets.",
        "line 4: created deal Lost CH Novartis Pilot: named 'Lost CH Novartis Pilot' (the file's name was 'Pilot')",
        "line 5: refused: Unknown stage 'Closed won': map it with --map-stage \"Closed won=STAGE\" (the stages are "
        "Prospected, Qualified, Discovered, Implementation Defined, Offer Sent, Offer Approved, Contract Signed, "
        "Payment Done, Lost).",
        "line 6: refused: The owner 'Nobody' is no team member's name or login: add them with `salescrm team add`, "
        "or correct the name in the file.",
        f"Dry run of {path}: 2 created, 0 updated, 0 unchanged, 0 skipped, 3 refused; nothing was written.",
    ]
    won = cli("import", "deals", path, "--dry-run", *defaults, "--map-stage", "Closed won=Payment Done")
    assert "line 5: refused: The deal is won (Closed won): pass --accept-won" in won.stdout
    r = cli("import", "deals", path, "--skip-invalid", *defaults, "--place-at-met-stage", "--accept-won",
            "--map-stage", "Closed won=Payment Done", "--rejects", path + ".bad")
    assert r.exit_code == 1
    assert db.query("SELECT name, stage, amount_cents, lost_reason_category, lost_reason FROM deal ORDER BY id") == [
        ("CH Novartis PoC", "Prospected", 1200000, None, None),
        ("CH Novartis Rollout", "Prospected", 5000000, None, None),  # placed at the furthest stage it meets
        ("Lost CH Novartis Pilot", "Lost", 300000, "Other", "Budget frozen"),
        ("CH Novartis Big", "Payment Done", 900000, None, None),
    ]
    history = db.query("SELECT d.name, s.from_stage, s.to_stage, s.changed_by FROM stage_change s "
                       "JOIN deal d ON d.id = s.deal_id ORDER BY s.id")
    assert [(h[1], h[2]) for h in history] == [(None, "Prospected"), (None, "Prospected"), (None, "Prospected"),
                                               ("Prospected", "Lost"), (None, "Prospected"), ("Prospected", "Payment Done")]
    created = db.query("SELECT created_at FROM deal WHERE name = 'CH Novartis PoC'")[0][0]
    assert str(created).startswith("2026-01-")  # Create Date (local midnight, stored in UTC)
    again = json.loads(cli("import", "deals", path, "--json", "--skip-invalid", *defaults, "--place-at-met-stage",
                           "--accept-won", "--map-stage", "Closed won=Payment Done", "--rejects", path + ".bad2").stdout)
    assert [r["action"] for r in again["rows"]] == ["unchanged", "unchanged", "unchanged", "unchanged", "refused"]
    [(rollout,)] = db.query("SELECT id FROM deal WHERE name = 'CH Novartis Rollout'")  # PostgreSQL's ids keep gaps
    assert again["rows"][1]["reason"].startswith(f"matched by external id; stays at Prospected (Cannot move deal {rollout} "
                                                 "into Qualified")
    assert db.query("SELECT source_name FROM deal ORDER BY id") == [("Novartis PoC",), ("Rollout",), ("Pilot",), ("Big",)]
    assert {b for (b,) in db.query("SELECT import_batch_id FROM stage_change")} == {again["batch"] - 1}
    assert db.count("deal") == 4


def test_xlsx_import(cli, db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "country", "website"])
    book.active.append([None, "ES", "sanitas.es"])
    book.active.append(["DKV Seguros", "Spain", "dkv.es"])
    path = tmp_path / "companies.xlsx"
    book.save(path)
    r = cli("import", "companies", str(path), "--skip-invalid")
    assert r.exit_code == 1 and "line 2: refused: " in r.stderr
    assert db.query("SELECT name, country FROM company") == [("DKV Seguros", "ES")]
    from openpyxl import load_workbook

    rows = list(load_workbook(tmp_path / "companies.rejects.xlsx").active.values)
    assert rows[0] == ("name", "country", "website", "reason")
    assert rows[1] == (None, "ES", "sanitas.es", "A company needs its name (lead intake's minimum).")


def test_activities_and_tasks_import_once(cli, db, files):
    ok(cli(*ANA, "--login", "ana"))
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    ok(cli("contact", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--job-title", "Buyer",
           "--company", "Novartis", "--email", "marta@novartis.com"))
    activities = files("activities.csv", (
        "Activity date,Activity type,Body,Associated Contact,Associated Company\r\n"
        '2026-11-02 10:00,Call,"Intro call\r\nwent well",marta@novartis.com,\r\n'
        "2026-11-03,Note,'-,,Novartis\r\n"
        "2026-11-03,Lunch,x,,Novartis\r\n"))
    r = cli("import", "activities", activities, "--default", "direction=outbound", "--dry-run")
    assert r.stdout.splitlines() == [
        "line 2: created activity call 2026-11-02",
        "line 4: created activity note 2026-11-03",
        "line 5: refused: Unknown activity type 'Lunch': choose one of call, email, meeting, message, note.",
        f"Dry run of {activities}: 2 created, 0 updated, 0 unchanged, 0 skipped, 1 refused; nothing was written.",
    ]
    assert cli("import", "activities", activities, "--default", "direction=outbound", "--skip-invalid").exit_code == 1
    assert db.query("SELECT type, direction, summary, contact_id, company_id FROM activity ORDER BY id") == [
        ("call", "outbound", "Intro call\nwent well", 1, 1), ("note", None, "-", None, 1)]
    again = json.loads(cli("import", "activities", activities, "--default", "direction=outbound", "--skip-invalid",
                           "--json", "--rejects", activities + ".2").stdout)
    assert (again["created"], again["unchanged"]) == (0, 2)
    tasks = files("tasks.csv", "title,due,owner,done,company\nCall back,2026-12-10 10:00,Ana García,no,Novartis\n"
                               "Old,2026-01-10,,yes,Novartis\n")
    ok(cli("import", "tasks", tasks))
    assert json.loads(ok(cli("import", "tasks", tasks, "--json")).stdout)["unchanged"] == 2
    assert [(t, bool(d), o) for t, d, o in db.query("SELECT title, done, owner_id FROM task WHERE kind = 'task' ORDER BY id")] == [
        ("Call back", False, 1), ("Old", True, None)]


def test_hubspot_gdpr_columns_feed_the_consent_ledger(cli, db, files):
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    path = files("contacts.csv", (
        "First Name,Last Name,Email,Associated Company,Legal basis for processing contact's data,Unsubscribed from all email\n"
        "Marta,Ruiz,marta@novartis.com,Novartis,Freely given consent from contact,false\n"
        "Luis,Vidal,luis@novartis.com,Novartis,Legitimate interest – prospect/lead,true\n"))
    report = json.loads(ok(cli("import", "contacts", path, "--json")).stdout)
    assert [r["reason"] for r in report["rows"]] == ["marketing consent granted (consent)",
                                                     "marketing consent withdrawn (legitimate-interest)"]
    assert db.query("SELECT contact_id, state, basis, source FROM consent_event ORDER BY id") == [
        (1, "granted", "consent", "imported from hubspot"), (2, "withdrawn", "legitimate-interest", "imported from hubspot")]
    again = json.loads(ok(cli("import", "contacts", path, "--json")).stdout)
    assert again["unchanged"] == 2 and db.count("consent_event") == 2


def test_imported_won_deal_history_audit_and_cycle(cli, db, files):
    ok(cli(*ANA))
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    path = files("deals.csv", "Deal Name,Deal Stage,Amount,Close Date,Deal owner,Associated Company,Create Date,gates.quotation_ref\n"
                              "Novartis Rollout,Closed won,9000,2026-03-11,Ana García,Novartis,2026-01-10,Q-1\n")
    args = ["--map-stage", "Closed won=Payment Done", "--accept-won", "--default", "deal_class=Care provider inpatient private",
            "--default", "source=HubSpot"]
    ok(cli("import", "deals", path, *args))
    assert db.query("SELECT key, value, set_by FROM gate_value") == [("quotation_ref", "Q-1", "imported")]
    [finding] = json.loads(cli("audit", "--check", "imported-name", "--json").stdout)["findings"]
    assert finding["message"].startswith("Deal 1 'CH Novartis Rollout' was imported as 'Novartis Rollout'")
    cycle = json.loads(ok(cli("report", "cycle", "--since", "2026-01-01", "--json")).stdout)
    assert (cycle["deals"], cycle["median_days"]) == (1, 60)  # Create Date to Close Date
    assert json.loads(ok(cli("report", "cycle", "--since", "2026-01-01", "--exclude-imported", "--json")).stdout)["deals"] == 0


def test_columns_named_after_the_processs_properties_map_to_them(cli, request, backend, tmp_path, monkeypatch, db):
    from tests.helpers import new_database

    url = new_database(request, backend, tmp_path, schema=False)
    monkeypatch.setenv("SALESCRM_DB", url)
    ok(cli("init", "--process", "health-prime"))
    path = tmp_path / "companies.csv"
    path.write_text("Company name,Country/Region,Website URL,Business Unit,# of Providers\n"
                    "Mercy Clinic,US,mercy.example,Cardiology,12\n")
    report = json.loads(ok(cli("import", "companies", str(path), "--json")).stdout)
    assert report["created"] == 1
    from tests.conftest import Database

    other = Database(url)
    try:
        assert sorted(other.query("SELECT key, value FROM company_property")) == [("business_unit", "Cardiology"),
                                                                                  ("providers", "12")]
        path.write_text("Company name,Business Unit\nMercy Clinic,Oncology\n")
        again = json.loads(ok(cli("import", "companies", str(path), "--json")).stdout)
        assert again["rows"][0]["reason"] == "matched by name; changed business_unit"
        assert other.query("SELECT value FROM company_property WHERE key = 'business_unit'") == [("Oncology",)]
        refused = cli("import", "undo", str(report["batch"]))  # the second import changed the company since
        assert refused.exit_code == 1 and refused.stderr.splitlines()[1].startswith("  company 1 (journal entry ")
        ok(cli("import", "undo", str(again["batch"])))
        assert other.query("SELECT value FROM company_property WHERE key = 'business_unit'") == [("Cardiology",)]
        ok(cli("import", "undo", str(report["batch"])))
        assert other.count("company_property") == other.count("company") == 0
        ok(cli("db", "check"))
    finally:
        other.close()


def test_matching_by_website_domain_and_by_phone_and_follow_up(cli, db, files):
    ok(cli("company", "add", "Sanitas Hospitales", "--country", "ES", "--website", "https://www.sanitas.es/home",
           "--no-follow-up"))
    ok(cli("company", "add", "Gmail Users Club", "--country", "ES", "--website", "gmail.com", "--no-follow-up"))
    path = files("companies.csv", "Company name,Company Domain Name,Country/Region\n"
                                  "Grupo Sanitas,sanitas.es,ES\nMail Club,gmail.com,ES\n")
    report = json.loads(ok(cli("import", "companies", path, "--json", "--follow-up")).stdout)
    assert [(r["action"], r["reason"]) for r in report["rows"]] == [
        ("unchanged", "matched by website domain"),  # the one company with that domain; its name and site stay
        ("created", None)]  # never matched by a free-mail domain
    assert db.query("SELECT title FROM task") == [("Call Mail Club",)]  # --follow-up: a call for each new record
    ok(cli("contact", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--job-title", "Buyer", "--company",
           "Sanitas Hospitales", "--phone", "+34 600 000 000", "--no-follow-up"))
    contacts = files("contacts.csv", "First Name,Last Name,Phone Number,Email,Associated Company\n"
                                     "Marta,Ruiz,600 000 000,marta@sanitas.es,Sanitas Hospitales\n")
    report = json.loads(ok(cli("import", "contacts", contacts, "--json")).stdout)
    assert report["rows"][0]["reason"] == "matched by phone; changed email"
    assert db.count("contact") == 1 and db.count("task") == 1


@pytest.mark.sqlite_only
def test_a_dry_run_never_creates_a_database(cli, files, tmp_path):
    path = files("companies.csv", "name\nSanitas Hospitales\n")
    missing = tmp_path / "none.db"
    r = cli("--db", str(missing), "import", "companies", path, "--dry-run")
    assert r.exit_code == 3
    assert r.stderr.strip() == f"No database at {missing}. Check --db / SALESCRM_DB, or create one with `salescrm init`"
    assert not missing.exists()


def test_contacts_create_or_merge_their_companies_by_the_company_rules(cli, db, files):
    """A contact row's Company name matches a company by folded name, merges a local branch or entity into its
    global company (no field of it changes), or creates the company, with the row's country; `--distinct`
    imports a look-alike as its own company; `import undo` removes the companies the batch created."""
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    path = files("contacts.csv", (
        "First Name,Last Name,Email,Phone Number,Company name,Country/Region\n"
        "Marta,Ruiz,marta@novartis.es,,Novartis España,Spain\n"
        "Luis,Gil,luis@nueva.es,611 222 333,Clínica Nueva,España\n"
        "Eva,Sol,eva@nueva.es,,CLINICA NUEVA,\n"
        "Pep,Roca,pep@pharma.es,,Novartis Pharma,\n"
        "Rosa,Mas,rosa@sanitas.es,,Sanitas Hospitales España,\n"))
    r = cli("import", "contacts", path, "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "line 2: created contact Marta Ruiz: Novartis España merged into Novartis (local branch)",
        "line 3: created contact Luis Gil: created company Clínica Nueva",
        "line 4: created contact Eva Sol",
        "line 5: created contact Pep Roca: Novartis Pharma merged into Novartis (local entity)",
        "line 6: created contact Rosa Mas: created company Sanitas Hospitales España",
        f"Dry run of {path}: 5 created, 0 updated, 0 unchanged, 0 skipped, 0 refused; nothing was written.",
    ]
    assert db.count("company") == 1 and db.count("contact") == 0
    first = report = json.loads(ok(cli("import", "contacts", path, "--json")).stdout)
    assert [(row["action"], row["reason"]) for row in report["rows"]][1:3] == [
        ("created", "created company Clínica Nueva"), ("created", None)]
    assert db.query("SELECT c.email, k.name, k.country FROM contact c JOIN contact_company l ON l.contact_id = c.id "
                    "JOIN company k ON k.id = l.company_id ORDER BY c.id") == [
        ("marta@novartis.es", "Novartis", "CH"), ("luis@nueva.es", "Clínica Nueva", "ES"), ("eva@nueva.es", "Clínica Nueva", "ES"),
        ("pep@pharma.es", "Novartis", "CH"), ("rosa@sanitas.es", "Sanitas Hospitales España", None)]
    assert db.query("SELECT phone FROM contact WHERE email = 'luis@nueva.es'") == [("+34611222333",)]  # read with ES
    assert db.query("SELECT name, country, website FROM company WHERE id = 1") == [("Novartis", "CH", "https://novartis.com")]
    r = cli("import", "contacts", path, "--distinct", "Novartis Pharma")
    assert r.exit_code == 2 and r.stderr.startswith("--distinct needs --reason")
    report = json.loads(ok(cli("import", "contacts", path, "--distinct", "Novartis Pharma", "--reason", "Another firm",
                               "--json")).stdout)
    assert [(row["action"], row["reason"]) for row in report["rows"]][3] == (
        "updated", "matched by email; created company Novartis Pharma; changed companies")
    assert db.query("SELECT a.name, b.name FROM distinct_companies d JOIN company a ON a.id = d.company_id "
                    "JOIN company b ON b.id = d.other_company_id") in ([("Novartis", "Novartis Pharma")], [("Novartis Pharma", "Novartis")])
    ok(cli("import", "undo", str(report["batch"])))
    r = ok(cli("import", "undo", str(first["batch"])))
    assert r.stdout.endswith(" Also removed the 2 companies it created.\n")
    assert db.query("SELECT name FROM company") == [("Novartis",)] and db.count("contact") == 0
    assert ok(cli("journal", "verify")).stdout.startswith("Journal intact")


def test_a_contacts_company_that_clashes_otherwise_refuses_the_row(cli, db, files):
    """`Novartis` when the database has only `Novartis España` is not created beside it: the row is refused
    with the company rule's message, as `company add` refuses it."""
    ok(cli("company", "add", "Novartis España", "--country", "ES", "--website", "novartis.es", "--no-follow-up"))
    path = files("contacts.csv", "First Name,Last Name,Email,Company name\nMarta,Ruiz,marta@novartis.com,Novartis\n")
    r = cli("import", "contacts", path, "--dry-run")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == (
        "line 2: refused: 'Novartis España' (id 1) looks like the Spain branch of 'Novartis': rename it to 'Novartis' "
        "rather than add another company (salescrm company edit 1 --name 'Novartis').")


def test_contact_rows_run_alone_where_the_database_keeps_erased_identities(cli, db, files, monkeypatch):
    """Plain new contacts are written together (domain/imports/bulk.py), but not past the check that refuses
    an erased person: with any erased identity stored, each contact row runs alone, through the contact rule."""
    import sqlalchemy as sa

    from salescrm.domain.imports import bulk

    seen = []
    real = bulk.plain_contact
    monkeypatch.setattr(bulk, "plain_contact", lambda *a: seen.append(real(*a)) or seen[-1])
    report = json.loads(ok(cli("import", "contacts", files("a.csv", "First Name,Last Name,Email\nAna,Ruiz,ana@x.example\n"),
                               "--json")).stdout)
    assert [type(p).__name__ for p in seen] == ["Pending"]
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO erasure (contact_id, at, by, reason) VALUES (:c, :at, 'x', 'y')"),
                     {"c": report["rows"][0]["record_id"], "at": "2026-01-01 00:00:00"})
        conn.execute(sa.text("INSERT INTO erased_identity (digest, kind, erasure_id) "
                             "SELECT :d, 'email', max(id) FROM erasure"), {"d": "0" * 64})
    seen.clear()
    ok(cli("import", "contacts", files("b.csv", "First Name,Last Name,Email\nBob,Ray,bob@x.example\n")))
    assert seen == [None] and db.count("contact") == 2


def test_contacts_that_create_their_companies_are_written_together_as_alone(cli, db, files, monkeypatch):
    """A contact row naming a company the database lacks creates it in the chunk's lot (domain/imports/bulk.py):
    a later row of the chunk naming it links to it, a local branch of it is merged, and the records and
    journal entries are those the row gives run alone (through `contact_row`)."""
    from salescrm.domain.imports import bulk

    header = "First Name,Last Name,Email,Phone Number,Company name,Country/Region\n"
    seen, real = [], bulk.plain_contact
    monkeypatch.setattr(bulk, "plain_contact", lambda *a: seen.append(real(*a)) or seen[-1])
    together = json.loads(ok(cli("import", "contacts", files("a.csv", header + (
        "Ana,Ruiz,ana@vidal.es,611 222 333,Clínica Vidal,Spain\n"
        "Eva,Sol,eva@vidal.es,,CLINICA VIDAL,\n"
        "Pep,Roca,pep@vidal.es,,Clínica Vidal España,\n")), "--json")).stdout)
    assert [(r["action"], r["reason"]) for r in together["rows"]] == [
        ("created", "created company Clínica Vidal"), ("created", None),
        ("created", "Clínica Vidal España merged into Clínica Vidal (local branch)")]
    assert [type(p).__name__ for p in seen] == ["Pending", "Pending", "NoneType"]  # the branch runs alone
    monkeypatch.setattr(bulk, "plain_contact", lambda *a: None)  # every row runs alone
    alone = json.loads(ok(cli("import", "contacts", files("b.csv", header + (
        "Ana,Ruiz,ana@mas.es,611 222 444,Clínica Mas,Spain\n"
        "Eva,Sol,eva@mas.es,,CLINICA MAS,\n"
        "Pep,Roca,pep@mas.es,,Clínica Mas España,\n")), "--json")).stdout)
    assert [r["reason"] for r in alone["rows"]] == [
        "created company Clínica Mas", None, "Clínica Mas España merged into Clínica Mas (local branch)"]
    assert db.query("SELECT k.name, k.country, k.lead_status, count(*) FROM company k JOIN contact_company l "
                    "ON l.company_id = k.id GROUP BY k.id ORDER BY k.id") == [
        ("Clínica Vidal", "ES", "New", 3), ("Clínica Mas", "ES", "New", 3)]
    assert db.query("SELECT phone FROM contact WHERE email IN ('ana@vidal.es', 'ana@mas.es')") == [
        ("+34611222333",), ("+34611222444",)]

    def entries(batch):
        (low, high), = db.query("SELECT min(seq), max(seq) FROM journal WHERE record_type = 'import_batch' "
                                "AND record_id = ?", batch)
        return sorted(db.query("SELECT j.record_type, j.action, f.field FROM journal j JOIN journal_field f "
                               "ON f.seq = j.seq WHERE j.seq > ? AND j.seq < ?", low, high))

    assert entries(together["batch"]) == entries(alone["batch"]) != []
    assert ok(cli("journal", "verify")).stdout.startswith("Journal intact")
