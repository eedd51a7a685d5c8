"""Finding records from what a person typed: an id (digits only), a name, or an email.

A company, a contact and a deal may also be named by a unique part of the name (`sanitas`): the
exact name (ignoring case, accents and spacing) is tried first, then the names that contain the part.
Only look-ups that cannot create a record accept a part; `lead add --company` matches exact names
itself, since a miss there creates the company. Unknown and ambiguous references raise NotFound
listing the candidates.
"""

from __future__ import annotations

import difflib
import re

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain.naming import name_key
from salescrm.errors import InvalidValue, NotFound
from salescrm.store.columns import MAX_ID
from salescrm.store.tables import Company, Contact, Deal, TeamMember

MAX_CANDIDATES = 8
# The largest id anyone can type (a signed 64-bit integer, what both backends can compare against); ids
# above MAX_ID (the id columns' own limit) up to this name no record, and are said so without a query.
MAX_TYPED_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def _is_id(ref: str) -> bool:
    """Digits name a record by id; digits other than 0-9 (², ٣, １) name nothing (see `id_of`)."""
    return str(ref).strip().isdigit()


def id_of(ref: str | int, kind: str) -> int:
    """The id `ref` gives: digits 0-9, at most 2^63-1 (else exit 2); an id no record of `kind` can
    have (above MAX_ID) is NotFound at once, with the message of a missing record, on both backends."""
    text = str(ref).strip()
    if not _ASCII_DIGITS.fullmatch(text):
        raise InvalidValue(f"'{ref}' is not a {kind} id: give digits 0-9, e.g. 7.")
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_TYPED_ID)) or int(digits) > MAX_TYPED_ID:
        raise InvalidValue(f"{kind.capitalize()} id {digits} is too large: ids go up to {MAX_TYPED_ID}.")
    number = int(digits)
    if number > MAX_ID:
        raise _no_id(kind, number)
    return number


def _no_id(kind: str, number: int) -> NotFound:
    command = "team" if kind == "team member" else kind
    return NotFound(f"No {kind} with id {number}. List them with `salescrm {command} list`.")


def _record(session: Session, model_name: str, number: int, kind: str, for_update: bool):
    """The record of `model_name` (store/models.py) with id `number`, locked for a write if asked."""
    from salescrm.store import models

    model = getattr(models, model_name)
    stmt = select(model).where(model.id == number)
    if for_update:
        stmt = stmt.with_for_update()
    record = session.exec(stmt).first()
    if record is None:
        raise _no_id(kind, number)
    return record


def _not_found(kind: str, ref: str, names: list[str], command: str, add: bool = False) -> NotFound:
    """No record named `ref`: the close names, else the list command; `add` points to the add command too."""
    close = difflib.get_close_matches(ref, names, n=MAX_CANDIDATES, cutoff=0.6)
    adding = f"`salescrm {command} add`"
    if close:
        hint = f"Did you mean: {'; '.join(close)}?" + (f" Or add them with {adding}." if add else "")
    else:
        hint = f"List them with `salescrm {command} list`" + (f", or add one with {adding}." if add else ".")
    return NotFound(f"No {kind} named '{ref}'. {hint}")


def part_matches(ref: str, named: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Of `named` (id, name) pairs, those `ref` names: the exact folded name if any has it, else every
    name that contains `ref` folded (the rule of `company`, `contact` and `deal`, for prompts that
    hold the names already)."""
    key = name_key(str(ref))
    if not key:
        return []
    exact = [(i, n) for i, n in named if name_key(n) == key]
    return exact or [(i, n) for i, n in named if key in name_key(n)]


def _ambiguous(kind: str, ref: str, labels: list[str], count: int | None = None, plural: str | None = None) -> NotFound:
    count = len(labels) if count is None else count
    shown = "; ".join(labels[:MAX_CANDIDATES]) + ("; ..." if count > MAX_CANDIDATES else "")
    return NotFound(f"'{ref}' matches {count} {plural or kind + 's'}: {shown}. Give the id or more of the name.")


def company(session: Session, ref: str, *, for_update: bool = False) -> Company:
    """A company by id, by its exact name (any case), or by a unique part of its name."""
    return _record(session, "Company", company_id(session, ref), "company", for_update)


def company_id(session: Session, ref: str) -> int:
    """The id of the company `ref` names (as `company`); digits are taken as the id, without looking it up."""
    ref = str(ref).strip()
    if _is_id(ref):
        return id_of(ref, "company")
    key = name_key(ref)
    found = session.exec(select(Company.id).where(Company.name_key == key)).first()
    if found is not None:
        return found
    if key:
        pattern = f"%{escape_like(key)}%"
        matches = session.exec(
            select(Company.id, Company.name).where(Company.name_key.like(pattern, escape="\\"))
            .order_by(Company.name_key).limit(MAX_CANDIDATES + 1)
        ).all()
        if len(matches) == 1:
            return matches[0].id
        if matches:
            count = session.exec(
                select(func.count()).select_from(Company).where(Company.name_key.like(pattern, escape="\\"))
            ).one()
            raise _ambiguous("company", ref, [f"{m.id} {m.name}" for m in matches], count, plural="companies")
    names = list(session.exec(select(Company.name)).all())
    raise _not_found("company", ref, names, "company")


def team_member(session: Session, ref: str) -> TeamMember:
    """A team member by id, name (any case) or login."""
    ref = str(ref).strip()
    if _is_id(ref):
        return _record(session, "TeamMember", id_of(ref, "team member"), "team member", False)
    found = session.exec(select(TeamMember.id).where(TeamMember.name_key == name_key(ref))).first()
    if found is None:
        found = session.exec(select(TeamMember.id).where(TeamMember.login == ref)).first()
    if found is None:
        names = list(session.exec(select(TeamMember.name)).all())
        raise _not_found("team member", ref, names, "team")
    return _record(session, "TeamMember", found, "team member", False)


def contact(session: Session, ref: str, *, for_update: bool = False) -> Contact:
    """A contact by id, email (any case), full name ("Marta Ruiz") or a unique part of it ("marta")."""
    return _record(session, "Contact", contact_id(session, ref), "contact", for_update)


def contact_id(session: Session, ref: str) -> int:
    """The id of the contact `ref` names (as `contact`); digits are taken as the id, without looking it up."""
    ref = str(ref).strip()
    if _is_id(ref):
        return id_of(ref, "contact")
    if "@" in ref:
        found = session.exec(select(Contact.id).where(Contact.email_key == ref.lower())).first()
        if found is None:
            raise NotFound(f"No contact with email {ref}. List them with `salescrm contact list`, "
                           "or add one with `salescrm contact add`.")
        return found
    rows = session.exec(select(Contact.id, Contact.first_name, Contact.last_name, Contact.email).order_by(Contact.id)).all()
    names = {r.id: f"{r.first_name} {r.last_name}" for r in rows}
    matches = part_matches(ref, list(names.items()))
    if len(matches) == 1:
        return matches[0][0]
    if matches:
        emails = {r.id: r.email for r in rows}
        raise _ambiguous("contact", ref, [f"{i} {n} <{emails[i] or 'no email'}>" for i, n in matches])
    raise _not_found("contact", ref, list(names.values()), "contact", add=True)


def deal(session: Session, ref: str, *, for_update: bool = False) -> Deal:
    """A deal by id, by its exact name (any case), or by a unique part of its name."""
    return _record(session, "Deal", deal_id(session, ref), "deal", for_update)


def deal_row(session: Session, ref: str):
    """The deal `ref` names as a row of its columns, for a command that only reads it (`deal show`)."""
    number = deal_id(session, ref)
    row = session.connection().execute(sa.select(Deal).where(Deal.id == number)).first()
    if row is None:
        raise _no_id("deal", number)
    return row


def deal_id(session: Session, ref: str) -> int:
    """The id of the deal `ref` names (as `deal`): of two deals with the exact name, the one not lost.
    Digits are taken as the id, without looking it up."""
    ref = str(ref).strip()
    if _is_id(ref):
        return id_of(ref, "deal")
    key = name_key(ref)
    exact = session.exec(select(Deal.id, Deal.stage).where(Deal.name_key == key).order_by(Deal.id)).all()
    lost = {s.name for p in process.of(session).pipelines for s in p.stages if s.lost}  # the database's
    open_exact = [d for d in exact if d.stage not in lost]
    if len(open_exact) == 1 or len(exact) == 1:
        return (open_exact[0] if len(open_exact) == 1 else exact[0]).id
    pattern = f"%{escape_like(key)}%"
    matches = session.exec(
        select(Deal.id, Deal.name).where(Deal.name_key.like(pattern, escape="\\")).order_by(Deal.id).limit(MAX_CANDIDATES + 1)
    ).all()
    if len(matches) == 1:
        return matches[0].id
    if matches:
        count = session.exec(select(func.count()).select_from(Deal).where(Deal.name_key.like(pattern, escape="\\"))).one()
        raise _ambiguous("deal", ref, [f"{m.id} {m.name}" for m in matches], count)
    raise NotFound(f"No deal matches '{ref}'. List them with `salescrm deal list`.")


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


