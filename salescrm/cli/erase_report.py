"""What `contact erase` does after its commit, and what it says (cli/contacts.py runs the erasure itself)."""

from __future__ import annotations

from salescrm.cli import output


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
