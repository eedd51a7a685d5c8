"""`salescrm lead`: register incoming leads (the implementation article's first stage)."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from salescrm import process
from salescrm.cli import output
from salescrm.cli.companies import distinct_from_option, need_reason
from salescrm.cli.runtime import Needs, reason_option, runtime
from salescrm.cli.tasks import follow_up_delay, follow_up_in_option, no_follow_up_option, say_follow_up

app = typer.Typer(
    epilog="Example: salescrm lead add --first-name Marta --last-name Ruiz --email marta@sanitas.es "
           '--company "Sanitas Hospitales" --channel web-form --keyword "dermatology triage"',
    no_args_is_help=True,
)

CHANNEL_HELP = "Where the lead came from: {lead_channels}."


@app.command("add", epilog="Example: salescrm lead add --first-name Marta --last-name Ruiz --phone \"+34 600 000 000\" "
                           "--company \"Sanitas Hospitales\" --channel phone   |   salescrm lead add --from-json leads.jsonl")
def add(
    ctx: typer.Context,
    first_name: Optional[str] = typer.Option(None, "--first-name", help="First name."),
    last_name: Optional[str] = typer.Option(None, "--last-name", help="Last name."),
    email: Optional[str] = typer.Option(None, "--email", help="Email (a phone or an email is required)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone (a phone or an email is required)."),
    job_title: Optional[str] = typer.Option(None, "--job-title", help="Job title, if known."),
    company: Optional[str] = typer.Option(None, "--company", help="Company name, if known (added with lead status New when new)."),
    country: Optional[str] = typer.Option(None, "--country", help="The company's country, if known."),
    website: Optional[str] = typer.Option(None, "--website", help="The company's website, if known."),
    distinct_from: Optional[List[str]] = distinct_from_option(),
    channel: Optional[str] = typer.Option(None, "--channel", help=CHANNEL_HELP),
    search_engine: Optional[str] = typer.Option(None, "--search-engine", help="Web form: the search engine the visitor came from."),
    keyword: Optional[str] = typer.Option(None, "--keyword", help="Web form: the ad's keyword."),
    source_page: Optional[str] = typer.Option(None, "--source-page", help="Web form: the page the form was on."),
    note: Optional[str] = typer.Option(None, "--note", help="What the lead wrote or said (kept as a note activity on a new contact, in the inbound activity of a known one)."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Team member who calls back (default: you)."),
    from_json: Optional[str] = typer.Option(None, "--from-json", metavar="FILE",
                                            help="Read leads from a file of JSON (one object, an array, or one object per line); - for stdin."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="With --from-json: register the valid leads and report the others (exit 1 when any was skipped)."),
    rejects: Optional[str] = typer.Option(None, "--rejects", metavar="FILE",
                                          help="With --from-json: write every rejected lead, with its reason, to this new file "
                                               "(JSON lines, readable by you only; an existing file is refused)."),
    no_follow_up: bool = no_follow_up_option(),
    follow_up_in: str = follow_up_in_option(),
    json: bool = typer.Option(False, "--json", help="Print what was registered as JSON."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Register an incoming lead as a Marketing Qualified Lead, with a follow-up call for its owner."""
    rt = runtime(ctx)
    delay = follow_up_delay(no_follow_up, follow_up_in)
    from salescrm.domain import leads

    if from_json is not None:
        given = [first_name, last_name, email, phone, job_title, company, country, website, channel, search_engine,
                 keyword, source_page, note, owner]
        if any(v is not None for v in given):
            from salescrm.errors import InvalidValue

            raise InvalidValue("--from-json reads every field from the file; give the lead's fields there, not as options.")
        if distinct_from:
            from salescrm.errors import InvalidValue

            raise InvalidValue("--distinct-from is for one lead's new company; with --from-json, add such companies first "
                               "with `salescrm company add NAME --distinct-from OTHER --reason TEXT`.")
        _add_from_file(rt, from_json, skip_invalid, delay, json, reason, rejects)
        return
    if rejects is not None:
        from salescrm.errors import InvalidValue

        raise InvalidValue("--rejects lists the leads a --from-json file had rejected: give it with --from-json.")
    distinct_from = distinct_from or []
    need_reason(distinct_from, reason)
    needs = Needs()
    for value, label, option in ((first_name, "first name", "--first-name"), (last_name, "last name", "--last-name")):
        if value is None:
            needs.add(label, option, lambda p, label=label: p.text(label.capitalize(), validate=_required(label)))
    seen = {"channel": channel}

    def ask_channel(p) -> str:
        seen["channel"] = p.select("Channel", list(process.LEAD_CHANNELS))
        return seen["channel"]

    if channel is None:
        needs.add("channel", "--channel", ask_channel)
    if not (email or "").strip() and not (phone or "").strip():
        needs.add("phone or email", "--phone or --email",
                  lambda p: _ask_phone_or_email(p, seen["channel"], _phone_region(rt, company, country)))
    answers = needs.resolve(rt)
    phone, email = answers.get("--phone or --email", (phone, email))
    lead = leads.Lead(
        first_name=answers.get("--first-name", first_name), last_name=answers.get("--last-name", last_name), email=email,
        phone=phone, job_title=job_title, company=company, country=country, website=website,
        channel=answers.get("--channel", channel), search_engine=search_engine, keyword=keyword, source_page=source_page,
        owner=owner, note=note,
    )
    with rt.writing(reason) as session:
        result = leads.add_lead(session, lead, delay, distinct_from)
        obj = _result_object(session, 1, result)
    _report([obj], [result], json)


def _ask_phone_or_email(p, channel: str, region: str | None) -> tuple[str | None, str | None]:
    """(phone, email): first the one the channel brings (an email for email and web-form leads, a phone
    otherwise), which may be left empty; then, if it was, the other, which is then required. A phone is
    read with `region` (the lead's company's country) as the contact's phone is."""
    from salescrm.domain import leads
    from salescrm.domain.values import parse_email, parse_phone
    from salescrm.errors import InvalidValue

    def check(field: str, required: bool):
        def validate(answer: str) -> None:
            if not answer.strip():
                if required:
                    raise InvalidValue("A lead needs a phone or an email to be called back: give one of them.")
                return
            parse_phone(answer, region) if field == "phone" else parse_email(answer)

        return validate

    first, other = ("email", "phone") if leads.channel_brings_email(channel) else ("phone", "email")
    given = {first: p.text(first.capitalize(), validate=check(first, False),
                           instruction=f"(empty to give {'a phone' if other == 'phone' else 'an email'} instead)").strip()}
    if not given[first]:
        given[other] = p.text(other.capitalize(), validate=check(other, True)).strip()
    return given.get("phone") or None, given.get("email") or None


def _phone_region(rt, company: str | None, country: str | None) -> str | None:
    """The default region a lead's phone is read with: its company's country (an existing company of
    that exact name, or the --country of the new one)."""
    from salescrm.domain.countries import parse_country
    from salescrm.errors import InvalidValue

    if (company or "").strip():
        from sqlmodel import select

        from salescrm.domain.naming import name_key
        from salescrm.store.models import Company

        with rt.reading() as session:
            existing = session.exec(select(Company.country).where(Company.name_key == name_key(company))).first()
        if existing:
            return existing
    try:
        return parse_country(country) if country else None
    except InvalidValue:
        return None  # the lead's own check says what is wrong with the country


def _required(label: str):
    from salescrm.cli.prompts import required

    return required(label.capitalize())


def _add_from_file(rt, source: str, skip_invalid: bool, delay, json: bool, reason: str | None, rejects_path: str | None) -> None:
    """Two passes, with flat memory. The first streams the file, checks each lead without the database
    and keeps the valid ones in a private temporary file; so a file over a bound, or with invalid leads
    (without --skip-invalid), stops before the database is opened for writing, and the write transaction
    is not held while a large file is parsed. The second writes each valid lead in its own savepoint."""
    import json as json_module
    import tempfile

    from salescrm.domain import leads
    from salescrm.domain.input_files import Limits, open_input, read_records
    from salescrm.domain.rejects import RejectsFile, Tally
    from salescrm.errors import SalesCrmError

    limits = Limits.from_environment()
    rejects = RejectsFile(rejects_path) if rejects_path is not None else None
    tally, total, objects, results = Tally(), 0, [], []

    def reject(line: int, problem: str, record) -> None:
        tally.add(line, problem)
        if rejects is not None:
            rejects.write(line, problem, value=record.value if record else None, text=record.text if record else None)

    try:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as valid:  # mode 0600, removed when closed
            with open_input(source, "the lead file", "--from-json") as stream:
                for line in leads.read_leads(read_records(stream, limits, "the lead file")):
                    total += 1
                    if line.problems:
                        reject(line.line, leads.describe_problems(line), line.record)
                    elif skip_invalid or not tally.count:  # once one is invalid, nothing will be registered
                        valid.write(json_module.dumps([line.line, line.record.value]) + "\n")
            if tally.count and not skip_invalid:
                if rejects is not None:
                    rejects.keep()
                raise _refused(tally, total, rejects_path)
            valid.seek(0)
            if valid.readline():
                valid.seek(0)
                with rt.writing(reason) as session:
                    for text in valid:
                        number, value = json_module.loads(text)
                        try:
                            with session.begin_nested():
                                result = leads.add_lead(session, leads.lead_of(value), delay)
                        except SalesCrmError as e:
                            reject(number, e.message, _Given(value))
                            if not skip_invalid:
                                if rejects is not None:
                                    rejects.keep()
                                raise type(e)(f"Line {number}: {e.message} No lead was registered.") from None
                            continue
                        results.append(result)
                        objects.append(_result_object(session, number, result))
                    if rejects is not None:
                        rejects.keep()  # on disk before the commit
            elif rejects is not None:
                rejects.keep()
    except BaseException:
        if rejects is not None:
            rejects.discard_unless_kept()
        raise
    _report(objects, results, json, as_array=True, skipped=tally, rejects_path=rejects_path)
    if tally.count:  # the valid leads are saved; cron sees that some were not
        raise typer.Exit(1)


class _Given:
    """A lead's record as given, for the rejects file (a lead the database refused)."""

    def __init__(self, value):
        self.value, self.text = value, None


def _refused(tally, total: int, rejects_path: str | None):
    """The error of a file with invalid leads, without --skip-invalid: nothing was registered."""
    from salescrm.errors import InvalidValue

    listed = [f"  line {line}: {problem}" for line, problem in tally.shown]
    if tally.more or rejects_path:
        where = f"{rejects_path} lists every one with its reason" if rejects_path else "--rejects FILE writes every one with its reason"
        listed.append(f"  ... and {tally.more} more ({where})." if tally.more else f"  ({where}.)")
    return InvalidValue(
        f"{tally.count} of {total} leads are not valid, so none was registered:\n" + "\n".join(listed) + "\n"
        "Fix them, or pass --skip-invalid to register the valid ones."
    )


def _result_object(session, line: int, result) -> dict:
    from salescrm.domain import tasks, views

    return {
        "line": line,
        "contact": views.record_ref(result.contact.id, f"{result.contact.first_name} {result.contact.last_name}",
                                    email=result.contact.email),
        "company": views.record_ref(result.company.id, result.company.name) if result.company else None,
        "new_contact": result.new_contact,
        "new_company": result.new_company,
        "activity": result.activity.id if result.activity else None,
        "follow_up": tasks.shown_task(session, result.follow_up.id) if result.follow_up else None,
    }


def _report(objects: list[dict], results: list, json: bool, as_array: bool = False, skipped=None,
            rejects_path: str | None = None) -> None:
    """What was registered; `--json` prints one object for one lead, an array for a file. Skipped leads:
    the first ones on stderr, then how many more (the rejects file has them all)."""
    for result in results:
        for warning in result.warnings:
            output.warn(warning)
    if skipped is not None:
        for line, problem in skipped.shown:
            output.err(f"Skipped line {line}: {problem}")
        if skipped.more:
            where = f"{rejects_path} lists every one with its reason" if rejects_path else "--rejects FILE writes every one with its reason"
            output.err(f"Skipped {skipped.more} more line{'' if skipped.more == 1 else 's'} ({where}).")
    if json:
        output.print_json(objects if as_array else objects[0])
        return
    for obj, result in zip(objects, results):
        contact = obj["contact"]
        if result.new_contact:
            company = ""
            if obj["company"]:
                company = f" at {obj['company']['name']}" + (" (new company, lead status New)" if obj["new_company"] else "")
            note = f"; its note is activity {obj['activity']}" if obj["activity"] else ""
            output.say(f"Registered lead: contact {contact['id']} {contact['name']}{company}, a Marketing Qualified Lead{note}")
        else:
            output.say(f"{contact['name']} (contact {contact['id']}) is already known: logged the lead as inbound "
                       f"activity {obj['activity']}")
        say_follow_up(result.follow_up)
    if as_array:
        count = len(objects)
        output.say(f"{count} lead{'' if count == 1 else 's'} registered" + (f", {skipped.count} skipped" if skipped and skipped.count else "") + ".")
