"""Tasks: follow-up calls ("registration of the lead + 1 hour", the implementation article), a deal's
next step, `task due` for cron, and `deal next-steps` (the life-science article's "Pipeline Next Steps")."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from salescrm.domain import times
from tests.conftest import ANA, DEAL, ELENA, MARTA, SANITAS, FakePrompter
from tests.helpers import ok

LUIS = ["team", "add", "Luis Gil", "--role", "JD-019", "--login", "luis"]


def shown(cli, *args):
    return json.loads(ok(cli(*args, "--json")).stdout)


def tasks(cli, *args) -> list[dict]:
    return shown(cli, "task", "list", *args)


def due_of(task: dict) -> datetime:
    return datetime.fromisoformat(task["due"].replace("Z", "+00:00"))


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- automatic follow-up -----------------------------------------------------------------


def test_company_add_creates_a_call_one_hour_later_for_the_acting_user(cli):
    r = cli(*SANITAS)
    assert r.exit_code == 0, r.stderr
    [task] = tasks(cli)
    assert r.stdout.splitlines()[1] == (f"Follow-up task 1: Call Sanitas Hospitales, due "
                                       f"{due_of(task).astimezone().strftime('%Y-%m-%d %H:%M')} (for tester, who is not a team member: "
                                       "`salescrm team set-login NAME tester`)")
    assert {k: v for k, v in task.items() if k != "due"} == {
        "id": 1, "title": "Call Sanitas Hospitales", "owner": "tester", "done": False, "closed_as": None, "deal": None,
        "company": {"id": 1, "name": "Sanitas Hospitales"}, "contact": None, "overdue": False,
    }
    assert abs(due_of(task) - (now() + timedelta(hours=1))) < timedelta(minutes=1)


def test_one_call_per_lead_not_one_per_record(cli, db):
    ok(cli(*SANITAS))
    r = ok(cli(*MARTA))
    assert r.stdout == "Added contact 1: Marta Ruiz\n"
    assert db.count("task") == 1
    ok(cli("task", "done", "1"))
    ok(cli("contact", "add", "--first-name", "Pablo", "--last-name", "Soto", "--job-title", "CMO", "--company", "Sanitas Hospitales"))
    assert [t["title"] for t in tasks(cli)] == ["Call Pablo Soto (Sanitas Hospitales)"]


def test_follow_up_delay_option_environment_and_opt_out(cli, db, monkeypatch):
    ok(cli(*SANITAS, "--follow-up-in", "2h"))
    assert abs(due_of(tasks(cli)[0]) - (now() + timedelta(hours=2))) < timedelta(minutes=1)
    monkeypatch.setenv("SALESCRM_FOLLOW_UP_IN", "1d")
    ok(cli("company", "add", "DKV", "--country", "ES", "--website", "dkv.es"))
    assert abs(due_of(tasks(cli, "--company", "DKV")[0]) - (now() + timedelta(days=1))) < timedelta(minutes=1)
    ok(cli("company", "add", "Novartis", "--country", "CH", "--website", "novartis.com", "--no-follow-up"))
    assert db.count("task") == 2
    r = cli("company", "add", "Bayer", "--country", "DE", "--website", "bayer.com", "--follow-up-in", "soon")
    assert (r.exit_code, r.stderr) == (2, "Follow-up delay (--follow-up-in) 'soon' is not a duration: give a duration such as "
                                          "30m, 2h, 1d or 1w (combined: 1d12h).\n")
    assert db.count("company") == 3


def test_a_team_member_with_the_login_owns_the_follow_up(cli, monkeypatch):
    ok(cli(*LUIS))
    monkeypatch.setenv("SALESCRM_USER", "luis")
    ok(cli(*SANITAS))
    assert tasks(cli)[0]["owner"] == "Luis Gil"
    assert [t["id"] for t in tasks(cli, "--mine")] == [1]


# --- task add / list / done ------------------------------------------------------------


def test_task_add_with_a_date_means_the_end_of_that_day_local_time(seeded, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Madrid")
    import time

    time.tzset()
    try:
        r = seeded("task", "add", "Send the pricing calculator", "--deal", "1", "--due", "2027-01-15", "--owner", "Ana García")
        assert r.exit_code == 0, r.stderr
        assert r.stdout == "Added task 2: Send the pricing calculator, due 2027-01-15 23:59, for Ana García\n"
        [task] = tasks(seeded, "--deal", "1")
        assert task["due"] == "2027-01-15T22:59:59Z"
        assert (task["owner"], task["deal"], task["company"]) == (
            "Ana García", {"id": 1, "name": "ES Sanitas Hospitales Proof of Concept"}, {"id": 1, "name": "Sanitas Hospitales"})
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_task_add_refusals(seeded, db):
    r = seeded("task", "add", "Call", "--due", "someday")
    assert r.exit_code == 2
    assert r.stderr.startswith("Due (--due) 'someday' is neither a date (2027-01-15, meaning the end of that day)")
    r = seeded("task", "add", "Call", "--due", "1d", "--owner", "Nobody Known")
    assert r.exit_code == 1
    r = seeded("task", "add", "Call")
    assert (r.exit_code, r.stderr) == (2, "Missing required value: due (--due). Pass it as an option, or run on a terminal to be asked.\n")
    assert db.count("task") == 1


def test_list_mine_owner_overdue_all(seeded, db):
    ok(seeded(*LUIS))
    ok(seeded("task", "add", "Old", "--due", "2020-01-01", "--owner", "Ana García"))
    ok(seeded("task", "add", "Later", "--due", "2099-01-01", "--owner", "luis"))
    ok(seeded("task", "add", "Mine", "--due", "3d"))

    def titles(*args):
        return [t["title"] for t in tasks(seeded, *args)]

    assert titles() == ["Old", "Call Sanitas Hospitales", "Mine", "Later"]
    assert titles("--mine") == ["Call Sanitas Hospitales", "Mine"]
    assert titles("--owner", "Luis Gil") == titles("--owner", "luis") == ["Later"]
    assert titles("--overdue") == ["Old"]
    assert tasks(seeded, "--overdue")[0]["overdue"] is True
    ok(seeded("task", "done", "2"))
    assert "Old" not in titles()
    assert titles("--all")[0] == "Old"
    r = seeded("task", "list", "--mine", "--owner", "luis")
    assert (r.exit_code, r.stderr) == (2, "Give --mine or --owner, not both.\n")


def test_done_is_recorded_and_not_twice(seeded, db):
    r = seeded("task", "done", "1", "--reason", "Called, left a message")
    assert (r.exit_code, r.stdout) == (0, "Done: task 1 Call Sanitas Hospitales\n")
    [(done, done_by)] = db.query("SELECT done, done_by FROM task WHERE id = 1")
    assert (bool(done), done_by) == (True, "tester")
    r = seeded("task", "done", "1")
    assert r.exit_code == 1
    assert r.stderr.startswith("Task 1 was already done (") and r.stderr.endswith(", by tester).\n")
    r = seeded("task", "done", "99")
    assert (r.exit_code, r.stderr) == (1, "No task with id 99. List them with `salescrm task list`.\n")
    journal = [e for e in shown(seeded, "journal", "show") if e["record_type"] == "task" and e["field"] == "done"]
    assert [(e["old"], e["new"], e["reason"]) for e in journal] == [(None, False, None), (False, True, "Called, left a message")]


def test_done_of_several_is_all_or_nothing(seeded, db):
    ok(seeded("task", "add", "Second", "--due", "1d"))
    r = seeded("task", "done", "2", "99")
    assert r.exit_code == 1
    assert db.count("task", "done = ?", False) == 2


# --- task due, for cron ------------------------------------------------------------------


def test_task_due_exit_codes(seeded, sh, tmp_path):
    ok(seeded("task", "done", "1"))
    r = sh("task", "due")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    ok(seeded("task", "add", "Tomorrow", "--due", "20h", "--owner", "Ana García"))
    assert sh("task", "due").exit_code == 0
    r = sh("task", "due", "--within", "1d", "--json")
    assert r.exit_code == 1, r.stderr
    assert [t["title"] for t in json.loads(r.stdout)] == ["Tomorrow"]
    ok(seeded("task", "add", "Late", "--due", "2020-05-01"))
    r = sh("task", "due")
    assert r.exit_code == 1
    assert r.stdout.startswith("3\t2020-05-01 23:59\tLate\ttester\t\toverdue")
    assert sh("task", "due", "--owner", "Ana García").exit_code == 0
    assert sh("task", "due", "--mine").exit_code == 1
    r = sh("task", "due", "--within", "tomorrow")
    assert r.exit_code == 2
    (tmp_path / "f").write_text("a file, not a directory\n")
    r = sh("--db", str(tmp_path / "f" / "crm.db"), "task", "due")
    assert (r.exit_code, r.stdout) == (3, "")


# --- next steps --------------------------------------------------------------------------


def test_next_steps_flags_missing_and_overdue(seeded):
    ok(seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Second site", "--amount", "5000",
              "--close-date", "2027-05-01", "--class", "Care provider inpatient private", "--source", "Referral",
              "--owner", "Ana García"))
    ok(seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Third site", "--amount", "5000",
              "--close-date", "2027-05-01", "--class", "Care provider inpatient private", "--source", "Referral",
              "--owner", "Ana García"))
    ok(seeded("task", "add", "Late step", "--deal", "2", "--due", "2020-01-01"))
    ok(seeded("task", "add", "Next", "--deal", "3", "--due", "2099-01-01", "--owner", "Ana García"))
    ok(seeded("task", "add", "Later", "--deal", "3", "--due", "2099-06-01"))
    ok(seeded("task", "add", "Company only", "--company", "Sanitas Hospitales", "--due", "2099-01-01"))
    steps = shown(seeded, "deal", "next-steps")
    assert [(s["deal"], s["flag"], s["next_task"]["title"] if s["next_task"] else None) for s in steps] == [
        (1, "missing", None), (2, "overdue", "Late step"), (3, None, "Next"),
    ]
    assert steps[2] == {"deal": 3, "name": "ES Sanitas Hospitales Third site", "stage": "Prospected", "owner": "Ana García",
                        "next_task": {"id": 3, "title": "Next", "due": steps[2]["next_task"]["due"], "owner": "Ana García"},
                        "flag": None}
    ok(seeded("task", "done", "3"))
    assert [s["next_task"]["title"] for s in shown(seeded, "deal", "next-steps")[2:]] == ["Later"]
    ok(seeded("deal", "lose", "2", "--category", "Other", "--reason", "Merged"))
    assert [s["deal"] for s in shown(seeded, "deal", "next-steps")] == [1, 3]
    assert shown(seeded, "deal", "next-steps", "--owner", "Elena Ortiz") == []


def test_advance_with_next_step_options(seeded):
    from tests.conftest import QUALIFIED

    r = seeded("deal", "advance", "1", *QUALIFIED, "--next-step", "Book the discovery call", "--next-step-due", "2099-01-10")
    assert r.exit_code == 0, r.stderr
    assert "Next step: task 2 Book the discovery call, due 2099-01-10 23:59" in r.stdout
    [task] = tasks(seeded, "--deal", "1")
    assert (task["title"], task["owner"]) == ("Book the discovery call", "Ana García")
    r = seeded("deal", "advance", "1", "--next-step-due", "2099-01-10")
    assert (r.exit_code, r.stderr) == (2, "--next-step-due needs --next-step TEXT: the task to add.\n")


def test_advance_without_due_off_a_terminal_writes_nothing(seeded, db):
    from tests.conftest import QUALIFIED

    r = seeded("deal", "advance", "1", *QUALIFIED, "--next-step", "Book the call")
    assert r.exit_code == 2
    assert r.stderr == ("Missing required value: next step's due date (--next-step-due). Pass it as an option, "
                        "or run on a terminal to be asked.\n")
    assert shown(seeded, "deal", "show", "1")["stage"] == "Prospected"
    assert db.count("task") == 1


def test_advance_on_a_terminal_offers_the_next_step(seeded):
    from tests.conftest import QUALIFIED

    p = FakePrompter([("text", "Next step", "Send the case study"), ("text", "Due", "2099-02-01")])
    r = seeded("deal", "advance", "1", *QUALIFIED, prompter=p)
    assert r.exit_code == 0, r.stderr
    assert [t["title"] for t in tasks(seeded, "--deal", "1")] == ["Send the case study"]
    p = FakePrompter([("text", "Timeline", ""), ("text", "Next step", "")])
    from tests.conftest import BANT

    r = seeded("deal", "advance", "1", *BANT, prompter=p)
    assert r.exit_code == 0, r.stderr
    assert len(tasks(seeded, "--deal", "1")) == 1


# --- who is who --------------------------------------------------------------------------


def test_logins_are_unique_and_settable(cli, db):
    ok(cli(*ANA))
    ok(cli(*LUIS))
    r = cli("team", "add", "Luisa Gil", "--role", "JD-019", "--login", "luis")
    assert (r.exit_code, r.stderr) == (1, "The login 'luis' belongs to Luis Gil (id 2); each login is one person's.\n")
    r = cli("team", "set-login", "Ana García", "ana")
    assert (r.exit_code, r.stdout) == (0, "Team member 1 Ana García: login ana\n")
    assert [(m["name"], m["login"]) for m in shown(cli, "team", "list")] == [("Ana García", "ana"), ("Luis Gil", "luis")]


def test_tasks_of_an_unknown_login_are_found_once_they_join(cli, monkeypatch):
    monkeypatch.setenv("SALESCRM_USER", "marc")
    ok(cli(*SANITAS))
    assert [t["owner"] for t in tasks(cli, "--mine")] == ["marc"]
    ok(cli("team", "add", "Marc Puig", "--role", "JD-019", "--login", "marc"))
    assert len(tasks(cli, "--owner", "Marc Puig")) == 1
    assert len(tasks(cli, "--mine")) == 1


# --- queries stay in SQL on indexes ------------------------------------------------------


@pytest.mark.sqlite_only
def test_due_and_next_step_queries_use_indexes(seeded, db_path):
    con = sqlite3.connect(db_path)
    try:
        due_plan = " ".join(r[3] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM task WHERE done = 0 AND due <= ? ORDER BY due", ("2030-01-01",)))
        step_plan = " ".join(r[3] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM task WHERE deal_id = 1 AND done = 0 ORDER BY due, id LIMIT 1"))
    finally:
        con.close()
    assert "USING INDEX ix_task_done_due" in due_plan or "USING COVERING INDEX ix_task_done_due" in due_plan, due_plan
    assert "ix_task_deal_done_due" in step_plan, step_plan


def test_parse_duration_and_due():
    assert times.parse_duration("1d12h", "x") == timedelta(days=1, hours=12)
    assert times.parse_duration("90m", "x") == timedelta(minutes=90)
    with pytest.raises(Exception):
        times.parse_duration("1x", "x")
    reference = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    assert times.parse_due("2h", reference=reference) == datetime(2026, 1, 1, 14, tzinfo=timezone.utc)
    assert times.parse_due("2026-03-01T10:00:00+02:00") == datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
