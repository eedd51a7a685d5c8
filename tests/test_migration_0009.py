"""Migration 0009 (company brand key): a 0008 file upgraded keeps everything (test_migrations.py compares its
records) and each company gets its brand key; the one-company rule then finds, by that key in SQL, the
company a new name stands for, on both backends."""

from __future__ import annotations

import json
import sqlite3

import pytest

from salescrm.legalforms import brand_key
from salescrm.store.engine import HEAD_REVISION
from tests.helpers import ok, old_copy

@pytest.mark.sqlite_only
def test_a_0008_file_upgraded_gives_every_company_its_brand_key(cli, tmp_path, monkeypatch):
    path = old_copy(tmp_path, "0008")
    monkeypatch.setenv("SALESCRM_DB", str(path))
    ok(cli("company", "list"))
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
        rows = con.execute("SELECT name, brand_key FROM company ORDER BY id").fetchall()
        assert len(rows) == 13 and all(key == brand_key(name) != "" for name, key in rows)
        assert ("ix_company_brand_key",) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    finally:
        con.close()
    name = rows[0][0]
    r = cli("company", "add", f"{name} España", "--country", "ES", "--website", "https://branch.example")
    assert r.exit_code == 1 and "branch of" in r.stderr


def test_the_rule_finds_its_company_by_brand_key_in_either_direction(cli, db):
    """The brand key is kept on add and rename; a branch, a local entity and the global entity of an existing
    company are found among many companies that share the first word."""
    for n in range(30):
        ok(cli("company", "add", f"Hospital {n:02d} Norte", "--country", "ES", "--website", f"h{n}.example",
               "--no-follow-up"))
    ok(cli("company", "add", "Novartis Farmacéutica, S.A.", "--country", "ES", "--website", "novartis.es", "--no-follow-up"))
    assert db.query("SELECT brand_key FROM company WHERE name LIKE 'Novartis%'") == [("novartis farmaceutica",)]
    r = cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com")
    assert r.exit_code == 1 and "looks like a local entity of Novartis" in r.stderr
    r = cli("company", "add", "Hospital 07 Norte Pharma", "--country", "ES", "--website", "x.example")
    assert r.exit_code == 1 and r.stderr.startswith("Hospital 07 Norte Pharma looks like a local entity of Hospital 07 Norte")
    ok(cli("company", "edit", "Hospital 07 Norte", "--name", "Clínica Siete"))
    assert db.query("SELECT brand_key FROM company WHERE name = 'Clínica Siete'") == [("clinica siete",)]
    ok(cli("company", "add", "Hospital 07 Norte Pharma", "--country", "ES", "--website", "x.example", "--no-follow-up"))
    r = cli("company", "add", "Clínica Siete Portugal", "--country", "PT", "--website", "y.example")
    assert r.exit_code == 1 and "Portugal branch of 'Clínica Siete'" in r.stderr


def test_an_import_finds_the_global_company_by_brand_key_in_sql(cli, db, tmp_path):
    """An import looks the chunk's names up in SQL (bulk.prefetch), not in an index of every company."""
    ok(cli("company", "add", "Sanitas Hospitales", "--country", "ES", "--website", "sanitas.es", "--no-follow-up"))
    path = tmp_path / "c.csv"
    path.write_text("First Name,Last Name,Email,Company name\n"
                    "Ana,Ruiz,ana@x.example,Sanitas Hospitales Portugal\nEva,Sol,eva@x.example,\"Sanitas Hospitales, S.L.\"\n"
                    "Pep,Roca,pep@x.example,Sanitas\n", encoding="utf-8")
    report = json.loads(cli("import", "contacts", str(path), "--json", "--skip-invalid", "--rejects",
                            str(tmp_path / "r.csv")).stdout)
    assert [(r["action"], r["reason"]) for r in report["rows"]] == [
        ("created", "Sanitas Hospitales Portugal merged into Sanitas Hospitales (local branch)"),
        ("created", "Sanitas Hospitales, S.L. merged into Sanitas Hospitales (local entity)"),
        ("refused", "Sanitas Hospitales (id 1) looks like a local entity of Sanitas: rename it to Sanitas rather than "
                    "add another company (salescrm company edit 1 --name 'Sanitas')")]
    assert db.query("SELECT name FROM company") == [("Sanitas Hospitales",)]
