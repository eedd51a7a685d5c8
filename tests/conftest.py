"""Shared fixtures: every test gets its own SQLite file and data directory, and an acting user."""

from __future__ import annotations

import os
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


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test touches the user's data: SALESCRM_DB and SALESCRM_DATA_DIR point into tmp_path."""
    data = tmp_path / "data"
    monkeypatch.setenv("SALESCRM_DATA_DIR", str(data))
    monkeypatch.setenv("SALESCRM_DB", str(tmp_path / "crm.db"))
    monkeypatch.setenv("SALESCRM_USER", "tester")
    yield
    store_engine.dispose_all()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def location(db_path):
    return resolve(str(db_path))


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

    def autocomplete(self, message, choices, *, validate=None):
        return self._answer("autocomplete", message, validate)

    def confirm(self, message, *, default=False):
        return self._answer("confirm", message)

    def say(self, text):
        self.said.append(text)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    """Invoke the app in-process (Typer's runner); `prompter=` answers prompts as on a terminal."""

    def invoke(*args: str, prompter: FakePrompter | None = None, input: str | None = None) -> Run:
        obj = Runtime(prompter=prompter) if prompter is not None else None
        result = CliRunner().invoke(app, list(args), obj=obj, input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def sh(tmp_path):
    """Run the real program in a subprocess (stdin not a terminal)."""

    def run(*args: str, input: str = "", env: dict | None = None, timeout: float = 60) -> Run:
        full_env = {**os.environ, **(env or {})}
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
