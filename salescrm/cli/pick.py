"""Choosing records at a prompt: a company, a contact or a deal with completion, a deal's contacts.

The names are read in a short read transaction before the question (never while a write is open).
An answer is a whole name from the completions or a unique part of one, the rule of
`salescrm.domain.refs`, checked when it is submitted; the record's id is what the command receives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salescrm.cli.prompts import Prompter
    from salescrm.cli.runtime import Runtime

KINDS = ("contact", "company", "deal")
PLURAL = {"contact": "contacts", "company": "companies", "deal": "deals"}


def argument(rt: "Runtime", value: str | None, kind: str, *, open_only: bool = False, losable: bool = False) -> str:
    """The record a command's positional argument names: as typed, or, when it was left out, chosen with
    completion on a terminal (`open_only`: among open deals; `losable`: among those `deal lose` takes, the
    open ones and, where the process declares a back-out, the won ones); off a terminal, the argument is
    required."""
    if value is not None:
        return value
    from salescrm.cli.runtime import Needs

    option = f"the {kind.upper()} argument"
    needs = Needs()
    def ask(p: "Prompter") -> str:
        records = named(rt, kind, open_only=open_only, losable=losable)
        if not records and (open_only or losable):
            from salescrm.errors import NotFound

            raise NotFound("There is no open deal: create one with `salescrm deal create`.")
        return ask_record(p, kind.capitalize(), kind, records)

    needs.add(kind, option, ask)
    return needs.resolve(rt)[option]


def open_tasks(rt: "Runtime", p: "Prompter") -> list[str]:
    """A multi-select of the open tasks (yours first), none ticked; at least one. Their ids as text."""
    from salescrm.domain import tasks
    from salescrm.errors import InvalidValue, NotFound

    with rt.reading() as session:
        mine = {t["id"] for t in tasks.iter_task_objects(session, tasks.TaskFilter(mine=True))}
        rows = sorted(tasks.iter_task_objects(session, tasks.TaskFilter()), key=lambda t: t["id"] not in mine)
    if not rows:
        raise NotFound("There is no open task.")
    ids = {f"{t['id']}: {t['title']}" + (f" (due {t['due'][:10]})" if t.get("due") else ""): str(t["id"]) for t in rows}
    chosen = p.checkbox("Tasks done", list(ids))
    if not chosen:
        raise InvalidValue("No task was ticked: tick at least one with the space bar, or give the task ids.")
    return [ids[label] for label in chosen]


def named(rt: "Runtime", kind: str, company: str | None = None, *, open_only: bool = False,
          losable: bool = False) -> list[tuple[int, str]]:
    """(id, label) of every record of `kind` (a contact's label carries the email), by name; with
    `company`, only that company's contacts; with `open_only`, only open deals. A label that two records
    share carries the id too."""
    from collections import Counter

    records = _named(rt, kind, company, open_only, losable)
    shared = {label for label, count in Counter(label for _, label in records).items() if count > 1}
    from salescrm.cli.output import inert  # the labels are shown and typed: text from the data stays inert

    return [(i, inert(f"{label} (id {i})" if label in shared else label, "cell")) for i, label in records]


def _named(rt: "Runtime", kind: str, company: str | None, open_only: bool = False,
           losable: bool = False) -> list[tuple[int, str]]:
    from sqlmodel import select

    from salescrm.store.models import Company, Contact, ContactCompany, Deal

    with rt.reading() as session:
        if kind == "company":
            return [(r.id, r.name) for r in session.exec(select(Company.id, Company.name).order_by(Company.name_key)).all()]
        if kind == "deal":
            stmt = select(Deal.id, Deal.name).order_by(Deal.name_key, Deal.id)
            if open_only or losable:
                from salescrm.domain.known_values import not_final, won_stages

                from salescrm import process

                proc = process.of(session)
                takes = not_final(Deal.stage, proc)
                if losable and proc.backout is not None:  # a won deal is backed out with `deal lose`
                    takes = takes | Deal.stage.in_(won_stages(proc))
                stmt = stmt.where(takes)
            return [(r.id, r.name) for r in session.exec(stmt).all()]
        stmt = select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        if company is not None:
            from salescrm.domain import refs

            company_id = refs.company(session, company).id
            stmt = stmt.join(ContactCompany, ContactCompany.contact_id == Contact.id).where(ContactCompany.company_id == company_id)
        rows = session.exec(stmt.order_by(Contact.last_name, Contact.first_name, Contact.id)).all()
        return [(r.id, f"{r.first_name} {r.last_name}" + (f" <{r.email}>" if r.email else "")) for r in rows]


def choose(answer: str, kind: str, records: list[tuple[int, str]]) -> int:
    """The id of the one record `answer` names among `records`; InvalidValue (said in the prompt) otherwise."""
    from salescrm.domain.refs import MAX_CANDIDATES, part_matches
    from salescrm.errors import InvalidValue

    text = answer.strip()
    matches = part_matches(text, records) if text else []
    if len(matches) == 1:
        return matches[0][0]
    if not matches:
        raise InvalidValue(f"No {kind} named '{text}': type a part of the name and pick one of the completions (Tab).")
    shown = "; ".join(label for _, label in matches[:MAX_CANDIDATES]) + ("; ..." if len(matches) > MAX_CANDIDATES else "")
    raise InvalidValue(f"'{text}' matches {len(matches)} {PLURAL[kind]}: {shown}. Type more of the name.")


def ask_record(p: "Prompter", message: str, kind: str, records: list[tuple[int, str]], *, optional: bool = False) -> str | None:
    """Ask for one record of `kind` with completion; its id as text, or None when `optional` and left empty."""
    if not records:
        if optional:
            return None
        from salescrm.errors import NotFound

        raise NotFound(f"There is no {kind} yet: add one with `salescrm {kind} {'create' if kind == 'deal' else 'add'}`.")

    def check(answer: str) -> None:
        if optional and not answer.strip():
            return
        choose(answer, kind, records)

    answer = p.autocomplete(message, [label for _, label in records], validate=check)
    if optional and not answer.strip():
        return None
    return str(choose(answer, kind, records))


def ask_about(rt: "Runtime", p: "Prompter") -> dict[str, str]:
    """What an activity is about: a contact, a company or a deal, chosen with completion; {option: id}.

    A contact who works for several companies is asked which one too, as `--company` would say."""
    from salescrm.errors import NotFound

    records = {kind: named(rt, kind) for kind in KINDS}
    kinds = [kind for kind in KINDS if records[kind]]
    if not kinds:
        raise NotFound("There is no contact, company or deal to log an activity on yet: add one first "
                       "(`salescrm company add`, `salescrm contact add`).")
    kind = kinds[0] if len(kinds) == 1 else p.select("What is it about?", [f"a {k}" for k in kinds]).split(" ", 1)[1]
    chosen = {f"--{kind}": ask_record(p, f"Which {kind}", kind, records[kind])}
    if kind == "contact":
        companies = _companies_of(rt, int(chosen["--contact"]))
        if len(companies) > 1:
            ids = {name: str(i) for i, name in companies}
            chosen["--company"] = ids[p.select("With which of their companies?", list(ids))]
    return chosen


def _companies_of(rt: "Runtime", contact_id: int) -> list[tuple[int, str]]:
    from salescrm.domain.contacts import companies_of

    with rt.reading() as session:
        return [(c.id, c.name) for c in companies_of(session, contact_id)]


def ask_contacts(p: "Prompter", message: str, records: list[tuple[int, str]]) -> list[str]:
    """A multi-select of `records` (contacts), none ticked; may be left empty. Their ids as text."""
    ids = {label: str(i) for i, label in records}
    return [ids[label] for label in p.checkbox(message, list(ids))]
