"""Team members and their GP-009 roles."""

from __future__ import annotations

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import naming, refs
from salescrm.domain.values import clean_name, parse_role
from salescrm.errors import Refused
from salescrm.store.models import TeamMember


def add_member(session: Session, name: str, role: str) -> TeamMember:
    name = clean_name(name, "Name")
    code = parse_role(role)
    key = naming.name_key(name)
    existing = session.exec(select(TeamMember).where(TeamMember.name_key == key)).first()
    if existing is not None:
        raise Refused(f"Team member '{existing.name}' (id {existing.id}) already exists.")
    member = TeamMember(name=name, name_key=key, role=code)
    session.add(member)
    session.flush()
    return member


def list_members(session: Session) -> list[TeamMember]:
    return list(session.exec(select(TeamMember).order_by(TeamMember.name_key)).all())


def member_with_role(session: Session, ref: str, roles: tuple[str, ...], as_what: str) -> TeamMember:
    """The team member `ref`, refused unless they hold one of `roles`."""
    member = refs.team_member(session, ref)
    if member.role not in roles:
        wanted = " or ".join(f"{code} ({process.ROLE_TITLES[code]})" for code in roles)
        raise Refused(
            f"{member.name} is {member.role} ({process.ROLE_TITLES[member.role]}) and cannot be {as_what}: "
            f"choose a team member with role {wanted}."
        )
    return member


def owner(session: Session, ref: str) -> TeamMember:
    return member_with_role(session, ref, process.OWNER_ROLES, "a deal owner")
