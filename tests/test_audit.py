"""`salescrm audit`: each check over a small database built for it (exact findings), the score, the
per-owner table, exit codes for cron, the safe fixes, and the life-science article's self-assessment."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from salescrm.domain.audit import duplicate_company_pairs, folded
from salescrm.domain.naming import name_key
from tests.conftest import BANT, QUALIFIED, FakePrompter
from tests.helpers import ok


def write(db, sql: str, **params) -> None:
    """Change the data behind salescrm's back, as an import or a direct edit would."""
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def audit(cli, *args) -> dict:
    r = cli("audit", *args, "--json", "--fail-on", "never")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def findings(cli, *args) -> list[tuple]:
    return [(f["check"], f["record_type"], f["record_id"]) for f in audit(cli, *args)["findings"]]


def with_next_step(cli, deal="1"):
    ok(cli("task", "add", "Call back", "--deal", deal, "--due", "2099-01-01"))
    return cli


def test_a_clean_database_scores_one_and_exits_0(seeded):
    with_next_step(seeded)
    r = seeded("audit", "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert result == {
        "score": 1.0,
        "summary": [{"check": c, "severity": s, "count": 0} for c, s in (
            ("deal-name", "error"), ("stage-gate", "error"), ("duplicate-company", "error"), ("local-branch", "error"),
            ("legal-name", "warning"), ("duplicate-contact", "error"), ("missing-field", "warning"), ("orphan", "warning"),
            ("owner-role", "error"), ("stale-deal", "warning"), ("overdue-close", "warning"), ("no-next-step", "warning"),
            ("unknown-value", "error"), ("marketing-after-withdrawal", "error"), ("no-lawful-basis", "warning"),
            ("imported-name", "warning"))],
        "by_owner": [{"owner": "Ana García", "records": 3, "findings": 0}],
        "findings": [],
    }
    text = seeded("audit")
    assert text.exit_code == 0
    assert text.stdout.startswith("Data-quality score 1.00 (share of companies, contacts and deals with no finding); "
                                  "0 errors, 0 warnings.\n")
    assert text.stdout.endswith("Ana García\t3\t0\nNo findings.\n")


def test_no_next_step_is_a_warning_and_the_score_counts_records(seeded):
    r = seeded("audit", "--json")
    assert r.exit_code == 0  # warnings only: --fail-on error passes
    result = json.loads(r.stdout)
    assert result["score"] == round(2 / 3, 4)  # Sanitas and Marta clean, deal 1 not
    assert result["findings"] == [{
        "check": "no-next-step", "severity": "warning", "record_type": "deal", "record_id": 1,
        "record": "ES Sanitas Hospitales Proof of Concept", "owner": "Ana García",
        "message": "Deal 1 'ES Sanitas Hospitales Proof of Concept' is open with no open task linked to it (its next step).",
        "fix": "salescrm task add TITLE --deal 1 --due YYYY-MM-DD",
    }]
    assert seeded("audit", "--fail-on", "warning").exit_code == 1
    # a task on the company does not count as the deal's next step
    ok(seeded("task", "add", "Call", "--company", "Sanitas Hospitales", "--due", "2099-01-01"))
    assert findings(seeded, "--check", "no-next-step") == [("no-next-step", "deal", 1)]


def test_deal_name_finds_a_name_changed_outside_and_fix_renames_it(seeded, db):
    with_next_step(seeded)
    write(db, "UPDATE deal SET name = 'Sanitas PoC', name_key = 'sanitas poc' WHERE id = 1")
    r = seeded("audit")
    assert r.exit_code == 1  # an error
    [finding] = audit(seeded)["findings"]
    assert finding["message"] == ("Deal 1 'Sanitas PoC': it should read 'ES Sanitas Hospitales Proof of Concept' "
                                  "(country, company 'Sanitas Hospitales', description).")
    assert finding["fix"] == "salescrm audit fix --check deal-name"
    r = seeded("audit", "fix")
    assert r.exit_code == 2
    assert r.stdout == "Deal 1: 'Sanitas PoC' -> 'ES Sanitas Hospitales Proof of Concept'\n"
    assert r.stderr == "1 renames proposed and none applied: pass --yes to apply them off a terminal.\n"
    assert db.query("SELECT name FROM deal") == [("Sanitas PoC",)]
    r = seeded("audit", "fix", "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "Renamed 1 deal."
    assert db.query("SELECT name, name_key FROM deal") == [("ES Sanitas Hospitales Proof of Concept",
                                                           "es sanitas hospitales proof of concept")]
    journal = [e for e in json.loads(ok(seeded("journal", "show", "--deal", "1", "--json")).stdout) if e["field"] == "name"]
    assert (journal[-1]["old"], journal[-1]["new"], journal[-1]["reason"]) == (
        "Sanitas PoC", "ES Sanitas Hospitales Proof of Concept", "salescrm audit fix: SP-009-001 deal naming")
    assert seeded("audit").exit_code == 0
    assert seeded("audit", "fix").stdout == "Nothing to fix: every deal name follows the convention.\n"


def test_lost_prefix_missing_and_on_an_open_deal(seeded, db):
    with_next_step(seeded)
    ok(seeded("deal", "lose", "1", "--category", "Other", "--reason", "x"))
    write(db, "UPDATE deal SET name = 'ES Sanitas Hospitales Proof of Concept' WHERE id = 1")
    [finding] = audit(seeded, "--check", "deal-name")["findings"]
    assert finding["message"] == "Deal 1 'ES Sanitas Hospitales Proof of Concept': it is lost but its name lacks the `Lost ` prefix."
    p = FakePrompter([("confirm", "Rename these 1 deals?", True)])
    r = seeded("audit", "fix", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT name FROM deal") == [("Lost ES Sanitas Hospitales Proof of Concept",)]


def test_deal_name_with_a_bad_country_code_is_not_fixed_automatically(seeded, db):
    write(db, "UPDATE deal SET country = 'XX', name = 'XX Sanitas Hospitales Proof of Concept' WHERE id = 1")
    [finding] = audit(seeded, "--check", "deal-name")["findings"]
    assert finding["message"] == ("Deal 1 'XX Sanitas Hospitales Proof of Concept': its country code 'XX' is not an "
                                  "ISO 3166-1 alpha-2 code.")
    assert finding["fix"] == "salescrm deal edit 1 --reason ..."
    assert seeded("audit", "fix").stdout == "Nothing to fix: every deal name follows the convention.\n"


@pytest.mark.parametrize("country, description, name, problem", [
    ("ES", "Proof  of Concept", "ES Sanitas Hospitales Proof  of Concept",
     "it should read 'ES Sanitas Hospitales Proof of Concept' (country, company 'Sanitas Hospitales', description)"),
    ("ES", "Proof\u00a0of Concept", "ES Sanitas Hospitales Proof\u00a0of Concept",
     "it should read 'ES Sanitas Hospitales Proof of Concept' (country, company 'Sanitas Hospitales', description)"),
    ("ES", "FR Proof of Concept", "ES Sanitas Hospitales FR Proof of Concept",
     "its description starts with a second country code (FR)"),
    ("es", "Proof of Concept", "es Sanitas Hospitales Proof of Concept",
     "its country code 'es' is not an ISO 3166-1 alpha-2 code"),
], ids=["double-space", "no-break-space", "second-code", "lower-case-code"])
def test_deal_name_edited_outside_with_stray_spaces_or_codes(seeded, db, country, description, name, problem):
    write(db, "UPDATE deal SET country = :c, description = :d, name = :n WHERE id = 1", c=country, d=description, n=name)
    [finding] = audit(seeded, "--check", "deal-name")["findings"]
    assert finding["message"] == f"Deal 1 '{name}': {problem}."


def test_stage_gate_finds_a_discovered_deal_with_two_bant_notes(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    ok(seeded("deal", "advance", "1", *BANT))
    assert findings(seeded, "--check", "stage-gate") == []
    write(db, "UPDATE gate_value SET value = 'no' WHERE deal_id = 1 AND key = 'need'")
    [finding] = audit(seeded, "--check", "stage-gate")["findings"]
    assert finding["message"] == ("Deal 1 'ES Sanitas Hospitales Proof of Concept' is in Discovered without what this "
                                  "gate needs: Discovered (at least 3 of 4 BANT notes).")
    assert finding["fix"] == "salescrm deal edit 1 --set need=... --set timeline=... --reason ..."
    assert seeded("audit", "--check", "stage-gate").exit_code == 1


def test_stage_gate_follows_a_lost_deal_to_the_stage_it_was_lost_from(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    ok(seeded("deal", "lose", "1", "--category", "Other", "--reason", "x"))
    write(db, "DELETE FROM gate_value WHERE deal_id = 1 AND key = 'segment_verified'")
    assert findings(seeded, "--check", "stage-gate") == [("stage-gate", "deal", 1)]


def imported(db, name: str, key: str | None = None) -> None:
    """A company added outside the tool (an import, a direct edit), where the one-company rule did not run."""
    write(db, "INSERT INTO company (name, name_key, country, website, lead_status, lead_status_set_by, lead_status_set_at, "
              "created_at, updated_at, version) VALUES (:name, :key, 'ES', 'x.es', 'New', 'import', :t, :t, :t, 1)",
          name=name, key=key or name_key(name), t=datetime.now(timezone.utc))


def add(cli, name: str, country: str = "ES"):
    return ok(cli("company", "add", name, "--country", country, "--website", "example.es", "--no-follow-up"))


SAME = ("the same name once case, accents, spaces, punctuation, connectors and legal forms are set aside: SP-009-001 "
        "keeps one company per brand; keep one and move the other's contacts and deals to it.")


def test_duplicate_companies_same_and_close(cli, db):
    add(cli, "Sanitas Hospitales")
    imported(db, "Sanitas Hospitales S.A.")
    for name in ("Sanitas Hospitals", "Hospital de Torrejon", "Quirónsalud"):
        add(cli, name)
    imported(db, "Hospital de Torrejón", "hospital de torrejon x")
    found = audit(cli, "--check", "duplicate-company")["findings"]
    assert [(f["record_id"], f["message"]) for f in found] == [
        (2, f"Company 2 'Sanitas Hospitales S.A.' and company 1 'Sanitas Hospitales' have {SAME}"),
        (3, "Company 3 'Sanitas Hospitals' and company 1 'Sanitas Hospitales' have names one letter apart: SP-009-001 keeps "
            "one company per brand; keep one and move the other's contacts and deals to it."),
        (6, f"Company 6 'Hospital de Torrejón' and company 4 'Hospital de Torrejon' have {SAME}"),
    ]
    assert [f["record_id"] for f in audit(cli, "--check", "legal-name")["findings"]] == [2]


def test_fuzzy_pairs_never_join_short_names_or_different_words():
    names = {1: "DKV", 2: "DKW", 3: "Bayer AG", 4: "Bayer", 5: "Almirall", 6: "Almiral", 7: "Novartis", 8: "Novo Nordisk"}
    assert duplicate_company_pairs(names) == [(3, 4, "same"), (5, 6, "close")]
    assert folded("Novartis Farmacéutica, S.A.") == "novartis farmaceutica"


@pytest.mark.parametrize("one, other", [
    ("Laboratorios Rovi Sociedad Anónima", "Laboratorios Rovi S.A."),
    ("Vestoralix Incorporated", "Vestoralix Inc."),
    ("Vestoralix S.A.R.L.", "Vestoralix SARL"),
    ("Chiesi Farmaceutici S.p.A..", "Chiesi Farmaceutici"),
    ("Smith & Nephew", "Smith and Nephew"),
    ("Dohme y Vidal", "Dohme & Vidal"),
    ("Vírge Rämeigrú", "VírgeRämeigrú"),
    ("Vírge Rämeigrú", "Vírger Ämeigrú"),  # a space moved
])
def test_duplicate_companies_despite_legal_forms_connectors_and_spaces(one, other):
    assert duplicate_company_pairs({1: one, 2: other}) == [(1, 2, "same")]


@pytest.mark.parametrize("one, other", [
    ("Vestoralix Pharma", "VestoralixPharna"),  # a typo and a space dropped
    ("Vestoralix Pharma", "Bestoralix Pharma Inc."),  # a typo in the first letters and a legal form
    ("Vestoralix Pharma", "Vstoralix Pharma"),  # a letter dropped among the first three
    ("Vestoralix Pharma", "Vesttoralix & Pharma"),  # a letter added among the first three, and a connector
    ("Vírge Rämeigrú", "VírgeRämeigrúu S.A."),
])
def test_duplicate_companies_a_typo_combined_with_the_rest(one, other):
    assert duplicate_company_pairs({1: one, 2: other}) == [(1, 2, "close")]


def test_names_whose_numbers_differ_are_other_companies():
    names = {1: "Clinica Dental 12", 2: "Clinica Dental 13", 3: "Clinica Dental 112", 4: "Klinica Dental 12",
             5: "Hospital 12 de Octubre", 6: "Hospital 12 de Octubr"}
    assert duplicate_company_pairs(names) == [(1, 4, "close"), (5, 6, "close")]


def test_local_branch_imported_outside_the_tool(cli, db):
    add(cli, "Novartis", "CH")
    imported(db, "Novartis España", "novartis espana")
    [finding] = audit(cli, "--check", "local-branch")["findings"]
    assert (finding["record_id"], finding["message"], finding["fix"]) == (
        2, "Company 2 'Novartis España' is named like the Spain branch of 'Novartis' (id 1): SP-009-001 keeps one company "
           "for the global entity.", "salescrm company show 1")


def test_local_branch_reports_local_entities_of_any_order(cli, db):
    add(cli, "Novartis Farmacéutica, S.A.")
    imported(db, "Bayer AG")
    imported(db, "Novartis")
    imported(db, "Novartis AG")  # the same brand: duplicate-company's, not a local entity
    imported(db, "Bayer Hispania")
    imported(db, "Novartis Pharma Stein AG")
    found = audit(cli, "--check", "local-branch", "--check", "duplicate-company")["findings"]
    assert [(f["check"], f["record_id"], f["message"]) for f in found] == [
        ("duplicate-company", 4, f"Company 4 'Novartis AG' and company 3 'Novartis' have {SAME}"),
        ("local-branch", 1, "Company 1 'Novartis Farmacéutica, S.A.' is named like a local entity of 'Novartis' (id 3): "
                            "SP-009-001 keeps one company for the global entity."),
        ("local-branch", 5, "Company 5 'Bayer Hispania' is named like a local entity of 'Bayer AG' (id 2): "
                            "SP-009-001 keeps one company for the global entity."),
        ("local-branch", 6, "Company 6 'Novartis Pharma Stein AG' is named like a local entity of 'Novartis' (id 3): "
                            "SP-009-001 keeps one company for the global entity."),
    ]


def test_audit_honours_a_decision_that_two_companies_are_distinct(cli, db):
    add(cli, "Merck", "DE")
    imported(db, "Merck Sharp & Dohme")
    add(cli, "Clinica Vidal")
    add(cli, "Clinica Vidak")
    assert findings(cli, "--check", "local-branch", "--check", "duplicate-company") == [
        ("duplicate-company", "company", 4), ("local-branch", "company", 2)]
    ok(cli("company", "edit", "Merck Sharp & Dohme", "--distinct-from", "Merck", "--reason", "MSD is Merck & Co."))
    ok(cli("company", "edit", "4", "--distinct-from", "3", "--reason", "Two clinics, two owners"))
    assert db.query("SELECT company_id, other_company_id, reason FROM distinct_companies ORDER BY company_id") == [
        (1, 2, "MSD is Merck & Co."), (3, 4, "Two clinics, two owners")]
    assert findings(cli, "--check", "local-branch", "--check", "duplicate-company") == []


def test_duplicate_contacts_by_name_at_one_company(seeded):
    ok(seeded("contact", "add", "--first-name", "marta", "--last-name", "RUIZ", "--job-title", "Nurse", "--company",
              "Sanitas Hospitales", "--email", "m.ruiz@sanitas.es", "--no-follow-up"))
    ok(seeded("contact", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--job-title", "CMO", "--company",
              "Sanitas Hospitales", "--no-follow-up"))
    assert findings(seeded, "--check", "duplicate-contact") == [("duplicate-contact", "contact", 2),
                                                                ("duplicate-contact", "contact", 3)]


def test_missing_fields_and_orphans(cli):
    ok(cli("lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--email", "luis@vidal.es", "--company",
           "Clínica Vidal", "--channel", "web-form", "--no-follow-up"))
    ok(cli("lead", "add", "--first-name", "Ana", "--last-name", "Soto", "--email", "ana@soto.es", "--channel", "phone",
           "--no-follow-up"))
    found = audit(cli, "--check", "missing-field", "--check", "orphan")["findings"]
    assert [(f["check"], f["record_type"], f["record_id"], f["message"]) for f in found] == [
        ("missing-field", "company", 1, "Company 1 'Clínica Vidal' has no country and no website."),
        ("missing-field", "contact", 1, "Contact 1 'Luis Vidal' has no job title."),
        ("missing-field", "contact", 2, "Contact 2 'Ana Soto' has no job title."),
        ("orphan", "contact", 2, "Contact 2 'Ana Soto' has no company."),
    ]


def test_deal_without_contact_and_owner_role(seeded, db):
    with_next_step(seeded)
    write(db, "DELETE FROM deal_contact")
    write(db, "UPDATE team_member SET role = 'JD-008' WHERE name = 'Ana García'")
    result = audit(seeded, "--check", "orphan", "--check", "owner-role")
    assert [(f["check"], f["record_id"], f["message"]) for f in result["findings"]] == [
        ("orphan", 1, "Deal 1 'ES Sanitas Hospitales Proof of Concept' has no contact."),
        ("owner-role", 1, "Deal 1 'ES Sanitas Hospitales Proof of Concept' is owned by Ana García (JD-008 Sales "
                          "Development Representative), but GP-009 deal owners are JD-019 or JD-002."),
    ]
    assert result["summary"] == [{"check": "orphan", "severity": "warning", "count": 1},
                                 {"check": "owner-role", "severity": "error", "count": 1}]
    assert result["score"] == round(2 / 3, 4)  # one deal with two findings counts once


def test_stale_and_overdue_close(seeded, db):
    with_next_step(seeded)
    old = datetime.now(timezone.utc) - timedelta(days=45)
    write(db, "UPDATE stage_change SET changed_at = :t", t=old)
    write(db, "UPDATE deal SET close_date = :d", d=date.today() - timedelta(days=1))
    assert findings(seeded, "--check", "stale-deal", "--check", "overdue-close") == [
        ("stale-deal", "deal", 1), ("overdue-close", "deal", 1)]
    assert findings(seeded, "--check", "stale-deal", "--stale-days", "60") == []
    ok(seeded("activity", "log", "--deal", "1", "--type", "call", "--direction", "outbound", "--summary", "Checked in"))
    assert findings(seeded, "--check", "stale-deal") == []


def test_owner_filter_and_unknown_check(seeded):
    ok(seeded("team", "add", "Luis Romero", "--role", "JD-019"))
    assert audit(seeded, "--owner", "Luis Romero")["findings"] == []
    assert findings(seeded, "--owner", "Ana García") == [("no-next-step", "deal", 1)]
    r = seeded("audit", "--check", "spelling")
    assert r.exit_code == 2
    assert r.stderr.startswith("Unknown check 'spelling': choose from deal-name, stage-gate,")
    r = seeded("audit", "--fail-on", "sometimes")
    assert (r.exit_code, r.stderr) == (2, "--fail-on 'sometimes': choose error, warning or never.\n")


def test_audit_writes_nothing(seeded, db):
    before = db.query("SELECT count(*) FROM journal")
    seeded("audit")
    seeded("audit", "--json")
    assert db.query("SELECT count(*) FROM journal") == before


def test_text_output_for_a_person(seeded):
    r = seeded("audit")
    lines = r.stdout.splitlines()
    assert lines[0] == ("Data-quality score 0.67 (share of companies, contacts and deals with no finding); "
                        "0 errors, 1 warnings.")
    assert "no-next-step\twarning\t1" in lines
    assert "Ana García\t3\t1" in lines


# --- the self-assessment -----------------------------------------------------------------------


def test_survey_from_options_scores_and_history(cli, db):
    r = cli("audit", "survey", "--scores", "5,6,4,7", "--reports", "cycle,pipeline")
    assert (r.exit_code, r.stdout) == (0, "Score 24 of 33: consider remedial action: below 25.\n")
    r = cli("audit", "survey", "--scores", "3,3,3,3", "--reports", "none", "--json")
    answer = json.loads(r.stdout)
    assert (answer["score"], answer["verdict"], answer["reports"]) == (
        12, "act now: below 18, you are past the point of considering a solution", [])
    r = cli("audit", "survey", "--scores", "7,7,7,7", "--reports", "cycle,pipeline,forecast,conversion,next-steps")
    assert r.stdout == "Score 33 of 33: good: 25 or more.\n"
    history = json.loads(ok(cli("audit", "survey", "--history", "--json")).stdout)
    assert [h["score"] for h in history] == [24, 12, 33]
    assert history[0]["scores"] == {"capture": 5, "qualifying_defined": 6, "qualifying_understood": 4, "clean_data": 7}
    assert history[0]["by"] == "tester"


def test_survey_off_a_terminal_names_the_options(cli, db):
    r = cli("audit", "survey")
    assert r.exit_code == 2
    assert r.stderr == ("Missing required values: the four 1-7 answers (--scores); the reports the team runs (--reports). "
                        "Pass them as options, or run on a terminal to be asked.\n")
    for bad, message in (("5,6,4", "--scores '5,6,4': give the four answers from 1 to 7"),
                         ("5,6,4,8", "--scores '5,6,4,8': give the four answers from 1 to 7")):
        r = cli("audit", "survey", "--scores", bad, "--reports", "none")
        assert r.exit_code == 2 and r.stderr.startswith(message)
    r = cli("audit", "survey", "--scores", "1,1,1,1", "--reports", "gossip")
    assert r.exit_code == 2
    assert db.count("survey_answer") == 0


def test_survey_on_a_terminal_is_prefilled_with_the_reports_salescrm_makes(cli):
    p = FakePrompter([
        ("select", "how completely do we capture", "6"),
        ("select", "how clearly defined", "5"),
        ("select", "how well is the process", "4"),
        ("select", "how clean is our database", "6"),
        ("checkbox", "regular reports", ["Sales cycle report, showing the length of our sales cycle",
                                          "Pipeline next steps, showing the next steps for each open opportunity"]),
    ])
    r = cli("audit", "survey", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Score 23 of 33: consider remedial action: below 25.\n"
    [last] = json.loads(ok(cli("audit", "survey", "--history", "--json")).stdout)
    assert last["reports"] == ["cycle", "next-steps"]
