"""Export, then import into an empty database: every `--json` field comes back except ids, times, history
and timeline, with links compared by name or email (issue 13, "Export"), on both backends."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ANA, ELENA, QUALIFIED
from tests.helpers import new_database, ok

DROPPED = {"id", "created_at", "updated_at", "history", "timeline", "lead_status_set_at", "company_id", "owner_id"}


def comparable(value):
    """A `--json` value without what may differ (ids, times); links by name or email."""
    if isinstance(value, list):
        return sorted((comparable(v) for v in value), key=json.dumps)
    if isinstance(value, dict):
        if "id" in value and ("name" in value or "email" in value) and len(value) <= 4:
            return value.get("email") or value.get("name")
        return {k: comparable(v) for k, v in value.items() if k not in DROPPED}
    return value


def listed(cli, kind: str) -> list:
    args = {"companies": ["company", "list"], "contacts": ["contact", "list"], "deals": ["deal", "list"],
            "activities": ["activity", "list"], "tasks": ["task", "list", "--all"]}[kind]
    objects = json.loads(ok(cli(*args, "--json")).stdout)
    assert objects
    return comparable(objects)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_export_then_import_reproduces_the_records(cli, request, backend, tmp_path, monkeypatch, fmt):
    for args in (ANA, ELENA, ["company", "add", "Sanitas Hospitales", "--country", "ES", "--website", "sanitas.es",
                              "--legal-name", "Sanitas, S.A.", "--no-follow-up"],
                 ["contact", "add", "--first-name", "Marta", "--last-name", "O'Ruiz", "--job-title", "-",
                  "--company", "Sanitas Hospitales", "--email", "marta@sanitas.es", "--phone", "+34 600 000 000",
                  "--no-follow-up"],
                 ["deal", "create", "--company", "Sanitas Hospitales", "--description", "Proof of Concept", "--amount",
                  "12000.50", "--close-date", "2027-03-31", "--class", "Care provider inpatient private", "--source",
                  "=cmd|' /C calc'!A0", "--owner", "Ana García", "--contact", "marta@sanitas.es"],
                 ["deal", "advance", "1", *QUALIFIED],
                 ["deal", "create", "--from", "1", "--description", "Second", "--amount", "500", "--close-date", "2027-06-30"],
                 ["deal", "lose", "2", "--category", "Bad timing", "--reason", "Budget frozen\nuntil 2028"],
                 ["activity", "log", "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound",
                  "--summary", "+1 call", "--at", "2026-11-02 10:00"],
                 ["task", "add", "Send the pricing", "--deal", "1", "--due", "2027-01-15", "--owner", "Ana García"]):
        ok(cli(*args))
    kinds = ("companies", "contacts", "deals", "activities", "tasks")
    before = {kind: listed(cli, kind) for kind in kinds}
    assert [d["source"] for d in before["deals"]] == ["=cmd|' /C calc'!A0"] * 2  # formula-like values survive
    assert [(a["summary"], a["contact"]) for a in before["activities"]] == [("+1 call", "marta@sanitas.es")]
    assert [c["phone"] for c in before["contacts"]] == ["+34600000000"]
    for kind in kinds:
        ok(cli("export", kind, "--format", fmt, "--output", str(tmp_path / f"{kind}.{fmt}")))
    monkeypatch.setenv("SALESCRM_DB", new_database(request, backend, tmp_path))
    ok(cli(*ANA))
    ok(cli(*ELENA))
    for kind in kinds:
        ok(cli("import", kind, str(tmp_path / f"{kind}.{fmt}")))
    for kind in kinds:
        assert listed(cli, kind) == before[kind], kind
    for kind in kinds:  # and again: nothing changes
        report = json.loads(ok(cli("import", kind, str(tmp_path / f"{kind}.{fmt}"), "--json")).stdout)
        assert report["created"] == report["updated"] == 0, (kind, report)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_properties_survive_export_then_import(cli, request, backend, tmp_path, monkeypatch, fmt):
    """A company's and a contact's properties are `properties.KEY` columns of a flat export, and import maps
    them back: the round trip keeps them (a health-prime database, which declares some)."""
    monkeypatch.setenv("SALESCRM_DB", new_database(request, backend, tmp_path, schema=False))
    ok(cli("init", "--process", "health-prime"))
    ok(cli("company", "add", "Mercy Clinic", "--country", "US", "--website", "mercy.example", "--no-follow-up"))
    ok(cli("company", "edit", "Mercy Clinic", "--set", "business_unit=Cardiology", "--set", "providers=12",
           "--set", "minimum=1500.50"))
    ok(cli("contact", "add", "--first-name", "Rosa", "--last-name", "Lee", "--job-title", "Office manager",
           "--company", "Mercy Clinic", "--email", "rosa@mercy.example", "--no-follow-up"))
    ok(cli("contact", "edit", "rosa@mercy.example", "--set", "providers=3"))
    before = {kind: listed(cli, kind) for kind in ("companies", "contacts")}
    assert before["companies"][0]["properties"] == {"business_unit": "Cardiology", "providers": "12", "minimum": "1500.5"}
    assert json.loads(ok(cli("contact", "show", "rosa@mercy.example", "--json")).stdout)["properties"] == {"providers": "3"}
    for kind in ("companies", "contacts"):
        ok(cli("export", kind, "--format", fmt, "--output", str(tmp_path / f"{kind}.{fmt}")))
    if fmt == "csv":
        header = (tmp_path / "companies.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert [h for h in header if h.startswith("properties.")][:3] == [
            "properties.business_unit", "properties.provider_specialty", "properties.providers"]
    (tmp_path / "again").mkdir()
    monkeypatch.setenv("SALESCRM_DB", new_database(request, backend, tmp_path / "again", schema=False))
    ok(cli("init", "--process", "health-prime"))
    for kind in ("companies", "contacts"):
        r = ok(cli("import", kind, str(tmp_path / f"{kind}.{fmt}")))
        assert "Unmapped" not in r.stderr, r.stderr
    for kind in ("companies", "contacts"):
        assert listed(cli, kind) == before[kind], kind
    assert json.loads(ok(cli("contact", "show", "rosa@mercy.example", "--json")).stdout)["properties"] == {"providers": "3"}
