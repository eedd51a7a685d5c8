"""A data subject's access request (GDPR article 15): `contact export-data` gives, as one JSON document,
everything held about the person: fields, properties, companies, deals, activities, tasks, the consent
ledger and the journal entries about them."""

from __future__ import annotations

import json
import os
import stat

from tests.helpers import ok

MARTA = "marta@sanitas.es"


def _other_person(cli):
    ok(cli("contact", "add", "--first-name", "Jorge", "--last-name", "Navarro", "--job-title", "Buyer",
           "--company", "Sanitas Hospitales", "--email", "jorge@sanitas.es"))
    ok(cli("activity", "log", "--type", "call", "--direction", "outbound", "--summary", "Called Jorge",
           "--contact", "jorge@sanitas.es"))


def test_the_document_holds_everything_about_the_person_and_nothing_about_others(seeded, db):
    _other_person(seeded)
    ok(seeded("activity", "log", "--type", "email", "--direction", "inbound", "--summary", "Asked for the price list",
              "--contact", MARTA, "--at", "2026-11-20 10:00"))
    ok(seeded("task", "add", "Send Marta the price list", "--due", "2030-01-10", "--contact", MARTA))
    ok(seeded("contact", "consent", MARTA, "--granted", "--purpose", "marketing", "--basis", "consent",
              "--source", "Email Marketing Consent form", "--at", "2026-11-21"))
    ok(seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Second site", "--amount", "5000",
              "--close-date", "2031-06-30", "--class", "Insurance", "--source", "Referral", "--owner", "Ana García"))
    ok(seeded("deal", "edit", "2", "--set", f"decision_maker={MARTA}", "--reason", "Marta decides"))
    r = ok(seeded("contact", "export-data", MARTA))
    doc = json.loads(r.stdout)
    assert r.stderr == ""
    assert set(doc) == {"export", "contact", "properties", "companies", "deals", "activities", "tasks", "consent",
                        "consent_state", "journal"}
    assert doc["export"]["version"] == 1 and doc["export"]["by"] == "tester"
    assert doc["export"]["basis"] == "GDPR article 15 (right of access)"
    assert {k: doc["contact"][k] for k in ("id", "first_name", "last_name", "email", "phone", "job_title")} == {
        "id": 1, "first_name": "Marta", "last_name": "Ruiz", "email": MARTA, "phone": "+34600000000",
        "job_title": "Head of Dermatology"}
    assert doc["properties"] == {}
    assert doc["companies"] == [{"id": 1, "name": "Sanitas Hospitales", "country": "ES", "website": "https://www.sanitas.es"}]
    # Deal 1 has her as a contact; deal 2 names her at a gate (its decision maker) without linking her.
    assert [d["id"] for d in doc["deals"]] == [1, 2]
    assert doc["deals"][1]["gates"]["decision_maker"] == MARTA
    assert [a["summary"] for a in doc["activities"]] == ["Asked for the price list"]
    assert [t["title"] for t in doc["tasks"]] == ["Send Marta the price list"]
    assert [(e["state"], e["basis"]) for e in doc["consent"]] == [("granted", "consent")]
    assert doc["consent_state"] == {"marketing": "granted"}
    about = {(j["record_type"], j["record_id"]) for j in doc["journal"]}
    activity_id, task_id = doc["activities"][0]["id"], doc["tasks"][0]["id"]
    [(consent_id,)] = db.query("SELECT id FROM consent_event")
    assert {("contact", 1), ("activity", activity_id), ("task", task_id), ("consent_event", consent_id),
            ("deal", 2)} <= about  # deal 2: the journal entry whose value names her email
    assert ("contact", 2) not in about
    assert not any("Jorge" in json.dumps(j) for j in doc["journal"])
    assert "Called Jorge" not in r.stdout


def test_output_writes_a_private_file_and_never_replaces_one(seeded, tmp_path):
    target = tmp_path / "marta.json"
    r = ok(seeded("contact", "export-data", MARTA, "--output", str(target)))
    assert r.stdout == ""
    assert r.stderr == f"Exported what salescrm holds about Marta Ruiz (contact 1) to {target}.\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert json.loads(target.read_text())["contact"]["email"] == MARTA
    target.write_text("kept")
    r = seeded("contact", "export-data", MARTA, "--output", str(target))
    assert (r.exit_code, r.stderr) == (1, f"{target} already exists: pass --force to replace it, or give another --output.\n")
    assert target.read_text() == "kept"
    ok(seeded("contact", "export-data", MARTA, "--output", str(target), "--force"))
    assert json.loads(target.read_text())["contact"]["id"] == 1


def test_an_unknown_contact_writes_no_file(seeded, tmp_path):
    target = tmp_path / "nobody.json"
    r = seeded("contact", "export-data", "nobody@example.com", "--output", str(target))
    assert r.exit_code == 1
    assert r.stderr == ("No contact with email nobody@example.com. List them with `salescrm contact list`, "
                        "or add one with `salescrm contact add`.\n")
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".nobody")] == []

