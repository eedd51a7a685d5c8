"""`salescrm demo`: the SP-009-001 examples in a separate file, and synthetic deals in one transaction."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from salescrm import process
from salescrm.store import engine as store_engine
from tests.conftest import ANA
from tests.helpers import new_database

# From salescrm/domain/demo.py: 11 example deals plus the lost Sanitas deal re-created; Almirall's
# Actinic Keratosis trial is won (Payment Done) and the first Sanitas deal is lost.
DEMO_DEALS = 12
DEMO_LOST = 1
DEMO_WON = 1
DEMO_COMPANIES = [
    "Sanitas Hospitales", "Boehringer Ingelheim", "Hospital de Torrejón", "Pierre Fabre", "Almirall", "DKV",
    "Novartis", "Bayer",
]
BANT_KEYS = ("budget", "authority", "need", "timeline")


def ok(r):
    assert r.exit_code == 0, (r.stdout, r.stderr)
    return r


def deals_of(cli, *db) -> list[dict]:
    """`deal list --json`, run in-process (the demos themselves run as the real program)."""
    return json.loads(ok(cli(*db, "deal", "list", "--json")).stdout)


def counts(deals: list[dict]) -> tuple[int, int, int]:
    stages = Counter(d["stage"] for d in deals)
    return len(deals), stages[process.LOST_STAGE], stages[process.WON_STAGE]


@pytest.fixture
def no_db_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SALESCRM_DB")
    return tmp_path / "data"


@pytest.mark.sqlite_only
def test_demo_writes_a_separate_file(sh, cli, no_db_env):
    r = ok(sh("demo"))
    demo_db = no_db_env / "demo.db"
    assert demo_db.is_file()
    assert not (no_db_env / "salescrm.db").exists()
    assert f"Demo database written to {demo_db}" in r.stdout
    for stage in process.OPEN_STAGES:
        assert stage in r.stdout  # the pipeline, one row per open stage
    assert "Total" in r.stdout
    assert "Look further" in r.stdout
    assert f"salescrm --db {demo_db} deal list" in r.stdout
    assert counts(deals_of(cli, "--db", str(demo_db))) == (DEMO_DEALS, DEMO_LOST, DEMO_WON)


@pytest.mark.sqlite_only
def test_demo_again_replaces_the_demo(sh, cli, no_db_env):
    ok(sh("demo"))
    demo_db = no_db_env / "demo.db"
    first = deals_of(cli, "--db", str(demo_db))
    store_engine.dispose_all()  # let go of the first file, which the second demo removes
    r = ok(sh("demo"))
    assert "Look further" in r.stdout
    again = deals_of(cli, "--db", str(demo_db))
    assert counts(again) == (DEMO_DEALS, DEMO_LOST, DEMO_WON)
    assert sorted(d["name"] for d in again) == sorted(d["name"] for d in first)
    assert not (no_db_env / "salescrm.db").exists()


def test_demo_refuses_a_database_with_records(sh, cli, db_url):
    db = db_url
    ok(cli("--db", db, *ANA))
    r = sh("--db", db, "demo")
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert "already holds records" in r.stderr
    assert [m["name"] for m in json.loads(ok(cli("--db", db, "team", "list", "--json")).stdout)] == ["Ana García"]
    assert json.loads(ok(cli("--db", db, "company", "list", "--json")).stdout) == []
    assert deals_of(cli, "--db", db) == []


def test_demo_holds_the_sop_examples(sh, cli, db_url):
    db = ("--db", db_url)
    ok(sh(*db, "demo"))
    companies = {c["name"]: c for c in json.loads(ok(cli(*db, "company", "list", "--json")).stdout)}
    assert sorted(companies) == sorted(DEMO_COMPANIES)
    deals = deals_of(cli, *db)
    by_company = {name: [d for d in deals if d["company"] == name] for name in DEMO_COMPANIES}
    assert all(by_company[name] for name in DEMO_COMPANIES), {n: len(d) for n, d in by_company.items()}
    assert len(by_company["Almirall"]) == 3
    dkv = sorted(d["name"] for d in by_company["DKV"])
    assert len(dkv) == 2
    assert "part 1 of 2" in dkv[0] and "part 2 of 2" in dkv[1]
    by_name = {d["name"]: d for d in deals}
    lost = by_name["Lost ES Sanitas Hospitales Proof of Concept"]
    assert lost["stage"] == process.LOST_STAGE
    assert lost["lost_reason_category"] == "Bad timing"
    again = by_name["ES Sanitas Hospitales Proof of Concept"]
    assert again["stage"] in process.OPEN_STAGES
    assert again["id"] != lost["id"]


def test_demo_size_adds_deterministic_synthetic_deals(sh, cli, db_url, request, backend, tmp_path):
    one, two = ("--db", db_url), ("--db", new_database(request, backend, tmp_path))
    r = ok(sh(*one, "demo", "--size", "500"))
    assert "with 500 synthetic deals" in r.stdout
    ok(sh(*two, "demo", "--size", "500"))
    deals = deals_of(cli, *one)
    assert len(deals) == DEMO_DEALS + 500
    synthetic = [d for d in deals if d["source"] == "Synthetic"]
    assert len(synthetic) == 500
    assert {d["stage"] for d in synthetic} == set(process.STAGE_NAMES)
    open_names = [d["name"].casefold() for d in deals if d["stage"] != process.LOST_STAGE]
    assert len(open_names) == len(set(open_names))
    assert json.loads(ok(cli(*one, "pipeline", "show", "--json")).stdout) == json.loads(
        ok(cli(*two, "pipeline", "show", "--json")).stdout
    )
    fields = ("id", "name", "stage", "amount", "close_date", "owner", "company", "gates")
    assert [{k: d[k] for k in fields} for d in deals] == [{k: d[k] for k in fields} for d in deals_of(cli, *two)]


def test_demo_deals_past_discovered_carry_bant(sh, cli, db_url):
    db = ("--db", db_url)
    ok(sh(*db, "demo", "--size", "500"))
    discovered = process.rank("Discovered")
    reached = [d for d in deals_of(cli, *db) if d["stage"] != process.LOST_STAGE and process.rank(d["stage"]) >= discovered]
    assert reached
    for d in reached:
        met = [k for k in BANT_KEYS if (d["gates"].get(k) or "").strip().lower() not in process.UNMET_NOTES]
        assert len(met) >= 3, (d["name"], d["stage"], d["gates"])
        for key in ("segment_verified", "decision_maker"):  # and the Qualified gate before it
            assert d["gates"].get(key), (d["name"], d["gates"])


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("backend")  # runs with --backend sqlite or all, not with --backend postgresql
def test_demo_size_is_one_transaction(tmp_path):
    db = tmp_path / "killed.db"
    wal = tmp_path / "killed.db-wal"
    size = 20_000
    p = subprocess.Popen([sys.executable, "-m", "salescrm", "--db", str(db), "demo", "--size", str(size)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    # Kill it in the middle of its transaction: about a second in, once the bulk insert spills pages
    # into the WAL (the schema alone is ~100 kB of it).
    deadline = time.monotonic() + 20
    time.sleep(0.5)
    while p.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.02)
    finished = p.poll() is not None
    if not finished:
        os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        try:
            deals = con.execute("SELECT count(*) FROM deal").fetchone()[0]
        except sqlite3.OperationalError:  # killed before the schema was created
            deals = 0
    finally:
        con.close()
    if finished:
        assert deals == DEMO_DEALS + size
    else:
        assert p.returncode == -signal.SIGKILL
        assert deals in (0, DEMO_DEALS + size)


@pytest.mark.sqlite_only
def test_demo_has_interactions_and_next_steps(sh, cli, no_db_env):
    ok(sh("demo"))
    db = ("--db", str(no_db_env / "demo.db"))
    steps = json.loads(ok(cli(*db, "deal", "next-steps", "--json")).stdout)
    flags = Counter(s["flag"] for s in steps)
    assert flags == {"missing": 6, "overdue": 1, None: 3}  # demo.NEXT_STEPS: one of four is past due
    assert [s["next_task"]["title"] for s in steps if s["flag"] == "overdue"] == ["Send the revised quotation"]
    activities = json.loads(ok(cli(*db, "activity", "list", "--json")).stdout)
    assert len(activities) == 5
    sanitas = json.loads(ok(cli(*db, "company", "show", "Sanitas Hospitales", "--json")).stdout)
    assert sanitas["lead_status"] == "Open deal"  # an inbound email does not move an Open deal company back
    assert [item["kind"] for item in sanitas["timeline"]][:3] == ["task", "activity", "activity"]
