"""Fast paths stay light: `--help`, `deal --help` and shell completion import only the modules listed here.

Every command is a new process and completion runs one per TAB, so what these paths import is what
start-up costs (bench/startup.py measures it; the ratios are never asserted here, this list is the gate).
A module that is not allowed below fails the test: import it inside the function that needs it, or,
when a fast path truly needs it, add it here with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.no_database  # no test here opens a database

# The salescrm modules a fast path may load.
SALESCRM = {
    "salescrm", "salescrm.cli", "salescrm.cli.app",  # the root command; it loads one command group, by name
    "salescrm.cli.runtime", "salescrm.errors", "salescrm.interrupts",  # what every command shares
    "salescrm.cli.streams",  # stdout and stderr guarded from the start (exit 4; a closed pipe exits 0); stdlib only
    "salescrm.cli.placeholders",  # what --help shows after each option
    "salescrm.cli.empty_values",  # each command refuses an empty value as its options are parsed (errors only)
    "salescrm.cli.typed",  # every command's text options checked for control characters (issue 11)
    "salescrm.cli.demo", "salescrm.cli.db", "salescrm.cli.output",  # `demo` and `init` are commands of the root
}
# ...and, once `deal` is named, the group's module and what it needs to declare its commands: the process
# package's names, which load nothing until a value is asked for (cli/placeholders.py PROCESS_FIELDS).
PROCESS_NAMES = {"salescrm.process", "salescrm.process.common"}
DEAL_GROUP = {"salescrm.cli.deals", "salescrm.cli.prompts"} | PROCESS_NAMES
# The process itself, for what lists its stages and keys (`deal --help`):
# the shipped file, parsed with stdlib tomllib. Completing a command's name never loads it.
# load_rules, load_actions and model_actions are parts of the loader and the model (stdlib only).
PROCESS = {"salescrm.process.model", "salescrm.process.load", "salescrm.process.reader", "salescrm.process.rules",
           "salescrm.process.load_rules", "salescrm.process.load_actions", "salescrm.process.model_actions"}
# Completing a value of the process (a stage, a class) reads the database's file: where it is, and the file
# itself with stdlib sqlite3 and tomllib (cli/completion_values.py), nothing heavier.
COMPLETING = {"salescrm.cli.completion_values", "salescrm.store", "salescrm.store.location", "salescrm.store.masking"}
# Third-party packages (top-level names). Nothing from the database, prompt or data libraries.
THIRD_PARTY = {
    "typer", "annotated_doc", "typing_extensions",  # Typer and what it imports itself
    "rich", "markdown_it", "mdurl", "pygments",  # Typer's rich help
    "shellingham",  # Typer's shell detection (completion)
    "platformdirs",  # where the default database is, for completing a value of its process
    # Typer 0.29 turns parameter values into Python values with pydantic TypeAdapters, a bare Typer
    # app too (bench/bare_app.py), as soon as a command line is parsed.
    "pydantic", "pydantic_core", "annotated_types", "typing_inspection",
}
SITE = {"sitecustomize", "usercustomize"}  # the interpreter's own hooks, when the environment has them

# Runs the program as its console script does, then lists the modules loaded (sys.modules, so that an
# optional import that failed does not count).
PROBE = """
import atexit, os, sys
atexit.register(lambda: open(os.environ["PROBE_OUT"], "w").write("\\n".join(sorted(sys.modules))))
sys.argv = ["salescrm", *sys.argv[1:]]
from salescrm.cli.app import main
main()
"""


def loaded(tmp_path, args: list[str], env: dict | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    out = tmp_path / "modules.txt"
    p = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**os.environ, **(env or {}), "PROBE_OUT": str(out)})
    return p, set(out.read_text().split())


def not_allowed(modules: set[str], allowed_salescrm: set[str]) -> set[str]:
    """The loaded modules outside the lists: salescrm modules by name, others by their package."""
    bad = set()
    for name in modules:
        top = name.split(".")[0]
        if top == "salescrm":
            if name not in allowed_salescrm:
                bad.add(name)
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY | SITE and not top.startswith("_"):
            bad.add(name)  # `_`-names are the interpreter's and site's helpers (_distutils_hack, _sysconfigdata_...)
    return bad


def test_the_probe_sees_what_is_imported(tmp_path):
    # The checks below would pass on nothing if the probe missed imports.
    p, modules = loaded(tmp_path, ["deal", "--help"])
    assert p.returncode == 0, p.stderr
    assert {"salescrm.cli.app", "salescrm.cli.deals", "typer", "json"} <= modules
    assert not_allowed({"sqlalchemy", "questionary.prompts", "salescrm.store.models"}, SALESCRM) == {
        "sqlalchemy", "questionary.prompts", "salescrm.store.models"}


def test_help_loads_only_the_allowed_modules(tmp_path):
    p, modules = loaded(tmp_path, ["--help"])
    assert p.returncode == 0, p.stderr
    assert "deal" in p.stdout and "Deals: create" in p.stdout
    assert not_allowed(modules, SALESCRM) == set()
    assert "salescrm.cli.deals" not in modules  # the groups are listed without being loaded


def test_deal_help_loads_only_the_allowed_modules(tmp_path):
    p, modules = loaded(tmp_path, ["deal", "--help"])
    assert p.returncode == 0, p.stderr
    assert "advance" in p.stdout
    assert not_allowed(modules, SALESCRM | DEAL_GROUP | PROCESS) == set()
    assert "salescrm.cli.companies" not in modules  # only the group named is loaded


def test_completion_loads_only_the_allowed_modules(tmp_path):
    env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": "salescrm deal ", "COMP_CWORD": "2"}
    p, modules = loaded(tmp_path, [], env)
    assert p.returncode == 0, p.stderr
    assert {"create", "advance", "lose", "show", "list", "edit"} <= set(p.stdout.split()), p.stdout
    assert not_allowed(modules, SALESCRM | DEAL_GROUP) == set()  # the process is not loaded


def test_completion_of_the_groups_loads_none_of_them(tmp_path):
    env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": "salescrm ", "COMP_CWORD": "1"}
    p, modules = loaded(tmp_path, [], env)
    assert p.returncode == 0, p.stderr
    assert {"team", "company", "deal", "report", "db", "demo"} <= set(p.stdout.split()), p.stdout
    assert not_allowed(modules, SALESCRM) == set()


def test_option_value_completion_loads_only_the_allowed_modules(tmp_path):
    env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": "salescrm deal list --stage off", "COMP_CWORD": "4"}
    p, modules = loaded(tmp_path, [], env)
    assert p.returncode == 0, p.stderr
    assert set(p.stdout.split()) == {"offer-sent", "offer-approved"}, p.stdout
    assert not_allowed(modules, SALESCRM | DEAL_GROUP | COMPLETING) == set()
    assert PROCESS & modules == set()  # the file is read with tomllib alone, not the loader


def test_deal_show_reads_without_declaring_the_models(tmp_path):
    # Declaring the SQLModel classes costs more than `deal show`'s own work (store/tables.py): a read
    # command names the light read tables instead.
    env = {"SALESCRM_DB": str(tmp_path / "crm.db"), "SALESCRM_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "salescrm", "demo"], env={**os.environ, **env}, check=True,
                   capture_output=True, timeout=120)
    p, modules = loaded(tmp_path, ["deal", "show", "1"], env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("# deal") and "# timeline" in p.stdout, p.stdout
    assert "salescrm.store.tables" in modules
    assert {"salescrm.store.models", "salescrm.store.tables_on_demand"} & modules == set()


def test_completion_offers_the_stages_of_the_databases_own_process(tmp_path):
    # A SQLite file's process is read with stdlib sqlite3 (its latest revision); with no file yet, the
    # shipped processes' stages together.
    hp = tmp_path / "hp.db"
    subprocess.run([sys.executable, "-m", "salescrm", "--db", str(hp), "init", "--process", "health-prime"],
                   check=True, capture_output=True, timeout=60)

    def stages(db: str, incomplete: str) -> set[str]:
        env = {"_SALESCRM_COMPLETE": "complete_bash", "COMP_WORDS": f"salescrm --db {db} deal list --stage {incomplete}",
               "COMP_CWORD": "6", "SALESCRM_DATA_DIR": str(tmp_path)}
        p, modules = loaded(tmp_path, [], env)
        assert p.returncode == 0, p.stderr
        assert not_allowed(modules, SALESCRM | DEAL_GROUP | COMPLETING) == set()
        return set(p.stdout.split())

    assert stages(str(hp), "pro") == {"proposal"}
    assert stages(str(hp), "") == {"sales-qualified-lead", "engaged", "proposal", "partner-of-choice", "closed-won",
                                   "closed-lost"}
    assert stages(str(tmp_path / "none.db"), "pro") == {"prospected", "proposal"}
    assert not (tmp_path / "none.db").exists()


PARSES = """
import sys
from salescrm.process import load
parse = load.check_text
def counted(text, *args, **kwargs):
    print("parsed", text.split('name = "', 1)[1].split('"', 1)[0], file=sys.stderr)
    return parse(text, *args, **kwargs)
load.check_text = counted
from salescrm.cli.app import main
sys.argv = ["salescrm", "deal", "show", "1"]
main()
"""


def test_deal_show_parses_the_databases_process_alone(tmp_path):
    """On a database bound to health-prime, `deal show` parses that file once, and not the default one
    too (a module that read the default's constants at import paid a second parse: about 4 ms)."""
    env = {**os.environ, "SALESCRM_DB": str(tmp_path / "hp.db"), "SALESCRM_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "salescrm", "demo", "--process", "health-prime"], env=env, check=True,
                   capture_output=True, timeout=120)
    p = subprocess.run([sys.executable, "-c", PARSES], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("# deal")
    assert [line for line in p.stderr.splitlines() if line.startswith("parsed ")] == ["parsed health-prime"]
