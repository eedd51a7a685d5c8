"""Fast paths stay light: --help and shell completion import none of the heavy libraries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database  # no test here opens a database

HEAVY = {"sqlalchemy", "sqlmodel", "questionary", "alembic", "pycountry"}


def console_script() -> str:
    """The installed `salescrm` command (the README installs the package, so it is always there)."""
    beside = Path(sys.executable).parent / "salescrm"
    found = str(beside) if beside.exists() else shutil.which("salescrm")
    assert found, "the salescrm console script is not installed"
    return found


def imported_modules(stderr: str) -> set[str]:
    """Module names from `-X importtime` lines: `import time: self | cumulative | name`."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def heavy_imports(stderr: str) -> set[str]:
    return {m for m in imported_modules(stderr) if m.split(".")[0] in HEAVY}


def run(argv: list[str], env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60, cwd=cwd)


def test_importtime_parser_sees_modules():
    # The parser must find imports at all, or the checks below would pass on nothing.
    p = run([sys.executable, "-X", "importtime", "-c", "import sqlite3"])
    assert {"sqlite3", "_sqlite3"} <= imported_modules(p.stderr)


@pytest.mark.parametrize("args, shown", [(["--help"], "deal"), (["deal", "--help"], "advance")])
def test_help_imports_nothing_heavy(tmp_path, args, shown):
    p = run([sys.executable, "-X", "importtime", "-m", "salescrm", *args], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert shown in p.stdout
    modules = imported_modules(p.stderr)
    assert "salescrm.cli.app" in modules
    assert heavy_imports(p.stderr) == set()


def test_completion_imports_nothing_heavy(tmp_path):
    env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": "salescrm deal ", "COMP_CWORD": "2"}
    p = run([sys.executable, "-X", "importtime", console_script()], env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    candidates = p.stdout.split()
    assert {"create", "advance", "lose", "show", "list", "edit"} <= set(candidates), p.stdout
    assert "salescrm.cli.app" in imported_modules(p.stderr)
    assert heavy_imports(p.stderr) == set()


def test_option_value_completion_imports_nothing_heavy(tmp_path):
    env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": "salescrm deal list --stage off", "COMP_CWORD": "4"}
    p = run([sys.executable, "-X", "importtime", console_script()], env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert set(p.stdout.split()) == {"offer-sent", "offer-approved"}, p.stdout
    assert heavy_imports(p.stderr) == set()
