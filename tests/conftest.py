"""Shared fixtures: every test gets its own database and data directory, and an acting user.

Tests that use a database run once per backend: a SQLite file, and a database on a throwaway
PostgreSQL server that the session starts itself (tests/pgserver.py). `--backend sqlite` or
`--backend postgresql` runs one half alone. Without PostgreSQL binaries the PostgreSQL half is
skipped with a one-line reason, unless SALESCRM_REQUIRE_POSTGRES=1 (set by .ci/run) makes it a failure.
Markers: `sqlite_only` (the test is about SQLite itself), `no_database` (the test uses no database:
it runs once).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescrm.cli.app import app
from salescrm.cli.runtime import Runtime
from salescrm.store import engine as store_engine
from salescrm.store.location import resolve

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
REQUIRE_POSTGRES = os.environ.get("SALESCRM_REQUIRE_POSTGRES") == "1"
_database_numbers = itertools.count(1)


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("sqlite", "postgresql", "all"), default="all",
                     help="Run the database tests on this backend only (default: all).")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite itself")
    config.addinivalue_line("markers", "no_database: the test uses no database and runs once")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("--backend")
    backends = BACKENDS if chosen == "all" else (chosen,)
    markers = {m.name for m in metafunc.definition.iter_markers()}
    if markers & {"sqlite_only", "no_database"}:
        backends = ("sqlite",) if "sqlite" in backends else ()
    metafunc.parametrize("backend", backends, ids=list(backends))


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole session, with a template database at the latest schema."""
    from tests.pgserver import PgServer, find_bin_dir

    bin_dir = find_bin_dir()
    reason = None
    if bin_dir is None:
        reason = "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql to run the PostgreSQL half"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            reason = 'psycopg is not installed; pip install -e ".[test]" brings it'
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"SALESCRM_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        yield reason
        return
    server = PgServer(bin_dir).start()
    template = server.create_database("salescrm_template")
    store_engine.ensure_schema(store_engine.engine_for(resolve(template)), resolve(template))
    store_engine.dispose_all()
    try:
        yield server
    finally:
        store_engine.dispose_all()
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file at the latest schema, closed (no -wal), that each test copies: a read needs a database."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    location = resolve(str(path))
    store_engine.ensure_schema(store_engine.engine_for(location), location)
    store_engine.dispose_all()  # and forget that it was made here: no command's end may remove it
    return path


def copy_sqlite_template(request, path: Path) -> str:
    """A new SQLite database at `path`, at the latest schema, readable by its owner only (as salescrm makes it)."""
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    os.chmod(path, 0o600)
    return str(path)


@pytest.fixture
def db_url(backend, tmp_path, request) -> str:
    """The database of this test: a SQLite file or a fresh PostgreSQL database, at the latest schema."""
    if backend == "sqlite":
        return copy_sqlite_template(request, tmp_path / "crm.db")
    server = request.getfixturevalue("pg_server")
    if isinstance(server, str):
        pytest.skip(server)
    return server.create_database(f"t{os.getpid()}_{next(_database_numbers)}", template="salescrm_template")


@pytest.fixture(autouse=True)
def isolated(request, tmp_path, monkeypatch):
    """No test touches the user's data: SALESCRM_DB and SALESCRM_DATA_DIR point at this test's own."""
    monkeypatch.setenv("SALESCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCRM_USER", "tester")
    if "backend" in request.fixturenames:
        monkeypatch.setenv("SALESCRM_DB", request.getfixturevalue("db_url"))
    else:
        monkeypatch.setenv("SALESCRM_DB", str(tmp_path / "crm.db"))
    yield
    store_engine.dispose_all()


@pytest.fixture
def backend(request):
    return request.param


@pytest.fixture
def db_path(tmp_path) -> Path:
    """The SQLite file of a `sqlite_only` test."""
    return tmp_path / "crm.db"


@pytest.fixture
def location(db_url):
    return resolve(db_url)


@pytest.fixture
def session(location):
    """A write session for domain tests; commits when the test body ends without error."""
    with store_engine.write_session(location, actor="tester") as s:
        yield s


@pytest.fixture
def read(location):
    """Run a function in a fresh read session: read(lambda s: ...)."""

    def run(fn):
        with store_engine.read_session(location) as s:
            return fn(s)

    return run


class Database:
    """Plain SQL on the test's database, whichever the backend (`?` placeholders)."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        self.location = resolve(url)
        self.engine = sa.create_engine(self.location.url)

    def query(self, sql: str, *params) -> list[tuple]:
        import sqlalchemy as sa

        if self.location.path is not None and not self.location.path.exists():
            return []  # no command has made the SQLite file yet; reading must not create it
        names = iter(range(len(params)))
        bound = re.sub(r"\?", lambda _: f":p{next(names)}", sql)
        with self.engine.connect() as conn:
            try:
                rows = conn.execute(sa.text(bound), {f"p{i}": v for i, v in enumerate(params)}).all()
            except Exception as e:  # a table the command never created reads as empty
                if "no such table" in str(e) or "does not exist" in str(e):
                    return []
                raise
        return [tuple(r) for r in rows]

    def count(self, table: str, where: str = "", *params) -> int:
        rows = self.query(f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else ""), *params)
        return rows[0][0] if rows else 0

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def db(db_url):
    """Read what a command left in the database: db.query(sql, *params), db.count(table)."""
    database = Database(db_url)
    yield database
    database.close()


@dataclass
class Asked:
    kind: str
    message: str


@dataclass
class FakePrompter:
    """Answers prompts from a script of (kind, message substring, answer); fails on any other question."""

    script: list[tuple[str, str, object]]
    asked: list[Asked] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    completions: dict = field(default_factory=dict)  # message -> what the prompt would offer for a typed text
    ticked: dict = field(default_factory=dict)  # message -> the choices a checkbox starts with ticked

    def _answer(self, kind: str, message: str, validate=None):
        self.asked.append(Asked(kind, message))
        if not self.script:
            raise AssertionError(f"unexpected {kind} prompt: {message!r}")
        want_kind, want_text, answer = self.script.pop(0)
        if want_kind != kind or want_text not in message:
            raise AssertionError(f"expected {want_kind} prompt with {want_text!r}, got {kind} {message!r}")
        if isinstance(answer, BaseException):
            raise answer
        if validate is not None:
            validate(answer)
        return answer

    def text(self, message, *, validate=None, instruction=None, default=""):
        return self._answer("text", message, validate)

    def select(self, message, choices, *, default=None):
        answer = self._answer("select", message)
        if not isinstance(answer, BaseException) and answer not in choices:
            raise AssertionError(f"{answer!r} is not one of the choices {list(choices)!r}")
        return answer

    def autocomplete(self, message, choices, *, validate=None, complete=None):
        self.completions[message] = complete or (lambda typed: [c for c in choices if typed.lower() in c.lower()])
        return self._answer("autocomplete", message, validate)

    def confirm(self, message, *, default=False):
        return self._answer("confirm", message)

    def checkbox(self, message, choices, *, checked=()):
        self.ticked[message] = list(checked)
        answer = self._answer("checkbox", message)
        if not isinstance(answer, BaseException) and not set(answer) <= set(choices):
            raise AssertionError(f"{answer!r} are not all among the choices {list(choices)!r}")
        return answer

    def say(self, text):
        self.said.append(text)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(backend):
    """Invoke the app in-process (Typer's runner); `prompter=` answers prompts as on a terminal."""

    def invoke(*args: str, prompter: FakePrompter | None = None, input: str | None = None) -> Run:
        obj = Runtime(prompter=prompter) if prompter is not None else None
        result = CliRunner().invoke(app, list(args), obj=obj, input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def sh(backend, tmp_path):
    """Run the real program in a subprocess (stdin not a terminal); `env` values of None unset a variable."""

    def run(*args: str, input: str = "", env: dict | None = None, timeout: float = 60) -> Run:
        full_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
        p = subprocess.run(
            [sys.executable, "-m", "salescrm", *args], input=input, capture_output=True, text=True,
            env=full_env, timeout=timeout, cwd=tmp_path,
        )
        return Run(p.returncode, p.stdout, p.stderr)

    return run


SANITAS = ["company", "add", "Sanitas Hospitales", "--country", "ES", "--website", "https://www.sanitas.es"]
ANA = ["team", "add", "Ana García", "--role", "JD-019"]
ELENA = ["team", "add", "Elena Ortiz", "--role", "JD-001"]
MARTA = ["contact", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--job-title", "Head of Dermatology",
         "--company", "Sanitas Hospitales", "--email", "marta@sanitas.es", "--phone", "+34 600 000 000"]
DEAL = ["deal", "create", "--company", "Sanitas Hospitales", "--description", "Proof of Concept", "--amount", "12000",
        "--close-date", "2027-03-31", "--class", "Care provider inpatient private", "--source", "LinkedIn outreach",
        "--owner", "Ana García", "--contact", "marta@sanitas.es"]
QUALIFIED = ["--set", "segment_verified=yes", "--set", "decision_maker=marta@sanitas.es"]
BANT = ["--set", "budget=Approved for 2027", "--set", "authority=Head of service decides", "--set", "need=Long waiting list"]


@pytest.fixture
def seeded(cli):
    """The README's example: Ana (JD-019), Elena (JD-001), Sanitas, Marta, and deal 1 in Prospected."""
    for args in (ANA, ELENA, SANITAS, MARTA, DEAL):
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
    return cli
