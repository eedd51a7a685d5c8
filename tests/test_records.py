"""Team members, companies and contacts through the CLI, and how commands find records from what was typed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ANA, ELENA, MARTA, SANITAS, FakePrompter
from tests.helpers import ok

MISSING_TAIL = "Pass them as options, or run on a terminal to be asked."


def company_json(cli, ref):
    return json.loads(ok(cli("company", "show", ref, "--json")).stdout)


def contact_json(cli, ref):
    return json.loads(ok(cli("contact", "show", ref, "--json")).stdout)


def add_company(cli, name, country="ES", website="https://example.es", *more):
    """`company add` without its follow-up call (tests/test_tasks.py covers those)."""
    return cli("company", "add", name, "--country", country, "--website", website, "--no-follow-up", *more)


def add_contact(cli, first, last, *more, job_title="Medical Director"):
    return cli("contact", "add", "--first-name", first, "--last-name", last, "--job-title", job_title, *more)


# --- team ----------------------------------------------------------------------------------


def test_team_add_by_code(cli, db):
    r = ok(cli(*ANA))
    assert r.stdout == "Added team member 1: Ana García (JD-019 Business Development)\n"
    assert r.stderr == ""
    assert db.query("SELECT name, role FROM team_member") == [("Ana García", "JD-019")]


@pytest.mark.parametrize("role", ["Business Development", "business development", "BUSINESS DEVELOPMENT", "jd-019"])
def test_team_add_by_title_in_any_case(cli, db, role):
    ok(cli("team", "add", "Ana García", "--role", role))
    assert db.query("SELECT role FROM team_member") == [("JD-019",)]


def test_team_add_unknown_role_lists_the_roles(cli, db):
    r = cli("team", "add", "Ana García", "--role", "Wizard")
    assert r.exit_code == 2
    assert r.stderr.startswith("Unknown role 'Wizard': choose one of JD-001 (General Manager), JD-002 (Sales Manager), ")
    assert "JD-019 (Business Development)" in r.stderr
    assert db.count("team_member") == 0


@pytest.mark.parametrize("again", ["Ana García", "ana garcia", "  ANA   GARCÍA "])
def test_team_add_duplicate_name_is_refused(cli, db, again):
    ok(cli(*ANA))
    r = cli("team", "add", again, "--role", "JD-002")
    assert r.exit_code == 1
    assert r.stderr == "Team member 'Ana García' (id 1) already exists.\n"
    assert db.query("SELECT name, role FROM team_member") == [("Ana García", "JD-019")]


def test_team_list_json(cli):
    ok(cli(*ELENA))
    ok(cli(*ANA))
    r = ok(cli("team", "list", "--json"))
    assert json.loads(r.stdout) == [
        {"id": 2, "name": "Ana García", "role": "JD-019", "title": "Business Development", "login": None},
        {"id": 1, "name": "Elena Ortiz", "role": "JD-001", "title": "General Manager", "login": None},
    ]


# --- company add -------------------------------------------------------------------------


def test_company_add_stores_name_country_website(cli, db):
    r = ok(cli(*SANITAS, "--no-follow-up"))
    assert r.stdout == "Added company 1: Sanitas Hospitales (ES)\n"
    assert r.stderr == ""
    assert db.query("SELECT name, country, website, legal_name, lead_status FROM company") == [
        ("Sanitas Hospitales", "ES", "https://www.sanitas.es", None, "New")
    ]


def test_company_add_off_a_terminal_names_every_missing_option(sh, db):
    r = sh("company", "add", "Sanitas Hospitales")
    assert r.exit_code == 2
    assert r.stderr == f"Missing required values: country (--country); website (--website). {MISSING_TAIL}\n"
    r = sh("company", "add", "Sanitas Hospitales", "--country", "ES")
    assert r.exit_code == 2
    assert r.stderr == (
        "Missing required value: website (--website). Pass it as an option, or run on a terminal to be asked.\n"
    )
    r = sh("company", "add", "Sanitas Hospitales", "--website", "sanitas.es")
    assert r.exit_code == 2
    assert "country (--country)" in r.stderr
    assert db.count("company") == 0


@pytest.mark.parametrize("country", ["ES", "es", "ESP", "Spain", "spain", "España"])
def test_company_country_by_code_or_name(cli, db, country):
    ok(add_company(cli, "Sanitas Hospitales", country))
    assert db.query("SELECT country FROM company") == [("ES",)]


def test_company_unknown_country_suggests_the_closest(cli, db):
    r = add_company(cli, "Sanitas Hospitales", "Spian")
    assert r.exit_code == 2
    assert r.stderr == (
        "Unknown country 'Spian': give an ISO 3166-1 code (ES, ESP) or an English name (Spain). Did you mean Spain (ES)?\n"
    )
    assert db.count("company") == 0


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("sanitas.es", "https://sanitas.es"),
        ("www.sanitas.es", "https://www.sanitas.es"),
        ("http://www.sanitas.es", "http://www.sanitas.es"),
        ("HTTPS://WWW.Sanitas.ES/hospitales", "https://www.sanitas.es/hospitales"),
    ],
)
def test_company_website_is_normalised(cli, typed, stored):
    ok(add_company(cli, "Sanitas Hospitales", "ES", typed))
    assert company_json(cli, "Sanitas Hospitales")["website"] == stored


@pytest.mark.parametrize("website", ["not a website", "localhost", "ftp://sanitas.es", "https://"])
def test_company_bad_website_is_invalid(cli, db, website):
    r = add_company(cli, "Sanitas Hospitales", "ES", website)
    assert r.exit_code == 2
    assert r.stderr == f"Website '{website}' is not a web address: give one like https://www.sanitas.es.\n"
    assert db.count("company") == 0


@pytest.mark.parametrize("again", ["SANITAS hospitales", "Sanitas   Hospitales", "sanitas hospitales"])
def test_company_duplicate_ignoring_case_is_refused(cli, db, again):
    ok(cli(*SANITAS))
    r = add_company(cli, again)
    assert r.exit_code == 1
    assert r.stderr == f"Company 'Sanitas Hospitales' (id 1) already exists; use it instead of adding '{again}'.\n"
    assert db.query("SELECT name FROM company") == [("Sanitas Hospitales",)]


def test_company_duplicate_ignoring_accents_is_refused(cli, db):
    ok(add_company(cli, "Hospital de Torrejón"))
    r = add_company(cli, "Hospital de Torrejon")
    assert r.exit_code == 1
    assert "Company 'Hospital de Torrejón' (id 1) already exists" in r.stderr
    assert db.query("SELECT name FROM company") == [("Hospital de Torrejón",)]


@pytest.mark.parametrize("branch", ["Novartis Spain", "Novartis España", "Novartis ES", "novartis spain"])
def test_company_local_branch_of_an_existing_company_is_refused(cli, db, branch):
    ok(add_company(cli, "Novartis", "CH", "https://www.novartis.com"))
    r = add_company(cli, branch, "ES", "https://www.novartis.es")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"'{branch}' looks like the Spain branch of 'Novartis' (id 1): ")
    assert "use 'Novartis' and link the local contacts to it" in r.stderr
    assert db.query("SELECT name FROM company") == [("Novartis",)]


# --- The one-company rule: local entities (SP-009-001 "Naming the company") ------------------

NOVARTIS = ("Novartis", "CH", "https://www.novartis.com")


def local_entity(name, of):
    return f"{name} looks like a local entity of {of}: record it as {of} (keep the legal name with --legal-name)\n"


@pytest.mark.parametrize("name", [
    "Novartis Farmacéutica, S.A.", "Novartis Farmacéutica", "Novartis Pharma", "Novartis AG", "NOVARTIS S.A.",
    "Novartis Sociedad Anónima", "Novartis Pharma Incorporated", "Novartis-Pharma", "Novartis Pharma Stein AG",
])
def test_company_local_entity_of_an_existing_company_is_refused(cli, db, name):
    ok(add_company(cli, *NOVARTIS))
    r = add_company(cli, name, "ES", "https://www.novartis.es")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", local_entity(name, "Novartis"))
    assert db.query("SELECT name FROM company") == [("Novartis",)]


def test_company_local_entity_the_issue_example(cli, db):
    ok(add_company(cli, *NOVARTIS))
    r = add_company(cli, "Novartis Farmacéutica, S.A.", "ES", "https://www.novartis.es")
    assert r.exit_code == 1
    assert r.stderr == ("Novartis Farmacéutica, S.A. looks like a local entity of Novartis: record it as Novartis "
                        "(keep the legal name with --legal-name)\n")
    assert db.count("company") == 1
    assert db.count("journal") == 1  # the first company's insert only


@pytest.mark.parametrize("existing", ["Novartis Farmacéutica, S.A.", "Novartis Pharma"])
def test_company_whose_name_an_existing_one_begins_with_is_refused(cli, db, existing):
    """The order of entry does not matter: the global name after the local entity is refused too."""
    ok(add_company(cli, existing, "ES", "https://www.novartis.es"))
    r = add_company(cli, *NOVARTIS)
    assert r.exit_code == 1
    legal = f" --legal-name '{existing}'" if "S.A." in existing else ""
    assert r.stderr == (f"{existing} (id 1) looks like a local entity of Novartis: rename it to Novartis rather than add "
                        f"another company (salescrm company edit 1 --name 'Novartis'{legal})\n")
    assert db.query("SELECT name FROM company") == [(existing,)]


def test_company_branch_keeps_its_message_and_wins_over_local_entity(cli, db):
    ok(add_company(cli, *NOVARTIS))
    r = add_company(cli, "Novartis España, S.A.", "ES", "https://www.novartis.es")
    assert r.exit_code == 1
    assert r.stderr.startswith("'Novartis España, S.A.' looks like the Spain branch of 'Novartis' (id 1): ")
    ok(add_company(cli, "Roche Pharma", "CH", "https://www.roche.com"))
    r = add_company(cli, "Roche", "CH", "https://www.roche.ch")
    assert r.stderr.startswith("Roche Pharma (id 2) looks like a local entity of Roche: ")
    ok(add_company(cli, "Bayer Spain", "ES", "https://www.bayer.es"))
    r = add_company(cli, "Bayer", "DE", "https://www.bayer.com")
    assert r.stderr == ("'Bayer Spain' (id 3) looks like the Spain branch of 'Bayer': rename it to 'Bayer' rather than add "
                        "another company (salescrm company edit 3 --name 'Bayer').\n")


@pytest.mark.parametrize("name, country", [("Novartis AT", "Austria"), ("Novartis PT", "Portugal"), ("Novartis NL", "Netherlands")])
def test_company_two_letter_codes_other_than_legal_forms_stay_branches(cli, db, name, country):
    ok(add_company(cli, *NOVARTIS))
    r = add_company(cli, name, "ES", "https://www.novartis.es")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"'{name}' looks like the {country} branch of 'Novartis' (id 1): ")


def test_company_novartis_ag_is_a_legal_form_not_antigua(cli, db):
    ok(add_company(cli, *NOVARTIS))
    r = add_company(cli, "Novartis AG", "CH", "https://www.novartis.ch")
    assert r.stderr == local_entity("Novartis AG", "Novartis")
    assert "Antigua" not in r.stderr


@pytest.mark.parametrize("name", ["Novartisbank", "Novo Nordisk", "Nova Pharma", "Pharma Novartis"])
def test_company_not_beginning_with_a_whole_name_is_accepted(cli, db, name):
    ok(add_company(cli, *NOVARTIS))
    r = ok(add_company(cli, name, "DK", "https://example.dk"))
    assert r.stderr == ""
    assert db.count("company") == 2


def test_company_same_brand_spelled_otherwise_is_a_duplicate(cli, db):
    ok(add_company(cli, "Smith & Nephew", "GB", "https://www.smith-nephew.com"))
    r = add_company(cli, "Smith and Nephew", "GB", "https://www.smith-nephew.com")
    assert r.stderr == "Company 'Smith & Nephew' (id 1) already exists; use it instead of adding 'Smith and Nephew'.\n"


def test_company_rename_into_a_local_entity_is_refused(cli, db):
    ok(add_company(cli, *NOVARTIS))
    ok(add_company(cli, "Sandoz", "CH", "https://www.sandoz.com"))
    r = cli("company", "edit", "Sandoz", "--name", "Novartis Sandoz")
    assert (r.exit_code, r.stderr) == (1, local_entity("Novartis Sandoz", "Novartis"))
    assert db.query("SELECT name FROM company ORDER BY id") == [("Novartis",), ("Sandoz",)]
    ok(cli("company", "edit", "Novartis", "--name", "Novartis AG"))  # its own name is no clash
    assert db.query("SELECT name FROM company ORDER BY id") == [("Novartis AG",), ("Sandoz",)]


def test_on_a_terminal_a_refused_name_is_said_before_the_country_and_website_are_asked(cli, db):
    ok(add_company(cli, *NOVARTIS))
    prompter = FakePrompter([])  # any question fails the test
    r = cli("company", "add", "Novartis Pharma", "--no-follow-up", prompter=prompter)
    assert (r.exit_code, r.stderr) == (1, local_entity("Novartis Pharma", "Novartis"))
    assert prompter.asked == []
    prompter = FakePrompter([("text", "Company name", "Novartis Farmacéutica, S.A.")])
    r = cli("company", "add", "--no-follow-up", prompter=prompter)
    assert (r.exit_code, r.stderr) == (1, local_entity("Novartis Farmacéutica, S.A.", "Novartis"))
    assert [a.message for a in prompter.asked] == ["Company name"]
    assert db.count("company") == 1


def test_on_a_terminal_the_name_check_needs_no_database_yet(cli, db):
    prompter = FakePrompter([("text", "Company name", "Novartis"), ("autocomplete", "Country", "CH"),
                             ("text", "Website", "novartis.com")])
    ok(cli("company", "add", "--no-follow-up", prompter=prompter))
    assert db.query("SELECT name, country FROM company") == [("Novartis", "CH")]


# --- --distinct-from: companies that really are distinct (Merck and Merck Sharp & Dohme) ---------------


def test_distinct_from_accepts_the_name_and_keeps_the_decision(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    r = ok(add_company(cli, "Merck Sharp & Dohme", "US", "https://www.msd.com", "--distinct-from", "Merck",
                       "--reason", "MSD is Merck & Co., not Merck KGaA"))
    assert r.stdout == "Added company 2: Merck Sharp & Dohme (US)\n"
    [(low, high, reason, by)] = db.query("SELECT company_id, other_company_id, reason, decided_by FROM distinct_companies")
    assert (low, high, reason) == (1, 2, "MSD is Merck & Co., not Merck KGaA")
    assert by == db.query("SELECT actor FROM journal ORDER BY seq DESC LIMIT 1")[0][0]
    entries = json.loads(ok(cli("journal", "show", "--company", "Merck", "--json")).stdout)
    [entry] = [e for e in entries if e["field"] == "distinct_from"]
    assert (entry["record_type"], entry["record_id"], entry["old"], entry["new"], entry["reason"]) == (
        "company", 1, None, 2, "MSD is Merck & Co., not Merck KGaA")


def test_distinct_from_needs_a_reason(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    r = add_company(cli, "Merck Sharp & Dohme", "US", "https://www.msd.com", "--distinct-from", "Merck")
    assert r.exit_code == 2
    assert r.stderr == ("--distinct-from needs --reason: say why they are other companies "
                        "(e.g. --reason \"MSD is Merck & Co., not Merck KGaA\").\n")
    assert db.count("company") == 1
    assert db.count("distinct_companies") == 0


def test_distinct_from_an_unknown_company_writes_nothing(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    r = add_company(cli, "Merck Sharp & Dohme", "US", "https://www.msd.com", "--distinct-from", "Merk", "--reason", "x")
    assert r.exit_code == 1
    assert db.count("company") == 1
    assert db.count("distinct_companies") == 0


def test_distinct_from_another_company_does_not_lift_the_rule(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    ok(add_company(cli, "Sandoz", "CH", "https://www.sandoz.com"))
    r = add_company(cli, "Merck Sharp & Dohme", "US", "https://www.msd.com", "--distinct-from", "Sandoz", "--reason", "x")
    assert (r.exit_code, r.stderr) == (1, local_entity("Merck Sharp & Dohme", "Merck"))
    assert db.count("distinct_companies") == 0


def test_distinct_from_on_edit_declares_two_existing_companies_and_allows_the_rename(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    ok(add_company(cli, "MSD", "US", "https://www.msd.com"))
    r = cli("company", "edit", "MSD", "--name", "Merck Sharp & Dohme")
    assert r.stderr == local_entity("Merck Sharp & Dohme", "Merck")
    ok(cli("company", "edit", "MSD", "--name", "Merck Sharp & Dohme", "--distinct-from", "Merck", "--reason", "Merck & Co."))
    assert db.query("SELECT name FROM company ORDER BY id") == [("Merck",), ("Merck Sharp & Dohme",)]
    assert db.query("SELECT company_id, other_company_id FROM distinct_companies") == [(1, 2)]
    # Once decided, a later rename of either keeps the decision without saying it again.
    ok(cli("company", "edit", "2", "--name", "Merck Sharp & Dohme Corp."))
    r = cli("company", "edit", "Merck", "--distinct-from", "2")  # the pair again, without a reason
    assert r.exit_code == 2


MSD_LEAD = ["lead", "add", "--first-name", "Ann", "--last-name", "Lee", "--email", "ann@msd.com", "--channel", "email",
            "--company", "Merck Sharp & Dohme", "--no-follow-up"]


def test_a_lead_whose_new_company_looks_like_another_is_refused_without_distinct_from(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    r = cli(*MSD_LEAD)
    assert (r.exit_code, r.stderr) == (1, local_entity("Merck Sharp & Dohme", "Merck"))
    assert (db.count("company"), db.count("contact")) == (1, 0)


def test_lead_add_distinct_from_creates_the_company_and_keeps_the_decision(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    r = cli(*MSD_LEAD, "--distinct-from", "Merck")
    assert (r.exit_code, db.count("company")) == (2, 1)
    assert r.stderr.startswith("--distinct-from needs --reason")
    ok(cli(*MSD_LEAD, "--distinct-from", "Merck", "--reason", "MSD is Merck & Co., not Merck KGaA"))
    assert db.query("SELECT name, lead_status FROM company ORDER BY id") == [("Merck", "New"), ("Merck Sharp & Dohme", "New")]
    assert db.query("SELECT company_id, other_company_id, reason FROM distinct_companies") == [
        (1, 2, "MSD is Merck & Co., not Merck KGaA")]
    assert db.query("SELECT email FROM contact") == [("ann@msd.com",)]


def test_lead_add_from_json_takes_no_distinct_from(cli, db, tmp_path):
    leads = tmp_path / "leads.json"
    leads.write_text('{"first_name": "Ann", "last_name": "Lee", "email": "ann@msd.com", "channel": "email"}')
    r = cli("lead", "add", "--from-json", str(leads), "--distinct-from", "Merck", "--reason", "x")
    assert (r.exit_code, db.count("contact")) == (2, 0)
    assert r.stderr == ("--distinct-from is for one lead's new company; with --from-json, add such companies first "
                        "with `salescrm company add NAME --distinct-from OTHER --reason TEXT`.\n")


def test_distinct_from_on_a_refused_rename_writes_nothing(cli, db):
    ok(add_company(cli, "Merck", "DE", "https://www.merckgroup.com"))
    ok(add_company(cli, "Sandoz", "CH", "https://www.sandoz.com"))
    ok(add_company(cli, "MSD", "US", "https://www.msd.com"))
    journal = db.count("journal")
    r = cli("company", "edit", "MSD", "--name", "Merck Sharp & Dohme", "--distinct-from", "Sandoz", "--reason", "x")
    assert (r.exit_code, r.stderr) == (1, local_entity("Merck Sharp & Dohme", "Merck"))
    assert db.count("distinct_companies") == 0
    assert db.count("journal") == journal
    assert db.query("SELECT name FROM company WHERE id = 3") == [("MSD",)]


@pytest.mark.parametrize("name, brand", [("Pfizer S.L.", "Pfizer"), ("Bayer AG", "Bayer"), ("Almirall, S.A.", "Almirall")])
def test_company_with_a_legal_form_is_accepted_with_a_warning(cli, db, name, brand):
    r = add_company(cli, name)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"Added company 1: {name} (ES)\n"
    assert r.stderr.startswith(f"Warning: '{name}' carries a legal form; ")
    assert f"Consider '{brand}', with the legal name in --legal-name." in r.stderr
    assert db.query("SELECT name FROM company") == [(name,)]


def test_company_legal_name_is_stored(cli, db):
    ok(add_company(cli, "Novartis", "CH", "novartis.com", "--legal-name", "Novartis Farmacéutica, S.A."))
    assert db.query("SELECT legal_name FROM company") == [("Novartis Farmacéutica, S.A.",)]
    assert company_json(cli, "Novartis")["legal_name"] == "Novartis Farmacéutica, S.A."


# --- contact add / edit ------------------------------------------------------------------


def test_contact_add_off_a_terminal_names_every_missing_option(sh, db):
    r = sh("contact", "add", "--first-name", "Marta")
    assert r.exit_code == 2
    assert r.stderr == f"Missing required values: last name (--last-name); job title (--job-title). {MISSING_TAIL}\n"
    r = sh("contact", "add", "--first-name", "Marta", "--last-name", "Ruiz")
    assert r.exit_code == 2
    assert "job title (--job-title)" in r.stderr
    assert "--first-name" not in r.stderr
    r = sh("contact", "add", "--job-title", "Head of Dermatology")
    assert r.exit_code == 2
    assert "first name (--first-name); last name (--last-name)" in r.stderr
    assert db.count("contact") == 0


def test_contact_add_stores_the_contact(cli, db):
    ok(cli(*SANITAS))
    r = ok(cli(*MARTA))
    assert r.stdout == "Added contact 1: Marta Ruiz\n"
    assert db.query("SELECT first_name, last_name, job_title, email, phone FROM contact") == [
        ("Marta", "Ruiz", "Head of Dermatology", "marta@sanitas.es", "+34600000000")
    ]
    assert db.query("SELECT contact_id, company_id FROM contact_company") == [(1, 1)]


@pytest.mark.parametrize("email", ["marta", "marta@", "@sanitas.es", "marta@@sanitas.es", "marta ruiz@sanitas.es"])
def test_contact_bad_email_is_invalid(cli, db, email):
    r = add_contact(cli, "Marta", "Ruiz", "--email", email)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Email '{email}' is not valid: ")
    assert db.count("contact") == 0


def test_contact_email_is_unique_ignoring_case(seeded, db):
    r = add_contact(seeded, "Marta", "Ruiz Bis", "--email", "MARTA@Sanitas.ES")
    assert r.exit_code == 1
    assert r.stderr == (
        "Marta Ruiz (contact 1) already has the email marta@sanitas.es; emails are unique, so edit that contact instead.\n"
    )
    assert db.count("contact") == 1


def test_contact_phone_uses_the_company_country_as_default_region(cli, db):
    ok(cli(*SANITAS))
    ok(add_contact(cli, "Luis", "Gómez", "--company", "Sanitas Hospitales", "--phone", "600 000 000"))
    assert db.query("SELECT phone FROM contact") == [("+34600000000",)]


def test_contact_phone_with_a_country_code_needs_no_company(cli, db):
    ok(add_contact(cli, "Luis", "Gómez", "--phone", "+34 600 000 000"))
    assert db.query("SELECT phone FROM contact") == [("+34600000000",)]


def test_contact_bad_phone_is_invalid(cli, db):
    ok(cli(*SANITAS))
    r = add_contact(cli, "Luis", "Gómez", "--company", "Sanitas Hospitales", "--phone", "12")
    assert r.exit_code == 2
    assert r.stderr == "Phone '12' is not a phone number: give it with its country code, e.g. +34 600 000 000.\n"
    assert db.count("contact") == 0


def test_contact_local_phone_without_a_company_is_invalid(cli, db):
    r = add_contact(cli, "Luis", "Gómez", "--phone", "600 000 000")
    assert r.exit_code == 2
    assert "(the contact has no company whose country gives a default)" in r.stderr
    assert db.count("contact") == 0


def test_contact_with_several_companies(cli, db):
    ok(cli(*SANITAS))
    ok(add_company(cli, "DKV", "ES", "dkv.es"))
    ok(add_contact(cli, "Luis", "Gómez", "--company", "Sanitas Hospitales", "--company", "DKV"))
    assert db.query("SELECT company_id FROM contact_company WHERE contact_id = 1 ORDER BY company_id") == [(1,), (2,)]
    assert contact_json(cli, "1")["companies"] == [{"id": 2, "name": "DKV"}, {"id": 1, "name": "Sanitas Hospitales"}]


def test_contact_add_with_an_unknown_company_writes_nothing(cli, db):
    r = add_contact(cli, "Luis", "Gómez", "--company", "Nowhere Clinic")
    assert r.exit_code == 1
    assert db.count("contact") == 0


def test_contact_edit_add_and_remove_company(seeded, db):
    ok(add_company(seeded, "DKV", "ES", "dkv.es"))
    r = ok(seeded("contact", "edit", "marta@sanitas.es", "--add-company", "DKV"))
    assert r.stdout == "Updated contact 1: Marta Ruiz\n"
    assert [c["name"] for c in contact_json(seeded, "1")["companies"]] == ["DKV", "Sanitas Hospitales"]
    ok(seeded("contact", "edit", "marta@sanitas.es", "--remove-company", "Sanitas Hospitales"))
    assert db.query("SELECT company_id FROM contact_company WHERE contact_id = 1") == [(2,)]


def test_contact_edit_remove_a_company_not_linked_is_refused(seeded, db):
    ok(add_company(seeded, "DKV", "ES", "dkv.es"))
    r = seeded("contact", "edit", "1", "--remove-company", "DKV")
    assert r.exit_code == 1
    assert r.stderr == "Marta Ruiz is not linked to 'DKV'.\n"
    assert db.query("SELECT company_id FROM contact_company WHERE contact_id = 1") == [(1,)]


def test_contact_edit_email_to_a_taken_one_is_refused(seeded, db):
    ok(add_contact(seeded, "Luis", "Gómez", "--email", "luis@sanitas.es"))
    r = seeded("contact", "edit", "luis@sanitas.es", "--email", "Marta@sanitas.es")
    assert r.exit_code == 1
    assert "already has the email marta@sanitas.es" in r.stderr
    assert db.query("SELECT email FROM contact ORDER BY id") == [("marta@sanitas.es",), ("luis@sanitas.es",)]


def test_contact_edit_own_email_in_another_case_is_allowed(seeded, db):
    ok(seeded("contact", "edit", "1", "--email", "Marta@sanitas.es"))
    assert db.query("SELECT email FROM contact") == [("Marta@sanitas.es",)]


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["1", " 1 ", "Sanitas Hospitales", "sanitas hospitales", "SANITAS HOSPITALES"])
def test_company_by_id_or_name_in_any_case(seeded, ref):
    assert company_json(seeded, ref)["id"] == 1


@pytest.mark.parametrize("ref", ["1", "marta@sanitas.es", "MARTA@SANITAS.ES", "Marta Ruiz", "marta ruiz"])
def test_contact_by_id_email_or_full_name(seeded, ref):
    assert contact_json(seeded, ref)["id"] == 1


def test_team_member_by_name_in_any_case_and_without_accents(seeded):
    r = ok(seeded("deal", "list", "--owner", "ANA GARCIA", "--json"))
    assert [d["id"] for d in json.loads(r.stdout)] == [1]


@pytest.mark.parametrize("ref", ["1", "ES Sanitas Hospitales Proof of Concept", "es sanitas hospitales proof of concept",
                                 "Proof of", "concept"])
def test_deal_by_id_name_or_unique_part(seeded, ref):
    r = ok(seeded("deal", "show", ref, "--json"))
    assert json.loads(r.stdout)["id"] == 1


def test_deal_ambiguous_part_lists_the_candidates(seeded):
    ok(seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Proof of Value", "--amount", "1000",
              "--close-date", "2027-06-30", "--class", "Insurance", "--source", "Event", "--owner", "Ana García"))
    r = seeded("deal", "show", "Proof")
    assert r.exit_code == 1
    assert r.stderr == (
        "'Proof' matches 2 deals: 1 ES Sanitas Hospitales Proof of Concept; 2 ES Sanitas Hospitales Proof of Value. "
        "Give the id or more of the name.\n"
    )
    assert r.stdout == ""


def test_unknown_company_name_suggests_a_close_one(seeded):
    r = seeded("company", "show", "Sanitas Hospitals")  # a typo, not a part of the name
    assert r.exit_code == 1
    assert r.stderr == "No company named 'Sanitas Hospitals'. Did you mean: Sanitas Hospitales?\n"


def test_unknown_company_name_far_from_any(seeded):
    r = seeded("company", "show", "Quirónsalud")
    assert r.exit_code == 1
    assert r.stderr == "No company named 'Quirónsalud'. List them with `salescrm company list`.\n"


def test_unknown_contact_email(seeded):
    r = seeded("contact", "show", "nobody@sanitas.es")
    assert r.exit_code == 1
    assert r.stderr == ("No contact with email nobody@sanitas.es. List them with `salescrm contact list`, "
                        "or add one with `salescrm contact add`.\n")


# --- a unique part of a name ---------------------------------------------------------------------


def test_a_company_is_found_by_a_unique_part_of_its_name(seeded):
    assert company_json(seeded, "sanitas")["name"] == "Sanitas Hospitales"
    assert company_json(seeded, "HOSPITAL")["name"] == "Sanitas Hospitales"
    r = seeded("activity", "log", "--company", "sanitas", "--type", "note", "--summary", "Met at the congress")
    assert r.stdout == "Logged activity 1: note on company Sanitas Hospitales\n"


def test_the_exact_name_wins_over_a_part(seeded):
    ok(add_company(seeded, "Vidal", "ES", "https://vidal.es", "--no-follow-up"))
    ok(add_company(seeded, "Clínica Vidal", "ES", "https://clinicavidal.es", "--no-follow-up"))
    assert company_json(seeded, "vidal")["name"] == "Vidal"
    assert company_json(seeded, "clinica")["name"] == "Clínica Vidal"


def test_an_ambiguous_part_of_a_company_name_lists_the_candidates(seeded):
    ok(add_company(seeded, "Clínica Vidal", "ES", "https://clinicavidal.es", "--no-follow-up"))
    r = seeded("company", "show", "a")
    assert r.exit_code == 1
    assert r.stderr == "'a' matches 2 companies: 2 Clínica Vidal; 1 Sanitas Hospitales. Give the id or more of the name.\n"
    assert r.stdout == ""


def test_a_contact_is_found_by_a_unique_part_of_the_full_name(seeded):
    r = ok(seeded("contact", "show", "marta", "--json"))
    assert json.loads(r.stdout)["email"] == "marta@sanitas.es"
    ok(seeded("contact", "add", "--first-name", "Luis", "--last-name", "Ruiz", "--job-title", "Nurse", "--no-follow-up"))
    r = seeded("contact", "show", "ruiz")
    assert r.exit_code == 1
    assert r.stderr == ("'ruiz' matches 2 contacts: 1 Marta Ruiz <marta@sanitas.es>; 2 Luis Ruiz <no email>. "
                        "Give the id or more of the name.\n")


def test_lead_add_company_still_creates_when_no_name_is_exactly_it(seeded, db):
    """A part is accepted only where a miss cannot create a record: `Hospitales` is a new company here."""
    r = seeded("lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--phone", "+34 611 222 333",
               "--company", "Hospitales", "--channel", "phone", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["new_company"] is True
    assert db.query("SELECT name FROM company ORDER BY id") == [("Sanitas Hospitales",), ("Hospitales",)]


def test_an_unknown_decision_maker_points_to_contact_add_too(seeded, db):
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=nobody@sanitas.es")
    assert r.exit_code == 1
    assert r.stderr == ("No contact with email nobody@sanitas.es. List them with `salescrm contact list`, "
                        "or add one with `salescrm contact add`.\n")
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=Pedro Gil")
    assert r.stderr == ("No contact named 'Pedro Gil'. List them with `salescrm contact list`, "
                        "or add one with `salescrm contact add`.\n")
    assert db.query("SELECT stage FROM deal") == [("Prospected",)]


def test_a_reference_of_digits_is_an_id(cli):
    ok(add_company(cli, "Sanitas Hospitales", "ES", "https://www.sanitas.es"))
    assert company_json(cli, "1")["name"] == "Sanitas Hospitales"
    r = cli("company", "show", "1000")
    assert r.exit_code == 1
    assert r.stderr == "No company with id 1000. List them with `salescrm company list`.\n"


def test_a_name_of_digits_only_is_refused_since_it_would_read_as_an_id(cli):
    r = add_company(cli, "1000", "ES", "https://1000.es")
    assert r.exit_code == 2
    assert r.stderr == "Company name '1000' is only digits, which salescrm reads as an id; add a word to it.\n"
    assert cli("company", "list", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize("args, message", [
    (("deal", "show", "99"), "No deal with id 99. List them with `salescrm deal list`.\n"),
    (("contact", "show", "99"), "No contact with id 99. List them with `salescrm contact list`.\n"),
    (("company", "show", "99"), "No company with id 99. List them with `salescrm company list`.\n"),
])
def test_unknown_id_is_not_found(seeded, args, message):
    r = seeded(*args)
    assert r.exit_code == 1
    assert r.stderr == message


# --- Unicode and quotes ------------------------------------------------------------------------

LA_FE = 'Hospital "La Fe" d\'Alacant'


@pytest.mark.parametrize("name", [LA_FE, "Novartis Farmacéutica", "Clínica Ñúñez & Hijos"])
def test_names_with_quotes_and_accents_round_trip(cli, db, name):
    r = ok(add_company(cli, name, "ES", "https://example.es"))
    assert r.stdout == f"Added company 1: {name} (ES)\n"
    assert company_json(cli, name)["name"] == name
    assert company_json(cli, name.upper())["name"] == name
    assert db.query("SELECT name FROM company") == [(name,)]
    shown = ok(cli("company", "show", name))
    assert name in shown.stdout


def test_quoted_company_through_contacts_and_deals(cli):
    ok(cli(*ANA))
    ok(add_company(cli, LA_FE, "ES", "lafe.es"))
    ok(add_contact(cli, "José", "Núñez O'Brien", "--company", LA_FE, "--email", "jose@lafe.es"))
    ok(cli("deal", "create", "--company", LA_FE, "--description", 'Piloto "Dermatología"', "--amount", "1000",
           "--close-date", "2027-01-31", "--class", "Care provider inpatient government", "--source", "Congreso",
           "--owner", "Ana García", "--contact", "José Núñez O'Brien"))
    deal = json.loads(ok(cli("deal", "show", "Dermatología", "--json")).stdout)
    assert deal["name"] == 'ES Hospital "La Fe" d\'Alacant Piloto "Dermatología"'
    assert deal["company"] == LA_FE
    assert deal["contacts"] == [{"id": 1, "name": "José Núñez O'Brien", "email": "jose@lafe.es"}]
    contact = contact_json(cli, "josé núñez o'brien")
    assert contact["companies"] == [{"id": 1, "name": LA_FE}]


def test_unicode_survives_the_process_boundary(sh):
    r = sh("company", "add", "Novartis Farmacéutica", "--country", "España", "--website", "novartis.es")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["Added company 1: Novartis Farmacéutica (ES)",
                                         "Follow-up task 1: Call Novartis Farmacéutica, due " + r.stdout.split("due ")[1][:16]
                                         + " (for tester, who is not a team member: `salescrm team set-login NAME tester`)"]
    r = sh("company", "show", "NOVARTIS FARMACEUTICA", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "Novartis Farmacéutica"
