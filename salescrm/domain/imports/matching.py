"""The record an import row stands for, so that importing the same file again updates instead of duplicating.

In order (issue 13):
- by external id: the row's id in the system it came from (`Record ID`, an export's `id`), with that
  system (`source_system`);
- contacts by email, ignoring case, then by phone in E.164;
- companies by folded name (case and accents ignored), then by a website domain that exactly one company
  has, never a free-mail domain;
- deals by name: the name rebuilt to the convention, or the name the file gave (`source_name`).
Each look-up is one indexed query: nothing is kept in Python per record.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm.domain import naming
from salescrm.store.models import Company, Contact, Deal

# Domains anyone can have an address at: a company is never matched by one.
FREE_MAIL = frozenset((
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "hotmail.fr", "hotmail.co.uk", "outlook.com",
    "outlook.es", "live.com", "msn.com", "yahoo.com", "yahoo.es", "yahoo.fr", "yahoo.co.uk", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net", "gmx.com", "web.de", "mail.com",
    "proton.me", "protonmail.com", "zoho.com", "yandex.com", "mail.ru", "qq.com", "163.com", "t-online.de",
    "orange.fr", "free.fr", "libero.it", "telefonica.net",
))


def by_external_id(session: Session, model, system: str, external_id: str):
    return session.exec(select(model).where(model.source_system == system, model.external_id == external_id)).first()


def domain_of(website: str | None) -> str | None:
    """`https://www.sanitas.es/x` -> `sanitas.es`; None for none, or for a free-mail domain."""
    if not website:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", str(website).strip().lower()).split("/")[0].split(":")[0]
    host = host.removeprefix("www.")
    return host if host and "." in host and host not in FREE_MAIL else None


def company(session: Session, name: str | None, website: str | None) -> tuple[Company | None, str | None]:
    """The company a row names: (company, how it matched) or (None, None)."""
    if name:
        found = session.exec(select(Company).where(Company.name_key == naming.name_key(name))).first()
        if found is not None:
            return found, "name"
    domain = domain_of(website)
    if domain:
        like = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = session.exec(select(Company).where(sa.or_(
            Company.website.like(f"%//{like}%", escape="\\"), Company.website.like(f"%.{like}%", escape="\\"))).limit(20)).all()
        same = [c for c in rows if domain_of(c.website) == domain]
        if len(same) == 1:
            return same[0], "website domain"
    return None, None


def contact(session: Session, email: str | None, phone: str | None) -> tuple[Contact | None, str | None]:
    if email:
        found = session.exec(select(Contact).where(Contact.email_key == email.lower())).first()
        if found is not None:
            return found, "email"
    if phone:
        found = session.exec(select(Contact).where(Contact.phone == phone).order_by(Contact.id)).first()
        if found is not None:
            return found, "phone"
    return None, None


def deal(session: Session, name: str, given: str | None) -> tuple[Deal | None, str | None]:
    """An open deal of the rebuilt name, else a lost one, else one whose source name is `given`."""
    key = naming.name_key(name)
    found = session.exec(select(Deal).where(Deal.name_key.in_([key, naming.name_key(naming.lost_name(name))]))
                         .order_by((Deal.name_key != key), Deal.id)).first()  # the open deal of that name first
    if found is not None:
        return found, "name"
    if given:
        found = session.exec(select(Deal).where(Deal.source_name == given).order_by(Deal.id)).first()
        if found is not None:
            return found, "source name"
    return None, None


def domains_present(session: Session, domains: set[str]) -> set[str]:
    """Which of `domains` some company's website has: one query for a chunk of rows. The website's host
    (stored as `scheme://host[:port]/...`, `www.` dropped) is compared in SQL, so the table is read once
    per chunk, not once per row; `company` then decides on the few found."""
    position = sa.func.strpos if session.get_bind().dialect.name == "postgresql" else sa.func.instr
    rest = sa.func.substr(Company.website, position(Company.website, "//") + 2)
    host = sa.func.substr(rest, 1, position(rest + "/", "/") - 1)
    host = sa.func.substr(host, 1, position(host + ":", ":") - 1)  # stored in lower case (parse_website):
    # no lower(), which SQLite runs as a Python function (store/sqlite_connections.py) on every row
    host = sa.case((host.like("www.%"), sa.func.substr(host, 5)), else_=host)
    found: set[str] = set()
    keys = sorted(domains)
    for start in range(0, len(keys), 1000):  # one scan for a whole chunk (bulk.CHUNK)
        found |= {h for (h,) in session.connection().execute(
            sa.select(host).where(Company.website.is_not(None), host.in_(keys[start:start + 1000])))}
    return found
