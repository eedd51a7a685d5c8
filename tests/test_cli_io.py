"""Output and exit codes at the process boundary: --json shapes, piped tables, stderr, exit codes, the database file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from salescrm.store.location import resolve
from tests.conftest import ANA, DEAL, ELENA, QUALIFIED, SANITAS
from tests.helpers import new_database, ok, sets_until

BOX_CHARS = "─┃│━┏┓┗┛┌┐└┘╭╮╰╯═║"

OPEN_STAGES = ["Prospected", "Qualified", "Discovered", "Implementation Defined", "Offer Sent", "Offer Approved",
               "Contract Signed"]

DEAL_KEYS = {"id", "name", "stage", "pipeline", "country", "company", "description", "amount", "close_date",
             "deal_class", "source", "owner", "contacts", "lost_reason_category", "lost_reason", "gates"}
COMPANY_KEYS = {"id", "name", "country", "website", "legal_name", "lead_status", "contacts", "deals"}
CONTACT_KEYS = {"id", "first_name", "last_name", "job_title", "email", "lifecycle_stage", "companies"}


def new_deal(cli, description, amount, *, company="Sanitas Hospitales", owner="Ana García",
             deal_class="Care provider inpatient private", more=()):
    return ok(cli("deal", "create", "--company", company, "--description", description, "--amount", str(amount),
                  "--close-date", "2027-06-30", "--class", deal_class, "--source", "Referral", "--owner", owner, *more))


@pytest.fixture
def five_deals(seeded):
    """Deal 1 seeded (Prospected, 12000, Ana); 2 Qualified 5000 Ana; 3 DKV lost 8000 Luis Insurance;
    4 won 3000 Ana; 5 DKV Prospected 20000 Luis Insurance."""
    cli = seeded
    ok(cli("team", "add", "Luis Pérez", "--role", "JD-002"))
    ok(cli("company", "add", "DKV", "--country", "ES", "--website", "dkv.es"))
    new_deal(cli, "Second Phase", 5000)
    ok(cli("deal", "advance", "2", *QUALIFIED))
    new_deal(cli, "Renewal", 8000, company="DKV", owner="Luis Pérez", deal_class="Insurance")
    ok(cli("deal", "lose", "3", "--category", "Bad timing", "--reason", "Budget frozen"))
    new_deal(cli, "Won Deal", 3000, more=("--stage", "Payment Done", *sets_until("Payment Done")))
    new_deal(cli, "Open Insurance", 20000, company="DKV", owner="Luis Pérez", deal_class="Insurance")
    return cli


def json_out(run):
    """The stdout of a --json command: JSON and nothing else; nothing on stderr."""
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    return json.loads(run.stdout)


# --- JSON shapes -------------------------------------------------------------------------------


def test_deal_show_json(seeded, sh):
    deal = json_out(sh("deal", "show", "1", "--json"))
    assert DEAL_KEYS | {"history"} <= set(deal)
    assert {k: deal[k] for k in DEAL_KEYS} == {
        "id": 1,
        "name": "ES Sanitas Hospitales Proof of Concept",
        "stage": "Prospected",
        "pipeline": "Sales",
        "country": "ES",
        "company": "Sanitas Hospitales",
        "description": "Proof of Concept",
        "amount": 12000,
        "close_date": "2027-03-31",
        "deal_class": "Care provider inpatient private",
        "source": "LinkedIn outreach",
        "owner": "Ana García",
        "contacts": [{"id": 1, "name": "Marta Ruiz", "email": "marta@sanitas.es"}],
        "lost_reason_category": None,
        "lost_reason": None,
        "gates": {},
    }
    assert len(deal["history"]) == 1
    assert {k: deal["history"][0][k] for k in ("from", "to", "by")} == {"from": None, "to": "Prospected", "by": "tester"}


def test_deal_show_json_after_advance_and_loss(seeded, sh):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    ok(seeded("deal", "lose", "1", "--category", "No budget", "--reason", "Budget frozen until 2028"))
    deal = json_out(sh("deal", "show", "1", "--json"))
    assert deal["stage"] == "Lost"
    assert deal["name"] == "Lost ES Sanitas Hospitales Proof of Concept"
    assert deal["lost_reason_category"] == "No budget"
    assert deal["lost_reason"] == "Budget frozen until 2028"
    assert deal["gates"] == {"segment_verified": "yes", "decision_maker": "marta@sanitas.es"}
    assert [(h["from"], h["to"]) for h in deal["history"]] == [(None, "Prospected"), ("Prospected", "Qualified"),
                                                               ("Qualified", "Lost")]


def test_deal_list_objects_have_the_show_fields_but_history_and_timeline(seeded, sh):
    shown = json_out(sh("deal", "show", "1", "--json"))
    listed = json_out(sh("deal", "list", "--json"))
    assert len(listed) == 1
    assert set(listed[0]) == set(shown) - {"history", "timeline"}
    assert listed[0] == {k: v for k, v in shown.items() if k not in ("history", "timeline")}


def test_company_show_json(seeded, sh):
    company = json_out(sh("company", "show", "Sanitas Hospitales", "--json"))
    assert COMPANY_KEYS <= set(company)
    assert {k: company[k] for k in COMPANY_KEYS} == {
        "id": 1,
        "name": "Sanitas Hospitales",
        "country": "ES",
        "website": "https://www.sanitas.es",
        "legal_name": None,
        "lead_status": "Open deal",
        "contacts": [{"id": 1, "name": "Marta Ruiz", "email": "marta@sanitas.es"}],
        "deals": [{"id": 1, "name": "ES Sanitas Hospitales Proof of Concept", "stage": "Prospected", "amount": 12000,
                   "currency": "EUR"}],
    }


def test_company_list_json(seeded, sh):
    listed = json_out(sh("company", "list", "--json"))
    assert [c["name"] for c in listed] == ["Sanitas Hospitales"]
    assert COMPANY_KEYS <= set(listed[0])


def test_contact_show_json(seeded, sh):
    contact = json_out(sh("contact", "show", "marta@sanitas.es", "--json"))
    assert CONTACT_KEYS <= set(contact)
    assert {k: contact[k] for k in CONTACT_KEYS} == {
        "id": 1,
        "first_name": "Marta",
        "last_name": "Ruiz",
        "job_title": "Head of Dermatology",
        "email": "marta@sanitas.es",
        "lifecycle_stage": "Marketing Qualified Lead",
        "companies": [{"id": 1, "name": "Sanitas Hospitales"}],
    }


def test_contact_list_json(seeded, sh):
    listed = json_out(sh("contact", "list", "--json"))
    assert len(listed) == 1
    assert CONTACT_KEYS <= set(listed[0])
    assert listed[0]["email"] == "marta@sanitas.es"


def test_json_of_an_empty_list_is_an_empty_array(cli, sh):
    ok(cli(*ANA))
    assert json_out(sh("deal", "list", "--json")) == []
    assert json_out(sh("company", "list", "--json")) == []
    assert json_out(sh("contact", "list", "--json")) == []


UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def test_json_times_read_the_same_on_every_backend(seeded, sh):
    """docs/cli.md: times are ISO 8601 in UTC (`2026-11-23T09:00:00Z`), whatever the database and the local zone."""
    madrid = {"TZ": "Europe/Madrid"}
    deal = json_out(sh("deal", "show", "1", "--json", env=madrid))
    company = json_out(sh("company", "show", "1", "--json", env=madrid))
    [contact] = json_out(sh("contact", "list", "--json", env=madrid))
    times = {
        "deal created_at": deal["created_at"], "deal updated_at": deal["updated_at"],
        "deal history at": deal["history"][0]["at"],
        "company created_at": company["created_at"], "company updated_at": company["updated_at"],
        "company lead_status_set_at": company["lead_status_set_at"],
        "contact created_at": contact["created_at"], "contact updated_at": contact["updated_at"],
    }
    assert {k: v for k, v in times.items() if not UTC_TIME.fullmatch(v or "")} == {}


# --- deal list: order, limit, filters -------------------------------------------------------------


def ids(run):
    return [d["id"] for d in json_out(run)]


def test_deal_list_json_is_every_deal_newest_first(five_deals, sh):
    assert ids(sh("deal", "list", "--json")) == [5, 4, 3, 2, 1]


def test_deal_list_json_lists_more_than_a_page(sh, db_url):
    db = db_url
    r = sh("--db", db, "demo", "--size", "2500")
    assert r.exit_code == 0, r.stderr
    listed = json_out(sh("--db", db, "deal", "list", "--json"))
    found = [d["id"] for d in listed]
    assert len(found) == len(set(found))
    assert found == sorted(found, reverse=True)
    assert len(found) >= 2500
    assert len(ids(sh("--db", db, "deal", "list", "--json", "--limit", "2100"))) == 2100


def test_deal_list_limit(five_deals, sh):
    assert ids(sh("deal", "list", "--limit", "2", "--json")) == [5, 4]


@pytest.mark.parametrize(
    "filters, expected",
    [
        (["--stage", "qualified"], [2]),
        (["--stage", "Prospected"], [5, 1]),
        (["--stage", "payment-done"], [4]),
        (["--owner", "Luis Pérez"], [5, 3]),
        (["--owner", "1"], [4, 2, 1]),
        (["--class", "insurance"], [5, 3]),
        (["--company", "DKV"], [5, 3]),
        (["--open"], [5, 2, 1]),
        (["--won"], [4]),
        (["--lost"], [3]),
        (["--open", "--owner", "Luis Pérez"], [5]),
        (["--won", "--lost"], [4, 3]),
        (["--open", "--stage", "Lost"], []),
        (["--company", "Sanitas Hospitales", "--limit", "2"], [4, 2]),
    ],
)
def test_deal_list_filters(five_deals, cli, filters, expected):
    assert ids(cli("deal", "list", *filters, "--json")) == expected


@pytest.mark.parametrize("json_flag", [["--json"], []])
def test_deal_list_unknown_stage_is_invalid(seeded, sh, json_flag):
    r = sh("deal", "list", "--stage", "Negotiation", *json_flag)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("Unknown stage 'Negotiation': choose one of Prospected, Qualified, ")


@pytest.mark.parametrize("option, value", [("--owner", "Nobody"), ("--company", "Nowhere"), ("--class", "Hospitals")])
def test_deal_list_json_with_a_bad_filter_prints_nothing_on_stdout(seeded, sh, option, value):
    r = sh("deal", "list", option, value, "--json")
    assert r.exit_code in (1, 2), r.stderr
    assert r.stdout == ""  # not a lone "[" that no JSON reader can parse
    assert value in r.stderr


# --- pipeline show --json ---------------------------------------------------------------------


def stages(counts: dict[str, tuple[int, int, int]]) -> list[dict]:
    return [
        {"stage": s, "count": counts.get(s, (0, 0, 0))[0], "amount": counts.get(s, (0, 0, 0))[1],
         "weighted_amount": counts.get(s, (0, 0, 0))[2]}
        for s in OPEN_STAGES
    ]


def test_pipeline_show_json_exact(seeded, sh):
    assert json_out(sh("pipeline", "show", "--json")) == {
        "currency": "EUR",
        "stages": stages({"Prospected": (1, 12000, 600)}),
        "total": {"count": 1, "amount": 12000, "weighted_amount": 600},
    }


def test_pipeline_counts_open_deals_only(five_deals, sh):
    assert json_out(sh("pipeline", "show", "--json")) == {
        "currency": "EUR",
        "stages": stages({"Prospected": (2, 32000, 1600), "Qualified": (1, 5000, 500)}),
        "total": {"count": 3, "amount": 37000, "weighted_amount": 2100},
    }


@pytest.mark.parametrize("filters", [["--owner", "Luis Pérez"], ["--class", "Insurance"], ["--owner", "luis perez"]])
def test_pipeline_filters(five_deals, sh, filters):
    assert json_out(sh("pipeline", "show", *filters, "--json")) == {
        "currency": "EUR",
        "stages": stages({"Prospected": (1, 20000, 1000)}),
        "total": {"count": 1, "amount": 20000, "weighted_amount": 1000},
    }


def test_pipeline_filter_by_owner_and_class(five_deals, sh):
    got = json_out(sh("pipeline", "show", "--owner", "Ana García", "--class", "Care provider inpatient private", "--json"))
    assert got["total"] == {"count": 2, "amount": 17000, "weighted_amount": 1100}


def test_pipeline_weighted_amount_keeps_cents(cli, sh):
    for args in (ANA, SANITAS):
        ok(cli(*args))
    new_deal(cli, "Small", "12345.67")
    got = json_out(sh("pipeline", "show", "--json"))
    assert got["stages"][0] == {"stage": "Prospected", "count": 1, "amount": 12345.67, "weighted_amount": 617.28}


# --- stdout is data, stderr is messages ---------------------------------------------------------


def test_json_create_prints_only_json_and_warnings_go_to_stderr(cli, sh):
    for args in (ANA, SANITAS):
        ok(cli(*args))
    args = [a if a != "2027-03-31" else "2020-01-31" for a in DEAL if a != "--contact" and a != "marta@sanitas.es"]
    r = sh(*args, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["close_date"] == "2020-01-31"
    assert r.stderr.startswith("Warning: The close date 2020-01-31 is in the past")


def test_errors_go_to_stderr_only(seeded, sh):
    r = sh("deal", "show", "99", "--json")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == "No deal with id 99. List them with `salescrm deal list`.\n"


def test_confirmations_go_to_stdout(cli, sh):
    r = sh(*ANA)
    assert r.exit_code == 0
    assert r.stdout == "Added team member 1: Ana García (JD-019 Business Development)\n"
    assert r.stderr == ""


# --- piped tables --------------------------------------------------------------------------------


def test_piped_deal_list_is_tab_separated(five_deals, sh):
    r = sh("deal", "list")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert len(lines) == 5
    assert all(len(line.split("\t")) == 7 for line in lines)
    assert lines[-1] == "1\tES Sanitas Hospitales Proof of Concept\tProspected\t12000\tEUR\t2027-03-31\tAna García"
    assert not any(ch in r.stdout for ch in BOX_CHARS)
    assert not r.stdout.lstrip().startswith(("[", "{"))


def test_piped_output_is_never_json(seeded, sh):
    for args in (("deal", "list"), ("deal", "show", "1"), ("company", "list"), ("contact", "list"), ("team", "list"),
                 ("pipeline", "show"), ("company", "show", "1")):
        r = sh(*args)
        assert r.exit_code == 0, (args, r.stderr)
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.stdout)
        assert not any(ch in r.stdout for ch in BOX_CHARS), (args, r.stdout)


def test_piped_pipeline_show(seeded, sh):
    r = sh("pipeline", "show")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Prospected\t5\t1\t12000\t600"
    assert lines[-1] == "Total\t\t1\t12000\t600"
    assert "█" not in r.stdout


def test_piped_deal_show_has_iso_dates(seeded, sh):
    r = sh("deal", "show", "1")
    assert r.exit_code == 0, r.stderr
    assert "Close date\t2027-03-31\n" in r.stdout
    assert not any(ch in r.stdout for ch in BOX_CHARS)


# --- exit codes -------------------------------------------------------------------------------------


def deal_with(**override):
    args = list(DEAL)
    for option, value in override.items():
        args[args.index("--" + option.replace("_", "-")) + 1] = value
    return args


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("team", "list"), 0, ""),
        (("deal", "show", "99"), 1, "No deal with id 99. List them with `salescrm deal list`.\n"),
        (("company", "show", "Nowhere"), 1, "No company named 'Nowhere'."),
        (tuple(SANITAS), 1, "Company 'Sanitas Hospitales' (id 1) already exists"),
        (("deal", "advance", "1"), 1, "Cannot move deal 1 into Qualified: "),
        (tuple(deal_with(close_date="31/03/2027")), 2,
         "Close date '31/03/2027' is not a date: give it as YYYY-MM-DD, e.g. 2026-11-02.\n"),
        (tuple(deal_with(amount="-5")), 2, "Amount cannot be negative: give 0 or more, e.g. 12000.\n"),
        (tuple(deal_with(amount="12.000")), 2,
         "Amount '12.000' is ambiguous: write 12000 (twelve thousand) or 12.00 (twelve).\n"),
        (tuple(deal_with(**{"class": "Hospitals"})), 2, "Unknown deal class 'Hospitals': choose one of "),
        (("deal", "list", "--frobnicate"), 2, "No such option"),
        (("deal", "lose", "1", "--category", "Too expensive", "--reason", "x"), 2, "Unknown lost reason category"),
    ],
)
def test_exit_codes(seeded, sh, args, code, message):
    r = sh(*args)
    assert r.exit_code == code, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    if code:
        assert r.stdout == ""


def test_invalid_deal_values_write_nothing(seeded, sh, db):
    for args in (deal_with(close_date="31/03/2027"), deal_with(amount="-5"), deal_with(**{"class": "Hospitals"})):
        args[args.index("--description") + 1] = "Another"
        assert sh(*args).exit_code == 2
    assert db.count("deal") == 1


@pytest.mark.sqlite_only
def test_database_under_a_regular_file_is_exit_3(sh, tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("I am a file, not a directory\n")
    path = blocker / "crm.db"
    r = sh("--db", str(path), "team", "list")
    assert r.exit_code == 3
    assert str(path) in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


@pytest.mark.sqlite_only
@pytest.mark.parametrize("garbage", [os.urandom(4096), b"hello, this is not a database at all\n" * 200])
def test_file_that_is_not_a_database_is_exit_3(sh, tmp_path, garbage):
    path = tmp_path / "garbage.db"
    path.write_bytes(garbage)
    r = sh("--db", str(path), "team", "list")
    assert r.exit_code == 3, r.stderr
    assert str(path) in r.stderr
    assert "Traceback" not in r.stderr
    assert "Unexpected error" not in r.stderr
    assert path.read_bytes() == garbage


def test_database_of_another_program_is_exit_3(sh, request, backend, tmp_path):
    other = new_database(request, backend, tmp_path, schema=False)
    engine = sa.create_engine(resolve(other).url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    finally:
        engine.dispose()
    r = sh("--db", other, "team", "list")
    assert r.exit_code == 3
    assert resolve(other).display in r.stderr
    assert "Traceback" not in r.stderr


# --- the database file -----------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_new_database_file_is_private(sh, tmp_path):
    # The default location is created on first use, in private directories; an explicit path's directory
    # must exist (tests/test_opening.py).
    data = tmp_path / "new" / "dir"
    r = sh(*ANA, env={"SALESCRM_DB": None, "SALESCRM_DATA_DIR": str(data)})
    assert r.exit_code == 0, r.stderr
    path = data / "salescrm.db"
    assert r.stderr == f"Created a new database at {path}\n"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(data).st_mode & 0o777 == 0o700
    assert os.stat(data.parent).st_mode & 0o777 == 0o700


def test_db_option_wins_over_the_environment(sh, request, backend, tmp_path):
    env_db, opt_db = (new_database(request, backend, tmp_path) for _ in range(2))
    r = sh("--db", opt_db, *ANA, env={"SALESCRM_DB": env_db})
    assert r.exit_code == 0, r.stderr
    assert json_out(sh("--db", opt_db, "team", "list", "--json"))[0]["name"] == "Ana García"
    assert json_out(sh("team", "list", "--json", env={"SALESCRM_DB": env_db})) == []


def test_environment_names_the_database(sh, request, backend, tmp_path):
    env_db = new_database(request, backend, tmp_path)
    assert sh(*ELENA, env={"SALESCRM_DB": env_db}).exit_code == 0
    assert json_out(sh("--db", env_db, "team", "list", "--json"))[0]["name"] == "Elena Ortiz"


# --- a closed pipe -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.db"
    p = subprocess.run([sys.executable, "-m", "salescrm", "--db", str(path), "demo", "--size", "2000"],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "SALESCRM_DATA_DIR": str(path.parent / "data")})
    assert p.returncode == 0, p.stderr
    return path


@pytest.mark.parametrize("command", ["deal list", "deal list --json", "company list", "contact list --json"])
def test_output_into_a_closed_pipe(big_db, command):
    pipeline = f'"{sys.executable}" -m salescrm --db "{big_db}" {command} | head -1'
    p = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 1
    assert "Traceback" not in p.stderr
    assert "BrokenPipe" not in p.stderr
    assert p.stderr == ""


# --- help --------------------------------------------------------------------------------------

COMMANDS = [
    [],
    ["team", "add"], ["team", "set-login"], ["team", "list"],
    ["company", "add"], ["company", "list"], ["company", "show"], ["company", "edit"], ["company", "set-status"],
    ["contact", "add"], ["contact", "list"], ["contact", "show"], ["contact", "edit"], ["contact", "consent"], ["contact", "export-data"],
    ["contact", "set-lifecycle"], ["contact", "erase"],
    ["deal", "create"], ["deal", "advance"], ["deal", "lose"], ["deal", "show"], ["deal", "next-steps"], ["deal", "list"],
    ["deal", "edit"], ["deal", "sop"],
    ["lead", "add"],
    ["activity", "log"], ["activity", "list"],
    ["task", "add"], ["task", "list"], ["task", "done"], ["task", "due"],
    ["report", "cycle"], ["report", "pipeline"], ["report", "forecast"], ["report", "conversion"], ["report", "next-steps"],
    ["audit"], ["audit", "fix"], ["audit", "survey"],
    ["pipeline", "show"],
    ["process", "show"], ["process", "export"], ["process", "check"], ["process", "diff"], ["process", "apply"],
    ["journal", "anchor"], ["journal", "show"], ["journal", "verify"],
    ["export", "companies"], ["export", "contacts"], ["export", "deals"], ["export", "activities"], ["export", "tasks"],
    ["import", "companies"], ["import", "contacts"], ["import", "deals"], ["import", "activities"], ["import", "tasks"],
    ["import", "list"], ["import", "undo"],
    ["db", "status"], ["db", "upgrade"], ["db", "backup"], ["db", "restore"], ["db", "check"], ["db", "grants"], ["db", "set-currency"],
    ["init"], ["demo"],
]


@pytest.mark.no_database
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "salescrm")
def test_help_has_an_example(cli, command):
    r = cli(*command, "--help")
    assert r.exit_code == 0
    assert "Example:" in r.stdout


@pytest.mark.no_database
def test_help_covers_every_command():
    """COMMANDS above lists every command the app has (so that a new one needs an example too)."""
    from salescrm.cli.reference import command_tree

    found = [[]] + [path for path, _ in command_tree()]  # the same walk that writes docs/cli.md
    assert sorted(found) == sorted(COMMANDS)


@pytest.mark.no_database
def test_help_through_the_process(sh):
    r = sh("deal", "create", "--help")
    assert r.exit_code == 0
    assert "Example:" in r.stdout
    assert r.stderr == ""
