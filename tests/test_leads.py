"""Lead intake, the implementation article's first stage: `salescrm lead add` and `contact list --channel/--source`.

The article: an incoming lead is registered with its company, and someone calls it back at
"registration of the lead + 1 hour". A lead becomes a contact (a Marketing Qualified Lead), its company
if new (lead status New), and one follow-up call task per company while that call is open. A lead whose
email is already a contact's is not duplicated: it is logged as an inbound activity on that contact.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import MARTA, SANITAS
from tests.helpers import ok

MQL = "Marketing Qualified Lead"
LUIS = ["lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--email", "luis@dkv.es"]
TABLES = ("contact", "company", "contact_company", "task", "activity", "journal")


def shown(cli, *args) -> object:
    return json.loads(ok(cli(*args, "--json")).stdout)


def counts(db) -> dict[str, int]:
    return {table: db.count(table) for table in TABLES}


def due_in(task: dict) -> timedelta:
    """How long from now until the task is due."""
    return datetime.fromisoformat(task["due"].replace("Z", "+00:00")) - datetime.now(timezone.utc)


def open_follow_ups(db) -> list[tuple]:
    return db.query("SELECT title FROM task WHERE kind = 'follow-up' AND done = ? ORDER BY id", False)


@pytest.fixture
def known(cli):
    """Sanitas (lead status New, its open follow-up "Call Sanitas Hospitales") and Marta, without a deal."""
    for args in (SANITAS, MARTA):
        ok(cli(*args))
    return cli


def write_leads(tmp_path, text: str):
    path = tmp_path / "leads.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- One lead ------------------------------------------------------------------------------


def test_a_lead_becomes_a_marketing_qualified_lead_with_its_new_company(cli, db):
    r = cli(*LUIS, "--company", "DKV Seguros", "--channel", "Web-Form", "--search-engine", "Google",
            "--keyword", "dermatology triage", "--source-page", "/teledermatologia", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    follow_up = out.pop("follow_up")
    assert out == {
        "line": 1,
        "contact": {"id": 1, "name": "Luis Pardo", "email": "luis@dkv.es"},
        "company": {"id": 1, "name": "DKV Seguros"},
        "new_contact": True,
        "new_company": True,
        "activity": None,
    }
    assert (follow_up["id"], follow_up["title"], follow_up["owner"]) == (1, "Call Luis Pardo (DKV Seguros)", "tester")
    contact = shown(cli, "contact", "show", "luis@dkv.es")
    assert contact["lifecycle_stage"] == MQL
    assert (contact["job_title"], contact["phone"], contact["companies"]) == (None, None, [{"id": 1, "name": "DKV Seguros"}])
    assert (contact["channel"], contact["search_engine"], contact["keyword"], contact["source_page"]) == (
        "web-form", "Google", "dermatology triage", "/teledermatologia")
    company = shown(cli, "company", "show", "DKV Seguros")
    assert (company["lead_status"], company["country"], company["website"]) == ("New", None, None)
    assert {t: n for t, n in counts(db).items() if t != "journal"} == {
        "contact": 1, "company": 1, "contact_company": 1, "task": 1, "activity": 0}


def test_an_existing_company_is_reused_whatever_the_case_and_accents(known, db):
    r = known("lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--phone", "+34 600 000 001",
              "--company", "SANITÁS hospitales", "--channel", "phone", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["company"], out["new_company"]) == ({"id": 1, "name": "Sanitas Hospitales"}, False)
    assert db.count("company") == 1
    assert sorted(c["name"] for c in shown(known, "company", "show", "1")["contacts"]) == ["Luis Pardo", "Marta Ruiz"]


@pytest.mark.parametrize("company", ["Sanitas Hospitales S.A.", "Sanitas Hospitales Madrid"])
def test_a_new_company_that_is_a_local_entity_of_a_known_one_is_refused(known, db, company):
    """SP-009-001's one-company rule holds for a lead's new company as for `company add`."""
    before = counts(db)
    r = known(*LUIS, "--company", company, "--channel", "phone")
    assert r.exit_code == 1
    assert r.stderr == (f"{company} looks like a local entity of Sanitas Hospitales: record it as Sanitas Hospitales "
                        "(keep the legal name with --legal-name)\n")
    assert counts(db) == before


def test_a_lead_file_with_a_local_entity_registers_nothing(known, db, tmp_path):
    before = counts(db)
    r = known("lead", "add", "--from-json", write_leads(tmp_path, json.dumps({**EVA, "company": "Sanitas Hospitales SA"})))
    assert r.exit_code == 1
    assert r.stderr == ("Line 1: Sanitas Hospitales SA looks like a local entity of Sanitas Hospitales: record it as "
                        "Sanitas Hospitales (keep the legal name with --legal-name) No lead was registered.\n")
    assert counts(db) == before


def test_a_lead_without_company_is_called_by_name(cli, db):
    r = cli("lead", "add", "--first-name", "Ana", "--last-name", "Soto", "--phone", "+34 600 111 222",
            "--channel", "referral", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["contact"], out["company"], out["new_company"]) == ({"id": 1, "name": "Ana Soto", "email": None}, None, False)
    assert out["follow_up"]["title"] == "Call Ana Soto"
    assert out["follow_up"]["contact"] == {"id": 1, "name": "Ana Soto", "email": None}
    assert db.count("company") == 0


def test_the_phone_of_a_lead_is_read_with_its_existing_companys_country(known):
    """As `contact add` does: Sanitas is in ES, so a Spanish national number needs no +34."""
    r = known("lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--phone", "600 000 001",
              "--company", "Sanitas Hospitales", "--channel", "phone")
    assert r.exit_code == 0, r.stderr
    assert shown(known, "contact", "show", "Luis Pardo")["phone"] == "+34600000001"


@pytest.mark.parametrize("channel", ["WEB-FORM", "Web Form", "LinkedIn", "eMail"])
def test_channel_slugs_are_accepted_in_any_case(cli, channel):
    ok(cli(*LUIS, "--channel", channel))
    expected = {"WEB-FORM": "web-form", "Web Form": "web-form", "LinkedIn": "linkedin", "eMail": "email"}[channel]
    assert shown(cli, "contact", "show", "luis@dkv.es")["channel"] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--first-name", "Luis", "--last-name", "Pardo", "--company", "DKV", "--channel", "phone"],
         "Missing required value: phone or email (--phone or --email). Pass it as an option, or run on a terminal "
         "to be asked.\n"),
        ([*LUIS[2:], "--channel", "fax"],
         "Unknown channel 'fax': choose one of web-form, phone, email, event, referral, linkedin.\n"),
        ([*LUIS[2:], "--channel", "phone", "--keyword", "derma"],
         "Keyword is what a web form captures; this lead came by phone.\n"),
        ([*LUIS[2:], "--channel", "event", "--search-engine", "Google"],
         "Search engine is what a web form captures; this lead came by event.\n"),
        ([*LUIS[2:], "--channel", "email", "--source-page", "/contact"],
         "Source page is what a web form captures; this lead came by email.\n"),
        (["--email", "luis@dkv.es"],
         "Missing required values: first name (--first-name); last name (--last-name); channel (--channel). "
         "Pass them as options, or run on a terminal to be asked.\n"),
    ],
    ids=["no-phone-nor-email", "unknown-channel", "keyword-not-web", "engine-not-web", "page-not-web", "off-terminal"],
)
def test_invalid_leads_are_refused_and_nothing_is_written(cli, db, args, message):
    r = cli("lead", "add", *args)
    assert (r.exit_code, r.stderr) == (2, message)
    assert counts(db) == dict.fromkeys(TABLES, 0)


# --- The follow-up call -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [([], {}, timedelta(hours=1)), (["--follow-up-in", "2h"], {}, timedelta(hours=2)),
     ([], {"SALESCRM_FOLLOW_UP_IN": "30m"}, timedelta(minutes=30))],
    ids=["lead+1h", "option", "env"],
)
def test_the_follow_up_is_due_one_hour_after_the_lead(cli, monkeypatch, options, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ok(cli(*LUIS, "--channel", "web-form", *options))
    [task] = shown(cli, "task", "list")
    assert (task["title"], task["owner"], task["done"]) == ("Call Luis Pardo", "tester", False)
    assert abs(due_in(task) - expected) < timedelta(minutes=1)


def test_no_follow_up_creates_no_task(cli, db):
    r = cli(*LUIS, "--channel", "email", "--no-follow-up", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["follow_up"] is None
    assert (db.count("contact"), db.count("task")) == (1, 0)


def test_the_follow_up_is_for_the_owner_or_the_acting_team_member(cli, db):
    ok(cli("team", "add", "Elena Ortiz", "--role", "JD-001"))
    ok(cli("team", "add", "Ana García", "--role", "JD-019", "--login", "tester"))
    out = shown(cli, *LUIS, "--channel", "phone", "--owner", "Elena Ortiz")
    assert out["follow_up"]["owner"] == "Elena Ortiz"
    out = shown(cli, "lead", "add", "--first-name", "Eva", "--last-name", "Gil", "--email", "eva@dkv.es", "--channel", "phone")
    assert out["follow_up"]["owner"] == "Ana García"
    assert db.query("SELECT title, owner_login FROM task ORDER BY id") == [("Call Luis Pardo", None), ("Call Eva Gil", None)]
    before = counts(db)
    r = cli("lead", "add", "--first-name", "Noa", "--last-name", "Mar", "--email", "noa@dkv.es", "--channel", "phone",
            "--owner", "Nobody")
    assert (r.exit_code, r.stderr) == (1, "No team member named 'Nobody'. List them with `salescrm team list`.\n")
    assert counts(db) == before


def test_one_call_per_lead_across_company_contact_and_lead(cli, db):
    ok(cli(*SANITAS))
    ok(cli(*MARTA))
    out = shown(cli, "lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--email", "luis@sanitas.es",
                "--company", "Sanitas Hospitales", "--channel", "web-form")
    assert out["follow_up"] is None
    assert open_follow_ups(db) == [("Call Sanitas Hospitales",)]
    [task] = shown(cli, "task", "list")
    ok(cli("task", "done", str(task["id"])))
    out = shown(cli, "lead", "add", "--first-name", "Eva", "--last-name", "Gil", "--email", "eva@sanitas.es",
                "--company", "Sanitas Hospitales", "--channel", "phone")
    assert out["follow_up"]["title"] == "Call Eva Gil (Sanitas Hospitales)"
    assert open_follow_ups(db) == [("Call Eva Gil (Sanitas Hospitales)",)]


# --- A lead who is already a contact -----------------------------------------------------------


@pytest.mark.parametrize(("channel", "kind"), [("web-form", "message"), ("phone", "call"), ("email", "email"), ("event", "meeting")])
def test_a_known_email_is_logged_as_an_inbound_activity(known, db, channel, kind):
    before = counts(db)
    r = known("lead", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--email", "MARTA@Sanitas.es",
              "--channel", channel, "--note", "Asked for a demo", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    [activity] = shown(known, "activity", "list", "--contact", "marta@sanitas.es")
    assert out == {
        "line": 1,
        "contact": {"id": 1, "name": "Marta Ruiz", "email": "marta@sanitas.es"},
        "company": {"id": 1, "name": "Sanitas Hospitales"},
        "new_contact": False,
        "new_company": False,
        "activity": activity["id"],
        "follow_up": None,  # "Call Sanitas Hospitales" is still open
    }
    assert (activity["type"], activity["direction"], activity["summary"]) == (
        kind, "inbound", f"Came in again as a lead ({channel}): Asked for a demo")
    assert activity["company"] == {"id": 1, "name": "Sanitas Hospitales"}
    assert (db.count("contact"), db.count("company"), db.count("task")) == (before["contact"], 1, before["task"])
    assert shown(known, "company", "show", "Sanitas Hospitales")["lead_status"] == "Connected"


def test_the_note_of_a_new_lead_is_a_note_activity_on_the_contact(known, db):
    r = known(*LUIS, "--company", "Sanitas Hospitales", "--channel", "phone", "--note", "Wants a demo in January", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    [activity] = shown(known, "activity", "list", "--contact", "luis@dkv.es")
    assert out["new_contact"] is True and out["activity"] == activity["id"]
    assert (activity["type"], activity["direction"], activity["summary"], activity["by"]) == (
        "note", None, "Wants a demo in January", "tester")
    assert activity["contact"]["id"] == out["contact"]["id"]
    assert activity["company"] == {"id": 1, "name": "Sanitas Hospitales"}
    journal = json.loads(ok(known("journal", "show", "--json")).stdout)
    assert [(c["record_id"], c["new"]) for c in journal if (c["record_type"], c["field"]) == ("activity", "summary")] == [
        (activity["id"], "Wants a demo in January")]
    assert shown(known, "company", "show", "Sanitas Hospitales")["lead_status"] == "New"  # a note is no contact
    said = ok(known("lead", "add", "--first-name", "Eva", "--last-name", "Gil", "--email", "eva@dkv.es", "--channel", "phone",
                    "--note", "Call after 5"))
    assert said.stdout.splitlines()[0].endswith(f"a Marketing Qualified Lead; its note is activity {activity['id'] + 1}")


def test_a_new_lead_without_a_note_logs_no_activity(known, db):
    out = shown(known, *LUIS, "--channel", "phone")
    assert out["activity"] is None
    assert db.count("activity") == 0


@pytest.mark.parametrize("manual", ["Unqualified", "Bad timing"])
def test_a_known_lead_keeps_a_status_a_person_set(known, manual):
    ok(known("company", "set-status", "Sanitas Hospitales", manual))
    r = known("lead", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--email", "marta@sanitas.es", "--channel", "phone")
    assert r.exit_code == 0
    assert r.stderr == (f"Warning: 'Sanitas Hospitales' keeps its lead status {manual}, which tester set; change it with "
                        "`salescrm company set-status` if this inbound contact changes that.\n")
    assert shown(known, "company", "show", "Sanitas Hospitales")["lead_status"] == manual


# --- Leads from a file ---------------------------------------------------------------------


EVA = {"first_name": "Eva", "last_name": "Gil", "email": "eva@dkv.es", "company": "DKV", "channel": "web-form",
       "keyword": "derma"}
RITA = {"first_name": "Rita", "last_name": "Luz", "phone": "+34 600 111 333", "channel": "event"}


@pytest.mark.parametrize("shape", ["object", "array", "lines"])
@pytest.mark.parametrize("via", ["file", "stdin"])
def test_from_json_reads_an_object_an_array_or_json_lines(cli, db, tmp_path, shape, via):
    leads = [EVA] if shape == "object" else [EVA, RITA]
    text = {"object": json.dumps(EVA), "array": json.dumps(leads),
            "lines": "\n".join(json.dumps(lead) for lead in leads) + "\n"}[shape]
    if via == "file":
        r = cli("lead", "add", "--from-json", write_leads(tmp_path, text), "--json")
    else:
        r = cli("lead", "add", "--from-json", "-", "--json", input=text)
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(o["line"], o["contact"]["name"], o["new_contact"]) for o in out] == [
        (i, f"{lead['first_name']} {lead['last_name']}", True) for i, lead in enumerate(leads, start=1)]
    assert [o["follow_up"]["title"] for o in out] == ["Call Eva Gil (DKV)", "Call Rita Luz"][: len(leads)]
    assert (db.count("contact"), db.count("company"), db.count("task")) == (len(leads), 1, len(leads))


BAD_LINES = [
    json.dumps(EVA),
    json.dumps({**RITA, "colour": "red"}),
    json.dumps({**RITA, "first_name": "Pia", "email": "not-an-email"}),
    json.dumps({k: v for k, v in RITA.items() if k != "channel"} | {"first_name": "Noa"}),
    json.dumps({**RITA, "first_name": "Ada", "last_name": 7}),
    '{"first_name": "Broken",',
    json.dumps({**RITA, "first_name": "Ivo", "phone": "+34 600 111 444"}),
]
FIELDS = "first_name, last_name, email, phone, job_title, company, country, website, channel, search_engine, keyword, source_page, owner, note"
PROBLEMS = [
    (2, f"colour: unknown field; the fields are {FIELDS}."),
    (3, "email: Email 'not-an-email' is not valid: An email address must have an @-sign."),
    (4, "channel: Channel is required: one of web-form, phone, email, event, referral, linkedin."),
    (5, "last_name: must be text."),
    (6, "json: not valid JSON (Expecting property name enclosed in double quotes at column 25)."),
]


def test_one_invalid_line_refuses_the_whole_file(known, db, tmp_path):
    before = counts(db)
    r = known("lead", "add", "--from-json", write_leads(tmp_path, "\n".join(BAD_LINES) + "\n"))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == "5 of 7 leads are not valid, so none was registered:"
    assert lines[-1] == "Fix them, or pass --skip-invalid to register the valid ones."
    assert len(lines) == 7
    for (number, problem), line in zip(PROBLEMS, lines[1:-1]):
        assert line.startswith(f"  line {number}: {problem}"), line
    assert counts(db) == before


def test_skip_invalid_registers_the_valid_leads_and_reports_the_others(known, db, tmp_path):
    before = counts(db)
    r = known("lead", "add", "--from-json", write_leads(tmp_path, "\n".join(BAD_LINES) + "\n"), "--skip-invalid", "--json")
    assert r.exit_code == 1, r.stderr  # a partial import: the valid leads are saved and printed, cron sees the rest
    assert [(o["line"], o["contact"]["name"]) for o in json.loads(r.stdout)] == [(1, "Eva Gil"), (7, "Ivo Luz")]
    skipped = r.stderr.splitlines()
    assert [line.split(":")[0] for line in skipped] == [f"Skipped line {n}" for n, _ in PROBLEMS]
    for (number, problem), line in zip(PROBLEMS, skipped):
        assert line.startswith(f"Skipped line {number}: {problem}"), line
    assert db.count("contact") == before["contact"] + 2
    assert sorted(db.query("SELECT first_name FROM contact")) == [("Eva",), ("Ivo",), ("Marta",)]


def test_a_lead_the_database_refuses_is_skipped_in_its_savepoint(known, db, tmp_path):
    text = "\n".join([json.dumps(EVA), json.dumps({**RITA, "owner": "Nobody"}), json.dumps({**RITA, "first_name": "Ivo"})])
    r = known("lead", "add", "--from-json", write_leads(tmp_path, text), "--skip-invalid")
    assert r.exit_code == 1, r.stderr
    assert r.stdout.splitlines()[-1] == "2 leads registered, 1 skipped."
    assert r.stderr == "Skipped line 2: No team member named 'Nobody'. List them with `salescrm team list`.\n"
    assert sorted(db.query("SELECT first_name FROM contact")) == [("Eva",), ("Ivo",), ("Marta",)]
    before = counts(db)
    r = known("lead", "add", "--from-json", write_leads(tmp_path, json.dumps([{**RITA, "first_name": "Zoe"},
                                                                              {**RITA, "owner": "Nobody"}])))
    assert r.exit_code == 1
    assert r.stderr == "Line 2: No team member named 'Nobody'. List them with `salescrm team list`. No lead was registered.\n"
    assert counts(db) == before


@pytest.mark.parametrize("option", [["--channel", "phone"], ["--first-name", "Eva"], ["--owner", "tester"]])
def test_lead_options_cannot_be_given_with_from_json(cli, db, tmp_path, option):
    r = cli("lead", "add", "--from-json", write_leads(tmp_path, json.dumps(EVA)), *option)
    assert (r.exit_code, r.stderr) == (
        2, "--from-json reads every field from the file; give the lead's fields there, not as options.\n")
    assert counts(db) == dict.fromkeys(TABLES, 0)


def test_from_json_on_stdin_of_the_real_program(sh, db):
    r = sh("lead", "add", "--from-json", "-", input=json.dumps([EVA, RITA]))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "2 leads registered."
    assert db.query("SELECT first_name, channel, keyword FROM contact ORDER BY id") == [
        ("Eva", "web-form", "derma"), ("Rita", "event", None)]


# --- Listing leads and the journal -----------------------------------------------------------


def test_contact_list_filters_leads_by_channel_and_source(known):
    ok(known(*LUIS, "--channel", "web-form", "--search-engine", "Google", "--keyword", "Dermatology triage"))
    ok(known("lead", "add", "--first-name", "Eva", "--last-name", "Gil", "--email", "eva@dkv.es", "--channel", "web-form",
             "--source-page", "https://example.com/TeleDerma"))
    ok(known("lead", "add", "--first-name", "Rita", "--last-name", "Luz", "--email", "rita@dkv.es", "--channel", "event"))

    def names(*args):
        return [f"{c['first_name']} {c['last_name']}" for c in shown(known, "contact", "list", *args)]

    assert names("--channel", "WEB-FORM") == ["Eva Gil", "Luis Pardo"]
    assert names("--channel", "event") == ["Rita Luz"]
    assert names("--channel", "phone") == []
    assert names("--source", "google") == ["Luis Pardo"]
    assert names("--source", "TRIAGE") == ["Luis Pardo"]
    assert names("--source", "derma") == ["Eva Gil", "Luis Pardo"]
    assert names("--source", "%") == []
    assert names("--channel", "web-form", "--source", "example.com") == ["Eva Gil"]
    r = known("contact", "list", "--channel", "fax")
    assert (r.exit_code, r.stderr) == (2, "Unknown channel 'fax': choose one of web-form, phone, email, event, referral, linkedin.\n")


def test_the_source_filter_ignores_case_beyond_ascii(cli):
    ok(cli(*LUIS, "--channel", "web-form", "--source-page", "/CLÍNICA-dermatología"))
    for query in ("CLÍNICA", "clínica", "Clínica"):
        assert [c["email"] for c in shown(cli, "contact", "list", "--source", query)] == ["luis@dkv.es"], query


def test_the_journal_records_the_leads_records_with_the_reason(cli):
    ok(cli(*LUIS, "--company", "DKV", "--channel", "web-form", "--reason", "Web form of the congress"))
    entries = shown(cli, "journal", "show")
    records = {(e["record_type"], e["record_id"]) for e in entries}
    assert records == {("company", 1), ("contact", 1), ("task", 1)}
    assert {e["reason"] for e in entries} == {"Web form of the congress"}
    assert {e["by"] for e in entries} == {"tester"}
    changed = {(e["record_type"], e["field"]): e["new"] for e in entries}
    assert changed[("contact", "channel")] == "web-form"
    assert changed[("company", "lead_status")] == "New"
    assert changed[("task", "title")] == "Call Luis Pardo (DKV)"
