"""The real program in a pseudo-terminal: questionary gate prompts, Ctrl-C and Ctrl-D, a refused answer
set, a validation message wider than the terminal, a command asked for as a form."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pexpect
import pytest

from tests.conftest import QUALIFIED
from tests.hp_helpers import hp  # noqa: F401  (a fixture)

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
CPR_REQUEST = re.escape("\x1b[6n")  # prompt_toolkit asks the terminal where the cursor is
# The start of a BANT prompt's instruction (the rest may wrap at 100 columns): once drawn, the prompt reads keys.
NOTE_INSTRUCTION = re.escape("(a short note")
SHOW_CURSOR = re.escape("\x1b[?25h")


def question(label: str) -> str:
    """questionary's `? Label` line, whatever colours come between the mark and the label."""
    return r"\?(?:\x1b\[[0-9;]*m)* " + re.escape(label)


@pytest.fixture
def qualified(seeded):
    r = seeded("deal", "advance", "1", *QUALIFIED)
    assert r.exit_code == 0, r.stderr
    return seeded


@pytest.fixture
def spawn(tmp_path):
    children = []

    def run(*args: str, columns: int = 100) -> pexpect.spawn:
        env = {**os.environ, "TERM": "xterm"}  # SALESCRM_DB, SALESCRM_DATA_DIR, SALESCRM_USER from `isolated`
        for size in ("COLUMNS", "LINES"):  # the pty's own size counts (pytest-xdist's workers have COLUMNS set)
            env.pop(size, None)
        child = pexpect.spawn(sys.executable, ["-m", "salescrm", *args], env=env, cwd=str(tmp_path),
                              dimensions=(24, columns), encoding="utf-8", timeout=20)
        children.append(child)
        return child

    yield run
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def expect(child: pexpect.spawn, pattern) -> str:
    """Wait for `pattern`, answering cursor-position requests as a terminal does; return the text before it."""
    seen = ""
    while True:
        i = child.expect([CPR_REQUEST, pattern])
        seen += child.before
        if i == 0:
            child.send("\x1b[1;1R")
        else:
            return seen


def finish(child: pexpect.spawn) -> str:
    """Read to the end, answering cursor-position requests; return everything read."""
    rest = expect(child, pexpect.EOF)
    child.close()
    return rest


def answer(child: pexpect.spawn, label: str, text: str, instruction: str = NOTE_INSTRUCTION) -> None:
    expect(child, question(label))
    expect(child, instruction)  # the prompt is drawn and reading keys
    child.sendline(text)


def deal_1(cli) -> dict:
    r = cli("deal", "show", "1", "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_bant_prompts_move_the_deal(qualified, spawn):
    child = spawn("deal", "advance", "1")
    before = expect(child, question("Budget"))
    assert "Discovered: BANT" in before  # the stage's reason line, before the first question
    expect(child, NOTE_INSTRUCTION)
    child.sendline("Approved for 2027")
    answer(child, "Authority", "Head of service decides")
    answer(child, "Need", "Long waiting list")
    answer(child, "Timeline", "")
    answer(child, "Next step for this deal", "Send the case study", re.escape("(a task for its owner"))
    answer(child, "Due", "2099-02-01", re.escape("(2027-01-15"))
    out = finish(child)
    assert "moved from Qualified to Discovered" in out
    assert "Next step: task 2 Send the case study, due 2099-02-01 23:59" in out
    assert child.exitstatus == 0, out
    deal = deal_1(qualified)
    assert deal["stage"] == "Discovered"
    bant = {k: v for k, v in deal["gates"].items() if k in ("budget", "authority", "need", "timeline")}
    assert bant == {"budget": "Approved for 2027", "authority": "Head of service decides", "need": "Long waiting list"}
    assert [(h["from"], h["to"]) for h in deal["history"]][-1] == ("Qualified", "Discovered")


def test_ctrl_c_at_a_prompt_saves_nothing(qualified, spawn):
    before = deal_1(qualified)
    child = spawn("deal", "advance", "1")
    expect(child, question("Budget"))
    expect(child, NOTE_INSTRUCTION)
    child.send("\x03")
    out = finish(child)
    assert child.signalstatus is None, out
    assert child.exitstatus == 130, out
    assert "nothing was saved" in out
    assert "Traceback" not in out
    after = deal_1(qualified)
    assert after["stage"] == "Qualified"
    assert after == before


def test_ctrl_d_at_a_prompt_cancels_like_ctrl_c(qualified, spawn):
    before = deal_1(qualified)
    child = spawn("deal", "advance", "1")
    expect(child, question("Budget"))
    expect(child, NOTE_INSTRUCTION)
    child.send("\x04")
    out = finish(child)
    assert child.exitstatus == 130, out
    assert ANSI.sub("", out).strip().endswith("Interrupted; nothing was saved.")
    assert "EOFError" not in out and "Traceback" not in out
    assert deal_1(qualified) == before


def test_a_validation_message_wider_than_the_terminal_wraps(seeded, spawn):
    """prompt_toolkit's one-line toolbar cut this message at column 80; it now wraps between words."""
    child = spawn("company", "add", "DKV", "--no-follow-up", columns=80)
    expect(child, question("Country"))
    expect(child, re.escape("contracts)"))
    child.sendline("Spian")
    shown = ANSI.sub("", expect(child, re.escape("(ES)?")))
    assert "Unknown country 'Spian': give an ISO 3166-1 code (ES, ESP) or an English name" in shown
    assert "(Spain). Did you mean Spain" in shown  # the second line, which a one-line toolbar never drew
    child.send("\x15")  # Ctrl-U: clear the answer
    child.sendline("ES")
    answer(child, "Website", "dkv.es", re.escape("Website"))
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "Added company 2: DKV (ES)" in out


def test_an_instruction_wider_than_the_terminal_is_said_above_its_question(seeded, spawn):
    """prompt_toolkit folded the company name's instruction in the middle of words ("glob|al")."""
    child = spawn("company", "add", columns=80)
    shown = ANSI.sub("", expect(child, question("Company name")))
    assert ("The name it is best known by: its brand, one company for a global group, the\r\n"
            "group's name when it owns several famous brands (Novartis, not Novartis\r\n"
            "Farmacéutica, S.A.; Pierre Fabre, not Avène).") in shown
    child.sendcontrol("c")
    out = finish(child)
    assert child.exitstatus == 130, out
    assert "Interrupted; nothing was saved." in out


def test_a_gate_question_wider_than_the_terminal_is_asked_by_its_head(qualified, spawn):
    """At 80 columns "Authority: the person can make ... (a short note; ...)" folded mid-word: its explanation
    is said above, wrapped, and the question is its head with the instruction."""
    child = spawn("deal", "advance", "1", columns=80)
    answer(child, "Budget", "Approved for 2027")
    shown = ANSI.sub("", expect(child, question("Authority")))
    assert "The person can make or strongly influence the decision.\r\n" in shown
    assert not re.match(r"\S", ANSI.sub("", expect(child, NOTE_INSTRUCTION)))  # the head alone, then the instruction
    child.sendline("Head of service decides")
    answer(child, "Need", "Long waiting list")
    answer(child, "Timeline", "")
    assert "A task for its owner; empty for none." in ANSI.sub("", expect(child, question("Next step for this deal")))
    expect(child, SHOW_CURSOR)  # the question is drawn: prompt_toolkit shows the cursor last
    child.sendline("")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "moved from Qualified to Discovered" in out
    assert deal_1(qualified)["gates"]["authority"] == "Head of service decides"


def test_activity_log_is_asked_as_a_form(seeded, spawn):
    child = spawn("activity", "log")
    expect(child, question("What is it about?"))
    expect(child, re.escape("a deal"))  # the last choice: the list is drawn
    child.send("\r")  # a contact
    expect(child, question("Which contact"))
    child.sendline("marta")  # a unique part of her name
    for label, last_choice in (("Type", "note"), ("Who initiated it?", "inbound")):
        expect(child, question(label))
        expect(child, re.escape(last_choice))
        child.send("\r")  # call, outbound
    expect(child, question("Summary"))
    child.sendline("Intro call, asked for a demo")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "Logged activity 1: call outbound on contact Marta Ruiz, company Sanitas Hospitales" in out


def test_two_bant_notes_are_refused(qualified, spawn):
    before = deal_1(qualified)
    child = spawn("deal", "advance", "1")
    answer(child, "Budget", "Approved for 2027")
    answer(child, "Authority", "")
    answer(child, "Need", "Long waiting list")
    answer(child, "Timeline", "")
    out = finish(child)
    assert child.exitstatus == 1, out
    assert "Cannot move deal 1 into Discovered" in out
    assert "--set authority=" in out
    assert "--set timeline=" in out
    assert "--set budget=" not in out and "--set need=" not in out
    assert "Traceback" not in out
    assert deal_1(qualified) == before


def test_a_required_yes_has_no_default_and_the_decision_maker_completes(seeded, spawn):
    """Issue 10: Enter alone does not answer a yes the gate requires; the decision maker is typed with completion."""
    r = seeded("contact", "add", "--first-name", "Pablo", "--last-name", "Gil", "--job-title", "CIO",
               "--company", "Sanitas Hospitales", "--email", "pablo@sanitas.es")
    assert r.exit_code == 0, r.stderr
    child = spawn("deal", "advance", "1")
    expect(child, question("Segment verified"))
    expect(child, re.escape("(yes/no)"))
    child.send("\r")
    expect(child, re.escape("Answer yes or no: this question has no default."))
    child.send("y\r")
    expect(child, question("Decision maker"))
    child.send("Pab")
    expect(child, re.escape("lo Gil <pablo@sanitas.es> (id 2)"))  # the completion menu (the typed part is styled apart)
    child.send("\t")
    time.sleep(0.5)  # the completion is put in the line; then Enter accepts it
    child.send("\r")
    answer(child, "Next step for this deal", "", re.escape("(a task for its owner"))
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "moved from Prospected to Qualified" in out
    assert deal_1(seeded)["gates"] == {"segment_verified": "yes", "decision_maker": "pablo@sanitas.es"}


@pytest.mark.parametrize("args, phases", [
    (["audit", "--fail-on", "never"], ["Auditing deal names", "Auditing companies", "Auditing contacts",
                                       "Auditing deal checks"]),
    (["report", "pipeline", "--compare", "2026-01-01"], ["Reading pipeline", "Reading comparison"]),
    (["report", "cycle"], ["Reading cycle lengths", "Reading stays in stages"]),
], ids=["audit", "report-pipeline", "report-cycle"])
def test_long_reads_show_a_progress_bar_on_a_terminal_only(seeded, spawn, args, phases):
    shown = ANSI.sub("", finish(spawn(*args)))
    assert [p for p in phases if p in shown] == phases
    quiet = ANSI.sub("", finish(spawn(*args, "--json")))
    assert not re.search(r"Auditing|Reading", quiet)
    piped = seeded(*args)
    assert piped.exit_code == 0 and piped.stderr == ""


# Issue 11, "No stored text can drive the terminal". What a terminal may receive from salescrm itself:
# rich's colours and styles (SGR), and its progress bar's hidden cursor, line erase and cursor up (never
# a screen clear); anything else is data.
OWN = re.compile(r"\x1b\[(?:[0-9;]*m|\?25[lh]|2K|[0-9]*A)")
HOSTILE_TITLE = "\x1b]0;pwned\x07"  # sets the window title
HOSTILE_CLEAR = "\x1b[2J"  # clears the screen
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f", "\x08")
READS = [
    ("company", "list"), ("company", "show", "1"), ("contact", "show", "1"), ("deal", "list"), ("deal", "show", "1"),
    ("pipeline", "show"), ("report", "pipeline"), ("activity", "list"), ("journal", "show"),
]


def test_no_escape_byte_from_data_reaches_the_terminal(seeded, spawn, db, tmp_path):
    import sqlalchemy as sa

    from salescrm.domain.naming import name_key

    leads = tmp_path / "leads.jsonl"
    leads.write_text(json.dumps({"first_name": HOSTILE_TITLE, "last_name": HOSTILE_CLEAR, "email": "x@example.es",
                                 "channel": "email"}) + "\n")
    child = spawn("lead", "add", "--from-json", str(leads), columns=200)
    out = finish(child)
    assert child.exitstatus == 2, out
    assert "First name holds the control character \\x1b (ESC)" in out
    assert db.count("contact") == 1
    # Past the input checks, as an SQL edit or an old row would be.
    company = f"{HOSTILE_TITLE}{HOSTILE_CLEAR}[bold]Sanitas[/] \x9b31m\u202e \x7f\x08"
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE company SET name = :n, name_key = :k"), {"n": company, "k": name_key(company)})
        conn.execute(sa.text("UPDATE contact SET first_name = :f, last_name = :l"), {"f": HOSTILE_TITLE, "l": HOSTILE_CLEAR})
        conn.execute(sa.text("UPDATE deal SET name = :n, description = :n"), {"n": company})
        conn.execute(sa.text("UPDATE task SET title = :n"), {"n": HOSTILE_TITLE + "Call"})
        conn.execute(sa.text("UPDATE team_member SET name = :n WHERE id = 1"), {"n": HOSTILE_CLEAR + "Ana"})
    assert seeded("activity", "log", "--company", "1", "--type", "note", "--summary", "Demo").exit_code == 0
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE activity SET summary = :n"), {"n": HOSTILE_CLEAR + "Demo\x9b2J"})
    shown = {}
    for args in READS:
        child = spawn(*args, columns=200)
        out = finish(child)
        assert child.exitstatus == 0, (args, out)
        shown[args] = text = OWN.sub("", out)
        assert not [c for c in RAW_CONTROLS if c in text], (args, text)
    escaped = "\\x1b]0;pwned\\x07\\x1b[2J[bold]Sanitas[/] \\x9b31m\\u202e \\x7f\\x08"  # markup as typed, too
    for args in (("company", "list"), ("company", "show", "1"), ("deal", "list"), ("deal", "show", "1")):
        assert escaped in shown[args], (args, shown[args])
    assert "\\x1b]0;pwned\\x07 \\x1b[2J (id 1)" in shown["contact", "show", "1"]
    assert "\\x1b[2JDemo\\x9b2J" in shown["activity", "list"]


def test_an_error_wider_than_the_terminal_wraps_between_words(seeded, spawn):
    """An error on stderr is wrapped at spaces to the terminal's width: the terminal never folds a word."""
    child = spawn("deal", "lose", "1", "--category", "Bad luck", "--reason", "r", columns=80)
    text = ANSI.sub("", finish(child)).replace("\r\n", "\n").rstrip("\n")
    assert child.exitstatus == 2, text
    lines = text.split("\n")
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines), lines
    r = seeded("deal", "lose", "1", "--category", "Bad luck", "--reason", "r")  # the same message, unwrapped
    assert " ".join(lines) == r.stderr.rstrip("\n")


def test_a_name_from_the_data_cannot_drive_the_terminal_in_a_picker(seeded, spawn, db):
    import sqlalchemy as sa

    from salescrm.domain.naming import name_key

    name = f"ES Sanitas {HOSTILE_TITLE}\u202ePilot\x9b31m"
    with db.engine.begin() as conn:  # past the input checks, as an SQL edit would be
        conn.execute(sa.text("UPDATE deal SET name = :n, name_key = :k"), {"n": name, "k": name_key(name)})
        conn.execute(sa.text("UPDATE team_member SET name = :n WHERE id = 2"), {"n": HOSTILE_CLEAR + "Elena"})
    child = spawn("deal", "show", columns=200)
    expect(child, question("Deal"))
    child.send("Sanitas")
    seen = expect(child, re.escape("\\x1b]0;pwned\\x07"))  # the completion menu shows the name escaped
    child.sendcontrol("c")
    seen += finish(child)
    assert child.exitstatus == 130, seen
    assert not [c for c in ("\x1b]0;", "\x07", "\u202e", "\x9b") if c in seen], seen
    child = spawn("team", "set-login", columns=200)
    seen = expect(child, re.escape("\\x1b[2JElena"))  # a select's choices are shown escaped too
    child.sendcontrol("c")
    seen += finish(child)
    assert "\x1b[2JElena" not in seen


def test_a_checkbox_says_its_keys_in_a_line_that_fits_80_columns(seeded, spawn):
    """questionary's own checkbox instruction ("(Use arrow keys to move, <space> to select, <a> to toggle,
    <i> to invert)") folded mid-word at 80 columns; the checkbox now says its two keys."""
    child = spawn("task", "done", columns=80)
    shown = ANSI.sub("", expect(child, re.escape("(space selects, enter confirms)")))
    assert "Tasks done" in shown
    rest = ANSI.sub("", expect(child, re.escape("Call Sanitas Hospitales")))
    assert "<space>" not in shown + rest and "arrow keys" not in shown + rest
    child.send(" ")
    child.send("\r")
    out = ANSI.sub("", finish(child))
    assert child.exitstatus == 0, out
    assert "Done: task 1 Call Sanitas Hospitales" in out


def test_deal_lose_offers_the_won_deals_where_the_process_backs_one_out(hp, spawn):
    """health-prime backs a signed deal out with `deal lose`: asked for the deal, it offers the open and the
    won deals, never a lost one (sp-009-001, with no back-out, offers open deals only)."""
    from tests.hp_helpers import hp_deal

    _, db = hp
    ids = {hp_deal(db, "Engaged"): "open", hp_deal(db, "Closed Won", path=("Engaged", "Proposal", "Partner of Choice")): "won",
           hp_deal(db, "Closed Lost", lost_category="Other", lost_from="Engaged"): "lost"}
    names = {kind: db.query("SELECT name FROM deal WHERE id = ?", deal_id)[0][0] for deal_id, kind in ids.items()}
    url = db.location.url
    child = spawn("--db", url if isinstance(url, str) else url.render_as_string(hide_password=False), "deal", "lose")
    expect(child, question("Deal"))
    child.send("US Sunrise")
    time.sleep(2)  # the completion menu is drawn (its entries are styled word by word)
    child.sendcontrol("c")
    shown = ANSI.sub("", finish(child))
    assert names["open"] in shown and names["won"] in shown and names["lost"] not in shown, shown
    assert child.exitstatus == 130
