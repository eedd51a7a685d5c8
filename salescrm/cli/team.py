"""`salescrm team`: the people who own deals and sign contracts (GP-009 job descriptions)."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm import process
from salescrm.cli import output
from salescrm.cli.runtime import Needs, reason_option, runtime

app = typer.Typer(epilog='Example: salescrm team add "Ana García" --role JD-019', no_args_is_help=True)

LOGIN_HELP = "The name they act under: their operating-system login, or SALESCRM_USER (for --mine and their tasks)."
JSON_HELP = "Print the team member as JSON on stdout (the shape of `team list --json`'s items)."
ROLE_HELP = "GP-009 job description, by code or title: " + ", ".join(f"{r.code} {r.title}" for r in process.ROLES) + "."


@app.command("add", epilog='Example: salescrm team add "Ana García" --role JD-019')
def add(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Full name.", show_default=False),
    role: Optional[str] = typer.Option(None, "--role", help=ROLE_HELP),
    login: Optional[str] = typer.Option(None, "--login", help=LOGIN_HELP),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Add a team member with a GP-009 role (and the login they act under, if they use salescrm)."""
    rt = runtime(ctx)
    needs = Needs()
    if name is None:
        needs.add("name", "the NAME argument", lambda p: p.text("Full name", validate=_name))
    if role is None:
        choices = [f"{r.code} {r.title}" for r in process.ROLES]
        needs.add("role", "--role", lambda p: p.select("Role (GP-009 job description)", choices).split(" ")[0])
    if login is None:
        needs.offer("login", "--login", lambda p: p.text(
            "Login", instruction="(their operating-system login or SALESCRM_USER; empty for none)").strip() or None)
    answers = needs.resolve(rt)
    from salescrm.domain import team, views

    with rt.writing(reason) as session:
        member = team.add_member(session, answers.get("the NAME argument", name), answers.get("--role", role),
                                 answers.get("--login", login))
        obj = views.team_object(member, process.of(session).role_titles)
    if json:
        output.print_json(obj)
        return
    output.say(f"Added team member {member.id}: {member.name} ({member.role} {obj['title']})"
               + (f", login {member.login}" if member.login else ""))


def _name(answer: str) -> None:
    from salescrm.domain.values import clean_name
    from salescrm.store.models import TeamMember, size

    clean_name(answer, "Name", size(TeamMember.name))


@app.command("set-login", epilog='Example: salescrm team set-login "Ana García" ana')
def set_login(
    ctx: typer.Context,
    member: Optional[str] = typer.Argument(None, help="Team member id or name (asked on a terminal when left out).", show_default=False),
    login: Optional[str] = typer.Argument(None, help=LOGIN_HELP + " Empty to remove.", show_default=False),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Give a team member the login they act under."""
    from salescrm.domain import team, views

    rt = runtime(ctx)
    needs = Needs()
    if member is None:
        needs.add("team member", "the MEMBER argument", lambda p: _ask_member(rt, p))
    if login is None:
        needs.add("login", "the LOGIN argument", lambda p: p.text("Login (empty to remove)"))
    answers = needs.resolve(rt)
    member, login = answers.get("the MEMBER argument", member), answers.get("the LOGIN argument", login)
    with rt.writing(reason) as session:
        found = team.set_login(session, member, login)
        obj = views.team_object(found, process.of(session).role_titles)
    if json:
        output.print_json(obj)
        return
    output.say(f"Team member {found.id} {found.name}: " + (f"login {found.login}" if found.login else "no login"))


@app.command("list", epilog="Example: salescrm team list --json")
def list_(ctx: typer.Context, json: bool = typer.Option(False, "--json", help="Print JSON on stdout.")) -> None:
    """List team members with their role code and title."""
    from salescrm.domain import team, views

    with runtime(ctx).reading() as session:
        titles = process.of(session).role_titles
        members = [views.team_object(m, titles) for m in team.list_members(session)]
    if json:
        output.print_json(members)
        return
    output.table([("ID", output.ID), ("Name", output.NAME), "Role", ("Title", output.NAME), "Login"], [(m["id"], m["name"], m["role"], m["title"], m["login"]) for m in members])


def _ask_member(rt, p) -> str:
    """A team member, chosen by name (with their role); their id as text."""
    from salescrm.domain import team

    with rt.reading() as session:
        members = {f"{m.name} ({m.role})": str(m.id) for m in team.list_members(session)}
    if not members:
        from salescrm.errors import NotFound

        raise NotFound("There is no team member yet: add one with `salescrm team add`.")
    from salescrm.cli.prompts import pick

    return members[pick(p, "Team member", list(members))]
