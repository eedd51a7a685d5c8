"""Prompting on a terminal (a scripted FakePrompter) versus scripts (no terminal, or --no-input)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ANA, BANT, ELENA, QUALIFIED, SANITAS, FakePrompter
from tests.helpers import ok

MISSING_DEAL_FIELDS = ("description (--description); amount (--amount); close date (--close-date); "
                       "deal class (--class); source (--source); owner (--owner)")
INTERRUPTED = "Interrupted; nothing was saved.\n"
MARTA_CHOICE = "Marta Ruiz <marta@sanitas.es> (id 1)"
NO_NEXT_STEP = ("text", "Next step", "")  # deal advance offers a next step on a terminal; empty: none


def deal_row(db, deal_id=1):
    return db.query("SELECT stage, amount_cents, version FROM deal WHERE id = ?", deal_id)[0]


def gate_values(db, deal_id=1):
    return dict(db.query("SELECT key, value FROM gate_value WHERE deal_id = ?", deal_id))


def second_contact(cli) -> None:
    """A second contact at Sanitas, so that the decision maker is asked rather than the only one chosen."""
    ok(cli("contact", "add", "--first-name", "Pablo", "--last-name", "Gil", "--job-title", "CIO",
           "--company", "Sanitas Hospitales", "--email", "pablo@sanitas.es"))


# --- no terminal: a missing value is exit 2 naming its option ------------------------------------


def test_deal_create_off_a_terminal_names_every_missing_option(seeded, sh, db):
    r = sh("deal", "create", "--company", "Sanitas Hospitales")
    assert r.exit_code == 2
    assert r.stderr == (
        f"Missing required values: {MISSING_DEAL_FIELDS}. Pass them as options, or run on a terminal to be asked.\n"
    )
    assert r.stdout == ""
    assert db.count("deal") == 1


def test_deal_create_with_nothing_off_a_terminal_names_the_company_too(cli, sh, db):
    r = sh("deal", "create")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Missing required values: company (--company); {MISSING_DEAL_FIELDS}.")
    assert db.count("deal") == 0


def test_no_input_never_prompts_even_with_a_prompter(seeded, db):
    p = FakePrompter([])
    r = seeded("--no-input", "deal", "create", "--company", "Sanitas Hospitales", prompter=p)
    assert r.exit_code == 2, r.stderr
    assert r.stderr == (
        f"Missing required values: {MISSING_DEAL_FIELDS}. Pass them as options, or run on a terminal to be asked.\n"
    )
    assert p.asked == []
    assert db.count("deal") == 1


@pytest.mark.parametrize(
    "args, missing",
    [
        (["company", "add", "DKV"], "country (--country); website (--website)"),
        (["company", "add", "--country", "ES", "--website", "dkv.es"], "company name (the NAME argument)"),
        (["contact", "add", "--first-name", "Luis"], "last name (--last-name); job title (--job-title)"),
        (["team", "add", "Luis Pérez"], "role (--role)"),
        (["deal", "lose", "1"], "lost reason category (--category); lost reason details (--reason)"),
        (["deal", "lose", "1", "--category", "Bad timing"], "lost reason details (--reason)"),
    ],
)
def test_no_input_names_the_missing_options(seeded, db, args, missing):
    before = {t: db.count(t) for t in ("company", "contact", "team_member")}
    p = FakePrompter([])
    r = seeded("--no-input", *args, prompter=p)
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith("Missing required value")
    how = "Give it on the command line" if "argument" in missing else "Pass "
    assert f": {missing}. {how}" in r.stderr
    assert p.asked == []
    assert {t: db.count(t) for t in before} == before


def _open_task_labels(cli) -> list[str]:
    import json

    return [f"{t['id']}: {t['title']}" + (f" (due {t['due'][:10]})" if t.get("due") else "")
            for t in json.loads(cli("task", "list", "--json").stdout)]


ONE_ARGUMENT = "Give it on the command line, or run on a terminal to be asked.\n"


@pytest.mark.parametrize("args, missing", [
    (["deal", "show"], "deal (the DEAL argument)"),
    (["deal", "advance"], "deal (the DEAL argument)"),
    (["deal", "lose", "--category", "Bad timing", "--reason", "r"], "deal (the DEAL argument)"),
    (["deal", "edit", "--amount", "5"], "deal (the DEAL argument)"),
    (["company", "show"], "company (the COMPANY argument)"),
    (["company", "edit", "--website", "dkv.es"], "company (the COMPANY argument)"),
    (["company", "set-status", "Sanitas"], "lead status (the STATUS argument)"),
    (["contact", "show"], "contact (the CONTACT argument)"),
    (["contact", "edit", "--phone", "+34 600 000 001"], "contact (the CONTACT argument)"),
    (["task", "done"], "task ids (the TASK_IDS argument)"),
    (["team", "set-login", "Ana"], "login (the LOGIN argument)"),
    (["db", "backup"], "file (the FILE argument)"),
    (["db", "restore"], "file (the FILE argument)"),
], ids=" ".join)
def test_a_left_out_argument_is_named_off_a_terminal(seeded, db, backend, args, missing):
    journal = db.count("journal")
    r = seeded("--no-input", *args, prompter=FakePrompter([]))
    if backend == "postgresql" and args == ["db", "restore"]:  # refused before any question: nothing to restore into
        assert (r.exit_code, r.stderr) == (1, "salescrm restores SQLite files only; restore a PostgreSQL database "
                                              "with pg_restore.\n")
        return
    assert (r.exit_code, r.stderr) == (2, f"Missing required value: {missing}. {ONE_ARGUMENT}")
    assert db.count("journal") == journal


def test_a_left_out_deal_is_chosen_with_completion_among_open_deals(seeded, db):
    p = FakePrompter([("autocomplete", "Deal", "Proof")])
    r = seeded("deal", "show", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert "Proof of Concept" in r.stdout
    assert [(a.kind, a.message) for a in p.asked] == [("autocomplete", "Deal")]
    assert p.completions["Deal"]("") == ["ES Sanitas Hospitales Proof of Concept"]


def test_a_lost_deal_is_not_offered_to_advance(seeded, db):
    ok = seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen")
    assert ok.exit_code == 0, ok.stderr
    r = seeded("deal", "advance", prompter=FakePrompter([]))
    assert (r.exit_code, r.stderr) == (1, "There is no open deal: create one with `salescrm deal create`.\n")


def test_left_out_arguments_are_asked_in_order(seeded, db):
    assert seeded("company", "add", "DKV Seguros", "--country", "ES", "--website", "dkv.es").exit_code == 0
    p = FakePrompter([("autocomplete", "Company", "DKV"), ("select", "Lead status", "Bad timing")])
    r = seeded("company", "set-status", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT lead_status FROM company WHERE name = 'DKV Seguros'") == [("Bad timing",)]


def test_left_out_task_ids_are_ticked_among_open_tasks(seeded, db):
    [(task_id, title)] = db.query("SELECT id, title FROM task WHERE done_at IS NULL ORDER BY id LIMIT 1")
    [label] = [c for c in _open_task_labels(seeded) if c.startswith(f"{task_id}: ")]
    p = FakePrompter([("checkbox", "Tasks done", [label])])
    r = seeded("task", "done", prompter=p)
    assert (r.exit_code, r.stdout) == (0, f"Done: task {task_id} {title}\n"), r.stderr
    assert db.query(f"SELECT done_at IS NOT NULL FROM task WHERE id = {task_id}") == [(1,)]
    assert deal_row(db)[0] == "Prospected"


def test_deal_lose_off_a_terminal_is_exit_2_and_keeps_the_deal(seeded, sh, db):
    r = sh("deal", "lose", "1")
    assert r.exit_code == 2
    assert "lost reason category (--category); lost reason details (--reason)" in r.stderr
    assert deal_row(db) == ("Prospected", 1200000, 1)


def test_deal_advance_off_a_terminal_names_the_gate_options(seeded, sh, db):
    r = sh("deal", "advance", "1")
    assert r.exit_code == 1
    assert r.stderr == (
        "Cannot move deal 1 into Qualified: Qualified needs segment_verified, decision_maker: "
        "--set segment_verified=… --set decision_maker=….\n"
    )
    assert deal_row(db)[0] == "Prospected"
    assert gate_values(db) == {}


# --- a terminal: the prompter asks --------------------------------------------------------------


def test_deal_create_asks_for_every_field(cli, db):
    for args in (ANA, ELENA, SANITAS):
        ok(cli(*args))
    p = FakePrompter([
        ("autocomplete", "Company", "Sanitas Hospitales"),
        ("text", "Brief description", "Proof of Concept"),
        ("text", "Amount", "12000"),
        ("text", "close date", "2027-03-31"),
        ("select", "Deal class", "Care provider inpatient private"),
        ("text", "originated", "LinkedIn outreach"),
    ])
    r = cli("deal", "create", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert p.said == ["Deal owner (JD-019 or JD-002): Ana García (the only one)"]  # one possible owner: chosen and said
    assert r.stdout == "Created deal 1: ES Sanitas Hospitales Proof of Concept (Prospected)\n"
    assert db.query("SELECT name, stage, amount_cents, CAST(close_date AS VARCHAR(10)), deal_class, source FROM deal") == [
        ("ES Sanitas Hospitales Proof of Concept", "Prospected", 1200000, "2027-03-31",
         "Care provider inpatient private", "LinkedIn outreach")
    ]
    assert db.query("SELECT t.name FROM deal d JOIN team_member t ON t.id = d.owner_id") == [("Ana García",)]


def test_deal_create_offers_only_deal_owners(cli):
    for args in (ANA, ELENA, SANITAS, ["team", "add", "Luis Romero", "--role", "JD-002"]):
        ok(cli(*args))
    seen = {}

    class Recording(FakePrompter):
        def select(self, message, choices, *, default=None):
            seen[message] = list(choices)
            return super().select(message, choices, default=default)

    p = Recording([("select", "Deal owner", "Ana García")])
    r = cli("deal", "create", "--company", "Sanitas Hospitales", "--description", "Pilot", "--amount", "1",
            "--close-date", "2027-01-01", "--class", "Insurance", "--source", "Event", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert seen == {"Deal owner (JD-019 or JD-002)": ["Ana García", "Luis Romero"]}


def test_company_add_asks_country_and_website(cli, db):
    p = FakePrompter([("autocomplete", "Country", "Spain"), ("text", "Website", "dkv.es")])
    r = cli("company", "add", "DKV", "--no-follow-up", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert [a.kind for a in p.asked] == ["autocomplete", "text"]
    assert r.stdout == "Added company 1: DKV (ES)\n"
    assert db.query("SELECT name, country, website FROM company") == [("DKV", "ES", "https://dkv.es")]


def test_company_add_prompt_rejects_what_the_option_rejects(cli, db):
    p = FakePrompter([("autocomplete", "Country", "Spian")])
    r = cli("company", "add", "DKV", "--no-follow-up", prompter=p)
    assert r.exit_code == 2
    assert r.stderr.startswith("Unknown country 'Spian': ")
    assert db.count("company") == 0


def test_deal_advance_asks_the_qualified_gate(seeded, db):
    second_contact(seeded)
    p = FakePrompter([("confirm", "Segment verified", True), ("autocomplete", "Decision maker", MARTA_CHOICE), NO_NEXT_STEP])
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert r.stdout.startswith("Deal 1 moved from Prospected to Qualified: ES Sanitas Hospitales Proof of Concept\n")
    assert deal_row(db)[0] == "Qualified"
    assert gate_values(db) == {"segment_verified": "yes", "decision_maker": "marta@sanitas.es"}


def test_deal_advance_answering_no_is_refused(seeded, db):
    """Issue 10: a no to a required yes stops at once, with the gate's rule (the decision maker is not asked)."""
    second_contact(seeded)
    p = FakePrompter([("confirm", "Segment verified", False)])
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.script == []
    assert r.exit_code == 1
    assert r.stderr == ("Cannot move deal 1 into Qualified: segment_verified is no, and Qualified needs segment_verified "
                        "yes and a decision_maker who is a contact of the deal's company.\n")
    assert deal_row(db)[0] == "Prospected"
    assert gate_values(db) == {}


def test_deal_advance_asks_only_what_was_not_given(seeded):
    second_contact(seeded)
    p = FakePrompter([("autocomplete", "Decision maker", "marta@sanitas.es"), NO_NEXT_STEP])
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert [a.kind for a in p.asked] == ["autocomplete", "text"]


def test_deal_advance_into_discovered_asks_bant_and_3_of_4_is_enough(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([
        ("text", "Budget", "Approved for 2027"),
        ("text", "Authority", "Head of service decides"),
        ("text", "Need", "Long waiting list"),
        ("text", "Timeline", ""),
        NO_NEXT_STEP,
    ])
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert deal_row(db)[0] == "Discovered"
    values = gate_values(db)
    assert values["budget"] == "Approved for 2027"
    assert values["need"] == "Long waiting list"
    assert "timeline" not in values


def test_deal_advance_into_discovered_with_2_of_4_is_refused(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([
        ("text", "Budget", "Approved for 2027"),
        ("text", "Authority", "no"),
        ("text", "Need", "Long waiting list"),
        ("text", "Timeline", "-"),
    ])
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 1
    assert "Discovered needs at least 3 of 4 BANT notes, 2 met" in r.stderr
    assert deal_row(db)[0] == "Qualified"
    assert "budget" not in gate_values(db)


def test_deal_lose_asks_category_and_reason(seeded, db):
    p = FakePrompter([("select", "Lost reason category", "Bad timing"), ("text", "Lost reason details", "Budget frozen")])
    r = seeded("deal", "lose", "1", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Deal 1 lost (Bad timing): Lost ES Sanitas Hospitales Proof of Concept\n"
    assert db.query("SELECT stage, lost_reason_category, lost_reason FROM deal") == [
        ("Lost", "Bad timing", "Budget frozen")
    ]


def test_deal_create_further_along_asks_each_gate(seeded, db):
    p = FakePrompter([
        ("confirm", "Segment verified", True),
        ("text", "Budget", "Approved"),
        ("text", "Authority", "Yes, the head of service"),
        ("text", "Need", "Waiting list"),
        ("text", "Timeline", "Q1"),
    ])
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Second", "--amount", "100",
               "--close-date", "2027-01-31", "--class", "Insurance", "--source", "Event", "--owner", "Ana García",
               "--stage", "discovered", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert deal_row(db, 2)[0] == "Discovered"
    assert len(gate_values(db, 2)) == 6
    assert [s.split(":")[0] for s in p.said] == ["Qualified", "Decision maker (a contact of the deal's company", "Discovered"]


# --- the SOP's reason at each gate ------------------------------------------------------------------


def test_gate_prompt_shows_the_reason_for_qualified(seeded):
    p = FakePrompter([("confirm", "Segment verified", True), NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert p.said == ["Qualified: Qualified sales opportunity: the company is in one of our segments and a decision "
                      "maker is identified.",
                      f"Decision maker (a contact of the deal's company: email or id): {MARTA_CHOICE} (the only one)"]


def test_gate_prompt_shows_the_reason_for_discovered(seeded):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([("text", "Budget", "a"), ("text", "Authority", "b"), ("text", "Need", "c"), ("text", "Timeline", "d"),
                      NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert len(p.said) == 1
    assert p.said[0].startswith("Discovered: ")
    assert "BANT" in p.said[0]
    assert "3 of 4" in p.said[0]


def test_gate_reason_is_not_said_when_no_gate_value_is_asked(seeded):
    p = FakePrompter([NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", *QUALIFIED, prompter=p))
    assert p.said == []
    assert [a.message for a in p.asked] == ["Next step for this deal"]


# --- Ctrl-C -----------------------------------------------------------------------------------------


def test_ctrl_c_at_a_gate_prompt_saves_nothing(seeded, db):
    before = deal_row(db)
    second_contact(seeded)
    p = FakePrompter([("confirm", "Segment verified", True), ("autocomplete", "Decision maker", KeyboardInterrupt())])
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 130
    assert r.stderr == INTERRUPTED
    assert r.stdout == ""
    assert deal_row(db) == before == ("Prospected", 1200000, 1)
    assert gate_values(db) == {}


def test_ctrl_c_in_company_add_adds_nothing(seeded, db):
    p = FakePrompter([("autocomplete", "Country", "Spain"), ("text", "Website", KeyboardInterrupt())])
    r = seeded("company", "add", "DKV", prompter=p)
    assert r.exit_code == 130
    assert "nothing was saved" in r.stderr
    assert db.query("SELECT name FROM company") == [("Sanitas Hospitales",)]


def test_ctrl_c_in_deal_create_creates_nothing(seeded, db):
    p = FakePrompter([("autocomplete", "Company", "Sanitas Hospitales"), ("text", "Brief description", KeyboardInterrupt())])
    r = seeded("deal", "create", prompter=p)
    assert r.exit_code == 130
    assert r.stderr == INTERRUPTED
    assert db.count("deal") == 1


def test_ctrl_c_in_deal_lose_keeps_the_deal_open(seeded, db):
    p = FakePrompter([("select", "Lost reason category", "Bad timing"), ("text", "Lost reason details", KeyboardInterrupt())])
    r = seeded("deal", "lose", "1", prompter=p)
    assert r.exit_code == 130
    assert r.stderr == INTERRUPTED
    assert db.query("SELECT stage, name, lost_reason_category FROM deal") == [
        ("Prospected", "ES Sanitas Hospitales Proof of Concept", None)
    ]
    assert db.query("SELECT lead_status FROM company") == [("Open deal",)]


# --- a record changed by someone else while the person was answering -----------------------------


def other_process(*args):
    """Another rep's salescrm, on the same database (SALESCRM_DB is inherited)."""
    p = subprocess.run([sys.executable, "-m", "salescrm", *args], capture_output=True, text=True,
                       env=dict(os.environ), timeout=60)
    assert p.returncode == 0, p.stderr
    return p


class MeddlingPrompter(FakePrompter):
    """A FakePrompter that, just before answering its last question, lets another process change the data."""

    def __init__(self, script, meddle):
        super().__init__(script)
        self.meddle = meddle
        self.meddled = False

    def _answer(self, kind, message, validate=None):
        if len(self.script) == 1 and not self.meddled:
            self.meddled = True
            self.meddle()
        return super()._answer(kind, message, validate)


def test_deal_edited_meanwhile_is_refused(seeded, db):
    p = MeddlingPrompter(
        [("confirm", "Segment verified", True), NO_NEXT_STEP],
        lambda: other_process("deal", "edit", "1", "--amount", "999"),
    )
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.meddled and p.script == []
    assert r.exit_code == 1, r.stderr
    assert r.stderr == (
        "Deal 1 was changed by someone else while you were answering; nothing was saved. "
        "Run the command again to see the current values.\n"
    )
    stage, amount_cents, _ = deal_row(db)
    assert (stage, amount_cents) == ("Prospected", 99900)
    assert gate_values(db) == {}


def test_deal_advanced_meanwhile_is_refused(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = MeddlingPrompter(
        [("text", "Budget", "Mine"), ("text", "Authority", "Mine"), ("text", "Need", "Mine"), ("text", "Timeline", "Mine"),
         NO_NEXT_STEP],
        lambda: other_process("deal", "advance", "1", *BANT),
    )
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.meddled
    assert r.exit_code == 1, r.stderr
    assert "was moved to Discovered by someone else" in r.stderr
    assert "nothing was saved" in r.stderr
    assert deal_row(db)[0] == "Discovered"
    values = gate_values(db)
    assert values["budget"] == "Approved for 2027"
    assert "Mine" not in values.values()
    assert db.query("SELECT from_stage, to_stage FROM stage_change WHERE deal_id = 1 ORDER BY id") == [
        (None, "Prospected"), ("Prospected", "Qualified"), ("Qualified", "Discovered")
    ]


def test_deal_lost_meanwhile_is_refused(seeded, db):
    p = MeddlingPrompter(
        [("select", "Lost reason category", "No budget"), ("text", "Lost reason details", "Mine")],
        lambda: other_process("deal", "edit", "1", "--close-date", "2027-12-31"),
    )
    r = seeded("deal", "lose", "1", prompter=p)
    assert r.exit_code == 1, r.stderr
    assert "changed by someone else" in r.stderr
    assert "nothing was saved" in r.stderr
    assert db.query("SELECT stage, CAST(close_date AS VARCHAR(10)), lost_reason FROM deal") == [("Prospected", "2027-12-31", None)]


# --- every value a command needs is asked for, never missed after the questions -----------------------


MARTA_LABEL = "Marta Ruiz <marta@sanitas.es>"


def test_activity_log_asks_what_it_is_about_with_completion(seeded, db):
    p = FakePrompter([
        ("select", "What is it about?", "a company"),
        ("autocomplete", "Which company", "sanitas"),  # a unique part of the name
        ("select", "Type", "call"),
        ("select", "Who initiated it?", "outbound"),
        ("text", "Summary", "Intro call"),
    ])
    r = seeded("activity", "log", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert r.stdout == "Logged activity 1: call outbound on company Sanitas Hospitales\n"
    assert db.query("SELECT company_id, contact_id, deal_id, summary FROM activity") == [(1, None, None, "Intro call")]
    assert p.completions["Which company"]("hosp") == ["Sanitas Hospitales"]


def test_activity_log_prompt_refuses_an_unknown_or_ambiguous_record(seeded, db):
    ok(seeded("company", "add", "Clínica Vidal", "--country", "ES", "--website", "vidal.es", "--no-follow-up"))
    for typed, message in (("Quirón", "No company named 'Quirón': type a part of the name and pick one of the completions (Tab)."),
                           ("a", "'a' matches 2 companies: Clínica Vidal; Sanitas Hospitales. Type more of the name.")):
        p = FakePrompter([("select", "What is it about?", "a company"), ("autocomplete", "Which company", typed)])
        r = seeded("activity", "log", prompter=p)
        assert (r.exit_code, r.stderr) == (2, message + "\n")
    assert db.count("activity") == 0


def test_activity_log_on_a_contact_of_two_companies_asks_which_one(seeded, db):
    ok(seeded("company", "add", "Clínica Vidal", "--country", "ES", "--website", "vidal.es", "--no-follow-up"))
    ok(seeded("contact", "edit", "marta@sanitas.es", "--add-company", "Clínica Vidal"))
    p = FakePrompter([
        ("select", "What is it about?", "a contact"),
        ("autocomplete", "Which contact", "marta"),
        ("select", "With which of their companies?", "Clínica Vidal"),
        ("select", "Type", "note"),
        ("text", "Summary", "Met at the congress"),
    ])
    r = seeded("activity", "log", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT contact_id, company_id, type FROM activity") == [(1, 2, "note")]


def test_activity_log_off_a_terminal_names_the_link_options_with_the_others(seeded, sh, db):
    r = sh("activity", "log", "--summary", "x")
    assert r.exit_code == 2
    assert r.stderr == ("Missing required values: what it is about (--contact, --company or --deal); activity type (--type). "
                        "Pass them as options, or run on a terminal to be asked.\n")
    assert db.count("activity") == 0


@pytest.mark.parametrize("channel, script, stored", [
    ("phone", [("text", "Phone", "600 111 222")], ("+34600111222", None)),
    ("web-form", [("text", "Email", "luis@vidal.es")], (None, "luis@vidal.es")),
    ("email", [("text", "Email", ""), ("text", "Phone", "+34 600 111 222")], ("+34600111222", None)),
], ids=["phone", "web-form", "email-left-empty"])
def test_lead_add_asks_for_a_phone_or_an_email_by_channel(seeded, db, channel, script, stored):
    p = FakePrompter([("text", "First name", "Luis"), ("text", "Last name", "Vidal"), ("select", "Channel", channel), *script])
    r = seeded("lead", "add", "--company", "Sanitas Hospitales", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert db.query("SELECT phone, email FROM contact WHERE last_name = 'Vidal'") == [stored]


def test_lead_add_prompt_checks_the_phone_as_the_option_is_checked(cli, db):
    p = FakePrompter([("text", "Phone", "+34 12")])
    r = cli("lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--channel", "phone", prompter=p)
    assert r.exit_code == 2
    assert r.stderr.startswith("Phone '+34 12' is not")
    assert db.count("contact") == 0


def test_contact_add_asks_company_email_and_phone(seeded, db):
    p = FakePrompter([
        ("text", "First name", "Luis"), ("text", "Last name", "Pardo"), ("text", "Job title", "Medical Director"),
        ("autocomplete", "Company", "hosp"),
        ("text", "Email", "luis@sanitas.es"),
        ("text", "Phone", "600 111 222"),  # a national number, read with the chosen company's country (ES)
    ])
    r = seeded("contact", "add", "--no-follow-up", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert db.query("SELECT email, phone FROM contact WHERE id = 2") == [("luis@sanitas.es", "+34600111222")]
    assert db.query("SELECT company_id FROM contact_company WHERE contact_id = 2") == [(1,)]


def test_contact_add_company_email_and_phone_may_be_skipped(seeded, db):
    p = FakePrompter([("text", "Job title", "Nurse"), ("autocomplete", "Company", ""), ("text", "Email", ""), ("text", "Phone", "")])
    r = seeded("contact", "add", "--first-name", "Eva", "--last-name", "Soto", "--no-follow-up", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT email, phone FROM contact WHERE id = 2") == [(None, None)]
    assert db.count("contact_company", "contact_id = 2") == 0


def test_a_command_given_every_required_value_asks_nothing(seeded, db):
    p = FakePrompter([])
    r = seeded("contact", "add", "--first-name", "Eva", "--last-name", "Soto", "--job-title", "Nurse", "--no-follow-up", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.asked == []


def test_deal_create_asks_for_its_contacts_none_ticked(seeded, db):
    ok(seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "Director", "--company", "1",
              "--no-follow-up"))
    p = FakePrompter([("text", "Brief description", "Pilot"), ("checkbox", "Contacts on this deal", [MARTA_LABEL])])
    r = seeded("deal", "create", "--company", "sanitas", "--amount", "1", "--close-date", "2027-01-31", "--class", "Insurance",
               "--source", "Event", "--owner", "Ana García", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert p.ticked == {"Contacts on this deal (none is fine)": []}
    assert db.query("SELECT contact_id FROM deal_contact WHERE deal_id = 2") == [(1,)]


def test_deal_create_contacts_may_be_left_empty(seeded, db):
    p = FakePrompter([("text", "Brief description", "Pilot"), ("checkbox", "Contacts on this deal", [])])
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--amount", "1", "--close-date", "2027-01-31",
               "--class", "Insurance", "--source", "Event", "--owner", "Ana García", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.count("deal_contact", "deal_id = 2") == 0


def test_team_add_asks_name_role_and_an_optional_login(cli, db):
    p = FakePrompter([("text", "Full name", "Luis Pérez"), ("select", "Role", "JD-019 Business Development"),
                      ("text", "Login", "luis")])
    r = cli("team", "add", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert db.query("SELECT name, role, login FROM team_member") == [("Luis Pérez", "JD-019", "luis")]
    p = FakePrompter([("select", "Role", "JD-001 General Manager"), ("text", "Login", "")])
    ok(cli("team", "add", "Elena Ortiz", prompter=p))
    assert db.query("SELECT login FROM team_member WHERE name = 'Elena Ortiz'") == [(None,)]


def test_follow_up_for_someone_who_is_no_member_says_how_to_link_the_login(cli, monkeypatch):
    monkeypatch.setenv("SALESCRM_USER", "ana")
    r = ok(cli(*SANITAS))
    assert r.stdout.splitlines()[1].endswith(
        " (for ana, who is not a team member: `salescrm team set-login NAME ana`)")


def test_audit_survey_starts_with_no_report_ticked(cli, db):
    p = FakePrompter([*(("select", "On a scale of 1-7", "4") for _ in range(4)),
                      ("checkbox", "regular reports", [])])
    r = cli("audit", "survey", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert list(p.ticked.values()) == [[]]
    assert r.stdout.startswith("Score 16 of 33")  # 4 x 4, and no point for a report nobody ticked


def test_country_prompt_puts_the_country_of_a_typed_code_first(cli):
    p = FakePrompter([("autocomplete", "Country", "ES"), ("text", "Website", "dkv.es")])
    ok(cli("company", "add", "DKV", "--no-follow-up", prompter=p))
    offer = p.completions["Country (of the legal entity that contracts)"]
    assert offer("ES")[0] == "Spain"
    assert offer("deu")[0] == "Germany"
    assert offer("uk")[0] == "United Kingdom"
    assert offer("Españ")[0] == "Spain"  # a local name
    assert "Estonia" in offer("es")  # then the names that contain what was typed


def test_no_question_may_follow_the_write(cli):
    from salescrm.cli.runtime import Runtime

    rt = Runtime(prompter=FakePrompter([]))
    with rt.writing():
        pass
    with pytest.raises(RuntimeError, match="a prompt after the write transaction began"):
        rt.ask()


# --- the real prompter, on prompt_toolkit's pipe input -----------------------------------------


@pytest.fixture
def keys():
    """Type into the real QuestionaryPrompter: keys("text") feeds prompt_toolkit's pipe input."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe.send_text


def real_prompter():
    from salescrm.cli.prompts import QuestionaryPrompter

    return QuestionaryPrompter()


@pytest.mark.no_database
@pytest.mark.parametrize("ask", [
    lambda p: p.text("Summary"),
    lambda p: p.autocomplete("Company", ["Sanitas Hospitales"]),
    lambda p: p.select("Type", ["call", "email"]),
    lambda p: p.confirm("Segment verified?"),
    lambda p: p.checkbox("Reports", ["cycle", "pipeline"]),
], ids=["text", "autocomplete", "select", "confirm", "checkbox"])
def test_ctrl_d_interrupts_every_kind_of_prompt(keys, ask):
    keys("\x04")
    with pytest.raises(KeyboardInterrupt):
        ask(real_prompter())


@pytest.mark.no_database
def test_the_country_completer_offers_the_country_of_a_code_first():
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from salescrm.cli.prompts import _ranked_completer
    from salescrm.domain.countries import country_candidates

    completions = list(_ranked_completer(country_candidates).get_completions(Document("ES"), CompleteEvent()))
    assert completions[0].text == "Spain"
    assert "Estonia" in [c.text for c in completions]  # then the names that begin with or contain ES
    assert completions[0].start_position == -2  # the completion replaces what was typed


def test_deal_create_with_no_company_yet_says_so_before_asking_more(cli, db):
    ok(cli(*ANA))
    p = FakePrompter([])
    r = cli("deal", "create", prompter=p)
    assert (r.exit_code, r.stderr) == (1, "There is no company yet: add one with `salescrm company add`.\n")
    assert p.asked == []


def test_lead_add_prompt_refuses_a_phone_the_lead_would_refuse(cli, db):
    """A national number with no company country to read it by is refused at the prompt, not after it."""
    p = FakePrompter([("text", "Phone", "611 222 333")])
    r = cli("lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--channel", "phone", "--company", "Clínica Vidal",
            prompter=p)
    assert r.exit_code == 2
    assert r.stderr.startswith("Phone '611 222 333' is not a phone number")
    p = FakePrompter([("text", "Phone", "611 222 333")])
    r = cli("lead", "add", "--first-name", "Luis", "--last-name", "Vidal", "--channel", "phone", "--company", "Clínica Vidal",
            "--country", "ES", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT phone FROM contact") == [("+34611222333",)]


def test_two_contacts_of_one_name_are_told_apart_by_their_id(seeded, db):
    for _ in range(2):
        ok(seeded("contact", "add", "--first-name", "Luis", "--last-name", "Ruiz", "--job-title", "Nurse", "--company", "1",
                  "--no-follow-up"))
    p = FakePrompter([("text", "Brief description", "Pilot"), ("checkbox", "Contacts on this deal", ["Luis Ruiz (id 3)"])])
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--amount", "1", "--close-date", "2027-01-31",
               "--class", "Insurance", "--source", "Event", "--owner", "Ana García", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT contact_id FROM deal_contact WHERE deal_id = 2") == [(3,)]
