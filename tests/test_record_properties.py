"""Company and contact properties (issue 12): `company edit --set KEY=VALUE` and `contact edit --set
KEY=VALUE` set what the database's process declares, typed as declared, journaled as `properties.KEY`,
and shown by `company show` / `contact show` (`properties` in JSON). A deal's `properties` are its
stored values, beside `gates`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Database
from tests.helpers import new_database, ok

HP_COMPANY_KEYS = ("business_unit, provider_specialty, providers, locations, current_pm, current_ehr, "
                   "current_rcm_processing, rcm_rate, minimum, support_global_note, division")


@pytest.fixture
def hp(cli, request, backend, tmp_path):
    """A database bound to health-prime, with one company and one contact: (run, Database)."""
    url = new_database(request, backend, tmp_path, schema=False)

    def run(*args):
        return cli("--db", url, *args)

    ok(run("init", "--process", "health-prime"))
    ok(run("company", "add", "Sunrise Clinics", "--country", "US", "--website", "sunrise.example"))
    ok(run("contact", "add", "--first-name", "Ann", "--last-name", "Lee", "--job-title", "CFO",
           "--company", "Sunrise Clinics", "--email", "ann@sunrise.example"))
    database = Database(url)
    yield run, database
    database.close()


def test_company_properties_are_typed_stored_shown_and_journaled(hp):
    run, db = hp
    r = ok(run("company", "edit", "Sunrise Clinics", "--set", "providers=12", "--set", "minimum=1,500.50",
               "--set", "business_unit=East", "--reason", "From the S&OP call"))
    assert r.stdout == "Updated company 1: Sunrise Clinics\n"
    shown = json.loads(ok(run("company", "show", "1", "--json")).stdout)
    assert shown["properties"] == {"business_unit": "East", "providers": "12", "minimum": "1500.5"}  # the file's order
    assert db.query("SELECT key, value, set_by FROM company_property ORDER BY key") == [
        ("business_unit", "East", "tester"), ("minimum", "1500.5", "tester"), ("providers", "12", "tester")]
    changes = json.loads(ok(run("journal", "show", "--company", "1", "--json")).stdout)
    assert [(c["field"], c["old"], c["new"], c["reason"]) for c in changes if c["field"].startswith("properties.")] == [
        ("properties.providers", None, "12", "From the S&OP call"),
        ("properties.minimum", None, "1500.5", "From the S&OP call"),
        ("properties.business_unit", None, "East", "From the S&OP call")]
    ok(run("company", "edit", "1", "--set", "business_unit="))  # an empty value clears it
    assert json.loads(ok(run("company", "show", "1", "--json")).stdout)["properties"] == {"providers": "12",
                                                                                         "minimum": "1500.5"}
    changes = json.loads(ok(run("journal", "show", "--company", "1", "--json")).stdout)
    assert (changes[-1]["field"], changes[-1]["old"], changes[-1]["new"]) == ("properties.business_unit", "East", None)
    text = ok(run("company", "show", "1")).stdout
    assert "# properties\nproviders\t12\nminimum\t1500.5\n# contacts\n" in text
    assert ok(run("journal", "verify")).exit_code == 0


@pytest.mark.parametrize("item,said", [
    ("providers=abc", "--set providers 'abc' is not a number: give digits, e.g. 12 or 2.5.\n"),
    ("nope=1", f"'nope' is not a company property of the process health-prime: give one of {HP_COMPANY_KEYS}.\n"),
    ("providers", "--set 'providers' is not KEY=VALUE: e.g. --set business_unit=...\n"),
])
def test_a_bad_company_property_exits_2_and_changes_nothing(hp, item, said):
    run, db = hp
    before = db.count("journal")
    r = run("company", "edit", "1", "--set", item, "--website", "other.example")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", said)
    assert db.query("SELECT website FROM company") == [("https://sunrise.example",)]
    assert db.count("company_property") == 0 and db.count("journal") == before


def test_contact_properties_and_a_process_without_them(hp, seeded):
    run, db = hp
    r = ok(run("contact", "edit", "ann@sunrise.example", "--set", "providers=3", "--json"))
    assert json.loads(r.stdout)["properties"] == {"providers": "3"}
    assert "# properties\nproviders\t3\n" in ok(run("contact", "show", "ann@sunrise.example")).stdout
    assert db.query("SELECT contact_id, key, value FROM contact_property") == [(1, "providers", "3")]
    # sp-009-001 declares no company or contact properties.
    r = seeded("contact", "edit", "marta@sanitas.es", "--set", "providers=3")
    assert (r.exit_code, r.stderr) == (
        2, "The process sp-009-001 declares no contact properties, so a contact takes no --set.\n")
    r = seeded("company", "edit", "Sanitas Hospitales", "--set", "providers=3")
    assert (r.exit_code, r.stderr) == (
        2, "The process sp-009-001 declares no company properties, so a company takes no --set.\n")


def test_a_deal_lists_its_stored_values_as_properties_beside_gates(seeded):
    ok(seeded("deal", "edit", "1", "--set", "budget=Approved for 2027", "--set", "decision_maker=marta@sanitas.es"))
    shown = json.loads(ok(seeded("deal", "show", "1", "--json")).stdout)
    assert shown["gates"] == {"decision_maker": "marta@sanitas.es", "budget": "Approved for 2027"}
    assert shown["properties"] == shown["gates"]
    [listed] = json.loads(ok(seeded("deal", "list", "--json")).stdout)
    assert listed["properties"] == shown["properties"]
