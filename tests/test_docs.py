"""docs/cli.md is generated from the commands and kept current; every command has help and an example."""

from pathlib import Path

import pytest

from salescrm.cli.reference import command_tree, render

pytestmark = pytest.mark.no_database  # no test here opens a database

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
COMMANDS = list(command_tree())


def test_cli_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: run `python -m salescrm.cli.reference > docs/cli.md`"
    )


def test_every_issue_command_is_there():
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {
        "team add", "team list",
        "company add", "company list", "company show", "company edit", "company set-status",
        "contact add", "contact list", "contact show", "contact edit",
        "deal create", "deal advance", "deal lose", "deal show", "deal list", "deal edit",
        "pipeline show", "demo",
    }
    assert expected <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_and_example(path, cmd):
    assert (cmd.help or "").strip(), f"salescrm {' '.join(path)} has no help text"
    assert (cmd.epilog or "").startswith("Example: salescrm"), f"salescrm {' '.join(path)} has no example"
    for param in cmd.params:
        if param.name != "help":
            assert getattr(param, "help", None), f"{' '.join(path)} {param.name} has no help"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_is_in_the_reference(path, cmd):
    assert f"## `salescrm {' '.join(path)}`" in DOC.read_text(encoding="utf-8")
