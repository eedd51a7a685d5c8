"""Opening the database: a copy of the file holds the data, a typo never creates a database, `--db`
means what it says, `salescrm init`, a database that cannot be written can still be read, the error log."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from salescrm.store.engine import HEAD_REVISION
from tests.conftest import ANA, DEAL, MARTA, SANITAS, Database
from tests.helpers import new_database

NO_DATABASE = "No database at {}. Check --db / SALESCRM_DB, or create one with `salescrm init`\n"
CREATED = "Created a new database at {}\n"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside(path: Path) -> list[str]:
    """The -wal, -shm and -journal files next to the database."""
    return sorted(p.name for p in path.parent.glob(path.name + "-*"))


def companies_in_a_copy(path: Path, tmp_path: Path) -> list[str]:
    """Copy the file alone (as `cp crm.db copy.db` does) and read the companies back."""
    copy = tmp_path / "copy" / "copy.db"
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    con = sqlite3.connect(copy)
    try:
        return [name for (name,) in con.execute("SELECT name FROM company ORDER BY id")]
    except sqlite3.OperationalError as e:  # an empty file: no tables
        return [f"({e})"]
    finally:
        con.close()
        shutil.rmtree(copy.parent)


# --- a copy of the file holds the data --------------------------------------------------------------

# A committed company left in the write-ahead log, as a SIGKILL right after the commit leaves it.
PLANT = textwrap.dedent(
    """
    import os, sys
    from salescrm.domain.companies import add_company
    from salescrm.store.engine import write_session
    from salescrm.store.location import resolve

    with write_session(resolve(sys.argv[1]), actor="tester") as s:
        add_company(s, "Planted Clinic", "ES", "https://planted.example")
    os._exit(0)  # no close, no checkpoint
    """
)


@pytest.fixture
def planted(db_path, tmp_path):
    p = subprocess.run([sys.executable, "-c", PLANT, str(db_path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert (db_path.parent / "crm.db-wal").exists()
    assert "Planted Clinic" not in companies_in_a_copy(db_path, tmp_path)  # the copy lacks it: in the log
    return db_path


def _after(planted, tmp_path) -> None:
    assert companies_in_a_copy(planted, tmp_path)[:1] == ["Planted Clinic"]
    assert beside(planted) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args,code", [
    (["company", "add", "Clínica Vidal", "--country", "ES", "--website", "https://vidal.example"], 0),  # success
    (["company", "list"], 0),  # after a SIGKILL, the next command (a read) checkpoints
    (["company", "add", "Planted Clinic", "--country", "ES", "--website", "https://x.example"], 1),  # refusal
    (["company", "add", "Clínica Vidal", "--country", "Narnia", "--website", "https://vidal.example"], 2),  # error
    (["company", "show", "Nobody"], 1),
])
def test_a_copy_of_the_file_holds_the_data_after_a_command(planted, tmp_path, sh, args, code):
    r = sh(*args)
    assert r.exit_code == code, r.stderr
    _after(planted, tmp_path)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sig,code,said", [(signal.SIGINT, 130, "Interrupted; nothing was saved."),
                                           (signal.SIGTERM, 143, "Terminated; nothing was saved.")])
def test_a_copy_of_the_file_holds_the_data_after_a_signal(planted, tmp_path, sig, code, said):
    import pexpect

    # `deal create` on a terminal reads the database, then asks for the company: stop it there.
    child = pexpect.spawn(sys.executable, ["-m", "salescrm", "deal", "create"], env={**os.environ, "TERM": "xterm"},
                          cwd=str(tmp_path), dimensions=(24, 100), encoding="utf-8", timeout=30)
    try:
        while child.expect([r"\x1b\[6n", "Company"]) == 0:
            child.send("\x1b[1;1R")  # answer prompt_toolkit's cursor-position request
        child.kill(sig)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == code, child.before
    assert said in child.before
    _after(planted, tmp_path)


@pytest.mark.sqlite_only
def test_every_command_leaves_no_log_beside_the_file(sh, db_path):
    for args in (ANA, SANITAS, ["company", "list"], ["journal", "verify"], ["db", "check"]):
        assert sh(*args).exit_code == 0
        assert beside(db_path) == [], args


# --- a typo never creates a database -------------------------------------------------------------

READS = [
    ["team", "list"], ["company", "list"], ["company", "show", "Sanitas"], ["contact", "list"],
    ["contact", "show", "marta@sanitas.es"], ["deal", "list"], ["deal", "show", "1"], ["deal", "next-steps"],
    ["activity", "list"], ["task", "list"], ["task", "due"], ["pipeline", "show"],
    ["report", "cycle"], ["report", "pipeline"], ["report", "forecast"], ["report", "conversion"], ["report", "next-steps"],
    ["journal", "show"], ["journal", "verify"], ["db", "status"], ["db", "check"], ["db", "upgrade"],
    ["db", "backup", "backup.db"], ["audit"], ["audit", "survey", "--history"],
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_on_a_missing_file_creates_nothing(cli, tmp_path, args):
    path = tmp_path / "typo.db"
    r = cli("--db", str(path), *args)
    assert (r.exit_code, r.stderr, r.stdout) == (3, NO_DATABASE.format(path), "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["company", "list"], ["journal", "verify"], ["db", "status"]], ids=" ".join)
def test_a_read_on_an_empty_file_changes_nothing(cli, tmp_path, args):
    path = tmp_path / "empty.db"
    path.touch()
    r = cli("--db", str(path), *args)
    assert (r.exit_code, r.stderr) == (3, NO_DATABASE.format(path))
    assert path.stat().st_size == 0
    assert beside(path) == []


@pytest.mark.sqlite_only
def test_a_read_on_the_missing_default_database_creates_nothing(sh, tmp_path):
    data = tmp_path / "fresh-data"
    r = sh("deal", "list", env={"SALESCRM_DB": None, "SALESCRM_DATA_DIR": str(data)})
    assert (r.exit_code, r.stderr) == (3, NO_DATABASE.format(data / "salescrm.db"))
    assert not data.exists()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [
    ANA, SANITAS, ["audit", "fix", "--yes"], ["audit", "survey", "--scores", "5,6,4,7", "--reports", "cycle"],
    ["demo"], ["init"],
], ids=" ".join)
def test_a_write_creates_the_file_and_says_so_once(sh, tmp_path, args):
    path = tmp_path / "new.db"
    r = sh("--db", str(path), *args)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == CREATED.format(path)
    assert Database(str(path)).query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert (path.stat().st_mode & 0o777) == 0o600


@pytest.mark.sqlite_only
def test_a_write_on_an_empty_file_makes_the_database(sh, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    r = sh("--db", str(path), *ANA)
    assert (r.exit_code, r.stderr) == (0, CREATED.format(path))


WRITES_THAT_FAIL = [  # a record looked for in a new file cannot be there: the path is likely a typo
    (["task", "done", "1"], 3, NO_DATABASE),
    (["deal", "lose", "Nothing", "--category", "Other", "--reason", "r"], 3, NO_DATABASE),
    (["contact", "edit", "marta@sanitas.es", "--phone", "+34 600 000 001"], 3, NO_DATABASE),
    (["company", "add", "Vidal", "--country", "Narnia", "--website", "https://vidal.example"], 2,
     "Unknown country 'Narnia': give an ISO 3166-1 code (ES, ESP) or an English name (Spain). "
     "Did you mean Armenia (AM)?\n"),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args,code,said", WRITES_THAT_FAIL, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_a_failed_write_on_a_missing_file_leaves_nothing(sh, tmp_path, args, code, said):
    path = tmp_path / "new" / "typo.db"
    path.parent.mkdir()
    r = sh("--db", str(path), *args)
    assert (r.exit_code, r.stderr) == (code, said.format(path))
    assert list(path.parent.iterdir()) == []


@pytest.mark.sqlite_only
def test_a_failed_write_on_an_empty_file_leaves_it_empty(sh, tmp_path):
    path = tmp_path / "new" / "empty.db"
    path.parent.mkdir()
    path.touch()
    r = sh("--db", str(path), "task", "done", "1")
    assert (r.exit_code, r.stderr) == (3, NO_DATABASE.format(path))
    assert path.stat().st_size == 0
    assert [p.name for p in path.parent.iterdir()] == ["empty.db"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_first_write_leaves_nothing(tmp_path, sig, code):
    """Stopped before its COMMIT, with the file and its schema made: the file goes again."""
    path = tmp_path / "new" / "new.db"
    path.parent.mkdir()
    pause = tmp_path / "paused"
    p = subprocess.Popen([sys.executable, "-m", "salescrm", "--db", str(path), *ANA], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "SALESCRM_TEST_PAUSE": f"commit:{pause}"})
    deadline = time.monotonic() + 60
    while not pause.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > 0  # the schema is there
    p.send_signal(sig)
    pause.unlink()
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out) == (code, ""), err
    assert "Created a new database" not in err
    assert list(path.parent.iterdir()) == []


@pytest.mark.sqlite_only
def test_a_first_write_that_another_command_wrote_to_is_kept(sh, tmp_path):
    """A failed command removes the file it made only while nothing else was written to it."""
    path = tmp_path / "new.db"
    code = textwrap.dedent(
        """
        import sys
        from salescrm.store import engine
        from salescrm.store.location import resolve

        location = resolve(sys.argv[1])
        with engine.write_session(location, actor="tester") as s:  # this process makes the file
            pass
        p = __import__("subprocess").run([sys.executable, "-m", "salescrm", "--db", sys.argv[1], *sys.argv[2:]])
        assert p.returncode == 0
        engine.finish_command(succeeded=False)
        """
    )
    p = subprocess.run([sys.executable, "-c", code, str(path), *ANA], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert Database(str(path)).query("SELECT name FROM team_member") == [("Ana García",)]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["team", "list"], ANA, ["init"], ["db", "restore", "backup.db", "--force"]], ids=" ".join)
def test_an_explicit_path_in_a_missing_directory_is_refused(cli, tmp_path, args):
    path = tmp_path / "no" / "such" / "crm.db"
    r = cli("--db", str(path), *args)
    assert (r.exit_code, r.stderr) == (3, f"No directory {path.parent} for the database {path}; create it first\n")
    assert not (tmp_path / "no").exists()


@pytest.mark.sqlite_only
def test_db_status_on_a_database_without_tables(cli, tmp_path):
    path = tmp_path / "blank.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 1").connection.close()
    before = digest(path)
    r = cli("--db", str(path), "db", "status", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "empty: run `salescrm init`"
    assert digest(path) == before


# --- salescrm init -------------------------------------------------------------------------------


def test_init_creates_an_empty_database_with_its_currency(sh, request, backend, tmp_path):
    url = new_database(request, backend, tmp_path, schema=False)
    r = sh("--db", url, "init", "--currency", "chf", "--json")
    assert r.exit_code == 0, r.stderr
    db = Database(url)
    try:
        assert json.loads(r.stdout) == {"database": db.location.display, "currency": "CHF",
                                        "process": {"name": "sp-009-001", "revision": 1}}
        assert db.query("SELECT value FROM setting WHERE key = 'currency'") == [("CHF",)]
        assert db.count("company") == 0 and db.count("team_member") == 0
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_init_says_where_and_what_next(sh, tmp_path):
    path = tmp_path / "team.db"
    r = sh("--db", str(path), "init")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == CREATED.format(path)
    assert r.stdout == (f"Database {path} ready; it follows sp-009-001 revision 1, and its currency is EUR.\n"
                        f"Next: salescrm --db {path} team add NAME --role ROLE, then salescrm --db {path} company add NAME\n")


def test_init_on_an_existing_database_changes_nothing(cli, db):
    assert cli(*ANA).exit_code == 0
    before = db.query("SELECT value FROM setting"), db.count("journal")
    r = cli("init", "--currency", "USD")
    assert (r.exit_code, r.stderr) == (
        1, f"There is already a salescrm database at {db.location.display} (schema revision {HEAD_REVISION}); "
           "nothing was changed.\n")
    assert (db.query("SELECT value FROM setting"), db.count("journal")) == before


@pytest.mark.sqlite_only
def test_init_on_an_older_database_does_not_upgrade_it(cli, tmp_path):
    path = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "schema-0001.db", path)
    os.chmod(path, 0o600)
    before = digest(path)
    r = cli("--db", str(path), "init")
    assert r.exit_code == 1
    assert "schema revision 0001" in r.stderr
    assert digest(path) == before
    assert list(tmp_path.glob("*.bak")) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("content", [b"name,email\nAna,ana@example.com\n", "tables"])
def test_init_on_a_file_that_is_not_a_salescrm_database(cli, tmp_path, content):
    path = tmp_path / "other.db"
    if content == "tables":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        con.close()
    else:
        path.write_bytes(content)
    before = digest(path)
    r = cli("--db", str(path), "init")
    assert r.exit_code == 3, r.stderr
    assert str(path) in r.stderr
    assert digest(path) == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize("code", ["XYZ", "euro", "", "€"])
def test_init_refuses_an_unknown_currency(cli, tmp_path, code):
    path = tmp_path / "new.db"
    r = cli("--db", str(path), "init", "--currency", code)
    assert r.exit_code == 2
    if code:
        assert r.stderr == (f"--currency '{code}' is not an ISO 4217 currency code: give one such as EUR, USD, GBP or CHF.\n")
    else:  # an empty value for any option is refused as such (tests/test_edges.py)
        assert r.stderr == "--currency is empty: give a value, or leave --currency out.\n"
    assert not path.exists()


# --- --db means what it says ---------------------------------------------------------------------

@pytest.mark.sqlite_only
@pytest.mark.parametrize("value,why", [
    ("", "--db is empty: give a database file or URL, or leave --db out to use the default database."),
    ("sqlite://", "--db sqlite:// is an in-memory database, which keeps nothing once the command ends: give a file path."),
    ("sqlite:///:memory:", "--db sqlite:///:memory: is an in-memory database, which keeps nothing once the command ends: "
                           "give a file path."),
    ("x.db?mode=ro", "--db x.db?mode=ro carries URI parameters (?mode=ro), which salescrm does not take: give the plain "
                     "path (read commands open a file read-only by themselves)."),
    ("sqlite:///x.db?mode=ro", "--db sqlite:///x.db?mode=ro carries URI parameters (?mode=ro), which salescrm does not "
                               "take: give the plain path (read commands open a file read-only by themselves)."),
    ("file:/home/ana/crm.db", "--db file:/home/ana/crm.db: SQLite `file:` URIs are not taken; give the file's plain "
                              "path instead."),
    ("file:crm.db?mode=ro", "--db file:crm.db?mode=ro: SQLite `file:` URIs are not taken; give the file's plain path "
                            "instead."),
])
@pytest.mark.parametrize("args", [SANITAS, ["company", "list"]], ids=" ".join)
def test_a_db_that_would_mean_another_database_is_refused(sh, tmp_path, db, value, why, args):
    before = db.count("company")
    r = sh("--db", value, *args)
    assert (r.exit_code, r.stderr, r.stdout) == (2, why + "\n", "")
    # no file:, no x.db, nothing under data/ (the test's own crm.db is open: it has its -wal and -shm)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("crm.db")) == []
    assert db.count("company") == before


@pytest.mark.sqlite_only
def test_an_empty_salescrm_db_is_refused(sh, tmp_path):
    r = sh(*SANITAS, env={"SALESCRM_DB": ""})
    assert (r.exit_code, r.stderr) == (
        2, "SALESCRM_DB is set but empty: give a database file or URL, or unset it to use the default database.\n")
    assert not (tmp_path / "data").exists()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["team", "list"], ANA], ids=" ".join)
def test_a_device_a_directory_or_another_file_is_exit_3(sh, tmp_path, args):
    other = tmp_path / "notes.db"
    other.write_text("shopping list\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    for value, message in [
        ("/dev/null", "/dev/null is not a regular file (a device, a pipe or a socket), so it cannot hold a database.\n"),
        (str(folder), f"{folder} is a directory, not a database file: give a file in it, e.g. --db {folder}/salescrm.db\n"),
        (str(other), f"{other} is not a SQLite database; nothing was changed. Check --db / SALESCRM_DB.\n"),
    ]:
        r = sh("--db", value, *args)
        assert (r.exit_code, r.stderr) == (3, message), value
    assert other.read_text() == "shopping list\n"
    assert list(folder.iterdir()) == []


# --- a database that cannot be written can still be read --------------------------------------


@pytest.fixture
def backup(sh, tmp_path, db_path):
    for args in (ANA, SANITAS, MARTA, DEAL):
        assert sh(*args).exit_code == 0
    path = tmp_path / "archive" / "crm-backup.db"
    path.parent.mkdir()
    assert sh("db", "backup", str(path)).exit_code == 0
    return path


def journal_mode(path: Path) -> str:
    """From the file's header (opening a WAL file read-only would leave -wal and -shm beside it)."""
    with open(path, "rb") as f:
        f.seek(18)
        return {1: "delete", 2: "wal"}[f.read(1)[0]]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["journal", "verify"], ["db", "check"], ["deal", "list"], ["db", "status"]], ids=" ".join)
def test_a_read_leaves_a_backup_byte_identical(sh, backup, args):
    before = digest(backup)
    assert journal_mode(backup) == "delete"
    r = sh("--db", str(backup), *args)
    assert r.exit_code == 0, r.stderr
    assert digest(backup) == before
    assert beside(backup) == []
    assert journal_mode(backup) == "delete"


@pytest.mark.sqlite_only
def test_a_read_leaves_a_wal_file_byte_identical(sh, db_path):
    assert sh(*ANA).exit_code == 0
    before = digest(db_path)
    for args in (["journal", "verify"], ["db", "check"], ["team", "list"]):
        assert sh(*args).exit_code == 0
        assert digest(db_path) == before, args
        assert beside(db_path) == [], args


def _without_write_permission() -> list[str]:
    """A prefix that runs a command without the power to override file permissions (root has it)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): file permissions would not apply")
    drop = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}"]


def run_read_only(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*_without_write_permission(), sys.executable, "-m", "salescrm", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.fixture
def read_only(request):
    made = []

    def make(path: Path) -> Path:
        os.chmod(path, 0o400)
        os.chmod(path.parent, 0o500)
        made.append(path)
        return path

    yield make
    for path in made:
        os.chmod(path.parent, 0o700)
        os.chmod(path, 0o600)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("kind", ["backup", "wal"])
def test_a_file_that_cannot_be_written_can_be_read(backup, db_path, sh, read_only, tmp_path, kind):
    if kind == "wal":  # the database itself, in WAL mode, copied into a directory that cannot be written
        path = backup.parent / "live.db"
        shutil.copyfile(db_path, path)
        assert journal_mode(path) == "wal"
        backup.unlink()
    else:
        path = backup
    read_only(path)
    before = digest(path)
    for args in (["journal", "verify"], ["db", "check"], ["deal", "list"], ["company", "show", "Sanitas Hospitales"]):
        p = run_read_only("--db", str(path), *args, cwd=tmp_path)
        assert p.returncode == 0, (args, p.stderr)
        assert "readonly" not in p.stderr
    p = run_read_only("--db", str(path), "deal", "list", "--json", cwd=tmp_path)
    assert [d["name"] for d in json.loads(p.stdout)] == ["ES Sanitas Hospitales Proof of Concept"]
    assert digest(path) == before
    assert beside(path) == []
    p = run_read_only("--db", str(path), "company", "add", "Clínica Vidal", "--country", "ES", "--website", "x.example",
                      cwd=tmp_path)
    assert p.returncode == 3
    assert p.stderr == (f"The database {path} is read-only for you: commands that read it work, and changing it "
                        "needs write access to the file and its directory.\n")


@pytest.mark.sqlite_only
def test_an_older_file_that_cannot_be_written_says_why(tmp_path, read_only):
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "schema-0001.db", path)
    read_only(path)
    p = run_read_only("--db", str(path), "team", "list", cwd=tmp_path)
    assert p.returncode == 3
    assert p.stderr == (f"The database {path} is at schema revision 0001 and this salescrm needs {HEAD_REVISION}; it is "
                        "read-only for you, so it cannot be upgraded: copy it where you may write, or use the salescrm "
                        "release that made it.\n")


# --- the error log -------------------------------------------------------------------------------


@pytest.fixture
def failing(monkeypatch):
    from salescrm.domain import team

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(team, "list_members", broken)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("where", ["state", "data", "platform"])
def test_the_error_log_is_in_the_state_directory(cli, failing, monkeypatch, tmp_path, where):
    if where == "state":
        monkeypatch.setenv("SALESCRM_STATE_DIR", str(tmp_path / "st"))
        log = tmp_path / "st" / "error.log"
    elif where == "data":
        log = tmp_path / "data" / "state" / "error.log"
    else:
        monkeypatch.delenv("SALESCRM_DATA_DIR")
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
        log = tmp_path / "xdg" / "salescrm" / "error.log"
    r = cli("team", "list")
    assert r.exit_code == 1
    assert r.stderr == (f"Unexpected error: RuntimeError; nothing was saved. Details are in {log} "
                        "(run with --debug to see them here).\n")
    assert "RuntimeError: boom" in log.read_text()
    assert (log.stat().st_mode & 0o777) == 0o600


# --- the --help example --------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_help_example_is_what_demo_prints(sh, tmp_path):
    helped = sh("--help").stdout
    assert "Example: salescrm demo && salescrm --db ~/.local/share/salescrm/demo.db deal list" in " ".join(helped.split())
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "SALESCRM_DB": None, "SALESCRM_DATA_DIR": None, "XDG_DATA_HOME": None}
    r = sh("demo", env=env)
    assert r.exit_code == 0, r.stderr
    assert "  salescrm --db ~/.local/share/salescrm/demo.db deal list\n" in r.stdout
    listed = subprocess.run(["bash", "-c", "salescrm() { \"$PY\" -m salescrm \"$@\"; }; "
                             "salescrm --db ~/.local/share/salescrm/demo.db deal list"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**{k: v for k, v in os.environ.items() if k not in ("SALESCRM_DB", "SALESCRM_DATA_DIR")},
                                 "HOME": str(home), "PY": sys.executable})
    assert listed.returncode == 0, listed.stderr
    assert "Torrejón" in listed.stdout


@pytest.mark.sqlite_only
def test_debug_shows_the_traceback_with_passwords_masked(cli, monkeypatch, tmp_path):
    from salescrm.domain import team

    def broken(*_args, **_kwargs):
        raise RuntimeError("cannot reach postgresql+psycopg://ana:s3cret-pw@db.example/crm")

    monkeypatch.setattr(team, "list_members", broken)
    r = cli("--debug", "team", "list")
    assert r.exit_code == 1
    assert r.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: cannot reach postgresql+psycopg://ana:***@db.example/crm\n" in r.stderr
    assert "s3cret" not in r.stderr
    assert r.stderr.endswith("Unexpected error: RuntimeError; nothing was saved.\n")
    assert not (tmp_path / "data" / "state" / "error.log").exists()
