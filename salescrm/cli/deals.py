"""`salescrm deal`: deals through the pipelines of the database's process, each move gated by its rules.

Each command reads what it needs, asks its questions with no transaction open,
then writes in one short transaction that checks the rules again.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from salescrm.cli import output
from salescrm.cli.prompts import required
from salescrm.cli.runtime import DUE_HELP, Needs, Runtime, limit_option, no_limit, pipeline_option, reason_option, runtime

app = typer.Typer(epilog='Example: salescrm deal advance 1', no_args_is_help=True)

JSON_HELP = "Print JSON on stdout."
SET_HELP = ("A gate value KEY=VALUE (repeatable), e.g. --set budget='Approved for 2027'. Any gate key: one of a later stage "
            "is recorded now and checked when its gate is entered. Keys: {gate_keys}.")
EDIT_SET_HELP = ("A gate value KEY=VALUE (repeatable), any gate key. A value of a later stage is recorded as soon as it is "
                 "known and checked when its gate is entered; a value of a stage already passed corrects what its gate "
                 "accepted, and that gate must still be met. Keys: {gate_keys}.")
KEEP_TASKS_HELP = "Leave the deal's open tasks open (a deal that becomes won or lost closes them, marked with why)."
STAGE_HELP = "Stage name in any case, or a slug such as offer-sent: {stages}."
CLASS_HELP = "Deal class: {deal_classes}."
CATEGORY_HELP = "Lost reason category: {lost_categories}."
AMOUNT_HELP = "Amount in currency units: 12000, 12,000 or 12 000, and cents after a point (12000.50)."


def _complete_stage(ctx: typer.Context, incomplete: str) -> list[str]:
    from salescrm.cli.completion_values import stage_slugs

    return stage_slugs(ctx, incomplete)


def _complete_class(ctx: typer.Context, incomplete: str) -> list[str]:
    from salescrm.cli.completion_values import deal_classes

    return deal_classes(ctx, incomplete)


def _complete_pipeline(ctx: typer.Context, incomplete: str) -> list[str]:
    from salescrm.cli.completion_values import pipeline_keys

    return pipeline_keys(ctx, incomplete)


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    from salescrm.domain.values import parse_set_options

    return parse_set_options(pairs)


# --- create ------------------------------------------------------------------------------


@app.command(
    "create",
    epilog='Example: salescrm deal create --company "Sanitas Hospitales" --description "Proof of Concept" --amount 12000 '
    '--close-date 2027-03-31 --class "Care provider inpatient private" --source "LinkedIn outreach" --owner "Ana García" '
    "--contact marta@sanitas.es",
)
def create(
    ctx: typer.Context,
    company: Optional[str] = typer.Option(None, "--company", help="Company id or name."),
    description: Optional[str] = typer.Option(None, "--description", help="Brief description (the deal's name is <country> <company> <description>)."),
    amount: Optional[str] = typer.Option(None, "--amount", help=AMOUNT_HELP),
    currency: Optional[str] = typer.Option(None, "--currency", help="The amount's currency, an ISO 4217 code such as USD (default: the database's; with --from, that deal's)."),
    close_date: Optional[str] = typer.Option(None, "--close-date", help="Expected close date, YYYY-MM-DD (a forecast)."),
    deal_class: Optional[str] = typer.Option(None, "--class", help=CLASS_HELP, autocompletion=_complete_class),
    source: Optional[str] = typer.Option(None, "--source", help="The action that originated the deal, e.g. 'LinkedIn outreach'."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Deal owner: a team member with role JD-019 or JD-002."),
    contact: List[str] = typer.Option([], "--contact", help="Contact id, email or name (repeatable)."),
    country: Optional[str] = typer.Option(None, "--country", help="Country of the contracting legal entity (default: the company's)."),
    stage: Optional[str] = typer.Option(None, "--stage", help="Create further along than Prospected, when every gate up to it is met. " + STAGE_HELP, autocompletion=_complete_stage),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", help="The pipeline, by key or label (default: the process's first; `salescrm process show` lists them).", autocompletion=_complete_pipeline),
    set_: List[str] = typer.Option([], "--set", help=SET_HELP),
    from_deal: Optional[str] = typer.Option(None, "--from", help="Copy company, country, description, class, source, owner, contacts and currency from this (lost) deal."),
    json: bool = typer.Option(False, "--json", help="Print the new deal as JSON on stdout."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Create a deal, named <country> <company> <description>, in Prospected (or --stage)."""
    from salescrm.cli import deal_drafts
    from salescrm.domain import deals, views
    from salescrm.errors import GateNotMet

    rt = runtime(ctx)
    values = _parse_sets(set_)
    draft = deals.DealDraft(company, description, amount, close_date, deal_class, source, owner, country, list(contact),
                            currency=currency, pipeline=pipeline)
    with rt.reading() as session:
        if from_deal:
            draft = deals.draft_from(session, from_deal, draft)
        entering = deal_drafts.entering(session, draft, stage)
        choices = deal_drafts.create_choices(session) if rt.can_prompt() else {"classes": deal_drafts.deal_classes(session)}
    typed_fields: list[tuple[str, str]] = []  # the options answered at prompts, for a retry line
    draft = deal_drafts.ask_missing_fields(rt, draft, choices, typed_fields)
    if not draft.contacts:
        draft.contacts = deal_drafts.ask_contacts(rt, draft.company)
        typed_fields += [("--contact", c) for c in draft.contacts]
    typed: dict[str, str] = {}
    try:
        if any(s.gate for s in entering) and rt.can_prompt():
            from salescrm.cli.deal_moves import ask_create_gates

            values = ask_create_gates(rt, draft, entering, values, typed)
        with rt.writing(reason) as session:
            outcome = deals.create_deal(session, draft, stage=stage, gate_values=values)
            obj = views.deal_object(session, outcome.record) if json else None
            created = deal_drafts.created_tasks(session, outcome.record)
    except GateNotMet as e:
        from salescrm.cli.gate_prompts import with_retry

        raise with_retry(rt, e, typed, typed_fields) from None
    for warning in outcome.warnings:
        output.warn(warning)
    deal = outcome.record
    if json:
        output.print_json(obj)
    else:
        output.say(f"Created deal {deal.id}: {deal.name} ({deal.stage})")
        from salescrm.cli.deal_moves import say_created_tasks

        say_created_tasks(created)


# --- advance -----------------------------------------------------------------------------


@app.command("advance", epilog="Example: salescrm deal advance 1 --set segment_verified=yes --set decision_maker=marta@sanitas.es")
def advance(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    to: Optional[str] = typer.Option(None, "--to", help="Skip ahead to this stage; every gate passed through must be met. " + STAGE_HELP, autocompletion=_complete_stage),
    set_: List[str] = typer.Option([], "--set", help=SET_HELP),
    next_step: Optional[str] = typer.Option(None, "--next-step", metavar="TEXT", help="Add the deal's next step as a task for its owner (not at a final stage)."),
    next_step_due: Optional[str] = typer.Option(None, "--next-step-due", metavar="DATE", help="When the next step is due. " + DUE_HELP),
    keep_tasks: bool = typer.Option(False, "--keep-tasks", help=KEEP_TASKS_HELP),
    json: bool = typer.Option(False, "--json", help="Print the deal as JSON on stdout (with the tasks it closed, closed_tasks)."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Move a deal into the next stage, asking for what its gate requires (and, on a terminal, its next step)."""
    from salescrm.cli import deal_moves
    from salescrm.cli.gate_prompts import with_retry
    from salescrm.domain import gates
    from salescrm.errors import GateNotMet
    from salescrm.store.columns import iso

    rt = runtime(ctx)
    from salescrm.cli import pick

    deal = pick.argument(rt, deal, "deal", open_only=True)
    typed: dict[str, str] = {}
    try:
        moved, task, closed, obj, obj_created, following = deal_moves.advance(
            rt, deal, to, _parse_sets(set_), next_step, next_step_due, keep_tasks, json, reason, typed)
    except GateNotMet as e:
        raise with_retry(rt, e, typed) from None
    for note in moved.notes:
        output.warn(note)
    if json:
        output.print_json(obj)
        return
    output.say(f"Deal {moved.deal.id} moved from {moved.from_stage} to {moved.deal.stage}: {moved.deal.name}")
    if task is not None:
        output.say(f"Next step: task {task.id} {task.title}, due {output.when(iso(task.due))}")
    deal_moves.say_closed_tasks(closed)
    deal_moves.say_created_tasks(obj_created)
    if following is not None:
        output.say("Next: " + gates.describe_gate(following))


# --- lose --------------------------------------------------------------------------------


@app.command("lose", epilog='Example: salescrm deal lose 1 --category "Bad timing" --reason "Budget frozen until 2028"')
def lose(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    category: Optional[str] = typer.Option(None, "--category", help=CATEGORY_HELP),
    reason: Optional[str] = typer.Option(
        None, "--reason", help="The lost reason's details, in free text (kept as the journal's reason too)."
    ),
    keep_tasks: bool = typer.Option(False, "--keep-tasks", help=KEEP_TASKS_HELP),
    json: bool = typer.Option(False, "--json", help="Print the deal as JSON on stdout (as `deal show --json`, without its "
                              "timeline), with the tasks closed with it under `closed_tasks`."),
) -> None:
    """Lose a deal: it is kept, renamed `Lost ...`, and never moves again; its open tasks are closed. A won deal
    is lost only by the process's back-out (health-prime: a signed deal backed out, by JD-002)."""
    from salescrm.domain import moves, refs, tasks, views
    from salescrm.domain.pipelines import process_of

    rt = runtime(ctx)
    from salescrm.cli import pick

    deal = pick.argument(rt, deal, "deal", losable=True)
    with rt.reading() as session:
        found = refs.deal(session, deal)
        seen_version = found.version
        categories = process_of(session).lost_categories
    needs = Needs()
    if category is None:
        needs.add("lost reason category", "--category", lambda p: p.select("Lost reason category", categories))
    if reason is None:
        needs.add("lost reason details", "--reason", lambda p: p.text("Lost reason details", validate=required("Lost reason")))
    answers = needs.resolve(rt)
    reason = answers.get("--reason", reason)
    with rt.writing(reason) as session:  # the lost reason's details are the journal's reason too
        moved = moves.lose_deal(
            session, str(found.id), answers.get("--category", category), reason,
            expected_version=seen_version, keep_tasks=keep_tasks,
        )
        lost = moved.deal
        closed = [tasks.shown_task(session, t.id) for t in moved.closed_tasks]
        obj = {**views.deal_object(session, lost), "closed_tasks": closed} if json else None
    for note in moved.notes:
        output.warn(note)
    if json:
        output.print_json(obj)
        return
    output.say(f"Deal {lost.id} lost ({lost.lost_reason_category}): {lost.name}")
    from salescrm.cli.deal_moves import say_closed_tasks

    say_closed_tasks(closed)


@app.command("sop", epilog='Example: salescrm deal sop 1 --reason "S&OP before Partner of Choice"')
def sop(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout: deal, activity, text, lines."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Log the deal's summary note (health-prime: the #S&OP snippet) and print it alone on stdout; refused while a value it lists is missing."""
    from salescrm.cli import pick
    from salescrm.domain import sop as summaries

    rt = runtime(ctx)
    deal = pick.argument(rt, deal, "deal")
    with rt.writing(reason) as session:
        summary = summaries.log(session, deal)
    if json:
        output.print_json(summary.as_object())
    else:
        output.lines(summary.text.split("\n"))
    output.err(f"Logged note {summary.activity_id} on deal {summary.deal_id}.")


# --- show / list ---------------------------------------------------------------------------


@app.command("show", epilog="Example: salescrm deal show 1")
def show(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    all_: bool = typer.Option(False, "--all", help="The whole timeline, not only the newest entries."),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show a deal: its fields, gate values, timeline (activities, tasks, stage changes), and what the next stage needs."""
    from salescrm.cli.deal_views import render_deal
    from salescrm.domain import gates, moves, refs, views
    from salescrm.domain.pipelines import stage_of
    from salescrm.domain.timeline import TIMELINE_LIMIT, timeline

    rt = runtime(ctx)
    from salescrm.cli import pick

    deal = pick.argument(rt, deal, "deal")
    with rt.reading() as session:
        found = refs.deal_row(session, deal)
        obj = views.deal_object(session, found)
        obj["timeline"] = timeline(session, deal_id=found.id, limit=None if all_ else TIMELINE_LIMIT)
        if not json:
            stage, following = stage_of(session, found), moves.next_stage(session, found)
    if json:
        output.print_json(obj)
        return
    render_deal(obj)
    output.timeline(obj["timeline"], all_)
    if following is not None:
        output.say("\nNext: " + gates.describe_gate(following))
    elif stage is None:
        output.say(f"\nStage '{found.stage}' is not one salescrm knows: it was written outside salescrm "
                   "(`salescrm db check` lists such values), so the deal cannot move on until it holds a stage of the process.")
    elif stage.lost:
        output.say(f"\nLost deals are final: to sell this again, run `salescrm deal create --from {found.id}`.")
    else:
        output.say(f"\nWon ({stage.name}), which is final.")


@app.command("next-steps", epilog='Example: salescrm deal next-steps --owner "Ana García" --json')
def next_steps(
    ctx: typer.Context,
    owner: Optional[str] = typer.Option(None, "--owner", help="Only deals of this owner."),
    class_: Optional[str] = typer.Option(None, "--class", help="Only deals of this class.", autocompletion=_complete_class),
    json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout."),
) -> None:
    """Every open deal with its next step (its earliest open task); deals with none or an overdue one come first."""
    from salescrm.cli.deal_views import render_next_steps
    from salescrm.domain import tasks

    with runtime(ctx).reading() as session:
        render_next_steps(tasks.iter_next_steps(session, owner=owner, deal_class=class_), json)


@app.command("list", epilog="Example: salescrm deal list --stage discovered --owner \"Ana García\" --json")
def list_(
    ctx: typer.Context,
    stage: Optional[str] = typer.Option(None, "--stage", help="Only deals in this stage. " + STAGE_HELP, autocompletion=_complete_stage),
    owner: Optional[str] = typer.Option(None, "--owner", help="Only deals of this owner."),
    deal_class: Optional[str] = typer.Option(None, "--class", help="Only deals of this class.", autocompletion=_complete_class),
    company: Optional[str] = typer.Option(None, "--company", help="Only deals of this company."),
    pipeline: Optional[str] = pipeline_option(),
    open_: bool = typer.Option(False, "--open", help="Only open deals (not won, not lost)."),
    won: bool = typer.Option(False, "--won", help="Only won deals (Payment Done)."),
    lost: bool = typer.Option(False, "--lost", help="Only lost deals."),
    limit: Optional[int] = limit_option(),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List deals, newest first (lost and won included unless filtered)."""
    from salescrm.cli.deal_views import owner_shown
    from salescrm.domain import views

    filters = views.DealFilter(stage=stage, owner=owner, deal_class=deal_class, company=company, open=open_, won=won, lost=lost,
                               pipeline=pipeline)
    with runtime(ctx).reading() as session:
        objects = views.iter_deal_objects(session, filters, no_limit(limit))
        if json:
            output.print_json_array(objects)
            return
        output.table(
            [("ID", output.ID), ("Name", output.NAME), "Stage", ("Amount", output.AMOUNT), "Cur.",
             ("Close date", output.DATE), ("Owner", output.NAME)],
            ((d["id"], d["name"], d["stage"], output.money(d["amount"]), d["currency"], d["close_date"],
              owner_shown(d["owner"], d["owner_id"])) for d in objects),
        )


# --- edit --------------------------------------------------------------------------------


@app.command("edit", epilog="Example: salescrm deal edit 1 --amount 15000 --close-date 2027-06-30")
def edit(
    ctx: typer.Context,
    deal: Optional[str] = typer.Argument(None, help="Deal id or name, or a unique part of it (asked on a terminal when left out).", show_default=False),
    amount: Optional[str] = typer.Option(None, "--amount", help="New amount. " + AMOUNT_HELP),
    currency: Optional[str] = typer.Option(None, "--currency", help="New currency of the amount, an ISO 4217 code such as USD."),
    close_date: Optional[str] = typer.Option(None, "--close-date", help="New expected close date, YYYY-MM-DD."),
    country: Optional[str] = typer.Option(None, "--country", help="New country (the name is rebuilt)."),
    description: Optional[str] = typer.Option(None, "--description", help="New description (the name is rebuilt)."),
    deal_class: Optional[str] = typer.Option(None, "--class", help=CLASS_HELP, autocompletion=_complete_class),
    source: Optional[str] = typer.Option(None, "--source", help="New source."),
    owner: Optional[str] = typer.Option(None, "--owner", help="New owner (JD-019 or JD-002)."),
    add_contact: List[str] = typer.Option([], "--add-contact", help="Add a contact (repeatable)."),
    remove_contact: List[str] = typer.Option([], "--remove-contact", help="Remove a contact (repeatable)."),
    lost_category: Optional[str] = typer.Option(None, "--lost-category", help="A lost deal's new lost reason category."),
    lost_reason: Optional[str] = typer.Option(None, "--lost-reason", help="A lost deal's new lost reason details."),
    set_: List[str] = typer.Option([], "--set", help=EDIT_SET_HELP),
    json: bool = typer.Option(False, "--json", help="Print the deal as JSON on stdout (as `deal show --json`, without its timeline)."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Change the fields a rep keeps up to date (stages change only through advance and lose)."""
    from salescrm.domain import deals, views
    from salescrm.errors import InvalidValue

    rt = runtime(ctx)
    changes = deals.DealChanges(amount, close_date, country, description, deal_class, source, owner,
                                list(add_contact), list(remove_contact), lost_category, lost_reason, _parse_sets(set_),
                                currency=currency)
    if not changes.business_fields() and lost_category is None and lost_reason is None:
        raise InvalidValue("Nothing to change: give at least one option, e.g. --amount or --close-date (see --help).")
    from salescrm.cli import pick

    deal = pick.argument(rt, deal, "deal")
    if changes.gate_values and reason is None and rt.can_prompt() and _corrects_a_passed_gate(rt, deal, changes.gate_values):
        reason = rt.ask().text(
            "Reason for changing a value the stage gate already accepted", validate=required("Reason"),
            instruction="(kept in the journal)",
        )
    with rt.writing(reason) as session:
        outcome = deals.edit_deal(session, deal, changes)
        obj = views.deal_object(session, outcome.record) if json else None
    for warning in outcome.warnings:
        output.warn(warning)
    if json:
        output.print_json(obj)
        return
    output.say(f"Updated deal {outcome.record.id}: {outcome.record.name}")


def _corrects_a_passed_gate(rt: Runtime, deal: str, values: dict[str, str]) -> bool:
    """Whether `deal edit --set` changes a value of a stage the deal already entered (its reason is asked)."""
    from salescrm.domain import refs
    from salescrm.domain.moves import passed_stages

    with rt.reading() as session:
        entered = {k for s in passed_stages(session, refs.deal(session, deal)) if s.gate for k in s.gate.keys}
    return bool(entered & set(values))  # none for a lost deal or a stage salescrm does not know: `deal edit` refuses it
