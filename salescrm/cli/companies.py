"""`salescrm company`: the entities we sell to, one per best-known brand."""

from __future__ import annotations

from typing import List, Optional

import typer

from salescrm import process
from salescrm.cli import output
from salescrm.cli.prompts import required
from salescrm.cli.runtime import PROPERTY_SET_HELP, Needs, limit_option, no_limit, reason_option, runtime
from salescrm.cli.tasks import follow_up_delay, follow_up_in_option, no_follow_up_option, say_follow_up

app = typer.Typer(epilog='Example: salescrm company add "Sanitas Hospitales" --country ES --website sanitas.es', no_args_is_help=True)

NAME_HELP = (
    "The name it is best known by: its brand, one company for a global group, the group's name when it owns "
    "several famous brands (Novartis, not Novartis Farmacéutica, S.A.; Pierre Fabre, not Avène)."
)
COUNTRY_HELP = "ISO 3166-1 alpha-2 or alpha-3 code, or English name, of the legal entity's country."
JSON_HELP = "Print JSON on stdout."
WRITE_JSON_HELP = "Print the company as JSON on stdout, in the shape of `company show --json` (without its timeline)."

def country_need(needs: Needs, label: str = "country", option: str = "--country") -> None:
    def ask(p) -> str:
        from salescrm.domain.countries import country_candidates, parse_country

        # A code typed (ES) offers its country (Spain) first, then the names that begin with or contain it.
        return p.autocomplete("Country (of the legal entity that contracts)", country_candidates(""), validate=parse_country,
                              complete=country_candidates)

    needs.add(label, option, ask)


DISTINCT_HELP = (
    "A company that this name looks like (as its local entity or branch, or the other way round) but that "
    "really is another company (Merck Sharp & Dohme beside Merck); needs --reason, kept as the decision."
)


def distinct_from_option():
    return typer.Option(None, "--distinct-from", help=DISTINCT_HELP, show_default=False)


@app.command("add", epilog='Example: salescrm company add "Sanitas Hospitales" --country ES --website https://www.sanitas.es')
def add(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help=NAME_HELP, show_default=False),
    country: Optional[str] = typer.Option(None, "--country", help=COUNTRY_HELP),
    website: Optional[str] = typer.Option(None, "--website", help="Website; https:// is added when no scheme is given."),
    legal_name: Optional[str] = typer.Option(None, "--legal-name", help="Registered legal name, e.g. Novartis Farmacéutica, S.A."),
    distinct_from: Optional[List[str]] = distinct_from_option(),
    no_follow_up: bool = no_follow_up_option(),
    follow_up_in: str = follow_up_in_option(),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP + " The follow-up task is under `follow_up`."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Add a company (SP-009-001 requires name, country and website; health-prime only its name), with a follow-up call task for you."""
    rt = runtime(ctx)
    delay = follow_up_delay(no_follow_up, follow_up_in)
    distinct_from = distinct_from or []
    need_reason(distinct_from, reason)
    requires = _requires(rt) if country is None or website is None else ()  # read only when it decides something
    needs = Needs()
    if name is None:
        needs.add("company name", "the NAME argument", lambda p: p.text(
            "Company name", validate=lambda answer: _name_free(rt, answer, distinct_from), instruction=f"({NAME_HELP})"))
    if country is None and "country" in requires:
        country_need(needs)
    if website is None and "website" in requires:
        needs.add("website", "--website", lambda p: p.text("Website", validate=_website))
    if rt.can_prompt() and name is not None and needs.items:
        _name_free(rt, name, distinct_from)  # a refused name is said before asking for the rest
    answers = needs.resolve(rt)
    from salescrm.domain import companies, tasks, views
    from salescrm.domain.activities import Linked

    with rt.writing(reason) as session:
        outcome = companies.add_company(
            session, answers.get("the NAME argument", name), answers.get("--country", country), answers.get("--website", website),
            legal_name, distinct_from=distinct_from,
        )
        company = outcome.record
        task = tasks.follow_up(session, Linked(None, company, None), delay) if delay is not None else None
        obj = {**views.company_object(session, company), "follow_up": tasks.shown_task(session, task.id) if task else None} if json else None
    for warning in outcome.warnings:
        output.warn(warning)
    if json:
        output.print_json(obj)
        return
    output.say(f"Added company {company.id}: {company.name}" + (f" ({company.country})" if company.country else ""))
    say_follow_up(task)


def _requires(rt) -> tuple[str, ...]:
    """What the database's process requires of a company (`[companies] requires`); with no database yet,
    what the default process requires."""
    from salescrm.errors import EXIT_DATABASE, SalesCrmError

    try:
        with rt.reading() as session:
            from salescrm.domain.pipelines import process_of

            return process_of(session).company_requires
    except SalesCrmError as error:
        if error.exit_code != EXIT_DATABASE:
            raise
    from salescrm.process import default

    return default().company_requires


def need_reason(distinct_from: list[str], reason: str | None) -> None:
    """`--distinct-from` is a decision, and a decision says why."""
    if distinct_from and not (reason or "").strip():
        from salescrm.domain.companies import DISTINCT_NEEDS_REASON
        from salescrm.errors import InvalidValue

        raise InvalidValue(DISTINCT_NEEDS_REASON)


def _name_free(rt, name: str, distinct_from: list[str]) -> None:
    """Refuse, before any other question, a name that stands for an existing company (the one-company rule)."""
    required("Company name")(name)
    from salescrm.domain import companies, refs
    from salescrm.errors import EXIT_DATABASE, SalesCrmError

    try:
        with rt.reading() as session:
            ignore = [refs.company(session, other).id for other in distinct_from]
            companies.check_name_free(session, name.strip(), ignore=ignore)
    except SalesCrmError as error:
        if error.exit_code != EXIT_DATABASE:  # no database yet: nothing to clash with; the write says the rest
            raise


def _website(answer: str) -> None:
    from salescrm.domain.values import parse_website

    parse_website(answer)


@app.command("list", epilog="Example: salescrm company list --country ES --json")
def list_(
    ctx: typer.Context,
    country: Optional[str] = typer.Option(None, "--country", help="Only companies of this country."),
    status: Optional[str] = typer.Option(None, "--status", help="Only companies with this lead status."),
    limit: Optional[int] = limit_option(),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List companies by name."""
    from salescrm.domain import companies, views

    with runtime(ctx).reading() as session:
        objects = views.company_objects(session, list(companies.list_companies(session, country=country, lead_status=status,
                                                                                limit=no_limit(limit))))
    if json:
        output.print_json(objects)
        return
    output.table(
        [("ID", output.ID), ("Name", output.NAME), "Country", "Lead status", ("Contacts", output.COUNT),
         ("Deals", output.COUNT), ("Website", output.NAME)],
        [(c["id"], c["name"], c["country"], c["lead_status"], len(c["contacts"]), len(c["deals"]), c["website"]) for c in objects],
    )


@app.command("show", epilog='Example: salescrm company show "Sanitas Hospitales"')
def show(
    ctx: typer.Context,
    company: Optional[str] = typer.Argument(None, help="Company id or name (asked on a terminal when left out).", show_default=False),
    all_: bool = typer.Option(False, "--all", help="The whole timeline, not only the newest entries."),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show a company with its lead status, contacts, deals and timeline (activities, tasks, stage changes)."""
    from salescrm.domain import refs, views
    from salescrm.domain.timeline import TIMELINE_LIMIT, timeline

    rt = runtime(ctx)
    from salescrm.cli import pick

    company = pick.argument(rt, company, "company")
    with rt.reading() as session:
        found = refs.company(session, company)
        obj = views.company_object(session, found)
        obj["timeline"] = timeline(session, company_id=found.id, limit=None if all_ else TIMELINE_LIMIT)
    if json:
        output.print_json(obj)
        return
    output.details(
        section="company", pairs=[
            ("Company", f"{obj['name']} (id {obj['id']})"),
            ("Country", obj["country"] or "- (unknown: salescrm company edit --country)"),
            ("Website", obj["website"] or "- (unknown: salescrm company edit --website)"),
            ("Legal name", obj["legal_name"] or "-"),
            ("Lead status", f"{obj['lead_status']} (set by {obj['lead_status_set_by']} at {output.when(obj['lead_status_set_at'])})"),
        ]
    )
    output.properties(obj["properties"])
    output.heading("Contacts", "contacts")
    output.table([("ID", output.ID), ("Name", output.NAME), ("Email", output.EMAIL)],
                 [(c["id"], c["name"], c["email"]) for c in obj["contacts"]])
    output.heading("Deals", "deals")
    output.table([("ID", output.ID), ("Name", output.NAME), "Stage", ("Amount", output.AMOUNT), "Cur."],
                 [(d["id"], d["name"], d["stage"], output.money(d["amount"]), d["currency"]) for d in obj["deals"]])
    output.timeline(obj["timeline"], all_)


@app.command("edit", epilog='Example: salescrm company edit "Sanitas Hospitales" --website sanitas.es')
def edit(
    ctx: typer.Context,
    company: Optional[str] = typer.Argument(None, help="Company id or name (asked on a terminal when left out).", show_default=False),
    name: Optional[str] = typer.Option(None, "--name", help="New name (its deals are renamed too). " + NAME_HELP),
    website: Optional[str] = typer.Option(None, "--website", help="New website."),
    legal_name: Optional[str] = typer.Option(None, "--legal-name", help="New legal name (empty to clear)."),
    country: Optional[str] = typer.Option(None, "--country", help="New country. " + COUNTRY_HELP),
    distinct_from: Optional[List[str]] = distinct_from_option(),
    set_: List[str] = typer.Option([], "--set", help=PROPERTY_SET_HELP.format(record="company")),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Change a company's name, website, legal name, country or properties, or declare it distinct from a look-alike."""
    distinct_from = distinct_from or []
    if name is None and website is None and legal_name is None and country is None and not (distinct_from or set_):
        from salescrm.errors import InvalidValue

        raise InvalidValue("Nothing to change: give --name, --website, --legal-name, --country, --set or --distinct-from.")
    need_reason(distinct_from, reason)
    from salescrm.domain import companies, views

    rt = runtime(ctx)
    from salescrm.cli import pick

    company = pick.argument(rt, company, "company")
    with rt.writing(reason) as session:
        outcome = companies.edit_company(session, company, name=name, website=website, legal_name=legal_name, country=country,
                                         distinct_from=distinct_from, properties=set_)
        obj = views.company_object(session, outcome.record) if json else None
    for warning in outcome.warnings:
        output.warn(warning)
    if json:
        output.print_json(obj)
        return
    output.say(f"Updated company {outcome.record.id}: {outcome.record.name}")


@app.command("set-status", epilog='Example: salescrm company set-status "Sanitas Hospitales" "Bad timing"')
def set_status(
    ctx: typer.Context,
    company: Optional[str] = typer.Argument(None, help="Company id or name (asked on a terminal when left out).", show_default=False),
    status: Optional[str] = typer.Argument(None, help="One of: {manual_lead_statuses} (asked on a terminal "
                                           "when left out).", show_default=False),
    json: bool = typer.Option(False, "--json", help=WRITE_JSON_HELP),
    reason: Optional[str] = reason_option(),
) -> None:
    """Set a company's lead status by hand (New, Open deal, Attempted and Connected follow from the data)."""
    from salescrm.domain import companies, views

    rt = runtime(ctx)
    from salescrm.cli import pick

    company = pick.argument(rt, company, "company")
    if status is None:
        needs = Needs()
        needs.add("lead status", "the STATUS argument", lambda p: p.select("Lead status", list(process.MANUAL_LEAD_STATUSES)))
        status = needs.resolve(rt)["the STATUS argument"]
    with rt.writing(reason) as session:
        found = companies.set_status(session, company, status)
        obj = views.company_object(session, found) if json else None
    if json:
        output.print_json(obj)
        return
    output.say(f"Company {found.id} {found.name}: lead status {found.lead_status}")
