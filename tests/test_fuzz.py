"""The property over every command: whatever a script passes to any option or argument, salescrm ends with a
documented exit code (0 done, 1 refused or not found, 2 invalid, 3 database) and never an "Unexpected error".

The commands and their parameters are walked from the Typer app itself, so a new command or option is
driven without a line here. Each example builds a command line from generated text, numbers, dates, times
and durations, mixed with values that mean something to the option (stages, classes, ids of the seeded
records, boundary ids and dates), and runs it in-process with Typer's CliRunner and `--no-input`, on a
database seeded with the README's example, under one of a few time zones (the edges of 1900-9999 move with
the local offset) and as one of a few acting users (SALESCRM_USER).

SQLite only: the property is about what the edge lets through to the domain, which is the same code on both
backends, and 20 examples for each of 40-odd commands run in a few minutes on SQLite but would take several
times that on the PostgreSQL half (a database per test and a server round trip per statement). What must
agree between the backends is checked value by value in tests/test_edges.py. SALESCRM_FUZZ_EXAMPLES raises
the number of examples per command (20 in CI, as the issue asks).
"""

from __future__ import annotations

import os
import time

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from salescrm import process
from salescrm.cli.app import GROUPS, app, command_group

pytestmark = pytest.mark.sqlite_only

EXAMPLES = int(os.environ.get("SALESCRM_FUZZ_EXAMPLES", "20"))
DOCUMENTED_EXITS = {0, 1, 2, 3}
COUNTS = {"runs": 0, "unexpected": 0}


def commands() -> list[tuple[str, ...]]:
    """Every command's path (`("deal", "create")`), walked from the app."""
    found = []

    def walk(command, path):
        if hasattr(command, "list_commands"):  # a group: its commands are built when named
            if getattr(command, "invoke_without_command", False) and path:
                found.append(path)  # `audit` runs itself, and has subcommands
            for name in sorted(command.list_commands(None)):
                walk(command.get_command(None, name), (*path, name))
        else:
            found.append(path)

    for name, _, _ in GROUPS:
        walk(command_group(name), (name,))
    root = typer.main.get_group(app)
    for name in sorted(root.commands):
        if name not in {n for n, _, _ in GROUPS}:
            walk(root.commands[name], (name,))
    return found


def command_at(path: tuple[str, ...]):
    command = command_group(path[0]) if path[0] in {n for n, _, _ in GROUPS} else typer.main.get_group(app).commands[path[0]]
    for name in path[1:]:
        command = command.get_command(None, name)
    return command


# --- Values ------------------------------------------------------------------------------------

IDS = ["1", "2", "3", "0", "007", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
       "9999999999999999999999999", "9" * 5000, "-1", "1.5", "²", "١٢", "１２", "0x10"]
DATES = ["2026-11-20", "1900-01-01", "1899-12-31", "9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "20261120",
         "2026-11-20 15:30", "2026-11-20T15:30:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00:00+14:00",
         "yesterday"]
DURATIONS = ["1h", "30m", "1d12h", "0m", "5218w", "5219w", "36525d", "36526d", "99999999999d", "9" * 5000 + "m",
             "1y", "-1d", "h", "1 d"]
TEXT = ["", " ", "\u200b", "\u200b\u200d\ufeff", "\u3164", "\u0301", "x" * 201, "x" * 2001, "é" * 301, "ß" * 150,
        "'; DROP TABLE deal; --", "Sanitas", "sanitas hospitales", "Ana García", "tester", "marta@sanitas.es", "%", "_",
        "\\", "a" * 10000]
REFERENCE = IDS[:3] + ["Sanitas", "Sanitas Hospitales", "Ana García", "Elena Ortiz", "marta@sanitas.es", "Marta Ruiz",
                       "Proof of Concept", "ES Sanitas Hospitales Proof of Concept", "tester"]
MEANINGFUL = {
    "--stage": [*process.STAGE_NAMES, "offer-sent", "lost"],
    "--to": [*process.STAGE_NAMES, "qualified", "payment-done"],
    "--class": list(process.DEAL_CLASSES) + ["insurance"],
    "--country": ["ES", "es", "Spain", "DE", "XX", "España"],
    "--type": list(process.ACTIVITY_TYPES),
    "--direction": list(process.DIRECTIONS),
    "--channel": list(process.LEAD_CHANNELS),
    "--status": list(process.LEAD_STATUSES),
    "status": list(process.LEAD_STATUSES),
    "--category": list(process.LOST_CATEGORIES),
    "--lost-category": list(process.LOST_CATEGORIES),
    "--role": ["JD-019", "JD-001", "jd002", "General Manager"],
    "--currency": ["EUR", "USD", "CHF", "XYZ"],
    "--amount": ["12000", "12,000", "12.000", "0", "-1", "999999999999999", "1e9", "12000.50"],
    "--set": ["segment_verified=yes", "decision_maker=marta@sanitas.es", "budget=Approved", "need=", "=x", "x",
              "offer_approved_on=0001-01-01", "contract_signed_on=9999-12-31", "signed_by=Elena Ortiz"],
    "--email": ["marta@sanitas.es", "new@example.com", "not-an-email", "a@b"],
    "--phone": ["+34 600 000 000", "600000000", "+1", "123"],
    "--website": ["sanitas.es", "https://x.example", "https://example.com:99999", "["],
    "--scores": ["5,6,4,7", "1,1,1,1", "8,0,0,0", "5,6", "²,1,1,1", "9" * 5000 + ",1,1,1", "١,1,1,1"],
    "--reports": ["cycle,pipeline", "none", "x"],
    "--head": ["1:" + "0" * 64, "0:", "x:y", "99999999999999999999:abc", "²:" + "0" * 64, "9" * 5000 + ":" + "0" * 64,
               "99999999999999999999:" + "0" * 64],
    "--fail-on": ["error", "warning", "never", "x"],
    "--check": ["deal-name", "stale-deal", "x"],
    "--login": ["ana", "tester"],
    "login": ["ana", "tester", ""],
    "--from": REFERENCE,
    "--search-engine": ["google", "x" * 100, "x" * 101],
    "--keyword": ["triage", "k" * 300, "k" * 301],
}
TIMES = {"--due": DATES + DURATIONS, "--next-step-due": DATES + DURATIONS, "--at": DATES, "--since": DATES,
         "--until": DATES, "--compare": DATES, "--close-date": DATES, "--won-at": DATES,
         "--within": DURATIONS, "--follow-up-in": DURATIONS}
REFERENCES = {"--company", "--contact", "--deal", "--owner", "--by", "--add-company", "--remove-company", "--distinct-from",
              "--add-contact", "--remove-contact", "company", "contact", "deal", "member", "task_ids"}
SMALL_NUMBERS = {"--size": [0, 1, 3, 10_000_001, -1, 10**30]}  # a valid --size builds that many deals
NUMBERS = [0, 1, 2, 5, 30, 36525, 36526, -1, 2**31, 2**63 - 1, 2**63, 10**30]
generated_text = st.text(max_size=30) | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _key(param) -> str:
    long_names = [o for o in param.opts if o.startswith("--")]
    return long_names[0] if long_names else param.name


def _element(param):
    annotation = getattr(param.type_descriptor, "annotation", None)
    return getattr(annotation, "__args__", (annotation,))[0]


def text_for(param) -> st.SearchStrategy[str]:
    key = _key(param)
    if key == "--from-json":  # a file in the test's directory or stdin; never /dev/zero or the like
        return st.sampled_from(["-", "leads.jsonl", "missing.json", ".", ""])
    if _element(param) is not str:  # a FILE argument: names in the test's own directory
        return st.sampled_from(["backup.db", "crm.db", ".", "", "missing.db", "sub/backup.db"]) | generated_text.map(
            lambda t: "f-" + t.replace("/", "_").replace("\x00", ""))
    choices = MEANINGFUL.get(key, []) + TIMES.get(key, []) + (REFERENCE if key in REFERENCES else [])
    if key in REFERENCES:
        choices += IDS
    options = [st.sampled_from(TEXT), generated_text]
    if choices:
        options.insert(0, st.sampled_from(choices))
    return st.one_of(options)


def value_for(param) -> st.SearchStrategy[str]:
    if _element(param) is int:
        numbers = SMALL_NUMBERS.get(_key(param), NUMBERS)
        return st.sampled_from(numbers).map(str) | st.sampled_from(IDS + ["", "x"])
    return text_for(param)


@st.composite
def command_line(draw, path: tuple[str, ...]) -> list[str]:
    command = command_at(path)
    options, arguments = [], []
    for param in command.params:
        if param.name in ("help",) or getattr(param, "hidden", False):
            continue
        if getattr(param, "is_flag", False):
            if draw(st.booleans()):
                options.append(param.opts[0])
            continue
        is_argument = not param.opts[0].startswith("-")
        if is_argument:
            several = param.nargs != 1
            count = draw(st.integers(1, 3)) if several else 1
            if not param.required and not several and not draw(st.booleans()):
                continue
            arguments += [draw(value_for(param)) for _ in range(count)]
            continue
        several = param.multiple
        if not draw(st.integers(0, 3)):  # an option is given about three times out of four
            continue
        for _ in range(draw(st.integers(1, 2)) if several else 1):
            options += [param.opts[0], draw(value_for(param))]
    return ["--no-input", *path, *options, *(["--", *arguments] if arguments else [])]


ZONES = ["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata"]
USERS = ["tester", "Ana García", "ana", "u" * 200, "u" * 201, "\u200b", "2"]  # SALESCRM_USER


def run(args: list[str], zone: str, user: str = "tester"):
    """One command line in-process, in time zone `zone` as `user`; the run counted, an unexpected error apart."""
    saved = {name: os.environ.get(name) for name in ("TZ", "SALESCRM_USER")}
    os.environ.update(TZ=zone, SALESCRM_USER=user)
    time.tzset()
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=True)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        time.tzset()
    COUNTS["runs"] += 1
    if "Unexpected error" in result.stderr or result.exit_code not in DOCUMENTED_EXITS:
        COUNTS["unexpected"] += 1
    return result


@pytest.fixture(scope="module", autouse=True)
def fuzz_counts():
    yield
    print(f"\nfuzz: {COUNTS['runs']} runs, {COUNTS['unexpected']} unexpected errors or undocumented exit codes")


@pytest.fixture
def fuzzed(seeded, tmp_path, monkeypatch):
    """The README's example database; the command runs in the test's directory (where FILE names land)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leads.jsonl").write_text('{"first_name": "Luis", "last_name": "Vidal", "phone": "+34 611 222 333", '
                                          '"channel": "phone"}\n{"first_name": "\u200b"}\n', encoding="utf-8")
    return seeded


@pytest.mark.parametrize("path", commands(), ids=" ".join)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_command_ends_with_a_documented_exit_code(fuzzed, backend, path, data):
    args = data.draw(command_line(path), label="args")
    zone = data.draw(st.sampled_from(ZONES), label="TZ")
    user = data.draw(st.sampled_from(USERS), label="SALESCRM_USER")
    result = run(args, zone, user)
    assert "Unexpected error" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in DOCUMENTED_EXITS, (result.exit_code, result.stderr, repr(result.exception))
