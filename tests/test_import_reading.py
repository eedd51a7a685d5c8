"""`salescrm import`'s reading and mapping, without a database: messy real-world files as rows, and
headers (salescrm's and HubSpot's) as fields."""

from __future__ import annotations

import codecs
import io
import json

import pytest

from salescrm.domain.imports.mapping import Mapping, header_key, parse_maps
from salescrm.domain.imports.reading import delimiter_of, encoding_of, open_source
from salescrm.domain.imports.values import Dates, Stages, amount_text
from salescrm.domain.input_files import Limits
from salescrm.errors import InvalidValue

pytestmark = pytest.mark.no_database

HUBSPOT_CONTACTS = (
    "Record ID;First Name;Last Name;Email;Phone Number;Job Title;Associated Company;Lifecycle Stage;Notes\r\n"
    "201;Marta;Ruiz;marta@novartis.com;'+34 600 000 000;Jefa de Dermatología;Novartis España;Lead;\"Met at\r\nthe congress\"\r\n"
    "\r\n"
    "202;José;Pérez;JOSE@vidal.es;;Buyer;Clínica Vidal, S.A.;Customer;\r\n"
)


def rows_of(data: bytes, path: str = "contacts.csv", sheet: str | None = None):
    source = open_source(io.BytesIO(data), path, sheet, Limits())
    return source, list(source.rows)


def test_a_csv_with_a_bom_semicolons_crlf_and_a_multi_line_cell():
    source, rows = rows_of(codecs.BOM_UTF8 + HUBSPOT_CONTACTS.encode())
    assert (source.format, source.delimiter, source.encoding) == ("csv", ";", "utf-8-sig")
    assert source.headers[0] == "Record ID"  # the BOM is not part of the first header
    assert [r.line for r in rows] == [2, 5]  # the quoted line break counts; the blank line is skipped
    assert rows[0].cells["Notes"] == "Met at\r\nthe congress"
    assert rows[1].cells["First Name"] == "José"


def test_utf16_as_excel_saves_unicode_text():
    text = HUBSPOT_CONTACTS.replace(";", "\t")
    for data, name in ((text.encode("utf-16"), "utf-16"), (text.encode("utf-16-le"), "utf-16-le")):
        source, rows = rows_of(data, "contacts.txt")
        assert (source.delimiter, source.encoding) == ("\t", name)
        assert [r.cells["Last Name"] for r in rows] == ["Ruiz", "Pérez"]


def test_delimiter_and_encoding_detection():
    assert delimiter_of('name,"a;b;c",country\n') == ","
    assert delimiter_of("name|country\n") == "|"
    assert delimiter_of("name\n") == ","
    assert encoding_of(b"n\x00a\x00") == "utf-16-le"
    assert encoding_of(b"name") == "utf-8-sig"


def test_json_arrays_and_json_lines_flattened_as_export_writes_them():
    objects = [{"name": "ES Sanitas PoC", "gates": {"budget": "Yes"}, "contacts": [{"id": 1, "email": "m@s.es"}]},
               {"name": "Other", "contacts": []}]
    for data in (json.dumps(objects).encode(), "\n".join(map(json.dumps, objects)).encode()):
        source, rows = rows_of(data, "-")
        assert source.format == "json"
        assert rows[0].cells == {"name": "ES Sanitas PoC", "gates.budget": "Yes", "contacts": "m@s.es"}
        assert rows[1].cells == {"name": "Other", "contacts": None}
    _, [row] = rows_of(b'[1]', "x.json")
    assert row.problem.startswith("a row is a JSON object")


def test_xlsx_first_sheet_or_the_one_named(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Summary"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Contacts")
    sheet.append(["First Name", "Last Name", "Email", "Amount"])
    sheet.append(["Marta", "Ruiz", "marta@novartis.com", 12000])
    path = tmp_path / "c.xlsx"
    book.save(path)
    source, rows = rows_of(path.read_bytes(), str(path), sheet="Contacts")
    assert source.headers == ["First Name", "Last Name", "Email", "Amount"]
    assert [(r.line, r.cells["Email"], r.cells["Amount"]) for r in rows] == [(2, "marta@novartis.com", 12000)]
    with pytest.raises(InvalidValue, match="No sheet 'Deals' in the workbook: its sheets are Summary, Contacts"):
        rows_of(path.read_bytes(), str(path), sheet="Deals")
    source, _ = rows_of(path.read_bytes(), "-")  # stdin: recognised by its first bytes
    assert source.headers == ["nothing here"]


def test_headers_match_ignoring_case_spacing_and_punctuation():
    m = Mapping("contacts")
    for header in ("Email", "Email address", "E-mail", "email"):
        assert m.field_of(header) == "email", header
    assert m.field_of("First Name") == m.field_of("first_name") == m.field_of("first name") == "first_name"
    assert m.field_of("Associated Company") == "companies"
    assert m.field_of("Lifecycle Stage") is None and m.derived == ["Lifecycle Stage"]
    assert m.field_of("Favourite colour") is None and m.unmapped == ["Favourite colour"]
    assert m.hubspot  # Associated Company is HubSpot's
    deals = Mapping("deals")
    assert deals.field_of("gates.segment_verified") == deals.field_of("Segment verified") == "gates.segment_verified"
    assert deals.field_of("Closed lost reason") == "lost_reason"
    assert deals.field_of("weighted_amount") is None and deals.derived == ["weighted_amount"]
    assert header_key("Country/Region") == "countryregion"


def test_map_overrides_and_ignores():
    m = Mapping("companies", parse_maps(["Organisation=name", "Country/Region="], "companies"))
    assert m.field_of("Organisation") == "name" and m.field_of("Country/Region") is None
    with pytest.raises(InvalidValue, match="no field 'colour' for companies; the fields are country, created_at"):
        parse_maps(["x=colour"], "companies")


def test_one_neutralising_quote_is_removed():
    m = Mapping("contacts")
    values = m.values({"Phone Number": "'+34600000000", "Job Title": "'-", "Last Name": "O'Brien",
                       "First Name": "''=x"}, neutralised=True)
    assert values == {"phone": "+34600000000", "job_title": "-", "last_name": "O'Brien", "first_name": "''=x"}
    assert m.values({"Phone Number": "'+34"}, neutralised=False) == {"phone": "'+34"}


def test_dates_amounts_and_stages():
    d = Dates()
    assert d.day("2026-03-01", "Close date").isoformat() == "2026-03-01"
    assert d.day("25/03/2026", "Close date").isoformat() == "2026-03-25"
    assert d.day("03/25/2026", "Close date").isoformat() == "2026-03-25"
    with pytest.raises(InvalidValue, match="'03/04/2026' is ambiguous"):
        d.day("03/04/2026", "Close date")
    assert Dates("%d/%m/%Y").day("03/04/2026", "Close date").isoformat() == "2026-04-03"
    assert amount_text("12.000,50", decimal_comma=True) == "12000.50"
    assert amount_text(12000, decimal_comma=False) == "12000"
    from salescrm.process.load import shipped

    stages = Stages({"Closed won": "Payment Done"})
    stages.bind(shipped("sp-009-001"))
    sales = shipped("sp-009-001").default_pipeline
    assert stages.stage("offer-sent", sales) == stages.stage("OFFER SENT", sales) == "Offer Sent"
    assert stages.stage("Closed Lost", sales) == "Lost" and stages.stage("closed won", sales) == "Payment Done"
    with pytest.raises(InvalidValue, match="Unknown stage 'Appointment scheduled': map it with --map-stage"):
        stages.stage("Appointment scheduled", sales)
    hp = shipped("health-prime")
    stages.mapped = {}
    stages.bind(hp)  # each process's own labels, ignoring case, dashes and a trailing "(SQL)"
    expansion = hp.pipeline("expansion")
    assert stages.stage("Closed – Won", expansion) == "Closed Won"
    assert stages.stage("sales qualified lead (SQL)", expansion) == "Sales Qualified Lead"
    with pytest.raises(InvalidValue, match="--map-stage Closed won=Payment Done: Unknown stage 'Payment Done'"):
        Stages({"Closed won": "Payment Done"}).bind(hp)


def test_a_quote_left_open_is_refused_not_read_to_the_end():
    with pytest.raises(InvalidValue, match=r"^line 2: not valid CSV \(unexpected end of data\)\.$"):
        rows_of(b'name,country\n"unterminated,ES\nOther,ES\n')
    with pytest.raises(InvalidValue, match="--sheet names a sheet of a workbook, and x.csv is csv"):
        rows_of(b"name\nA\n", "x.csv", sheet="S")
