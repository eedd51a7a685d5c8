"""`--help` shows what each option and argument takes (`--amount AMOUNT`, `deal show DEAL`), and nothing
after a plain flag: never Typer's Python types (`<str>`, `<bool>`, `<list[str]>`, `<int range> [x>=0]`)
nor its braces around required arguments (`{deal}`)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from salescrm.cli.app import app
from salescrm.cli.reference import command_tree

pytestmark = pytest.mark.no_database  # no test here opens a database

COMMANDS = [[]] + [path for path, _ in command_tree()]
TYPE_NAMES = re.compile(r"<(?:str|bool|int|float|path|file|directory|datetime|uuid|text|tuple|[a-z]+ range|list\[[^\]]*\])>")


def help_of(path: list[str]) -> str:
    r = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "salescrm" for p in COMMANDS])
def test_help_shows_no_python_types(path):
    text = help_of(path)
    assert not TYPE_NAMES.findall(text), TYPE_NAMES.findall(text)
    assert not re.search(r"\[x[<>]=?", text), "number ranges belong in the help text"
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "salescrm" for p in COMMANDS])
def test_flags_have_no_placeholder_and_values_have_one(path):
    root = typer.main.get_command(app)
    ctx = root.make_context("salescrm", [], resilient_parsing=True)
    command = root
    for name in path:
        command = command.get_command(ctx, name)
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    for param in command.get_params(ctx):
        shown = param.display_type_rich(ctx=ctx) if param.param_type_name == "option" else param.metavar
        if getattr(param, "is_flag", False):
            assert not shown, f"flag {param.opts} shows {shown!r}"
        else:
            assert shown and not shown.startswith("<"), f"{param.name} shows {shown!r}"
            assert shown == shown.upper() or "|" in shown, f"{param.name} shows {shown!r}"


def test_the_placeholders_say_what_to_type():
    text = help_of(["deal", "create"])
    for option, placeholder in (("--amount", "AMOUNT"), ("--close-date", "DATE"), ("--company", "COMPANY"),
                                ("--owner", "MEMBER"), ("--description", "TEXT"), ("--set", "KEY=VALUE")):
        assert re.search(rf"{option}\s+{re.escape(placeholder)}\s", text), (option, placeholder)
    assert "Usage: salescrm deal show [OPTIONS] DEAL" in help_of(["deal", "show"])
    assert "Usage: salescrm task done [OPTIONS] TASK..." in help_of(["task", "done"])
    assert re.search(r"--json\s+Print", help_of(["deal", "show"]))


@pytest.mark.parametrize("path, option", ((["deal", "advance"], "--to"), (["deal", "advance"], "--set"),
                                          (["deal", "edit"], "--class"), (["deal", "create"], "--stage")))
def test_help_lists_the_default_process_and_points_to_the_databases_own(path, option):
    """Issue 12: `--help` lists the default process's stages and keys, and points to `salescrm process show`
    (a database may follow another process, whose values help cannot know without opening it)."""
    text = " ".join(help_of(path).split())
    assert "(in sp-009-001, the default process; `salescrm process show` gives your database's)" in text
    assert re.search(rf"{option} [A-Z=]+ .*?sp-009-001, the default process", text)
