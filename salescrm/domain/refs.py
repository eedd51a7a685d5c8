"""Finding records from what a person typed: an id (digits only), a name, or an email.

Unknown and ambiguous references raise NotFound listing the candidates.
"""

from __future__ import annotations

import difflib

from sqlalchemy import func
from sqlmodel import Session, select

from salescrm.domain.naming import name_key
from salescrm.errors import NotFound
from salescrm.store.models import Company, Contact, Deal, TeamMember

MAX_CANDIDATES = 8


def _is_id(ref: str) -> bool:
    return str(ref).strip().isdigit()


def _by_id(session: Session, model, ref: str, kind: str, for_update: bool):
    stmt = select(model).where(model.id == int(ref))
    if for_update:
        stmt = stmt.with_for_update()
    record = session.exec(stmt).first()
    if record is None:
        raise NotFound(f"No {kind} with id {int(ref)}. List them with `salescrm {kind} list`.")
    return record


def _not_found(kind: str, ref: str, names: list[str], command: str) -> NotFound:
    close = difflib.get_close_matches(ref, names, n=MAX_CANDIDATES, cutoff=0.6)
    hint = f" Did you mean: {'; '.join(close)}?" if close else f" List them with `salescrm {command} list`."
    return NotFound(f"No {kind} named '{ref}'.{hint}")


def _ambiguous(kind: str, ref: str, labels: list[str], count: int | None = None) -> NotFound:
    count = len(labels) if count is None else count
    shown = "; ".join(labels[:MAX_CANDIDATES]) + ("; ..." if count > MAX_CANDIDATES else "")
    return NotFound(f"'{ref}' matches {count} {kind}s: {shown}. Give the id or more of the name.")


def company(session: Session, ref: str, *, for_update: bool = False) -> Company:
    ref = str(ref).strip()
    if _is_id(ref):
        return _by_id(session, Company, ref, "company", for_update)
    stmt = select(Company).where(Company.name_key == name_key(ref))
    if for_update:
        stmt = stmt.with_for_update()
    found = session.exec(stmt).first()
    if found is None:
        names = list(session.exec(select(Company.name)).all())
        raise _not_found("company", ref, names, "company")
    return found


def team_member(session: Session, ref: str) -> TeamMember:
    """A team member by id, name (any case) or login."""
    ref = str(ref).strip()
    if _is_id(ref):
        return _by_id(session, TeamMember, ref, "team member", False)
    found = session.exec(select(TeamMember).where(TeamMember.name_key == name_key(ref))).first()
    if found is None:
        found = session.exec(select(TeamMember).where(TeamMember.login == ref)).first()
    if found is None:
        names = list(session.exec(select(TeamMember.name)).all())
        raise _not_found("team member", ref, names, "team")
    return found


def contact(session: Session, ref: str, *, for_update: bool = False) -> Contact:
    """A contact by id, email (any case) or full name ("Marta Ruiz")."""
    ref = str(ref).strip()
    if _is_id(ref):
        return _by_id(session, Contact, ref, "contact", for_update)
    if "@" in ref:
        found = session.exec(select(Contact).where(Contact.email_key == ref.lower())).first()
        if found is None:
            raise NotFound(f"No contact with email {ref}. List them with `salescrm contact list`.")
        return found
    wanted = name_key(ref)
    matches = [c for c in session.exec(select(Contact)).all() if name_key(f"{c.first_name} {c.last_name}") == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _ambiguous("contact", ref, [f"{c.id} {c.first_name} {c.last_name} <{c.email or 'no email'}>" for c in matches])
    names = [f"{c.first_name} {c.last_name}" for c in session.exec(select(Contact)).all()]
    raise _not_found("contact", ref, names, "contact")


def deal(session: Session, ref: str, *, for_update: bool = False) -> Deal:
    """A deal by id, by its exact name (any case), or by a unique part of its name."""
    ref = str(ref).strip()
    if _is_id(ref):
        return _by_id(session, Deal, ref, "deal", for_update)
    key = name_key(ref)
    exact = session.exec(select(Deal).where(Deal.name_key == key).order_by(Deal.id)).all()
    open_exact = [d for d in exact if d.stage != "Lost"]
    if len(open_exact) == 1 or len(exact) == 1:
        found = open_exact[0] if len(open_exact) == 1 else exact[0]
        return _lock(session, found) if for_update else found
    pattern = f"%{escape_like(key)}%"
    matches = session.exec(
        select(Deal.id, Deal.name).where(Deal.name_key.like(pattern, escape="\\")).order_by(Deal.id).limit(MAX_CANDIDATES + 1)
    ).all()
    if len(matches) == 1:
        return _by_id(session, Deal, str(matches[0].id), "deal", for_update)
    if matches:
        count = session.exec(select(func.count()).select_from(Deal).where(Deal.name_key.like(pattern, escape="\\"))).one()
        raise _ambiguous("deal", ref, [f"{m.id} {m.name}" for m in matches], count)
    raise NotFound(f"No deal matches '{ref}'. List them with `salescrm deal list`.")


def _lock(session: Session, record):
    return session.exec(select(type(record)).where(type(record).id == record.id).with_for_update()).one()


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


