"""`salescrm export`: the list commands' `--json` fields as CSV, JSON, JSON lines or a workbook, with
formula cells neutralised, into a new private file or stdout."""

from __future__ import annotations

import csv
import io
import json

import pytest

from salescrm.domain import exports
from tests.helpers import ok

FORMULAS = ["=HYPERLINK(\"http://x.example\",\"y\")", "+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.fixture
def data(seeded):
    """The README's example, with an activity whose summary a spreadsheet would run as a formula."""
    for summary in FORMULAS:
        ok(seeded("activity", "log", "--contact", "marta@sanitas.es", "--type", "note", "--summary", summary))
    return seeded


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_the_json_fields_under_their_keys(data):
    [deal] = json.loads(ok(data("deal", "list", "--json")).stdout)
    out = ok(data("export", "deals")).stdout
    header = out.splitlines()[0].split(",")
    assert header == exports.columns("deals")
    assert header[:3] == ["id", "name", "stage"] and "gates.segment_verified" in header and "gates" not in header
    [row] = rows(out)
    assert row["name"] == deal["name"] == "ES Sanitas Hospitales Proof of Concept"
    assert (row["amount"], row["currency"], row["close_date"]) == ("12000", "EUR", "2027-03-31")
    assert row["contacts"] == "marta@sanitas.es"  # a link by email
    assert row["company"] == "Sanitas Hospitales" and row["owner"] == "Ana García"
    assert row["gates.segment_verified"] == ""
    for key in ("id", "stage", "deal_class", "source", "created_at", "updated_at", "lost_reason"):
        assert row[key] == ("" if deal[key] is None else str(deal[key])), key


def test_links_to_several_records_are_joined(data):
    ok(data("company", "add", "DKV Seguros", "--country", "ES", "--website", "dkv.es", "--no-follow-up"))
    ok(data("contact", "edit", "marta@sanitas.es", "--add-company", "DKV Seguros"))
    [contact] = rows(ok(data("export", "contacts")).stdout)
    assert contact["companies"] == "DKV Seguros; Sanitas Hospitales"
    [company] = [c for c in rows(ok(data("export", "companies")).stdout) if c["name"] == "Sanitas Hospitales"]
    assert (company["contacts"], company["deals"]) == ("marta@sanitas.es", "ES Sanitas Hospitales Proof of Concept")


def test_formula_cells_are_neutralised_and_raw_keeps_them(data):
    notes = [r["summary"] for r in rows(ok(data("export", "activities")).stdout)]
    assert sorted(notes) == sorted("'" + f for f in FORMULAS)
    [contact] = rows(ok(data("export", "contacts")).stdout)
    assert contact["phone"] == "'+34600000000"  # E.164: a spreadsheet would read +34... as a formula
    raw = [r["summary"] for r in rows(ok(data("export", "activities", "--raw")).stdout)]
    assert sorted(raw) == sorted(FORMULAS)
    [deal] = rows(ok(data("export", "deals")).stdout)
    assert deal["amount"] == "12000"  # numbers stay numbers


def test_json_and_json_lines_are_the_list_objects(data):
    listed = json.loads(ok(data("task", "list", "--all", "--json")).stdout)
    assert json.loads(ok(data("export", "tasks", "--format", "json")).stdout) == listed
    lines = ok(data("export", "tasks", "--format", "jsonl")).stdout.splitlines()
    assert [json.loads(line) for line in lines] == listed


def test_an_empty_export_has_its_header(cli):
    assert ok(cli("export", "deals")).stdout.splitlines() == [",".join(exports.columns("deals"))]
    assert ok(cli("export", "deals", "--format", "json")).stdout == "[]\n"


def test_xlsx_types_text_as_text_and_numbers_as_numbers(data, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "activities.xlsx"
    r = ok(data("export", "activities", "--format", "xlsx", "--output", str(target)))
    assert (r.stdout, r.stderr) == ("", f"Exported 4 activities to {target}.\n")
    assert target.stat().st_mode & 0o777 == 0o600
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    assert header == exports.columns("activities")
    cells = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]
    assert sorted(c["summary"].value for c in cells) == sorted(FORMULAS)  # not prefixed: typed as text
    assert {c["summary"].data_type for c in cells} == {"s"}
    assert {type(c["id"].value) for c in cells} == {int}


def test_output_is_new_private_and_replaced_only_with_force(data, tmp_path):
    target = tmp_path / "deals.csv"
    r = ok(data("export", "deals", "--output", str(target)))
    assert (r.stdout, r.stderr) == ("", f"Exported 1 deal to {target}.\n")
    assert target.stat().st_mode & 0o777 == 0o600
    first = target.read_text()
    assert rows(first)[0]["name"] == "ES Sanitas Hospitales Proof of Concept"
    target.write_text("kept")
    r = data("export", "deals", "--output", str(target))
    assert (r.exit_code, r.stderr) == (1, f"{target} already exists: pass --force to replace it, or give another --output.\n")
    assert target.read_text() == "kept"
    ok(data("export", "deals", "--output", str(target), "--force"))
    assert target.read_text() == first and target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".deals")) == []  # no temporary left


@pytest.mark.parametrize("args,code,said", [
    (["--format", "yaml"], 2, "--format 'yaml' is not one of csv, json, jsonl, xlsx.\n"),
    (["--output", "/no/such/dir/x.csv"], 2, "No directory /no/such/dir for /no/such/dir/x.csv; create it first.\n"),
], ids=["format", "directory"])
def test_bad_options_are_refused(data, args, code, said):
    r = data("export", "deals", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (code, "", said)


@pytest.mark.sqlite_only
def test_export_is_a_read_and_creates_no_database(cli, tmp_path):
    path = tmp_path / "typo.db"
    r = cli("--db", str(path), "export", "deals")
    assert r.exit_code == 3
    assert r.stderr.startswith(f"No database at {path}.")
    assert not path.exists()
