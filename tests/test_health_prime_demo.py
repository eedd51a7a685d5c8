"""`salescrm demo --process health-prime`: a Health Prime demo built through the domain operations."""

from __future__ import annotations

import json

from tests.conftest import Database
from tests.helpers import new_database, ok

LIFECYCLE = {"Target", "Marketing Qualified Lead", "Sales Qualified Lead", "Customer", "Exclude from Marketing",
             "Additional Sales Contact", "Recycled"}


def test_the_health_prime_demo(cli, request, backend, tmp_path):
    url = new_database(request, backend, tmp_path, schema=False)

    def run(*args):
        return cli("--db", url, *args)

    r = ok(run("demo", "--process", "health-prime"))
    assert r.stdout.startswith("Demo database written to ")
    assert "\n# pipeline expansion\n" in r.stdout and "deal list --pipeline new-business" in r.stdout
    shown = json.loads(ok(run("process", "show", "--json")).stdout)
    assert shown["name"] == "health-prime"
    summary = json.loads(ok(run("pipeline", "show", "--json")).stdout)
    assert [(p["pipeline"], p["currency"], p["total"]["count"]) for p in summary["pipelines"]] == [
        ("new-business", "USD", 4), ("expansion", "USD", 1), ("upsell", "USD", 1)]
    deals = json.loads(ok(run("deal", "list", "--json")).stdout)
    assert {(d["pipeline"], d["stage"]) for d in deals} >= {
        ("New Business", "Closed Won"), ("New Business", "Closed Lost"), ("New Business", "Partner of Choice"),
        ("Expansion", "Engaged"), ("Upsell", "Sales Qualified Lead")}
    contacts = json.loads(ok(run("contact", "list", "--json")).stdout)
    assert {c["lifecycle_stage"] for c in contacts} == LIFECYCLE - {"Target"}  # every one has engaged, or more
    tasks = json.loads(ok(run("task", "list", "--json")).stdout)
    assert {(t["title"], t["owner"]) for t in tasks} >= {("Onboarding: Sunrise Clinics", "Carla Ruiz"),
                                                        ("Attach the signed contract and Sunrise Clinics_Calculator",
                                                         "Ana Lee")}
    notes = json.loads(ok(run("activity", "list", "--type", "note", "--json")).stdout)
    assert any(n["summary"].startswith("#S&OP\n") for n in notes)
    audit = json.loads(ok(run("audit", "--json", "--fail-on", "error")).stdout)  # exit 0: no error
    assert {s["count"] for s in audit["summary"] if s["severity"] == "error"} == {0}
    assert ok(run("journal", "verify")).stdout.startswith("Journal intact")
    ok(run("db", "check"))


def test_the_health_prime_demo_needs_a_new_database(cli, db, request, backend, tmp_path):
    before = db.count("journal")
    r = cli("demo", "--process", "health-prime")  # the test's database follows sp-009-001
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("This database follows the process sp-009-001; a Health Prime demo needs a new database "
                        "(`salescrm --db NEW.db demo --process health-prime`).\n")
    assert db.count("deal") == 0 and db.count("journal") == before
    url = new_database(request, backend, tmp_path, schema=False)
    r = cli("--db", url, "demo", "--process", "health-prime", "--size", "10")
    assert (r.exit_code, r.stderr) == (2, "--size adds sp-009-001's synthetic deals: leave it out with --process "
                                          "health-prime.\n")
    r = cli("--db", url, "demo", "--process", "hp")
    assert (r.exit_code, r.stderr) == (2, "--process 'hp' is not a process shipped with salescrm: choose one of "
                                          "health-prime, sp-009-001.\n")
    other = Database(url)
    assert other.count("deal") == 0
    other.close()
