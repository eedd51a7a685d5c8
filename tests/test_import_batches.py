"""Import batches: `import list`, `import undo` (restored values, removed records, a refused undo), the
journal that records them, and `--chunk` (both backends)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ANA
from tests.helpers import ok

COMPANIES = "name,country,website\nNovartis,CH,novartis.com\nSanitas Hospitales,ES,sanitas.es\n"
CONTACTS = ("first_name,last_name,email,phone,companies\n"
            "Marta,Ruiz,marta@sanitas.es,'+34600000000,Sanitas Hospitales\n"
            "Luis,Vidal,luis@novartis.com,,Novartis\n")
DEALS = ("name,stage,amount,close_date,owner,company,deal_class,source,contacts\n"
         "PoC,Prospected,12000,2027-03-31,Ana García,Sanitas Hospitales,Care provider inpatient private,Web,marta@sanitas.es\n")


@pytest.fixture
def imported(cli, tmp_path):
    """Companies (batch 1), contacts (batch 2) and a deal (batch 3), each from its own file."""
    ok(cli(*ANA))
    paths = {}
    for kind, text in (("companies", COMPANIES), ("contacts", CONTACTS), ("deals", DEALS)):
        paths[kind] = tmp_path / f"{kind}.csv"
        paths[kind].write_text(text, encoding="utf-8")
        ok(cli("import", kind, str(paths[kind])))
    return paths


def test_import_list_shows_the_batches(cli, imported):
    batches = json.loads(ok(cli("import", "list", "--json")).stdout)
    assert [{k: b[k] for k in ("batch", "by", "file", "record_type", "created", "updated")} for b in batches] == [
        {"batch": 1, "by": "tester", "file": str(imported["companies"]), "record_type": "company", "created": 2, "updated": 0},
        {"batch": 2, "by": "tester", "file": str(imported["contacts"]), "record_type": "contact", "created": 2, "updated": 0},
        {"batch": 3, "by": "tester", "file": str(imported["deals"]), "record_type": "deal", "created": 1, "updated": 0},
    ]
    assert list(batches[0]) == ["batch", "at", "by", "file", "record_type", "created", "updated"]
    assert batches[0]["at"].endswith("Z")


def test_undo_removes_what_a_batch_created_and_restores_derived_values(cli, db, imported):
    assert db.query("SELECT lead_status FROM company WHERE name = 'Sanitas Hospitales'") == [("Open deal",)]
    assert db.count("stage_change", "import_batch_id = 3") == 1
    r = ok(cli("import", "undo", "3", "--reason", "wrong file"))
    assert r.stdout == f"Undid import batch 3: removed 1 created and restored 0 updated records (deal from {imported['deals']}).\n"
    assert db.count("deal") == 0 and db.count("stage_change") == 0 and db.count("deal_contact") == 0
    assert db.query("SELECT lead_status FROM company WHERE name = 'Sanitas Hospitales'") == [("New",)]
    assert db.query("SELECT reason FROM journal WHERE record_type = 'deal' AND action = 'delete'") == [("wrong file",)]
    undone = db.query("SELECT undone_by FROM import_batch WHERE id = 3")
    assert undone == [("tester",)]
    again = cli("import", "undo", "3")
    assert again.exit_code == 1 and again.stderr.startswith("Import batch 3 was already undone (")
    ok(cli("import", "undo", "2"))  # the deal's undo reversed what touched the contacts since
    ok(cli("import", "undo", "1"))
    assert db.count("company") == db.count("contact") == 0
    assert ok(cli("journal", "verify")).stdout.startswith("Journal intact")
    assert ok(cli("db", "check")).stdout.startswith("Database ")  # every record reconciles with the journal


def test_undo_restores_the_values_a_batch_updated(cli, db, tmp_path):
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    path = tmp_path / "companies.csv"
    path.write_text("name,country,website,legal_name\nNovartis,Switzerland,https://www.novartis.ch,Novartis AG\n")
    report = json.loads(ok(cli("import", "companies", str(path), "--json")).stdout)
    assert report["rows"] == [{"line": 2, "action": "updated", "record_id": 1,
                               "reason": "matched by name; changed website, legal_name"}]
    ok(cli("import", "undo", str(report["batch"])))
    assert db.query("SELECT name, website, legal_name, version FROM company") == [
        ("Novartis", "https://novartis.com", None, 3)]


def test_undo_is_refused_naming_the_records_changed_since(cli, db, imported):
    ok(cli("contact", "edit", "marta@sanitas.es", "--job-title", "Head of Dermatology"))
    ok(cli("contact", "add", "--first-name", "Pia", "--last-name", "Lund", "--job-title", "Buyer",
           "--company", "Novartis", "--email", "pia@novartis.com", "--no-follow-up"))
    seq = db.query("SELECT max(seq) FROM journal WHERE record_type = 'contact' AND record_id = 1")[0][0]
    r = cli("import", "undo", "2")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "Import batch 2 cannot be undone: records it touched have changed since:",
        f"  contact 1 (journal entry {seq}, by tester: salescrm contact edit marta@sanitas.es --job-title "
        "'Head of Dermatology')",
        "  deal 1 (links to contact 1, which the batch created)",
        "Undo those changes first, or edit the records by hand.",
    ]
    r = cli("import", "undo", "1")
    assert r.exit_code == 1 and "  contact 3 (links to company 1, which the batch created)" in r.stderr.splitlines()
    assert db.count("contact") == 3 and db.count("import_batch", "undone_at IS NOT NULL") == 0


def test_chunk_commits_batches_of_its_own(cli, db, tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text("name,country\nAlpha Clinic,ES\nBeta Clinic,ES\nGamma Clinic,ES\n,ES\nDelta Clinic,ES\n")
    r = cli("import", "companies", str(path), "--chunk", "2", "--rejects", str(tmp_path / "bad.csv"))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == (
        "1 row was refused, so nothing was imported: fix it, or pass --skip-invalid to import the others. "
        f"The refused rows are in {tmp_path / 'bad.csv'}. 1 earlier batch of --chunk stay.")
    assert [n for (n,) in db.query("SELECT name FROM company ORDER BY id")] == ["Alpha Clinic", "Beta Clinic"]
    path.write_text("name,country\nAlpha Clinic,ES\nBeta Clinic,ES\nGamma Clinic,ES\nDelta Clinic,ES\nEpsilon Clinic,ES\n")
    r = ok(cli("import", "companies", str(path), "--chunk", "2"))
    ids = ", ".join(str(i) for (i,) in db.query("SELECT id FROM import_batch ORDER BY id")[1:])  # a refused one keeps no id
    assert db.count("import_batch") == 4
    assert r.stdout.endswith(f"as batches {ids}: 3 created, 0 updated, 2 unchanged, 0 skipped, 0 refused.\n")
