"""Prompts at a stage gate (issue 10): every value the gate needs is asked or has a default, a required yes
has no default and a no stops at once, one possible answer is chosen and said, the quotation template
defaults by deal class, gate dates start at the deal's creation day, a refused gate prints the command
that passes the same answers, and a final stage takes no next step."""

from __future__ import annotations

import pytest

from tests.conftest import ANA, BANT, ELENA, MARTA, QUALIFIED, SANITAS, FakePrompter
from tests.helpers import gate_day, ok, show, today, walk_to, yesterday
from tests.test_prompts import NO_NEXT_STEP, deal_row, gate_values, second_contact

RETRY = "To retry without typing them again: "


class Recording(FakePrompter):
    """A FakePrompter that keeps the default and the choices each question offered."""

    def __init__(self, script):
        super().__init__(script)
        self.defaults: dict[str, object] = {}
        self.choices: dict[str, list[str]] = {}

    def confirm(self, message, *, default=False):
        self.defaults[message] = default
        return super().confirm(message, default=default)

    def select(self, message, choices, *, default=None):
        self.defaults[message], self.choices[message] = default, list(choices)
        return super().select(message, choices, default=default)

    def text(self, message, *, validate=None, instruction=None, default=""):
        self.defaults[message] = default
        return super().text(message, validate=validate, instruction=instruction, default=default)


# --- a required yes -------------------------------------------------------------------------------


def test_a_required_yes_has_no_default(seeded):
    p = Recording([("confirm", "Segment verified", True), NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    [(message, default)] = [(m, d) for m, d in p.defaults.items() if m.startswith("Segment verified")]
    assert default is None


def test_the_terminal_yes_no_prompt_takes_no_answer_from_enter_alone():
    """QuestionaryPrompter.confirm(default=None): Enter alone is refused; y answers yes."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from salescrm.cli.prompts import QuestionaryPrompter

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("\r")  # refused: no default
        pipe.send_text("y\r")
        assert QuestionaryPrompter().confirm("Segment verified?", default=None) is True
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("\rno\r")
        assert QuestionaryPrompter().confirm("Segment verified?", default=None) is False


def test_a_no_to_the_healthcare_provider_clause_stops_before_the_signer(seeded, db):
    walk_to(seeded, "Offer Approved")
    ok(seeded("team", "add", "Marc Puig", "--role", "JD-001"))
    day = gate_day()
    p = FakePrompter([("text", "Date the contract was signed", day), ("confirm", "healthcare-provider clause", False)])
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.script == []
    assert r.exit_code == 1
    assert r.stderr == (
        "Cannot move deal 1 into Contract Signed: healthcare_provider_clause is no, and Contract Signed needs the "
        "signature date, the healthcare-provider clause (yes) and a JD-001 signer.\n"
        f"{RETRY}salescrm deal advance 1 --set contract_signed_on={day}\n"
    )
    assert show(seeded)["stage"] == "Offer Approved"


# --- the retry line ---------------------------------------------------------------------------------


def test_a_refused_gate_prints_the_command_that_passes_the_same_answers(seeded, db):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([
        ("text", "Budget", "Approved for 2027"),
        ("text", "Authority", "no"),
        ("text", "Need", "Long waiting list"),
        ("text", "Timeline", "-"),
    ])
    r = seeded("deal", "advance", "1", "--to", "discovered", "--reason", "Call of today", prompter=p)
    assert r.exit_code == 1
    assert r.stderr == (
        "Cannot move deal 1 into Discovered: Discovered needs at least 3 of 4 BANT notes, 2 met; add --set authority=… "
        "--set timeline=….\n"
        f"{RETRY}salescrm deal advance 1 --to discovered --reason 'Call of today' --set 'budget=Approved for 2027' "
        "--set 'need=Long waiting list'\n"
    )
    assert deal_row(db)[0] == "Qualified"
    assert "budget" not in gate_values(db)


def test_the_retry_line_passes_the_answers(seeded, db):
    """Run as printed, with the missing note added, the retry line moves the deal with the first answers."""
    import shlex

    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([("text", "Budget", "Approved for 2027"), ("text", "Authority", ""), ("text", "Need", "Long list"),
                      ("text", "Timeline", "")])
    r = seeded("deal", "advance", "1", prompter=p)
    line = r.stderr.splitlines()[-1].removeprefix(RETRY)
    args = shlex.split(line)[1:] + ["--set", "timeline=Before summer"]
    ok(seeded(*args))
    assert {k: v for k, v in gate_values(db).items() if k in ("budget", "need", "timeline")} == {
        "budget": "Approved for 2027", "need": "Long list", "timeline": "Before summer"}


def test_bant_stops_asking_once_3_of_4_cannot_be_met(seeded):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    p = FakePrompter([("text", "Budget", ""), ("text", "Authority", "none")])
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.script == []  # Need and Timeline are not asked
    assert r.exit_code == 1
    assert "Discovered needs at least 3 of 4 BANT notes, 0 met" in r.stderr
    assert RETRY not in r.stderr  # nothing that counts was typed


def test_a_refused_deal_create_further_along_prints_its_retry_line(seeded, db):
    p = FakePrompter([("text", "Brief description", "Second"), ("checkbox", "Contacts on this deal", ["Marta Ruiz <marta@sanitas.es>"]),
                      ("confirm", "Segment verified", True),
                      ("text", "Budget", "Approved"), ("text", "Authority", ""), ("text", "Need", "")])
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--amount", "100", "--close-date", "2027-01-31",
               "--class", "Insurance", "--source", "Event", "--owner", "Ana García", "--stage", "discovered", prompter=p)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == (
        f"{RETRY}salescrm deal create --company 'Sanitas Hospitales' --amount 100 --close-date 2027-01-31 --class "
        "Insurance --source Event --owner 'Ana García' --stage discovered --description Second --contact 1 "
        "--set segment_verified=yes --set decision_maker=marta@sanitas.es --set budget=Approved"
    )
    assert db.count("deal") == 1


# --- one possible answer, the template default, dates -------------------------------------------------


def test_the_only_signer_is_chosen_and_said(seeded, db):
    walk_to(seeded, "Offer Approved")
    p = FakePrompter([("text", "Date the contract was signed", gate_day()), ("confirm", "healthcare-provider clause", True),
                      NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert p.script == []
    assert "Signed by (a team member with role JD-001): Elena Ortiz (JD-001) (the only one)" in p.said
    assert gate_values(db)["signed_by"] == "Elena Ortiz"


def test_several_signers_are_a_select(seeded, db):
    walk_to(seeded, "Offer Approved")
    ok(seeded("team", "add", "Marc Puig", "--role", "JD-001"))
    p = Recording([("text", "Date the contract was signed", gate_day()), ("confirm", "healthcare-provider clause", True),
                   ("select", "Signed by", "Marc Puig (JD-001)"), NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert p.choices["Signed by (a team member with role JD-001)"] == ["Elena Ortiz (JD-001)", "Marc Puig (JD-001)"]
    assert gate_values(db)["signed_by"] == "Marc Puig"


@pytest.mark.parametrize("deal_class, default", [
    ("Care provider inpatient private", "T-009-002 Quotation for API"),
    ("Pharma clinical trials", "T-009-004 Quotation for Clinical Trials"),
])
def test_the_quotation_template_defaults_by_deal_class(seeded, db, deal_class, default):
    walk_to(seeded, "Implementation Defined")
    ok(seeded("deal", "edit", "1", "--class", deal_class))
    p = Recording([("select", "Quotation template", default), ("text", "Quotation reference", "Q-1"), NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert p.defaults["Quotation template"] == default
    assert gate_values(db)["quotation_template"] == default.split()[0]


def test_off_a_terminal_the_quotation_template_is_still_required(seeded, sh):
    walk_to(seeded, "Implementation Defined")
    ok(seeded("deal", "edit", "1", "--class", "Pharma clinical trials"))
    r = sh("deal", "advance", "1", "--set", "quotation_ref=Q-1")
    assert r.exit_code == 1
    assert r.stderr == ("Cannot move deal 1 into Offer Sent: Offer Sent needs quotation_template: "
                        "--set quotation_template=….\n")


def test_the_gate_date_prompt_defaults_to_today_and_refuses_a_day_before_the_deal(seeded):
    walk_to(seeded, "Offer Sent")
    p = Recording([("text", "Date the offer was approved", yesterday())])
    r = seeded("deal", "advance", "1", prompter=p)
    assert p.defaults["Date the offer was approved"] == today().isoformat()
    assert r.exit_code == 2
    assert f"Date the offer was approved {yesterday()} is before {today().isoformat()}, the day deal 1 was created" in r.stderr
    assert show(seeded)["stage"] == "Offer Sent"


# --- what no answer can meet is said before the first question ------------------------------------------


def test_a_company_without_contacts_is_refused_before_any_question(cli, db):
    for args in (ANA, ELENA, SANITAS):
        ok(cli(*args))
    ok(cli("deal", "create", "--company", "Sanitas Hospitales", "--description", "Pilot", "--amount", "1",
           "--close-date", "2027-01-01", "--class", "Insurance", "--source", "Event", "--owner", "Ana García"))
    p = FakePrompter([])  # any question fails the test
    r = cli("deal", "advance", "1", prompter=p)
    assert r.exit_code == 1
    assert r.stderr == ("Cannot move deal 1 into Qualified: Qualified needs a decision_maker who is a contact of Sanitas "
                        "Hospitales, which has none yet: add one with `salescrm contact add --company \"Sanitas "
                        "Hospitales\" ...`.\n")
    assert db.count("gate_value") == 0


def test_nobody_to_sign_is_refused_before_any_question(cli):
    for args in (ANA, SANITAS, MARTA):
        ok(cli(*args))
    ok(cli("deal", "create", "--company", "Sanitas Hospitales", "--description", "Pilot", "--amount", "1",
           "--close-date", "2027-01-01", "--class", "Insurance", "--source", "Event", "--owner", "Ana García"))
    walk_to(cli, "Offer Approved")
    r = cli("deal", "advance", "1", prompter=FakePrompter([]))
    assert r.exit_code == 1
    assert "Contract Signed needs signed_by, a team member with role JD-001 (General Manager), and there is none" in r.stderr


def test_a_recorded_value_is_not_asked_again(seeded):
    second_contact(seeded)
    ok(seeded("deal", "edit", "1", "--set", "decision_maker=pablo@sanitas.es", "--set", "budget=Approved"))
    p = FakePrompter([("confirm", "Segment verified", True), NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert show(seeded)["gates"]["decision_maker"] == "pablo@sanitas.es"
    p = FakePrompter([("text", "Authority", "Head of service"), ("text", "Need", "Waiting list"), ("text", "Timeline", ""),
                      NO_NEXT_STEP])
    ok(seeded("deal", "advance", "1", prompter=p))
    assert show(seeded)["stage"] == "Discovered"


# --- a final stage takes no next step -----------------------------------------------------------------------


def test_payment_done_asks_no_next_step(seeded):
    walk_to(seeded, "Contract Signed")
    p = FakePrompter([("text", "Date the payment was received", gate_day())])  # no "Next step" question follows
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 0, r.stderr
    assert p.script == []
    assert show(seeded)["stage"] == "Payment Done"


@pytest.mark.parametrize("option", [["--next-step", "Invoice"], ["--next-step", "Invoice", "--next-step-due", "1d"]])
def test_an_explicit_next_step_at_a_final_stage_is_invalid(seeded, db, option):
    walk_to(seeded, "Contract Signed")
    r = seeded("deal", "advance", "1", "--set", f"payment_received_on={gate_day()}", *option, prompter=FakePrompter([]))
    assert r.exit_code == 2
    assert r.stderr == ("Payment Done is final, so the deal takes no next step: remove --next-step (add a task with "
                        "`salescrm task add` if something is left to do).\n")
    assert show(seeded)["stage"] == "Contract Signed"
    assert db.count("task", "deal_id = 1") == 0


def test_an_explicit_next_step_at_a_final_stage_is_invalid_off_a_terminal_too(seeded, sh):
    walk_to(seeded, "Contract Signed")
    r = sh("deal", "advance", "1", "--set", f"payment_received_on={gate_day()}", "--next-step-due", "1d")
    assert r.exit_code == 2
    assert "remove --next-step-due" in r.stderr


def test_a_failing_value_given_as_an_option_is_said_before_any_question(seeded, db):
    ok(seeded("company", "add", "DKV", "--country", "ES", "--website", "https://dkv.es"))
    ok(seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "CMO", "--company", "DKV",
              "--email", "luis@dkv.es"))
    r = seeded("deal", "advance", "1", "--set", "decision_maker=luis@dkv.es", prompter=FakePrompter([]))
    assert r.exit_code == 1
    assert "decision_maker Luis Pardo is not a contact of the deal's company" in r.stderr
    r = seeded("deal", "advance", "1", "--set", "segment_verified=maybe", prompter=FakePrompter([]))
    assert r.exit_code == 2
    assert db.count("gate_value") == 0


def test_the_retry_line_never_echoes_a_database_password():
    from salescrm.cli.gate_prompts import retry_line
    from salescrm.cli.runtime import Runtime

    rt = Runtime(argv=["--db", "postgresql+psycopg://ana:s3cret@db.example/crm", "deal", "advance", "12"])
    assert retry_line(rt, {"budget": "Approved"}) == (
        "salescrm --db 'postgresql+psycopg://ana:***@db.example/crm' deal advance 12 --set budget=Approved")
