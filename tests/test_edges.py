"""Values at the edge: every failure has its documented code, and both backends take the same values.

Ids are digits 0-9 up to 2^63-1 (else exit 2); above the id columns' 2^31-1 no record can exist, which is
said without a query. Dates lie within 1900-9999, times within them in every time zone, durations within a
hundred years. An empty option value is refused unless the option's help says empty clears. Text made only of
invisible characters is refused. Text limits are the columns' sizes (salescrm/store/models.py): each field
is tried at its size and one past it, and SQLite and PostgreSQL give the same outcome.
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from tests.helpers import ok

TOO_LARGE = "9223372036854775808"


@pytest.fixture
def statements():
    """The SQL statements run while the test body runs, on any engine of this process."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


# --- Ids -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, kind, table", [
    (["task", "done"], "task", "task"),
    (["company", "show"], "company", "company"),
    (["contact", "show"], "contact", "contact"),
    (["deal", "show"], "deal", "deal"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
@pytest.mark.parametrize("typed", ["2147483648", "9223372036854775807"])
def test_an_id_no_record_can_have_is_not_found_without_a_query(seeded, backend, statements, command, kind, table, typed):
    statements.clear()
    r = seeded(*command, typed)
    listing = f"salescrm {kind} list"
    assert (r.exit_code, r.stderr) == (1, f"No {kind} with id {typed}. List them with `{listing}`.\n")
    assert [s for s in statements if f"FROM {table}" in s] == []


@pytest.mark.parametrize("typed, message", [
    (TOO_LARGE, f"Task id {TOO_LARGE} is too large: ids go up to 9223372036854775807."),
    ("9999999999999999999999999", "Task id 9999999999999999999999999 is too large: ids go up to 9223372036854775807."),
    ("9" * 5000, f"Task id {'9' * 5000} is too large: ids go up to 9223372036854775807."),
    ("²", "'²' is not a task id: give digits 0-9, e.g. 7."),
    ("１", "'１' is not a task id: give digits 0-9, e.g. 7."),
    ("-1", "'-1' is not a task id: give digits 0-9, e.g. 7."),
    ("1.5", "'1.5' is not a task id: give digits 0-9, e.g. 7."),
])
def test_task_done_refuses_what_is_not_an_id(seeded, backend, db, typed, message):
    before = db.query("SELECT id, done FROM task ORDER BY id")
    r = seeded("task", "done", "--", typed)
    assert (r.exit_code, r.stderr) == (2, message + "\n")
    assert db.query("SELECT id, done FROM task ORDER BY id") == before


@pytest.mark.parametrize("typed", ["²", "٣"])
def test_a_reference_of_other_digits_is_refused(seeded, backend, db, typed):
    r = seeded("company", "edit", typed, "--name", "Other")
    assert (r.exit_code, r.stderr) == (2, f"'{typed}' is not a company id: give digits 0-9, e.g. 7.\n")
    assert db.query("SELECT name FROM company") == [("Sanitas Hospitales",)]


def test_a_huge_limit_is_refused(seeded, backend):
    assert seeded("task", "list", "--limit", "9223372036854775807").exit_code == 0
    r = seeded("task", "list", "--limit", TOO_LARGE)
    assert r.exit_code == 2 and "--limit" in r.stderr


# --- Dates, times and durations --------------------------------------------------------------

@pytest.fixture
def zone(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


LOG = ["activity", "log", "--company", "Sanitas Hospitales", "--type", "note", "--summary", "Met"]
TIME_RANGE = "is out of range: give a time from 1900-01-02 to 9999-12-30 (UTC)."


@pytest.mark.parametrize("tz, args, message", [
    ("UTC", [*LOG, "--at", "0001-01-01"], f"Time (--at) '0001-01-01' {TIME_RANGE}"),
    ("UTC", [*LOG, "--at", "1900-01-01"], f"Time (--at) '1900-01-01' {TIME_RANGE}"),
    ("UTC", [*LOG, "--at", "1900-01-02T00:00:00+14:00"], f"Time (--at) '1900-01-02T00:00:00+14:00' {TIME_RANGE}"),
    ("America/Los_Angeles", ["task", "add", "T", "--due", "9999-12-31"], f"Due (--due) '9999-12-31' {TIME_RANGE}"),
    ("UTC", ["task", "add", "T", "--due", "9999-12-31T23:59:59+00:00"],
     f"Due (--due) '9999-12-31T23:59:59+00:00' {TIME_RANGE}"),
    ("UTC", ["task", "add", "T", "--due", "99999999999d"], "Due (--due) '99999999999d' is longer than a hundred years: "
     "give a duration such as 30m, 2h, 1d or 1w (combined: 1d12h)."),
    ("UTC", ["task", "add", "T", "--due", "36526d"], "Due (--due) '36526d' is longer than a hundred years: "
     "give a duration such as 30m, 2h, 1d or 1w (combined: 1d12h)."),
    ("UTC", ["task", "due", "--within", "5219w"], "Within (--within) '5219w' is longer than a hundred years: "
     "give a duration such as 30m, 2h, 1d or 1w (combined: 1d12h)."),
    ("UTC", ["deal", "edit", "1", "--close-date", "1899-12-31"],
     "Close date '1899-12-31' is out of range: give a date from 1900-01-01 to 9999-12-31."),
    ("UTC", ["deal", "edit", "1", "--close-date", "0001-01-01"],
     "Close date '0001-01-01' is out of range: give a date from 1900-01-01 to 9999-12-31."),
])
def test_dates_times_and_durations_out_of_range_are_refused(seeded, backend, db, zone, tz, args, message):
    zone(tz)
    before = (db.count("activity"), db.count("task"), db.query("SELECT close_date FROM deal"))
    r = seeded(*args)
    assert (r.exit_code, r.stderr) == (2, message + "\n")
    assert (db.count("activity"), db.count("task"), db.query("SELECT close_date FROM deal")) == before


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_edges_of_the_range_are_taken_and_shown_in_every_time_zone(seeded, backend, zone, tz):
    ok(seeded("task", "add", "Far", "--due", "9999-12-30T23:59:59+00:00"))
    ok(seeded("task", "add", "Century", "--due", "36525d"))
    ok(seeded("deal", "edit", "1", "--close-date", "9999-12-31"))
    ok(seeded(*LOG, "--at", "1900-01-02T00:00:00+00:00"))
    zone(tz)
    for args in (["task", "list"], ["activity", "list"], ["deal", "show", "1"], ["company", "show", "1"],
                 ["report", "cycle", "--since", "1900-01-01", "--until", "9999-12-31"],
                 ["report", "pipeline", "--at", "1900-01-01"]):
        ok(seeded(*args))


# --- Empty values -----------------------------------------------------------------------------

@pytest.mark.parametrize("args, option", [
    (["deal", "list", "--stage", ""], "--stage"),
    (["deal", "list", "--owner", " "], "--owner"),
    (["task", "add", "T", "--due", "1d", "--owner", ""], "--owner"),
    ([*LOG, "--at", ""], "--at"),
    ([*LOG, "--reason", ""], "--reason"),
    (["deal", "edit", "1", "--add-contact", ""], "--add-contact"),
    (["company", "add", "Other", "--country", "ES", "--website", "o.es", "--legal-name", ""], "--legal-name"),
    (["contact", "add", "--first-name", "A", "--last-name", "B", "--job-title", "C", "--email", ""], "--email"),
    (["report", "cycle", "--since", ""], "--since"),
])
def test_an_empty_option_value_is_refused(seeded, backend, db, args, option):
    before = (db.count("activity"), db.count("task"), db.count("company"), db.count("contact"), db.count("deal_contact"))
    r = seeded(*args)
    assert (r.exit_code, r.stderr) == (2, f"{option} is empty: give a value, or leave {option} out.\n")
    assert (db.count("activity"), db.count("task"), db.count("company"), db.count("contact"),
            db.count("deal_contact")) == before


def test_an_empty_argument_is_refused(seeded, backend):
    assert seeded("company", "show", "").exit_code == 2
    assert seeded("company", "show", "").stderr == "COMPANY is empty: give a value.\n"


def test_the_documented_empty_values_still_clear(seeded, backend, db):
    ok(seeded("contact", "edit", "marta@sanitas.es", "--phone", ""))
    ok(seeded("contact", "edit", "1", "--email", ""))
    assert db.query("SELECT email, phone FROM contact") == [(None, None)]
    ok(seeded("company", "edit", "1", "--legal-name", "Sanitas SA"))
    ok(seeded("company", "edit", "1", "--legal-name", ""))
    assert db.query("SELECT legal_name FROM company") == [(None,)]
    ok(seeded("team", "set-login", "Ana García", "ana"))
    ok(seeded("team", "set-login", "Ana García", ""))
    assert db.query("SELECT login FROM team_member WHERE name = 'Ana García'") == [(None,)]


# --- Invisible names --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200d\ufeff", "\u3164", "\u2060\u00ad", "\u0301"])
def test_a_name_made_only_of_invisible_characters_is_refused(cli, backend, db, text):
    invisible = "holds only invisible characters (such as zero-width spaces): type visible text.\n"
    r = cli("company", "add", text, "--country", "ES", "--website", "x.es")
    assert (r.exit_code, r.stderr) == (2, f"Company name {invisible}")
    r = cli("team", "add", text, "--role", "JD-019")
    assert (r.exit_code, r.stderr) == (2, f"Name {invisible}")
    r = cli("contact", "add", "--first-name", text, "--last-name", "Ruiz", "--job-title", "Nurse")
    assert (r.exit_code, r.stderr) == (2, f"First name {invisible}")
    assert (db.count("company"), db.count("team_member"), db.count("contact")) == (0, 0, 0)


# --- The same limits on both backends ---------------------------------------------------------

def _lead(**fields) -> list[str]:
    args = ["lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--email", "luis@vidal.es", "--channel", "web-form"]
    for name, value in fields.items():
        args += ["--" + name.replace("_", "-"), value]
    return args


# (what, command line for a value of n characters, the column's size)
FIELDS = [
    ("company name", lambda n: ["company", "add", "c" * n, "--country", "ES", "--website", "c.es"], 200),
    ("legal name", lambda n: ["company", "add", "Legal Co", "--country", "ES", "--website", "c.es", "--legal-name", "l" * n], 300),
    ("website", lambda n: ["company", "add", "Web Co", "--country", "ES", "--website", "https://w.es/" + "p" * (n - 13)], 500),
    ("website without a scheme", lambda n: ["company", "add", "Web Co", "--country", "ES", "--website",
                                            "w.es/" + "p" * (n - 13)], 500),
    ("first name", lambda n: ["contact", "add", "--first-name", "f" * n, "--last-name", "R", "--job-title", "N"], 200),
    ("job title", lambda n: ["contact", "add", "--first-name", "F", "--last-name", "R", "--job-title", "j" * n], 200),
    ("team member", lambda n: ["team", "add", "t" * n, "--role", "JD-019"], 200),
    ("login", lambda n: ["team", "add", "Login Person", "--role", "JD-019", "--login", "l" * n], 200),
    ("search engine", lambda n: _lead(search_engine="s" * n), 100),
    ("keyword", lambda n: _lead(keyword="k" * n), 300),
    ("source page", lambda n: _lead(source_page="p" * n), 500),
    ("task title", lambda n: ["task", "add", "t" * n, "--due", "1d"], 300),
    ("summary", lambda n: ["activity", "log", "--company", "Sanitas Hospitales", "--type", "note", "--summary", "s" * n], 2000),
    ("reason", lambda n: ["task", "add", "T", "--due", "1d", "--reason", "r" * n], 2000),
    ("description", lambda n: ["deal", "edit", "1", "--description", "d" * n], 400),
    ("source", lambda n: ["deal", "edit", "1", "--source", "s" * n], 300),
]


@pytest.mark.parametrize("what, command, size", FIELDS, ids=[f[0] for f in FIELDS])
def test_each_text_limit_is_its_columns_size_on_both_backends(seeded, backend, db, what, command, size):
    r = seeded(*command(size + 1))
    assert r.exit_code == 2, (what, r.stderr)
    assert f"the limit is {size}." in r.stderr
    r = seeded(*command(size))
    assert r.exit_code == 0, (what, r.stderr)


def test_the_limits_come_from_the_columns():
    from salescrm.store.models import Company, Contact, size

    assert (size(Contact.search_engine), size(Contact.keyword), size(Company.website)) == (100, 300, 500)


def test_a_skip_invalid_import_with_one_overlong_keyword_registers_the_others(cli, backend, db, tmp_path):
    lines = [{"first_name": f"Lead{i}", "last_name": "Web", "email": f"lead{i}@web.es", "channel": "web-form",
              "keyword": "k" * (301 if i == 2 else 300)} for i in range(1, 5)]
    path = tmp_path / "leads.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    r = cli("lead", "add", "--from-json", str(path), "--skip-invalid")
    assert r.exit_code == 1, r.stderr
    assert "line 2" in r.stderr.lower() and "the limit is 300" in r.stderr
    assert sorted(db.query("SELECT first_name FROM contact")) == [("Lead1",), ("Lead3",), ("Lead4",)]


def test_a_salescrm_user_longer_than_its_column_is_refused(seeded, backend, db, monkeypatch):
    monkeypatch.setenv("SALESCRM_USER", "u" * 201)
    before = db.count("task")
    r = seeded("task", "add", "T", "--due", "1d")
    assert (r.exit_code, r.stderr) == (2, "$SALESCRM_USER is 201 characters long; the limit is 200.\n")
    assert db.count("task") == before
    monkeypatch.setenv("SALESCRM_USER", "u" * 200)
    ok(seeded("task", "add", "T", "--due", "1d"))
    assert db.query("SELECT created_by FROM task WHERE title = 'T'") == [("u" * 200,)]


@pytest.mark.parametrize("args", [
    ["journal", "show", "--by", "b" * 5000],
    ["activity", "list", "--by", "b" * 5000],
    ["company", "show", "c" * 5000],
    ["deal", "list", "--owner", "o" * 5000],
    ["contact", "show", "x" * 5000 + "@example.com"],
])
def test_an_overlong_filter_finds_nothing_on_both_backends(seeded, backend, args):
    r = seeded(*args)
    assert r.exit_code in (0, 1), r.stderr
    assert "Unexpected error" not in r.stderr
