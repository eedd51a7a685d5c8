"""`salescrm contact erase`: the command (cli/contacts.py registers it), what it does after its commit (the
bytes out of the file or the tables, the backups made before) and what it says. The erasure itself is
domain/erasure.py."""

from __future__ import annotations

from typing import Optional

import typer

from salescrm.cli import output
from salescrm.cli.prompts import required
from salescrm.cli.runtime import Needs, runtime

EPILOG = 'Example: salescrm contact erase marta@sanitas.es --reason "Her request of 2026-11-30" --yes'


def erase(
    ctx: typer.Context,
    contact: Optional[str] = typer.Argument(None, help="Contact id, email or full name (asked on a terminal when left out).", show_default=False),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why the person is erased (required; kept with the "
                                                                "erasure, with any mention of the person removed)."),
    yes: bool = typer.Option(False, "--yes", help="Erase without asking (required off a terminal)."),
    json: bool = typer.Option(False, "--json", help='Print {"erasure", "contact", "name", "at", "identities", "scrubbed", '
                                                    '"journal": {"values_blanked", "texts_blanked", "pre_v2_naming"}, '
                                                    '"backups_holding", "unfinished"} on stdout.'),
) -> None:
    """Erase a person (GDPR article 17): their personal data leaves the records, the journal and the file.

    The contact stays as a pseudonymous "Erased contact N", so that their deals, activities and consent
    ledger keep their links; their name, job title, email, phone, lead fields and properties are removed,
    their activities' and tasks' text replaced by "[erased]", and every mention of them elsewhere (gate
    values, other texts) scrubbed. Journal values naming them become NULL, its chain intact (`journal
    verify`). Keyed hashes of their email and phone make a later `salescrm import` refuse them. Cannot be
    undone; backups made before still hold their data (`salescrm db status` lists them)."""
    from salescrm.cli import pick
    from salescrm.domain import erasure, refs
    from salescrm.errors import Refused
    from salescrm.store.actors import actor_of

    rt = runtime(ctx)
    contact = pick.argument(rt, contact, "contact")
    needs = Needs()
    if reason is None:
        needs.add("reason", "--reason", lambda p: p.text("Reason (kept with the erasure)", validate=required("Reason")))
    reason = needs.resolve(rt).get("--reason", reason)
    with rt.reading() as session:
        found = refs.contact(session, contact)
        shown = f"{found.first_name} {found.last_name} (contact {found.id}{', ' + found.email if found.email else ''})"
        contact = str(found.id)
    if not yes:
        question = f"Erase {output.inert(shown)}? This cannot be undone."
        if not rt.can_prompt() or not rt.ask().confirm(question, default=False):
            raise Refused(f"Erasing removes contact {contact}'s personal data for good: pass --yes to do it; "
                          "nothing was erased.")
    with rt.writing(reason) as session:
        done = erasure.erase_contact(session, contact, reason, actor_of(session))
    unfinished, backups = finish(rt, done)
    report(done, backups, unfinished, json)


def finish(rt, done) -> tuple[str | None, list[dict]]:
    """Take the erased bytes out of the file (SQLite) or the tables (PostgreSQL VACUUM): what remains to do,
    or None; and the backups made before the erasure, which still hold the person's data."""
    from salescrm.domain.erasure import TOUCHED_TABLES, backups_holding
    from salescrm.store import engine as store
    from salescrm.store import scrub

    location = rt.location()
    with rt.reading() as session:
        backups = backups_holding(session.connection(), before=done.at)
    if location.path is not None:
        store.close_all()  # the file alone holds the erasure: every connection of this command is closed
        unfinished = scrub.finish_sqlite(location.path)
    else:
        unfinished = scrub.vacuum_postgresql(store.engine_for(location, write=True), TOUCHED_TABLES)
    return unfinished, backups


def report(done, backups: list[dict], unfinished: str | None, json: bool) -> None:
    if unfinished:
        output.warn(f"Erased, but {unfinished}")
    if json:
        from salescrm.store.columns import iso

        output.print_json({
            "erasure": done.erasure_id, "contact": done.contact_id, "name": done.name, "at": iso(done.at),
            "identities": done.identities, "scrubbed": done.scrubbed,
            "journal": {"values_blanked": done.journal_values, "texts_blanked": done.journal_texts,
                        "pre_v2_naming": done.pre_v2_naming},
            "backups_holding": backups, "unfinished": unfinished,
        })
        return
    scrubbed = ", ".join(f"{n} {_LABELS[what][n != 1]}" for what, n in done.scrubbed.items())
    lines = [f"Erased contact {done.contact_id}: it is now \"{done.name}\"" + (f"; scrubbed {scrubbed}" if scrubbed else "")
             + ".",
             f"The journal: {done.journal_values} value{_s(done.journal_values)} set to NULL and {done.journal_texts} "
             f"command{_s(done.journal_texts)} blanked; its chain still verifies (salescrm journal verify)."]
    if done.pre_v2_naming:
        lines.append(f"{done.pre_v2_naming} journal row{_s(done.pre_v2_naming)} written before chain v2 still "
                     f"name{'' if done.pre_v2_naming > 1 else 's'} the person in their command or reason, which their "
                     "hashes cover verbatim (docs/privacy.md).")
    if backups:
        lines.append(f"{len(backups)} backup{_s(len(backups))} made before still hold{'' if len(backups) > 1 else 's'} "
                     "the person's data: `salescrm db status` lists them.")
    output.say("\n".join(lines))


_LABELS = {"activities": ("activity", "activities"), "tasks": ("task", "tasks"), "deals": ("deal", "deals"),
           "gate_values": ("gate value", "gate values"), "properties": ("property", "properties")}


def _s(n: int) -> str:
    return "" if n == 1 else "s"
