"""Output a script can use: `--json` on every write command, `# name` lines between the tables of a
piped output, `--limit 0`; and the tables' fitting to a terminal's width by column kind."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ANA, DEAL, MARTA, SANITAS
from tests.helpers import ok


def as_json(run) -> object:
    return json.loads(ok(run).stdout)


def shown(cli, kind: str, ref: str) -> dict:
    """`KIND show REF --json` without its timeline: the shape a write command's --json prints."""
    obj = as_json(cli(kind, "show", ref, "--json"))
    obj.pop("timeline")
    return obj


# --- --json on every write command -------------------------------------------------------------


def test_team_add_and_set_login_print_the_member(cli):
    member = as_json(cli(*ANA, "--json"))
    assert member == {"id": 1, "name": "Ana García", "role": "JD-019", "title": "Business Development", "login": None}
    member = as_json(cli("team", "set-login", "Ana García", "ana", "--json"))
    assert member == {**member, "login": "ana"}
    assert as_json(cli("team", "list", "--json")) == [member]


def test_company_writes_print_the_company_in_its_show_shape(cli):
    added = as_json(cli(*SANITAS, "--json"))
    follow_up = added.pop("follow_up")
    assert added == shown(cli, "company", "1")
    assert (follow_up["title"], follow_up["company"]) == ("Call Sanitas Hospitales", {"id": 1, "name": "Sanitas Hospitales"})
    edited = as_json(cli("company", "edit", "1", "--legal-name", "Sanitas, S.A. de Hospitales", "--json"))
    assert edited == shown(cli, "company", "1") and edited["legal_name"] == "Sanitas, S.A. de Hospitales"
    status = as_json(cli("company", "set-status", "1", "Bad timing", "--json"))
    assert status == shown(cli, "company", "1") and status["lead_status"] == "Bad timing"
    assert as_json(cli("company", "add", "DKV", "--country", "ES", "--website", "dkv.es", "--no-follow-up",
                       "--json"))["follow_up"] is None


def test_contact_writes_print_the_contact_in_its_show_shape(cli):
    ok(cli(*SANITAS))
    added = as_json(cli(*MARTA, "--json"))
    assert added.pop("follow_up") is None  # the company's call is still open
    assert added == shown(cli, "contact", "1")
    edited = as_json(cli("contact", "edit", "1", "--job-title", "Medical Director", "--json"))
    assert edited == shown(cli, "contact", "1") and edited["job_title"] == "Medical Director"


def test_deal_edit_and_lose_print_the_deal_in_its_show_shape(seeded):
    edited = as_json(seeded("deal", "edit", "1", "--amount", "15000", "--json"))
    assert edited == shown(seeded, "deal", "1") and edited["amount"] == 15000
    ok(seeded("task", "add", "Send the pricing", "--deal", "1", "--due", "2099-01-15"))
    lost = as_json(seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen", "--json"))
    closed = lost.pop("closed_tasks")
    assert [(t["title"], t["done"], t["closed_as"]) for t in closed] == [("Send the pricing", True, "deal lost")]
    assert lost == shown(seeded, "deal", "1") and lost["stage"] == "Lost"


def test_task_done_prints_an_array_of_the_tasks(seeded):
    ok(seeded("task", "add", "Send the pricing", "--deal", "1", "--due", "2099-01-15"))
    done = as_json(seeded("task", "done", "1", "2", "--json"))
    assert [(t["id"], t["done"]) for t in done] == [(1, True), (2, True)]
    listed = {t["id"]: t for t in as_json(seeded("task", "list", "--all", "--json"))}
    assert done == [listed[1], listed[2]]


def test_audit_fix_prints_the_renamed_deals(seeded, db):
    with db.engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(sa.text("UPDATE deal SET name = 'ES Sanitas Proof of Concept' WHERE id = 1"))
    r = seeded("audit", "fix", "--yes", "--json")
    assert r.exit_code == 0, r.stderr
    renamed = json.loads(r.stdout)
    assert [d["name"] for d in renamed] == ["ES Sanitas Hospitales Proof of Concept"]
    assert renamed == [shown(seeded, "deal", "1")]
    assert r.stderr == "Deal 1: 'ES Sanitas Proof of Concept' -> 'ES Sanitas Hospitales Proof of Concept'\n"
    assert as_json(seeded("audit", "fix", "--yes", "--json")) == []


# --- --limit 0 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["deal", "list"], ["company", "list"], ["contact", "list"], ["task", "list"],
                                  ["activity", "list"]])
def test_limit_0_means_no_limit(seeded, args):
    ok(seeded("company", "add", "DKV", "--country", "ES", "--website", "dkv.es"))
    ok(seeded("contact", "add", "--first-name", "Eva", "--last-name", "Gil", "--job-title", "CMO", "--company", "DKV"))
    ok(seeded("deal", "create", *DEAL[2:4], "--description", "Pilot", *DEAL[6:]))
    ok(seeded("activity", "log", "--company", "DKV", "--type", "note", "--summary", "one"))
    ok(seeded("activity", "log", "--company", "DKV", "--type", "note", "--summary", "two"))
    everything = as_json(seeded(*args, "--json"))
    assert len(everything) >= 2
    assert as_json(seeded(*args, "--limit", "0", "--json")) == everything
    assert len(as_json(seeded(*args, "--limit", "1", "--json"))) == 1


# --- # name lines in a pipe ---------------------------------------------------------------------


def sections(run) -> list[str]:
    return [line for line in ok(run).stdout.splitlines() if line.startswith("# ")]


def test_each_table_of_a_piped_show_follows_its_name(seeded):
    ok(seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=marta@sanitas.es"))
    assert sections(seeded("deal", "show", "1")) == ["# deal", "# gates", "# timeline"]
    assert sections(seeded("company", "show", "Sanitas Hospitales")) == ["# company", "# contacts", "# deals", "# timeline"]
    assert sections(seeded("contact", "show", "marta@sanitas.es")) == ["# contact", "# deals", "# timeline"]
    lines = ok(seeded("deal", "show", "1")).stdout.splitlines()
    assert lines[0] == "# deal" and lines[1].startswith("Deal\tES Sanitas Hospitales Proof of Concept (id 1)")
    gates = lines.index("# gates")
    assert lines[gates - 1].startswith("Contacts\t") and lines[gates + 1] == "segment_verified\tyes"


def test_the_piped_audit_names_its_three_tables(seeded):
    r = seeded("audit")
    assert sections(r) == ["# summary", "# owners", "# findings"]
    lines = r.stdout.splitlines()
    assert lines[lines.index("# summary") + 1] == "deal-name\terror\t0"
    assert lines[lines.index("# findings") + 1].startswith("warning\tno-next-step\tAna García\tDeal 1 ")
    assert lines[lines.index("# findings") + 1].endswith("\tsalescrm task add TITLE --deal 1 --due YYYY-MM-DD")


def test_a_single_table_has_no_name_line(seeded):
    assert sections(seeded("deal", "list")) == []
    assert sections(seeded("pipeline", "show")) == []
    assert sections(seeded("journal", "show")) == []


# --- tables at a terminal's width ----------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch, capsys):
    """output.table as on a terminal of 80 columns; returns the lines it drew."""
    from salescrm.cli import output

    monkeypatch.setattr(output, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")

    def draw(*args, **kwargs) -> list[str]:
        output.table(*args, **kwargs)
        return capsys.readouterr().out.splitlines()

    return draw


@pytest.mark.no_database
def test_whole_kinds_are_never_shortened_and_names_end_in_an_ellipsis(terminal):
    from salescrm.cli import output

    email = "maximiliana.fuente@vlhgroup.example"
    name = "ES Very Long Hospital Group Name International Foundation Enterprise-wide teledermatology rollout"
    lines = terminal([("ID", output.ID), ("Name", output.NAME), ("Email", output.EMAIL), ("Amount", output.AMOUNT),
                      ("Close date", output.DATE)],
                     [(12345, name, email, "1,234,567.50", "2027-06-30")])
    assert max(len(line) for line in lines) <= 80 and len(lines) == 3
    row = lines[2]
    for whole in ("12345", email, "1,234,567.50", "2027-06-30"):
        assert whole in row
    assert row == "12345  ES Very L…  maximiliana.fuente@vlhgroup.example  1,234,567.50  2027-06-30"


@pytest.mark.no_database
def test_a_label_wraps_between_words(terminal):
    from salescrm.cli import output

    lines = terminal([("ID", output.ID), ("Name", output.NAME), "Stage"],
                     [(1, "x" * 100, "Implementation Defined")], )
    assert max(len(line) for line in lines) <= 80
    assert lines[2].endswith("Implementation Defined")  # room enough: the name gives way
    lines = terminal([("Email", output.EMAIL), "Stage"], [("e" * 50 + "@example.com", "Implementation Defined")])
    assert max(len(line) for line in lines) <= 80
    assert lines[2].rstrip().endswith("  Implementation") and lines[3].strip() == "Defined"


@pytest.mark.no_database
def test_a_text_wraps_between_words(terminal):
    from salescrm.cli import output

    summary = "A long summary of the call about the waiting list figures, the budget for 2027 and the integration " * 2
    lines = terminal([("ID", output.ID), ("When", output.TIME), ("Summary", output.TEXT)],
                     [(1, "2026-11-30 14:02", summary.strip())])
    assert max(len(line) for line in lines) <= 80
    words = " ".join(line[len("1   2026-11-30 14:02  "):].strip() for line in lines[2:]).split()
    assert words == summary.split()


@pytest.mark.no_database
def test_a_table_that_fits_is_not_changed(terminal):
    lines = terminal(["ID", "Name"], [(1, "Ana García")])
    assert lines == ["ID  Name      ", "──────────────", "1   Ana García"]
