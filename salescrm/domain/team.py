"""Team members and their GP-009 roles."""

from __future__ import annotations

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import naming, refs
from salescrm.domain.values import clean_name, parse_role
from salescrm.errors import NotFound, Refused
from salescrm.store.actors import actor_of
from salescrm.typed_text import clean_text


def add_member(session: Session, name: str, role: str, login: str | None = None) -> TeamMember:
    from salescrm.store.models import TeamMember, size

    name = clean_name(name, "Name", size(TeamMember.name))
    code = parse_role(role, process.of(session).roles)
    key = naming.name_key(name)
    existing = session.exec(select(TeamMember).where(TeamMember.name_key == key)).first()
    if existing is not None:
        raise Refused(f"Team member '{existing.name}' (id {existing.id}) already exists.")
    member = TeamMember(name=name, name_key=key, role=code, login=_free_login(session, login))
    session.add(member)
    session.flush()
    return member


def set_login(session: Session, ref: str, login: str | None) -> TeamMember:
    member = refs.team_member(session, ref)
    member.login = _free_login(session, login, member.id)
    session.add(member)
    session.flush()
    return member


def _free_login(session: Session, login: str | None, member_id: int | None = None) -> str | None:
    """A login (the acting user's name: the operating system's, or SALESCRM_USER) held by one member at most."""
    from salescrm.store.models import TeamMember, size

    login = clean_text(login, "Login", required=False, max_length=size(TeamMember.login))
    if login is None:
        return None
    holder = session.exec(select(TeamMember).where(TeamMember.login == login)).first()
    if holder is not None and holder.id != member_id:
        raise Refused(f"The login '{login}' belongs to {holder.name} (id {holder.id}); each login is one person's.")
    return login


def find_member(session: Session, ref: str) -> TeamMember | None:
    """The team member with this id, login or name; None when there is none."""
    from salescrm.store.models import TeamMember

    ref = str(ref).strip()
    if ref.isdigit():
        try:
            number = refs.id_of(ref, "team member")  # other digits (²) and ids past 2^63-1: exit 2
        except NotFound:  # an id no record can have
            return None
        return session.get(TeamMember, number)
    found = session.exec(select(TeamMember).where(TeamMember.login == ref)).first()
    if found is None:
        found = session.exec(select(TeamMember).where(TeamMember.name_key == naming.name_key(ref))).first()
    return found


def acting_member(session: Session) -> TeamMember | None:
    """The team member who is acting: the one whose login (or name) the acting user has."""
    user = actor_of(session)
    return None if user.isdigit() else find_member(session, user)


def list_members(session: Session) -> list[TeamMember]:
    from salescrm.store.models import TeamMember

    return list(session.exec(select(TeamMember).order_by(TeamMember.name_key)).all())


def member_with_role(session: Session, ref: str, roles: tuple[str, ...], as_what: str) -> TeamMember:
    """The team member `ref`, refused unless they hold one of `roles`."""
    member = refs.team_member(session, ref)
    if member.role not in roles:
        titles = process.of(session).role_titles
        wanted = " or ".join(f"{code} ({titles.get(code, 'a role salescrm does not know')})" for code in roles)
        raise Refused(
            f"{member.name} is {member.role} ({titles.get(member.role, 'a role salescrm does not know')}) and cannot be {as_what}: "
            f"choose a team member with role {wanted}."
        )
    return member


def owner(session: Session, ref: str) -> TeamMember:
    return member_with_role(session, ref, process.of(session).owner_roles, "a deal owner")
