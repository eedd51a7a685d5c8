"""Issue 11, "No stored text can drive the terminal": typed text is refused when it holds a control
character (exit 2, naming the field; CRLF read as LF first), and whatever the database holds anyway (old
rows, SQL edits) is printed escaped in tables, TSV, messages and errors, and JSON escapes DEL, C1 and bidi
controls. The pseudo-terminal test is in test_pty.py."""

from __future__ import annotations

import json

import pytest

from salescrm.cli import output
from tests.conftest import ANA, SANITAS

ESC = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
HOSTILE = f"{TITLE}{ESC} [bold]x[/] back\\slash \x9bq \u202ertl \x7f"
# HOSTILE as printed: in a message, a table cell on a terminal and TSV (backslash doubled).
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J [bold]x[/] back\\slash \\x9bq \\u202ertl \\x7f"
SHOWN_TSV = "\\x1b]0;pwned\\x07\\x1b[2J [bold]x[/] back\\\\slash \\x9bq \\u202ertl \\x7f"
CONTROL = "holds the control character {}, which could drive a terminal; remove it and try again.\n"
REFUSED_ESC = CONTROL.format("\\x1b (ESC)")[:-1]  # as one problem among several
LINE_BREAK = ("holds a line break; give it on one line (only a summary, note, reason, description or lost reason "
              "may have several).\n")


def counts(db) -> dict:
    return {t: db.count(t) for t in ("company", "contact", "deal", "activity", "task", "team_member", "journal")}


def sql(db, statement: str, **params) -> None:
    import sqlalchemy as sa

    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


@pytest.mark.parametrize("args, message", [
    (["company", "add", "Evil\x1b[2J", "--country", "ES", "--website", "e.es"], "Argument NAME " + CONTROL.format("\\x1b (ESC)")),
    (["company", "add", "Evil Co", "--country", "ES", "--website", "e.es", "--legal-name", "E\u202eS"],
     "Legal name holds the bidirectional control U+202E, which changes how a name reads on screen; remove it and try again.\n"),
    (["company", "add", "Evil\u2066 Co", "--country", "ES", "--website", "e.es"],
     "Company name holds the bidirectional control U+2066, which changes how a name reads on screen; remove it and try again.\n"),
    (["contact", "add", "--first-name", "Mar\tta", "--last-name", "Ruiz"], "--first-name holds a tab; use spaces instead.\n"),
    (["contact", "add", "--first-name", "Marta", "--last-name", "Ru\niz"], "--last-name " + LINE_BREAK),
    (["contact", "add", "--first-name", "Marta", "--last-name", "Ruiz\r\n"], "--last-name " + LINE_BREAK),
    (["lead", "add", "--first-name", "\x9b31m", "--last-name", "Vidal", "--phone", "+34 611 222 333", "--channel", "phone"],
     "--first-name " + CONTROL.format("\\x9b (CSI)")),
    (["activity", "log", "--company", "Sanitas Hospitales", "--type", "note", "--summary", "one\rtwo"],
     "--summary " + CONTROL.format("\\x0d (carriage return)")),
    (["task", "add", "Call\x07", "--owner", "Ana García"], "Argument TITLE " + CONTROL.format("\\x07 (BEL)")),
    (["company", "add", "Evil Co", "--country", "ES", "--website", "e.es", "--reason", "why\x7f"],
     "--reason " + CONTROL.format("\\x7f (DEL)")),
    (["deal", "list", "--owner", "\x1b[2J"], "--owner " + CONTROL.format("\\x1b (ESC)")),  # a filter, too
    (["company", "show", "\x85"], "Argument COMPANY " + CONTROL.format("\\x85")),
])
def test_control_characters_are_refused_naming_the_field(cli, db, args, message):
    for setup in (ANA, SANITAS):
        assert cli(*setup).exit_code == 0
    before = counts(db)
    r = cli(*args)
    assert (r.exit_code, r.stderr, r.stdout) == (2, message, "")
    assert counts(db) == before


def test_gate_values_refuse_a_line_break_except_in_notes(seeded, db):
    r = seeded("deal", "advance", "1", "--set", "segment_verified=yes", "--set", "decision_maker=marta@sanitas.es",
               "--set", "budget=Approved\r\nfor 2027")
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT value FROM gate_value WHERE key = 'budget'") == [("Approved\nfor 2027",)]
    r = seeded("deal", "edit", "1", "--set", "decision_maker=marta@sanitas.es\nx")
    assert (r.exit_code, r.stderr) == (2, "--set decision_maker " + LINE_BREAK)


def test_free_texts_keep_their_lines_with_crlf_read_as_lf(seeded, db):
    r = seeded("activity", "log", "--company", "Sanitas Hospitales", "--type", "note", "--summary", "one\r\ntwo\nthree",
               "--reason", "asked\r\nby Ana")
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT summary FROM activity") == [("one\ntwo\nthree",)]
    assert db.query("SELECT reason FROM journal WHERE record_type = 'activity'") == [("asked\nby Ana",)]
    r = seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen\r\nuntil 2028")
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT lost_reason FROM deal") == [("Budget frozen\nuntil 2028",)]
    listed = seeded("activity", "list")
    assert "\tone\\ntwo\\nthree\t" in listed.stdout  # TSV: one line per row


def test_a_hostile_json_lead_is_refused_and_nothing_is_written(cli, db, tmp_path):
    before = counts(db)
    lead = {"first_name": TITLE, "last_name": ESC, "email": "x@example.es", "channel": "email"}
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(lead) + "\n")
    r = cli("lead", "add", "--from-json", str(path))
    assert r.exit_code == 2
    assert r.stderr == (
        "1 of 1 leads are not valid, so none was registered:\n"
        f"  line 1: first_name: First name {REFUSED_ESC}; last_name: Last name {REFUSED_ESC}\n"
        "Fix them, or pass --skip-invalid to register the valid ones.\n"
    )
    assert counts(db) == before


def test_a_json_lead_note_reads_crlf_as_lf(cli, db, tmp_path):
    path = tmp_path / "leads.jsonl"
    lead = (b'{"first_name": "Luis", "last_name": "Vidal", "email": "luis@vidal.es", "channel": "email", '
            b'"note": "Wants a demo\\r\\nnext week"}\r\n')
    path.write_bytes(lead + lead)  # the second time, a known contact: the note goes into the inbound activity
    r = cli("lead", "add", "--from-json", str(path))
    assert r.exit_code == 0, r.stderr
    assert db.query("SELECT summary FROM activity ORDER BY id") == [
        ("Wants a demo\nnext week",), ("Came in again as a lead (email): Wants a demo\nnext week",)]


def test_an_acting_user_with_a_control_character_is_refused(cli, db, monkeypatch):
    monkeypatch.setenv("SALESCRM_USER", "ana\x1b[2J")
    before = counts(db)
    r = cli(*ANA)
    assert (r.exit_code, r.stderr) == (2, "$SALESCRM_USER " + CONTROL.format("\\x1b (ESC)"))
    assert counts(db) == before


def test_stored_controls_are_shown_escaped(seeded, db):
    """Names written by SQL, past every input check: tables, TSV, messages and errors escape them."""
    from salescrm.domain.naming import name_key

    sql(db, "UPDATE company SET name = :n, name_key = :k", n=HOSTILE, k=name_key(HOSTILE))
    sql(db, "UPDATE contact SET first_name = :n", n=TITLE)
    listed = seeded("company", "list")
    assert listed.stdout.splitlines()[0].split("\t")[1] == SHOWN_TSV
    shown = seeded("company", "show", "1")
    assert f"Company\t{SHOWN_TSV} (id 1)\n" in shown.stdout
    edited = seeded("company", "edit", "1", "--website", "https://sanitas.example")
    assert edited.stdout == f"Updated company 1: {SHOWN}\n"
    contact = seeded("contact", "edit", "1", "--job-title", "Head")
    assert contact.stdout == "Updated contact 1: \\x1b]0;pwned\\x07 Ruiz\n"
    assert seeded(*SANITAS[:2], "Another pwned", *SANITAS[3:]).exit_code == 0
    ambiguous = seeded("company", "show", "pwned")
    assert ambiguous.exit_code == 1
    assert ambiguous.stderr == (f"'pwned' matches 2 companies: 1 {SHOWN}; 2 Another pwned. "
                                "Give the id or more of the name.\n")
    for run in (listed, shown, edited, contact, ambiguous):
        for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\x7f"):
            assert raw not in run.stdout + run.stderr


def test_json_escapes_del_c1_and_bidi_controls(seeded, db):
    sql(db, "UPDATE company SET name = :n", n=HOSTILE)
    r = seeded("company", "show", "1", "--json")
    assert r.exit_code == 0
    assert '"name": "\\u001b]0;pwned\\u0007\\u001b[2J [bold]x[/] back\\\\slash \\u009bq \\u202ertl \\u007f"' in r.stdout
    assert json.loads(r.stdout)["name"] == HOSTILE
    listed = seeded("company", "list", "--json")
    assert json.loads(listed.stdout)[0]["name"] == HOSTILE
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\x7f"):
        assert raw not in r.stdout + listed.stdout


def test_inert_escapes_by_where_the_text_goes():
    text = "a\tb\nc\\d\x1b\x9b\u2067é"
    assert output.inert(text) == "a\\tb\nc\\d\\x1b\\x9b\\u2067é"
    assert output.inert(text, "cell") == "a b c\\d\\x1b\\x9b\\u2067é"
    assert output.inert(text, "tsv") == "a\\tb\\nc\\\\d\\x1b\\x9b\\u2067é"
    assert output.json_text({"k": "\x7f\x85\u202a\x1bé"}) == '{"k": "\\u007f\\u0085\\u202a\\u001bé"}'


def test_a_prompt_refuses_a_control_character_and_asks_again():
    from salescrm.cli.prompts import _as_questionary_validator

    check = _as_questionary_validator(None, "First name")
    assert check("Marta") is True
    assert check("Mar\x1bta") == "First name " + REFUSED_ESC
