"""`salescrm process apply FILE --reason TEXT` (issue 12, "Reviewing and applying a revision"): a new journaled
revision of the database's process, applied by a JD-001 or JD-002 only, refused when it strands deals unless
`--map-stage` moves them; `process diff current` and `process export` read the database's own."""

from __future__ import annotations

import hashlib
import json

import pytest

from salescrm.process import load
from tests.helpers import ok, show, walk_to

SHIPPED = load.shipped_text("sp-009-001")
REASON = "SP-009-001 rev 2"
APPLIERS = "Only JD-001 (General Manager) or JD-002 (Sales Manager) may apply a process revision"


def revision(tmp_path, text: str = SHIPPED, name: str = "rev2.toml") -> str:
    path = tmp_path / name
    path.write_text(text.replace("revision = 1", "revision = 2", 1), encoding="utf-8")
    return str(path)


def without_offer_approved() -> str:
    start = SHIPPED.index('[[pipelines.stages]]\nname = "Offer Approved"')
    end = SHIPPED.index("[[pipelines.stages]]", start + 1)
    return (SHIPPED[:start] + SHIPPED[end:]).replace('"Offer Approved" = "Opportunity"\n', "")


@pytest.fixture
def elena(seeded, monkeypatch):
    """The README's team and deal, with Elena (JD-001) acting under her login."""
    ok(seeded("team", "set-login", "Elena Ortiz", "elena"))
    monkeypatch.setenv("SALESCRM_USER", "elena")
    return seeded


def revisions(db) -> list[tuple]:
    return db.query("SELECT id, name, revision, reason, applied_by FROM process_revision ORDER BY id")


def test_a_jd001_applies_a_revision_journaled(elena, db, tmp_path):
    rev = revision(tmp_path, SHIPPED.replace("probability = 60", "probability = 65"))
    r = elena("process", "apply", rev, "--reason", REASON)
    assert (r.exit_code, r.stdout, r.stderr) == (
        0, f"Applied sp-009-001 revision 2 as the database's process revision 2: {REASON}\n", "")
    assert revisions(db) == [(1, "sp-009-001", "1", "chosen when the database was created", "tester"),
                             (2, "sp-009-001", "2", REASON, "elena")]
    text = open(rev, encoding="utf-8").read()
    assert db.query("SELECT body, sha256 FROM process_revision WHERE id = 2") == [
        (text, hashlib.sha256(text.encode()).hexdigest())]
    entries = [e for e in json.loads(ok(elena("journal", "show", "--json")).stdout) if e["record_type"] == "process_revision"]
    assert sorted((e["record_id"], e["field"], e["new"], e["reason"], e["by"]) for e in entries) == [
        (2, "name", "sp-009-001", REASON, "elena"), (2, "revision", "2", REASON, "elena"),
        (2, "sha256", hashlib.sha256(text.encode()).hexdigest(), REASON, "elena")]
    assert ok(elena("journal", "verify")).stdout.startswith("Journal intact")
    ok(elena("db", "check"))
    # Every command follows it from now on: show, export, diff current.
    assert "Offer Sent\t65\t" in ok(elena("process", "show")).stdout
    assert ok(elena("process", "export")).stdout == text
    assert ok(elena("process", "diff", "current", rev)).stdout == (
        "sp-009-001 revision 2 -> sp-009-001 revision 2: 0 changes\n")
    r = elena("process", "diff", "current", "shipped:sp-009-001")
    assert (r.exit_code, r.stdout) == (0, "sp-009-001 revision 2 -> sp-009-001 revision 1: 1 change\n"
                                          '~ pipelines.sales.stages."Offer Sent".probability: 65 -> 60\n')


def test_each_apply_is_a_new_revision_even_unchanged_and_json(elena, db, tmp_path):
    rev = revision(tmp_path)
    ok(elena("process", "apply", rev, "--reason", "Issued"))
    r = elena("process", "apply", rev, "--reason", "Re-issued after review")
    assert r.stdout == ("Applied sp-009-001 revision 2 as the database's process revision 3 (the same file as the "
                        "revision before, re-issued): Re-issued after review\n")
    r = elena("process", "apply", rev, "--reason", "Third", "--json")
    obj = json.loads(r.stdout)
    assert {k: obj[k] for k in ("id", "name", "revision", "reason", "applied_by", "moved")} == {
        "id": 4, "name": "sp-009-001", "revision": 2, "reason": "Third", "applied_by": "elena", "moved": []}
    assert obj["sha256"] == hashlib.sha256(open(rev, "rb").read()).hexdigest()
    assert obj["applied_at"].endswith("Z")
    assert [row[0] for row in revisions(db)] == [1, 2, 3, 4]


def test_a_jd002_may_apply_one(seeded, db, tmp_path, monkeypatch):
    ok(seeded("team", "add", "Carmen Vidal", "--role", "JD-002", "--login", "carmen"))
    monkeypatch.setenv("SALESCRM_USER", "carmen")
    ok(seeded("process", "apply", revision(tmp_path), "--reason", REASON))
    assert revisions(db)[-1] == (2, "sp-009-001", "2", REASON, "carmen")


def test_only_a_jd001_or_jd002_whose_login_is_the_acting_user_may_apply(seeded, db, tmp_path, monkeypatch):
    rev = revision(tmp_path)
    journal = db.count("journal")
    r = seeded("process", "apply", rev, "--reason", REASON)
    assert (r.exit_code, r.stdout, r.stderr) == (
        1, "", f"{APPLIERS}, and the acting user tester is no team member's login: `salescrm team set-login NAME "
               "tester` for the member you are.\n")
    ok(seeded("team", "set-login", "Ana García", "ana"))
    monkeypatch.setenv("SALESCRM_USER", "ana")
    r = seeded("process", "apply", rev, "--reason", REASON)
    assert (r.exit_code, r.stderr) == (1, f"{APPLIERS}; Ana García (ana) is JD-019 (Business Development).\n")
    # Elena's name is not her login: the acting user must be a member's login.
    monkeypatch.setenv("SALESCRM_USER", "Elena Ortiz")
    assert seeded("process", "apply", rev, "--reason", REASON).exit_code == 1
    assert (len(revisions(db)), db.count("journal")) == (1, journal + 1)  # the set-login only


def test_an_invalid_file_or_a_missing_reason_is_refused(elena, db, tmp_path):
    bad = revision(tmp_path, SHIPPED.replace("probability = 95", "probability = 195"), "bad.toml")
    r = elena("process", "apply", bad, "--reason", REASON)
    line = next(n for n, text in enumerate(open(bad, encoding="utf-8"), 1) if "probability = 195" in text)
    assert (r.exit_code, r.stdout, r.stderr) == (
        2, "", f"{bad}:{line}: pipelines[0].stages[6].probability: 195 is outside 0-100 (a percentage)\n"
               f"{bad} is not a valid process file (1 problem); fix it and check again.\n")
    r = elena("--no-input", "process", "apply", revision(tmp_path))
    assert (r.exit_code, r.stderr) == (2, "Missing required value: reason (--reason). Pass it as an option, or run on "
                                          "a terminal to be asked.\n")
    r = elena("process", "apply", revision(tmp_path), "--reason", "  ")
    assert (r.exit_code, r.stderr) == (2, "--reason is empty: give a value, or leave --reason out.\n")
    r = elena("process", "apply", str(tmp_path / "none.toml"), "--reason", REASON)
    assert r.exit_code == 2
    assert len(revisions(db)) == 1


def test_a_revision_that_strands_deals_is_refused_and_changes_nothing(elena, db, tmp_path):
    walk_to(elena, "Offer Approved")
    rev = revision(tmp_path, without_offer_approved())
    journal = db.count("journal")
    r = elena("process", "apply", rev, "--reason", REASON)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", (
        "Deal 1 'ES Sanitas Hospitales Proof of Concept' (Offer Approved): its stage Offer Approved is removed\n"
        "Not applied: 1 deal would be stranded by sp-009-001 revision 2; move them on, give them the values, keep "
        "their stages in the revision, or move them with --map-stage PIPELINE/OLD=NEW. Nothing was changed.\n"))
    assert (len(revisions(db)), db.count("journal"), show(elena)["stage"]) == (1, journal, "Offer Approved")


def test_map_stage_moves_the_stranded_deals_with_the_revision(elena, db, tmp_path):
    walk_to(elena, "Offer Approved")
    rev = revision(tmp_path, without_offer_approved())
    r = elena("process", "apply", rev, "--reason", REASON, "--map-stage", "sales/Offer Approved=Offer Sent")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (f"Applied sp-009-001 revision 2 as the database's process revision 2: {REASON}\n"
                        "Deal 1 moved from Offer Approved to Offer Sent: ES Sanitas Hospitales Proof of Concept\n")
    assert show(elena)["stage"] == "Offer Sent"
    assert db.query("SELECT from_stage, to_stage, changed_by, process_revision_id FROM stage_change "
                    "ORDER BY id DESC LIMIT 2") == [("Offer Approved", "Offer Sent", "elena", 2),
                                                    ("Offer Sent", "Offer Approved", "elena", 1)]
    moves = [e for e in json.loads(ok(elena("journal", "show", "--deal", "1", "--json")).stdout)
             if e["reason"] == REASON]
    assert [(e["field"], e["old"], e["new"]) for e in moves] == [("stage", "Offer Approved", "Offer Sent")]
    assert ok(elena("journal", "verify")).stdout.startswith("Journal intact")
    ok(elena("db", "check"))
    # The moved deal goes on under the new revision, and its moves record it.
    ok(elena("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen"))
    assert db.query("SELECT to_stage, process_revision_id FROM stage_change ORDER BY id DESC LIMIT 1") == [("Lost", 2)]


@pytest.mark.parametrize("mapping, said", [
    ("Offer Approved=Offer Sent", "--map-stage 'Offer Approved=Offer Sent' is not PIPELINE/OLD=NEW: give the pipeline, "
     "the stage its deals are in and the stage of the new revision they move to, e.g. --map-stage "
     "'sales/Offer Approved=Offer Sent'."),
    ("upsell/Offer Approved=Offer Sent", "--map-stage 'upsell/Offer Approved=Offer Sent': the database's process has no "
     "pipeline 'upsell'; its pipelines: sales."),
    ("sales/Signed=Offer Sent", "--map-stage 'sales/Signed=Offer Sent': Sales has no stage 'Signed' in the database's "
     "process; its stages: Prospected, Qualified, Discovered, Implementation Defined, Offer Sent, Offer Approved, "
     "Contract Signed, Payment Done, Lost."),
    ("sales/Offer Approved=Offer Approved", "--map-stage 'sales/Offer Approved=Offer Approved': Sales has no stage "
     "'Offer Approved' in the revision; its stages: Prospected, Qualified, Discovered, Implementation Defined, Offer "
     "Sent, Contract Signed, Payment Done, Lost."),
    ("sales/Offer Approved=Lost", "--map-stage 'sales/Offer Approved=Lost': Offer Approved is open and Lost lost; a "
     "mapped deal keeps its outcome (win or lose it with `salescrm deal advance|lose`)."),
], ids=["form", "pipeline", "old", "new", "outcome"])
def test_a_bad_map_is_refused(elena, db, tmp_path, mapping, said):
    walk_to(elena, "Offer Approved")
    r = elena("process", "apply", revision(tmp_path, without_offer_approved()), "--reason", REASON, "--map-stage", mapping)
    assert (r.exit_code, r.stderr) == (2, said + "\n")
    assert len(revisions(db)) == 1


def test_a_revision_applied_to_a_database_with_deals_loses_nothing(elena, db, tmp_path):
    walk_to(elena, "Contract Signed")
    before = show(elena)
    ok(elena("process", "apply", revision(tmp_path), "--reason", REASON))
    after = show(elena)
    assert after == before
    assert ok(elena("journal", "verify")).stdout.startswith("Journal intact")
    ok(elena("db", "check"))
