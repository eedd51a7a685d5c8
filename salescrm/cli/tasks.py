"""`salescrm task`: follow-up calls and next steps, each with an owner and a due time."""

from __future__ import annotations

from datetime import timedelta
from typing import List, Optional

import typer

from salescrm import process
from salescrm.cli import output
from salescrm.cli.prompts import required
from salescrm.cli.runtime import DUE_HELP, Needs, limit_option, no_limit, reason_option, runtime

app = typer.Typer(
    epilog="Example: salescrm task list --mine --overdue",
    no_args_is_help=True,
)

FOLLOW_UP_ENV = "SALESCRM_FOLLOW_UP_IN"


def no_follow_up_option():
    return typer.Option(False, "--no-follow-up", help="Do not create the follow-up call task.")


def follow_up_in_option():
    return typer.Option(
        process.FOLLOW_UP_DELAY, "--follow-up-in", envvar=FOLLOW_UP_ENV, metavar="DURATION",
        help="When the follow-up call is due, from now (the lead + 1 hour, as the implementation article does).",
    )


def follow_up_delay(no_follow_up: bool, follow_up_in: str):
    """The follow-up delay the options ask for; None for none."""
    if no_follow_up:
        return None
    from salescrm.domain.times import parse_duration

    return parse_duration(follow_up_in, "Follow-up delay (--follow-up-in)")


def say_follow_up(task) -> None:
    """One line about the follow-up task a command created (nothing when an open one already existed)."""
    if task is None:
        return
    import shlex

    from salescrm.store.columns import iso

    owner = task.owner_login if task.owner_id is None else None
    output.say(f"Follow-up task {task.id}: {task.title}, due {output.when(iso(task.due))}"
               + (f" (for {owner}, who is not a team member: `salescrm team set-login NAME {shlex.quote(owner)}`)"
                  if owner else ""))


@app.command("add", epilog='Example: salescrm task add "Send the pricing calculator" --deal 1 --due 2027-01-15 --owner "Ana García"')
def add(
    ctx: typer.Context,
    title: Optional[str] = typer.Argument(None, help="What to do.", show_default=False),
    due: Optional[str] = typer.Option(None, "--due", help=DUE_HELP),
    owner: Optional[str] = typer.Option(None, "--owner", help="Team member who does it (default: you)."),
    deal: Optional[str] = typer.Option(None, "--deal", help="Deal id or name (its next step; links its company too)."),
    company: Optional[str] = typer.Option(None, "--company", help="Company id or name."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Contact id, email or full name."),
    json: bool = typer.Option(False, "--json", help="Print the task as JSON."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Add a task with a due time and an owner."""
    rt = runtime(ctx)
    needs = Needs()
    if title is None:
        needs.add("title", "the TITLE argument", lambda p: p.text("Task", validate=required("Task")))
    if due is None:
        needs.add("due", "--due", lambda p: p.text("Due", validate=validate_due, instruction="(2027-01-15, 2027-01-15 10:00, 2h, 3d)"))
    answers = needs.resolve(rt)
    from salescrm.domain import activities, tasks

    with rt.writing(reason) as session:
        task = tasks.add_task(
            session, answers.get("the TITLE argument", title), answers.get("--due", due),
            owner=tasks.owner_of(session, owner), links=activities.Links(contact=contact, company=company, deal=deal),
        )
        obj = tasks.shown_task(session, task.id)
    if json:
        output.print_json(obj)
        return
    output.say(f"Added task {obj['id']}: {obj['title']}, due {output.when(obj['due'])}, for {obj['owner']}")


def validate_due(answer: str) -> None:
    from salescrm.domain.times import parse_due

    parse_due(answer)


def _table(items) -> None:
    output.table(
        [("ID", output.ID), ("Due", output.TIME), ("Title", output.NAME), ("Owner", output.NAME), ("On", output.NAME), "State"],
        ((t["id"], output.when(t["due"]), t["title"], t["owner"],
          next((t[k]["name"] for k in ("deal", "company", "contact") if t[k]), ""),  # the most specific link
          "done" if t["done"] else ("overdue" if t["overdue"] else "open")) for t in items),
    )


@app.command("list", epilog="Example: salescrm task list --mine --overdue")
def list_(
    ctx: typer.Context,
    mine: bool = typer.Option(False, "--mine", help="Only yours (the acting user's)."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Only this team member's (name, id or login)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only those whose due time has passed."),
    deal: Optional[str] = typer.Option(None, "--deal", help="Only those of this deal."),
    company: Optional[str] = typer.Option(None, "--company", help="Only those of this company."),
    all_: bool = typer.Option(False, "--all", help="Include done tasks."),
    limit: Optional[int] = limit_option(),
    json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout."),
) -> None:
    """List open tasks of every owner, soonest due first."""
    _check_owner_options(mine, owner)
    from salescrm.domain import tasks

    f = tasks.TaskFilter(owner=owner, mine=mine, overdue=overdue, deal=deal, company=company, include_done=all_)
    with runtime(ctx).reading() as session:
        items = tasks.iter_task_objects(session, f, no_limit(limit))
        if json:
            output.print_json_array(items)
        else:
            _table(items)


def _check_owner_options(mine: bool, owner: str | None) -> None:
    if mine and owner:
        from salescrm.errors import InvalidValue

        raise InvalidValue("Give --mine or --owner, not both.")


@app.command("done", epilog="Example: salescrm task done 7")
def done(
    ctx: typer.Context,
    task_ids: Optional[List[str]] = typer.Argument(None, help="Task id (several for several; chosen from the open tasks on a "
                                                         "terminal when left out).", show_default=False),
    json: bool = typer.Option(False, "--json", help="Print the tasks done as a JSON array on stdout (as `task list --json`)."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Mark tasks done (all of them, or none when one cannot be)."""
    from salescrm.domain import tasks

    rt = runtime(ctx)
    if not task_ids:
        from salescrm.cli.pick import open_tasks

        needs = Needs()
        needs.add("task ids", "the TASK_IDS argument", lambda p: open_tasks(rt, p))
        task_ids = needs.resolve(rt)["the TASK_IDS argument"]
    with rt.writing(reason) as session:
        finished = [tasks.complete_task(session, task_id) for task_id in task_ids]
        objects = [tasks.shown_task(session, task.id) for task in finished] if json else None
    if json:
        output.print_json(objects)
        return
    for task in finished:
        output.say(f"Done: task {task.id} {task.title}")


@app.command("due", epilog="Example: salescrm task due --within 1d --json || notify-send 'salescrm: tasks due'")
def due(
    ctx: typer.Context,
    within: Optional[str] = typer.Option(None, "--within", metavar="DURATION",
                                         help="Also those due within this time from now (30m, 2h, 1d); default: already due."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Only this team member's (name, id or login)."),
    mine: bool = typer.Option(False, "--mine", help="Only yours."),
    json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout."),
) -> None:
    """For cron: open tasks due or overdue. Exit 0 when there are none, 1 when there are (errors: 2, 3)."""
    _check_owner_options(mine, owner)
    from salescrm.domain import tasks, times

    horizon = times.now() + (times.parse_duration(within, "Within (--within)") if within else timedelta())
    f = tasks.TaskFilter(owner=owner, mine=mine, due_before=horizon)
    count = 0

    def counted(items):
        nonlocal count
        for item in items:
            count += 1
            yield item

    with runtime(ctx).reading() as session:
        items = counted(tasks.iter_task_objects(session, f))
        if json:
            output.print_json_array(items)
        else:
            due_now = list(items)
            if due_now:  # nothing at all when nothing is due: cron mails any output
                _table(due_now)
    if count:
        raise typer.Exit(1)
