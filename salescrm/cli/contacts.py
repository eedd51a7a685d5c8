"""`salescrm contact`: the people we sell to."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from salescrm.cli import output
from salescrm.cli.output_files import force_option, output_option
from salescrm.cli.prompts import required
from salescrm.cli.runtime import PROPERTY_SET_HELP, Needs, limit_option, no_limit, reason_option, runtime
from salescrm.cli.tasks import follow_up_delay, follow_up_in_option, no_follow_up_option, say_follow_up

app = typer.Typer(epilog='Example: salescrm contact list --company "Sanitas Hospitales"', no_args_is_help=True)

JSON_HELP = "Print JSON on stdout."
WRITE_JSON_HELP = "Print the contact as JSON on stdout, in the shape of `contact show --json` (without its timeline)."

@app.command(
    "add",
    epilog='Example: salescrm contact add --first-name Marta --last-name Ruiz --job-title "Head of Dermatology" '
    '--company "Sanitas Hospitales" --email marta@sanitas.es --phone "+34 600 000 000"',
)
def add(
    ctx: typer.Context,
    first_name: Optional[str] = typer.Option(None, "--first-name", help="First name."),
    last_name: Optional[str] = typer.Option(None, "--last-name", help="Last name."),
    job_title: Optional[str] = typer.Option(None, "--job-title", help="Job title."),
    company: List[str] = typer.Option([], "--company", help="Company id or name (repeat for several)."),
    email: Optional[str] = typer.Option(None, "--email", help="Email (unique, ignoring case)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone; read with the first company's country as default region."),
    no_follow_up: bool = no_follow_up_option(),
    follow_up_in: str = follow_up_in_option(),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP + " The follow-up task is under `follow_up`."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Add a contact (SP-009-001 requires first name, last name and job title), with a follow-up call task
    for you unless their company already has an open one."""
    rt = runtime(ctx)
    delay = follow_up_delay(no_follow_up, follow_up_in)
    needs = Needs()
    for value, label, option in ((first_name, "first name", "--first-name"), (last_name, "last name", "--last-name"),
                                 (job_title, "job title", "--job-title")):
        if value is None:
            needs.add(label, option, lambda p, label=label: p.text(label.capitalize(), validate=required(label.capitalize())))
    chosen: dict[str, str | None] = {}
    if not company:
        needs.offer("company", "--company", lambda p: chosen.setdefault("company", _ask_company(rt, p)))
    if email is None:
        needs.offer("email", "--email", lambda p: p.text("Email", validate=_optional_email, instruction="(empty for none)"))
    if phone is None:
        needs.offer("phone", "--phone", lambda p: p.text(
            "Phone", validate=_phone_check(rt, chosen.get("company") or (company[0] if company else None)),
            instruction="(empty for none)"))
    answers = needs.resolve(rt)
    if answers.get("--company"):
        company = [answers["--company"]]
    from salescrm.domain import contacts, tasks, views
    from salescrm.domain.activities import Linked

    with rt.writing(reason) as session:
        contact = contacts.add_contact(
            session,
            answers.get("--first-name", first_name),
            answers.get("--last-name", last_name),
            answers.get("--job-title", job_title),
            email=answers.get("--email", email),
            phone=answers.get("--phone", phone),
            companies=company,
        )
        linked = contacts.companies_of(session, contact.id)
        task = None
        if delay is not None:
            task = tasks.follow_up(session, Linked(contact, linked[0] if len(linked) == 1 else None, None), delay)
        obj = {**views.contact_object(session, contact), "follow_up": tasks.shown_task(session, task.id) if task else None} if json else None
    if json:
        output.print_json(obj)
        return
    output.say(f"Added contact {contact.id}: {contact.first_name} {contact.last_name}")
    say_follow_up(task)


def _ask_company(rt, p) -> str | None:
    """The contact's company, with completion; skipped when left empty (or when there is none yet)."""
    from salescrm.cli.pick import ask_record, named

    return ask_record(p, "Company (Tab completes; empty for none)", "company", named(rt, "company"), optional=True)


def _optional_email(answer: str) -> None:
    from salescrm.domain.values import parse_email

    if answer.strip():
        parse_email(answer)


def _phone_check(rt, company: str | None):
    """A phone is read with the company's country as its default region, as `--phone` is."""
    region = None
    if company:
        from salescrm.domain import refs

        with rt.reading() as session:
            region = refs.company(session, company).country

    def check(answer: str) -> None:
        from salescrm.domain.values import parse_phone

        if answer.strip():
            parse_phone(answer, region)

    return check


@app.command("list", epilog='Example: salescrm contact list --company "Sanitas Hospitales" --json')
def list_(
    ctx: typer.Context,
    company: Optional[str] = typer.Option(None, "--company", help="Only contacts of this company."),
    channel: Optional[str] = typer.Option(None, "--channel", help="Only leads that came by this channel (web-form, phone, ...)."),
    source: Optional[str] = typer.Option(None, "--source", help="Only leads whose search engine, keyword or source page contains this."),
    consented: Optional[str] = typer.Option(None, "--consented", metavar="PURPOSE",
                                            help="Only contacts whose latest consent event for this purpose (marketing) grants it."),
    limit: Optional[int] = limit_option(),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List contacts with their lifecycle stage."""
    from salescrm.domain import contacts, views

    with runtime(ctx).reading() as session:
        found = contacts.list_contacts(session, company=company, channel=channel, source=source, limit=no_limit(limit),
                                       consented=consented)
        objects = views.contact_objects(session, found)
    if json:
        output.print_json(objects)
        return
    output.table(
        [("ID", output.ID), ("Name", output.NAME), ("Job title", output.NAME), ("Email", output.EMAIL), "Lifecycle stage",
         ("Companies", output.NAME)],
        [(c["id"], f"{c['first_name']} {c['last_name']}", c["job_title"], c["email"], c["lifecycle_stage"],
          ", ".join(x["name"] for x in c["companies"])) for c in objects],
    )


@app.command("show", epilog="Example: salescrm contact show marta@sanitas.es")
def show(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    all_: bool = typer.Option(False, "--all", help="The whole timeline, not only the newest entries."),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show a contact with their lifecycle stage, companies, deals and timeline."""
    from salescrm.domain import refs, views
    from salescrm.domain.timeline import TIMELINE_LIMIT, timeline

    rt = runtime(ctx)
    from salescrm.cli import pick

    contact = pick.argument(rt, contact, "contact")
    with rt.reading() as session:
        found = refs.contact(session, contact)
        obj = views.contact_object(session, found)
        obj["timeline"] = timeline(session, contact_id=found.id, limit=None if all_ else TIMELINE_LIMIT)
    if json:
        output.print_json(obj)
        return
    output.details(
        section="contact", pairs=[
            ("Contact", f"{obj['first_name']} {obj['last_name']} (id {obj['id']})"),
            ("Job title", obj["job_title"] or "-"),
            ("Email", obj["email"] or "-"),
            ("Phone", obj["phone"] or "-"),
            ("Lifecycle stage", obj["lifecycle_stage"]),
            ("Companies", ", ".join(c["name"] for c in obj["companies"]) or "-"),
            *([("Came by", _lead_source(obj))] if obj["channel"] else []),
        ]
    )
    output.properties(obj["properties"])
    if obj["deals"]:
        output.heading("Deals", "deals")
        output.table([("ID", output.ID), ("Name", output.NAME), "Stage"], [(d["id"], d["name"], d["stage"]) for d in obj["deals"]])
    if obj["consent"]:
        output.heading("Consent", "consent")
        output.table([("At", output.TIME), "Purpose", "State", "Basis", ("Source", output.NAME), "By"],
                     [(output.when(e["at"]), e["purpose"], e["state"], e["basis"] or "-", e["source"], e["recorded_by"])
                      for e in obj["consent"]])
    output.timeline(obj["timeline"], all_)


def _lead_source(obj: dict) -> str:
    captured = [f"{label} {obj[key]}" for key, label in (("search_engine", "search engine"), ("keyword", "keyword"),
                                                          ("source_page", "page")) if obj[key]]
    return obj["channel"] + (f" ({', '.join(captured)})" if captured else "")


@app.command("edit", epilog="Example: salescrm contact edit marta@sanitas.es --job-title \"Medical Director\" --add-company DKV")
def edit(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    first_name: Optional[str] = typer.Option(None, "--first-name", help="New first name."),
    last_name: Optional[str] = typer.Option(None, "--last-name", help="New last name."),
    job_title: Optional[str] = typer.Option(None, "--job-title", help="New job title."),
    email: Optional[str] = typer.Option(None, "--email", help="New email (empty to clear)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="New phone (empty to clear)."),
    add_company: List[str] = typer.Option([], "--add-company", help="Link to this company (repeatable)."),
    remove_company: List[str] = typer.Option([], "--remove-company", help="Unlink from this company (repeatable)."),
    set_: List[str] = typer.Option([], "--set", help=PROPERTY_SET_HELP.format(record="contact")),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Change a contact's names, job title, email, phone, companies or properties."""
    if all(v is None for v in (first_name, last_name, job_title, email, phone)) and not (add_company or remove_company or set_):
        from salescrm.errors import InvalidValue

        raise InvalidValue(
            "Nothing to change: give --first-name, --last-name, --job-title, --email, --phone, --add-company, "
            "--remove-company or --set."
        )
    from salescrm.domain import contacts, views

    rt = runtime(ctx)
    from salescrm.cli import pick

    contact = pick.argument(rt, contact, "contact")
    with rt.writing(reason) as session:
        found = contacts.edit_contact(
            session, contact, first_name=first_name, last_name=last_name, job_title=job_title, email=email,
            phone=phone, add_companies=add_company, remove_companies=remove_company, properties=set_,
        )
        obj = views.contact_object(session, found) if json else None
    if json:
        output.print_json(obj)
        return
    output.say(f"Updated contact {found.id}: {found.first_name} {found.last_name}")


@app.command("set-lifecycle", epilog='Example: salescrm contact set-lifecycle ann@sunrise.example "Exclude from Marketing" '
                                      '--reason "Asked not to be marketed to"')
def set_lifecycle(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    value: Optional[str] = typer.Argument(None, help="One of the process's manual lifecycle values (health-prime: Exclude from "
                                          "Marketing, Additional Sales Contact, Recycled; asked on a terminal when left out).",
                                          show_default=False),
    clear: bool = typer.Option(False, "--clear", help="Forget the value set by hand: the stage follows from the data alone."),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Set a contact's lifecycle stage by hand, where the database's process allows it (`salescrm process show`).

    Health Prime's Exclude from Marketing and Additional Sales Contact are a person's choice, which automation
    never overrides; a Recycled set by hand gives way to Customer and Sales Qualified Lead. A process whose
    lifecycle is only derived (sp-009-001) refuses it."""
    from salescrm.cli import pick
    from salescrm.domain import contacts, views
    from salescrm.errors import InvalidValue

    if clear and value is not None:
        raise InvalidValue("Give a VALUE or --clear, not both.")
    rt = runtime(ctx)
    contact = pick.argument(rt, contact, "contact")
    if value is None and not clear:
        with rt.reading() as session:
            manual = contacts.manual_lifecycle_values(session)
        needs = Needs()
        needs.add("lifecycle stage", "the VALUE argument", lambda p: p.select("Lifecycle stage", list(manual)))
        value = needs.resolve(rt)["the VALUE argument"]
    with rt.writing(reason) as session:
        found = contacts.set_lifecycle(session, contact, None if clear else value)
        obj = views.contact_object(session, found)
    if json:
        output.print_json(obj)
        return
    name = f"Contact {found.id} {found.first_name} {found.last_name}"
    stage = obj["lifecycle_stage"]
    if obj["manual_lifecycle"] is None:
        output.say(f"{name}: no lifecycle stage set by hand; it follows from the data: {stage}")
    elif obj["manual_lifecycle"] == stage:
        output.say(f"{name}: lifecycle stage {stage} (set by hand)")
    else:
        output.say(f"{name}: {obj['manual_lifecycle']} set by hand, but the lifecycle stage is {stage}, which the "
                   "process's rules put first (`salescrm process show`)")


@app.command("export-data", epilog="Example: salescrm contact export-data marta@sanitas.es --output marta.json")
def export_data(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    target: Optional[Path] = output_option(),
    force: bool = force_option(),
) -> None:
    """Everything held about a person, as one JSON document: a data subject's access request (GDPR article 15).

    Their fields and properties, companies, deals (linked, or naming them at a gate), activities, tasks,
    consent ledger, and the journal entries about them.
    """
    from salescrm.cli import pick
    from salescrm.cli.output_files import Destination
    from salescrm.domain import personal_data
    from salescrm.store.actors import actor_of
    from salescrm.store.columns import iso, utcnow

    rt = runtime(ctx)
    contact = pick.argument(rt, contact, "contact")
    destination = Destination(target, force, binary=False)  # refused before anything is read
    try:
        with rt.reading() as session, destination as out:
            document = personal_data.access_export(session, contact, actor_of(session), iso(utcnow()))
            out.write(output.json_text(document, indent=2) + "\n")
    except BaseException:
        destination.discard()
        raise
    if target is not None:
        name = f"{document['contact']['first_name']} {document['contact']['last_name']}"
        output.err(f"Exported what salescrm holds about {output.inert(name)} (contact {document['contact']['id']}) to {target}.")


@app.command("consent", epilog='Example: salescrm contact consent marta@sanitas.es --granted --purpose marketing '
                                '--basis consent --source "Email Marketing Consent form" --wording-version v3')
def consent(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    granted: bool = typer.Option(False, "--granted", help="The person gave their consent."),
    withdrawn: bool = typer.Option(False, "--withdrawn", help="The person withdrew it."),
    purpose: str = typer.Option("marketing", "--purpose", help="What it is for: marketing."),
    basis: Optional[str] = typer.Option(None, "--basis", help="The lawful basis: consent, legitimate-interest or contract "
                                                               "(required with --granted)."),
    source: Optional[str] = typer.Option(None, "--source", help='Where it was given or withdrawn: "Email Marketing Consent form", a call, ...'),
    wording_version: Optional[str] = typer.Option(None, "--wording-version", metavar="VERSION", help="The version of the wording the person agreed to."),
    at: Optional[str] = typer.Option(None, "--at", help="When the person gave or withdrew it (default: now; not in the future)."),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Record a consent event in the contact's ledger (never overwritten: the latest event per purpose counts)."""
    from salescrm.errors import InvalidValue

    if granted == withdrawn:
        raise InvalidValue("Say what happened: give --granted or --withdrawn (one of them).")
    rt = runtime(ctx)
    from salescrm.cli import pick

    contact = pick.argument(rt, contact, "contact")
    needs = Needs()
    if source is None:
        needs.add("source", "--source", lambda p: p.text("Source (where it was given or withdrawn)", validate=required("Source")))
    source = needs.resolve(rt).get("--source", source)
    from salescrm.domain import consent as ledger
    from salescrm.domain import views

    state = ledger.GRANTED if granted else ledger.WITHDRAWN
    with rt.writing(reason) as session:
        event = ledger.record_consent(session, contact, ledger.Consent(state, purpose, basis, source, wording_version, at))
        from salescrm.store.models import Contact

        found = session.get(Contact, event.contact_id)
        obj = views.contact_object(session, found) if json else None
        name = f"{found.first_name} {found.last_name}"
    if json:
        output.print_json(obj)
        return
    basis = f", on the basis of {event.basis}" if event.basis else ""
    output.say(f"Recorded: {name} {'gave' if granted else 'withdrew'} consent to {event.purpose}{basis}.")
