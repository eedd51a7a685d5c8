"""No password is ever printed or journaled (issue 11, "Passwords").

Each form of a database URL that carries a password (in the user part, with an empty user name, as
`?password=` or `?sslpassword=`, with an unencoded `@`, in a URL that cannot be parsed) is tried against
every command that prints or journals a location, through --db and through SALESCRM_DB; the secret
must appear in none of stdout, stderr, error.log and the journal's rows. The test server trusts every
login, so a URL with any password reaches the real database.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from salescrm.store import masking
from salescrm.store.location import resolve
from tests.helpers import new_database

SECRET = "S3cr3t-pw"
AMBIGUOUS = "percent-encode @ in the password as %40"
UNREADABLE = "cannot be read (it is not shown, as it may hold a password)"

# name: (how the URL is written from user@host:port/dbname, how it is shown; None: refused, exit 2)
FORMS = {
    "password": ("postgresql+psycopg://postgres:S3cr3t-pw@{host}/{name}", "postgresql+psycopg://postgres:***@{host}/{name}"),
    "query password": ("postgresql+psycopg://postgres@{host}/{name}?password=S3cr3t-pw",
                       "postgresql+psycopg://postgres@{host}/{name}?password=***"),
    "sslpassword": ("postgresql+psycopg://postgres@{host}/{name}?sslmode=disable&sslpassword=S3cr3t-pw",
                    "postgresql+psycopg://postgres@{host}/{name}?sslmode=disable&sslpassword=***"),
    "empty user": ("postgresql+psycopg://:S3cr3t-pw@{host}/{name}", "postgresql+psycopg://:***@{host}/{name}"),
    "unencoded @": ("postgresql+psycopg://postgres:pa@ss-S3cr3t-pw@{host}/{name}", None),
    "unparsable": ("postgresql+psycopg://{hostname}:S3cr3t-pw/{name}", None),
}


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test as a new process would be: no database value remembered from an earlier test; libpq
    takes the user from PGUSER when the URL's user name is empty."""
    monkeypatch.setattr(masking, "_given", set())
    monkeypatch.setenv("PGUSER", "postgres")


def url_of(form: str, db_url: str, port: int | None = None) -> tuple[str, str | None]:
    """The test's database (a postgresql+psycopg://postgres@HOST:PORT/NAME URL) written in `form`."""
    m = re.fullmatch(r"postgresql\+psycopg://postgres@(?P<hostname>[^:/]+):(?P<port>\d+)/(?P<name>.+)", db_url)
    parts = {"hostname": m["hostname"], "host": f"{m['hostname']}:{port or m['port']}", "name": m["name"]}
    written, shown = FORMS[form]
    return written.format(**parts), shown.format(**parts) if shown else None


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again once the socket is: nothing listens there


def error_log(tmp_path) -> str:
    path = tmp_path / "data" / "state" / "error.log"
    return path.read_text() if path.exists() else ""


def journal_text(db) -> str:
    rows = db.query("SELECT * FROM journal") + db.query("SELECT * FROM journal_field")
    return "\n".join(repr(row) for row in rows)


def run_as(cli, monkeypatch, source: str, url: str, *args: str):
    """Run a command with the database given by --db or by SALESCRM_DB."""
    if source == "--db":
        return cli("--db", url, *args)
    monkeypatch.setenv("SALESCRM_DB", url)  # restored when the test ends
    return cli(*args)


# --- The one rendering -------------------------------------------------------------------------------


@pytest.mark.no_database
@pytest.mark.parametrize("url, shown", [
    ("postgresql+psycopg://ana:S3cr3t-pw@db.example/crm", "postgresql+psycopg://ana:***@db.example/crm"),
    ("postgresql+psycopg://:S3cr3t-pw@db.example/crm", "postgresql+psycopg://:***@db.example/crm"),
    ("postgresql+psycopg://ana@db.example:5432/crm?password=S3cr3t-pw&sslmode=require",
     "postgresql+psycopg://ana@db.example:5432/crm?password=***&sslmode=require"),
    ("postgresql+psycopg://ana@db.example/crm?sslpassword=S3cr3t-pw", "postgresql+psycopg://ana@db.example/crm?sslpassword=***"),
    ("postgresql+psycopg://ana@db.example/crm?PASSWORD=S3cr3t-pw", "postgresql+psycopg://ana@db.example/crm?PASSWORD=***"),
    ("postgresql+psycopg://ana:S3cr%40t-pw@[::1]:5432/crm", "postgresql+psycopg://ana:***@[::1]:5432/crm"),
    ("postgresql+psycopg://ana:S3?cr/3t=pw@db.example/crm", "postgresql+psycopg://ana:***@db.example/crm"),
    ("postgresql+psycopg://ana@db.example/crm", "postgresql+psycopg://ana@db.example/crm"),
    ("postgresql+psycopg:///crm?host=/run/postgresql", "postgresql+psycopg:///crm?host=/run/postgresql"),
    ("postgresql+psycopg://ana:pa@ss-S3cr3t-pw@db.example/crm", masking.UNSHOWN),
    ("postgresql+psycopg://ana:S3cr3t/pw@x/y@db.example/crm", masking.UNSHOWN),
    ("postgresql+psycopg://db.example:S3cr3t-pw/crm", masking.UNSHOWN),
    ("post-gres://ana:S3cr3t-pw@db.example/crm", masking.UNSHOWN),
])
def test_a_url_is_shown_with_every_secret_masked(url, shown):
    assert masking.shown_url(url) == shown
    if shown != masking.UNSHOWN:  # the others are refused (below)
        assert resolve(url).display == shown


@pytest.mark.no_database
@pytest.mark.parametrize("value, message", [
    ("postgresql+psycopg://ana:pa@ss-S3cr3t-pw@crm-host.test/crm", AMBIGUOUS),
    ("postgresql+psycopg://ana@crm-host.test/crm@S3cr3t-pw", AMBIGUOUS),  # an @ outside the user part
    ("postgresql+psycopg://ana:S3cr3t-pw@crm-host.test/crm?sslrootcert=/a@b", AMBIGUOUS),
    ("postgresql+psycopg://crm-host.test:S3cr3t-pw/crm", UNREADABLE),
    ("post_gres.x://ana:S3cr3t-pw@crm-host.test/crm", UNREADABLE),
    ("postgresql:/ana:S3cr3t-pw@crm-host.test/crm", UNREADABLE),  # a URL mistyped, not a file's path
])
@pytest.mark.parametrize("source", ["--db", "SALESCRM_DB"])
def test_a_url_whose_password_cannot_be_told_is_refused_unechoed(cli, monkeypatch, tmp_path, value, message, source):
    for args in (["db", "status"], ["db", "status", "--json"], ["db", "check"], ["team", "add", "Ana", "--role", "JD-019"],
                 ["journal", "show", "--json"], ["init", "--json"]):
        r = run_as(cli, monkeypatch, source, value, *args)
        assert r.exit_code == 2, (args, r.stderr)
        assert message in r.stderr
        assert f"The database URL in {source} " in r.stderr
        assert SECRET not in r.stdout + r.stderr
        assert "crm-host" not in r.stderr  # nothing of the URL is echoed
    assert error_log(tmp_path) == ""


@pytest.mark.no_database
def test_a_sqlite_path_may_hold_at_signs(cli, tmp_path):
    path = tmp_path / "a@b@c.db"
    r = cli("--db", str(path), "init", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["database"] == str(path)


# --- Every command that prints or journals a location --------------------------------------------------


def commands(tmp_path):
    """(arguments, exit code) of each command that prints a location or journals the command line."""
    return [
        (["db", "status"], 0),
        (["db", "status", "--json"], 0),
        (["db", "check"], 0),
        (["db", "upgrade"], 0),
        (["db", "backup", str(tmp_path / "pg.dump")], 1),  # points at pg_dump, with the URL
        (["init", "--json"], 1),  # refused: already a salescrm database, named
        (["demo"], 0),  # into the test's empty database: it names it, and how to look further
        (["team", "add", "Zoe Test", "--role", "JD-019", "--reason", "moved from $SALESCRM_DB"], 0),
        (["journal", "show", "--json"], 0),
        (["db", "check"], 0),
    ]


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("source", ["--db", "SALESCRM_DB"])
def test_no_command_prints_or_journals_the_password(cli, backend, db_url, db, tmp_path, monkeypatch, form, source):
    if backend != "postgresql":
        pytest.skip("a password belongs to a PostgreSQL URL")
    url, shown = url_of(form, db_url)
    for args, code in commands(tmp_path):
        args = [a.replace("$SALESCRM_DB", url) for a in args]  # a reason that quotes the URL
        r = run_as(cli, monkeypatch, source, url, *args)
        assert SECRET not in r.stdout + r.stderr, (args, r.stdout, r.stderr)
        if shown is None:
            assert (r.exit_code, "The database URL in" in r.stderr) == (2, True), (args, r.stderr)
            continue
        assert r.exit_code == code, (args, r.stderr)
        if args[:2] == ["db", "status"] and "--json" in args:
            assert json.loads(r.stdout)["database"] == shown
        if args[0] == "init":
            assert f"There is already a salescrm database at {shown} " in r.stderr
        if args[:2] == ["db", "backup"]:
            libpq = shown.replace("postgresql+psycopg://", "postgresql://").replace(":***@", "@")
            libpq = libpq.replace("?password=***", "")
            assert f"'{libpq}'" in r.stderr
        if args[0] == "journal" and source == "--db":
            commands_shown = {c["command"] for c in json.loads(r.stdout)}
            assert f"salescrm --db '{shown}' team add 'Zoe Test' --role JD-019 --reason 'moved from {shown}'" in commands_shown
    assert SECRET not in error_log(tmp_path)
    assert SECRET not in journal_text(db)
    if shown is not None:
        assert db.count("journal") > 0  # the writes happened, and were journaled without the secret
        [(command, reason)] = db.query("SELECT command, reason FROM journal WHERE record_type = 'team_member' "
                                       "AND command LIKE '%team add%'")
        assert reason == f"moved from {shown}"
        if source == "--db":
            assert command == (f"salescrm --db '{shown}' team add 'Zoe Test' --role JD-019 --reason "
                               f"'moved from {shown}'")


@pytest.mark.parametrize("form", list(FORMS))
def test_a_database_in_the_making_is_named_without_the_password(cli, backend, request, tmp_path, db, form):
    """The messages of an empty database (read, first write, upgrade) and of a shared one at an older
    revision name the location as everywhere."""
    if backend != "postgresql":
        pytest.skip("a password belongs to a PostgreSQL URL")
    empty = new_database(request, backend, tmp_path, schema=False)
    url, shown = url_of(form, empty)
    runs = [cli("--db", url, "db", "status"), cli("--db", url, "team", "list"), cli("--db", url, "db", "upgrade")]
    older = new_database(request, backend, tmp_path)
    request.getfixturevalue("pg_server").execute("UPDATE alembic_version SET version_num = '0003'", older.rsplit("/", 1)[1])
    older_url, older_shown = url_of(form, older)
    runs += [cli("--db", older_url, "team", "list"), cli("--db", older_url, "db", "status", "--json")]
    for r in runs:
        assert SECRET not in r.stdout + r.stderr
    if shown is None:
        assert {r.exit_code for r in runs} == {2}
        return
    assert runs[1].exit_code == 3 and f"The database at {shown} has no salescrm tables yet" in runs[1].stderr
    assert runs[2].exit_code == 0 and runs[2].stdout.startswith(f"Upgraded {shown} from schema revision (empty)")
    assert runs[3].exit_code == 3 and f"The shared database at {older_shown} is at schema revision 0003" in runs[3].stderr
    assert json.loads(runs[4].stdout)["database"] == older_shown


@pytest.mark.no_database
@pytest.mark.parametrize("form", list(FORMS))
def test_an_unreachable_server_is_named_without_the_password(form, tmp_path, monkeypatch):
    """Connection errors: every command in-process through --db and SALESCRM_DB, and one real process."""
    from typer.testing import CliRunner

    from salescrm.cli.app import app

    port = closed_port()
    url, shown = url_of(form, f"postgresql+psycopg://postgres@127.0.0.1:{port}/crm", port)
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "5")
    runs = []
    for args in (["db", "status"], ["db", "check"], ["db", "upgrade"], ["team", "list"],
                 ["team", "add", "Ana", "--role", "JD-019"], ["journal", "show", "--json"]):
        runs.append(CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False))
        runs.append(CliRunner().invoke(app, args, env={"SALESCRM_DB": url}, catch_exceptions=False))
    p = subprocess.run([sys.executable, "-m", "salescrm", "team", "add", "Ana", "--role", "JD-019"], capture_output=True,
                       text=True, env={**os.environ, "SALESCRM_DB": url}, timeout=60, cwd=tmp_path)
    for code, out, err in [(r.exit_code, r.stdout, r.stderr) for r in runs] + [(p.returncode, p.stdout, p.stderr)]:
        assert SECRET not in out + err, err
        if shown is None:
            assert code == 2, err
        else:
            assert code == 3, err
            assert err.startswith(f"Cannot use the database at {shown}: connection failed: "), err
    assert SECRET not in error_log(tmp_path)


# --- The command line, as journaled and as echoed ------------------------------------------------------


@pytest.mark.no_database
def test_the_command_line_masks_the_database_and_its_secrets_anywhere(monkeypatch):
    from salescrm.cli.gate_prompts import retry_line
    from salescrm.cli.runtime import Runtime

    monkeypatch.setenv("SALESCRM_DB", "postgresql+psycopg://ana@db.example/crm?password=S3cr3t-pw")
    resolve(None)
    argv = ["--db=postgresql+psycopg://:S3cr3t-pw@db.example/crm", "deal", "advance", "12",
            "--reason", "as in postgresql+psycopg://ana@db.example/crm?sslpassword=S3cr3t-pw, password S3cr3t-pw"]
    rt = Runtime(argv=argv)
    expected = ("salescrm '--db=postgresql+psycopg://:***@db.example/crm' deal advance 12 --reason "
                "'as in postgresql+psycopg://ana@db.example/crm?sslpassword=***, password ***'")
    assert rt.command_line() == expected
    assert retry_line(rt, {"budget": "Approved"}) == expected + " --set budget=Approved"


# --- Rows an older salescrm journaled ------------------------------------------------------------------


def old_command_line(argv: list[str]) -> str:
    """The command line as salescrm wrote it to the journal before this issue (cli/runtime.py then)."""
    import shlex

    def hide_password(url: str) -> str:
        return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)

    return " ".join(["salescrm", *(shlex.quote(hide_password(arg)) for arg in argv)])


def test_db_check_counts_journal_rows_that_hold_a_password(cli, backend, location, db, tmp_path):
    from salescrm.domain.team import add_member
    from salescrm.store import engine as store

    old_argvs = [
        ["--db", "postgresql+psycopg://ana@db.example/crm?password=S3cr3t-pw", "team", "add", "Ana", "--role", "JD-019"],
        ["--db", "postgresql+psycopg://:S3cr3t-pw@db.example/crm", "team", "add", "Bea", "--role", "JD-019"],
        ["--db", "postgresql+psycopg://ana:pa@ss-S3cr3t-pw@db.example/crm", "team", "add", "Cid", "--role", "JD-019"],
        ["--db", "postgresql+psycopg://ana:S3cr3t-pw@db.example/crm", "team", "add", "Dan", "--role", "JD-019"],  # masked then
    ]
    for name, argv in zip(("Ana", "Bea", "Cid", "Dan"), old_argvs):
        with store.write_session(location, actor="tester", command=old_command_line(argv)) as session:
            add_member(session, name, "JD-019")
    store.dispose_all()
    assert db.count("journal", "command LIKE ?", f"%{SECRET}%") == 3  # what the older salescrm left

    r = cli("db", "check")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ("Warning: 3 journal rows hold a database password in the command recorded by an older "
                        "salescrm; the journal's hashes cover them, so they cannot be rewritten (journal show masks "
                        "it): change that database password.\n")
    assert cli("journal", "verify").exit_code == 0  # the rows are as they were written
    shown = cli("journal", "show", "--json")
    assert shown.exit_code == 0
    assert SECRET not in shown.stdout
    commands_shown = sorted({c["command"] for c in json.loads(shown.stdout)})
    assert commands_shown == [
        "salescrm --db '<the database URL>' team add Cid --role JD-019",
        "salescrm --db 'postgresql+psycopg://:***@db.example/crm' team add Bea --role JD-019",
        "salescrm --db 'postgresql+psycopg://ana:***@db.example/crm' team add Dan --role JD-019",
        "salescrm --db 'postgresql+psycopg://ana@db.example/crm?password=***' team add Ana --role JD-019",
    ]


def test_db_check_says_nothing_of_passwords_when_none_was_journaled(cli, backend):
    assert cli("team", "add", "Ana", "--role", "JD-019").exit_code == 0
    r = cli("db", "check")
    assert r.exit_code == 0
    assert r.stderr == ""


@pytest.mark.no_database
def test_error_log_and_messages_keep_no_secret_of_the_database(monkeypatch, tmp_path, capsys):
    """A driver's message or a traceback that quotes the URL (or its password alone) loses the secret."""
    from salescrm.cli import app

    url = "postgresql+psycopg://ana@db.example/crm?sslpassword=S3cr3t-pw"
    monkeypatch.setenv("SALESCRM_DB", url)
    try:
        raise RuntimeError(f"could not use {url}: key for S3cr3t-pw refused")
    except RuntimeError:
        log = app._write_error_log()
        app._fail(f"Cannot use it: the server said {url} (S3cr3t-pw)", 3)
    text = open(log).read()
    assert "RuntimeError: could not use postgresql+psycopg://ana@db.example/crm?sslpassword=***: key for *** refused" in text
    assert capsys.readouterr().err == (
        "Cannot use it: the server said postgresql+psycopg://ana@db.example/crm?sslpassword=*** (***)\n")


@pytest.mark.no_database
def test_a_url_typed_in_the_wrong_place_is_quoted_masked():
    from typer.testing import CliRunner

    from salescrm.cli.app import app

    url = "postgresql+psycopg://ana:S3cr3t-pw@db.example/crm"
    for args, said in ((["db", "status", url], "Got unexpected extra argument"), ([url], "No such command")):
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2
        assert said in r.stderr
        assert "postgresql+psycopg://ana:***@db.example/crm" in r.stderr
        assert SECRET not in r.stdout + r.stderr
