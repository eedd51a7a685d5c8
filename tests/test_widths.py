"""Tables in a real pseudo-terminal of 80x24: no line wider than the terminal, and every id, amount,
date, time and email that the table shows appears whole (ids, amounts, dates, emails are never
shortened; names, titles and summaries may be, with an ellipsis). The audit's fix commands, printed
whole under its table so that they can be copied, are the one exception to the width."""

from __future__ import annotations

import json
import os
import re
import sys

import pexpect
import pytest

from salescrm.cli import output
from tests.helpers import ok

WIDTH = 80
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][0-9A-Za-z]")
LONG_COMPANY = "Very Long Hospital Group Name International Foundation"
LONG_EMAIL = "maximiliana.fuente@vlhgroup.example"


@pytest.fixture
def long_records(cli):
    """The demo, plus a company, a contact, a deal, an activity and a task whose texts are long."""
    ok(cli("demo"))
    ok(cli("company", "add", LONG_COMPANY, "--country", "ES", "--website", "https://www.vlhgroup-international.example"))
    ok(cli("contact", "add", "--first-name", "Maximiliana", "--last-name", "de la Fuente-Rodríguez y Castellanos",
           "--job-title", "Chief Medical Information Officer and Head of Digital Transformation",
           "--company", LONG_COMPANY, "--email", LONG_EMAIL, "--phone", "+34 600 123 456"))
    ok(cli("deal", "create", "--company", LONG_COMPANY, "--description",
           "Enterprise-wide teledermatology rollout across every regional hospital", "--amount", "1234567",
           "--close-date", "2027-06-30", "--class", "Care provider inpatient private", "--source",
           "Conference booth at the European Dermatology Congress", "--owner", "Ana García", "--contact", LONG_EMAIL))
    ok(cli("activity", "log", "--contact", LONG_EMAIL, "--type", "call", "--direction", "outbound", "--summary",
           "A long call about the waiting-list figures, the budget for 2027 and the integration with the records"))
    deal = json.loads(ok(cli("deal", "list", "--json", "--limit", "1")).stdout)[0]["id"]
    ok(cli("task", "add", "Send the revised quotation with the regional hospitals' volumes and the pricing calculator",
           "--deal", str(deal), "--due", "2099-01-15", "--owner", "Ana García"))
    ok(cli("deal", "advance", str(deal), "--set", "segment_verified=yes", "--set", f"decision_maker={LONG_EMAIL}"))
    return cli


def at_80(*args: str, cwd) -> list[str]:
    """The lines a command draws in an 80x24 pseudo-terminal (stdout and stderr), colours removed;
    a line rewritten in place (a progress bar) counts as each of its versions."""
    env = {**os.environ, "TERM": "xterm", "COLUMNS": str(WIDTH), "LINES": "24"}
    child = pexpect.spawn(sys.executable, ["-m", "salescrm", *args], env=env, cwd=str(cwd), dimensions=(24, WIDTH),
                          encoding="utf-8", timeout=60)
    text = child.read()
    child.close()
    assert child.exitstatus in (0, 1), text
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines += [ANSI.sub("", part) for part in line.split("\r")]
    return lines


def money(amount) -> str:
    """An amount as a table on a terminal shows it."""
    saved, output.is_terminal = output.is_terminal, lambda: True
    try:
        return output.money(amount)
    finally:
        output.is_terminal = saved


def read(cli, *args) -> object:
    return json.loads(ok(cli(*args, "--json")).stdout)


def whole_values(cli, args: list[str]) -> set[str]:
    """What the table of `args` must show whole, from the same command's JSON."""
    name = " ".join(args[:2])
    if name == "deal next-steps":
        items = read(cli, *args)
        return {str(d["deal"]) for d in items} | {output.when(d["next_task"]["due"]) for d in items if d["next_task"]}
    if name == "deal list":
        return {v for d in read(cli, *args) for v in (str(d["id"]), money(d["amount"]), d["close_date"])}
    if name == "contact list":
        return {v for c in read(cli, *args) for v in (str(c["id"]), c["email"]) if v}
    if name == "company list":
        return {str(c["id"]) for c in read(cli, *args)}
    if name == "journal show":
        changes = read(cli, *args)
        return ({str(c["seq"]) for c in changes} | {output.when(c["at"]) for c in changes}
                | {c["new"] for c in changes if "@" in str(c["new"])})
    if name == "report pipeline":
        report = read(cli, *args)
        changed = [d for key in ("entered", "moved", "won", "lost") for d in report["changes"][key]]
        return ({money(s["amount"]) for s in report["stages"]} | {str(d["id"]) for d in changed}
                | {money(d["amount"]) for d in changed})
    if name == "report conversion":
        return {str(s["entered"]) for s in read(cli, *args)["stages"]}
    if args[0] == "audit":
        return {str(r["count"]) for r in read(cli, *args)["summary"]}
    raise AssertionError(name)


COMMANDS = [
    ["deal", "next-steps"],
    ["report", "pipeline", "--compare", "2026-01-01"],
    ["report", "conversion"],
    ["journal", "show"],
    ["audit", "--fail-on", "never"],
    ["deal", "list"],
    ["contact", "list"],
    ["company", "list"],
]


def test_tables_at_80_columns_break_no_word_and_shorten_no_number(long_records, tmp_path):
    for args in COMMANDS:
        lines = at_80(*args, cwd=tmp_path)
        fixes = lines.index("To fix them") if "To fix them" in lines else len(lines)
        too_wide = [line for line in lines[:fixes] if len(line) > WIDTH]
        assert not too_wide, (args, too_wide)
        drawn = "\n".join(lines)
        for value in whole_values(long_records, args):
            assert re.search(rf"(?<![\w.,@+-]){re.escape(value)}(?![\w@-]|[.,]\w)", drawn), (args, value)


def test_the_audit_prints_each_fix_command_whole_under_its_table(long_records, tmp_path):
    lines = at_80("audit", "--fail-on", "never", cwd=tmp_path)
    fixes = lines.index("To fix them")
    found = read(long_records, "audit", "--fail-on", "never")["findings"]
    commands = {f["fix"] for f in found if f["fix"]}
    assert commands
    printed = {line.split("   # ")[0] for line in lines[fixes + 1:] if line.startswith("salescrm ")}
    assert printed == commands
    assert all(len(line) <= WIDTH for line in lines[:fixes])


def test_times_in_tables_are_local(long_records, tmp_path):
    lines = at_80("journal", "show", "--deal", LONG_COMPANY.split()[0], cwd=tmp_path)
    assert not any(re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", line) for line in lines)
    changes = read(long_records, "journal", "show", "--deal", LONG_COMPANY.split()[0])
    assert output.when(changes[0]["at"]) in "\n".join(lines)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", output.when(changes[0]["at"]))
