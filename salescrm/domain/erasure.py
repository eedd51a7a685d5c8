"""A person's erasure (GDPR article 17, "the right to erasure"): `contact erase`.

The contact stays, as a pseudonymous record (`Erased contact N`), so that what the company must keep
(the deals and their amounts, that an activity happened, the consent ledger) keeps its links. Removed:
their name, job title, email, phone, web-form lead fields, external id and properties; the text of their
activities and tasks (replaced by MARKER); every mention of their email, phone or full name elsewhere (gate
values, where a `decision_maker` email becomes the contact's id; other activities' summaries and tasks'
titles; deals' descriptions and lost reasons). The journal's values that held any of it are set to NULL
(the erase-only triggers of migration 0002 allow exactly that; the digests stay, so the chain verifies),
and so are the command and reason of chain v2 rows about the person (migration 0005). Rows written before
chain v2 keep their command and reason verbatim (their hash covers the text): the erasure counts those
that still name the person.

The erasure itself is an `erasure` row (who, when, why: no personal data) with keyed hashes of the
removed emails and phones in `erased_identity` (HMAC-SHA256 under the database's secret, the `setting`
row `erasure_secret` of migration 0008), so that a later import refuses a row that matches one
(`refuse_erased`). The bytes leaving the file (SQLite) or the table (PostgreSQL VACUUM) is the store's
part, after the commit: store/scrub.py.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from salescrm.errors import Refused

MARKER = "[erased]"
PSEUDONYM_FIRST = "Erased"
SECRET_KEY = "erasure_secret"
# The contact's fields that hold personal data (journal field names, as store/journal.py records them).
PERSONAL_FIELDS = ("first_name", "last_name", "job_title", "email", "phone", "search_engine", "keyword",
                   "source_page", "external_id")
# The tables an erasure may change: PostgreSQL vacuums these afterwards.
TOUCHED_TABLES = ("contact", "contact_property", "activity", "task", "gate_value", "deal", "journal",
                  "journal_field", "erasure", "erased_identity")


@dataclass
class Erased:
    """What an erasure did, for the command's report (no personal data)."""

    erasure_id: int
    contact_id: int
    name: str  # the pseudonym
    at: datetime
    identities: int  # keyed hashes kept (emails and phones)
    scrubbed: dict[str, int] = field(default_factory=dict)  # activities, tasks, deals, gate_values, properties -> how many changed
    journal_values: int = 0  # journal values set to NULL
    journal_texts: int = 0  # v2 journal rows whose command or reason was blanked
    pre_v2_naming: int = 0  # journal rows before chain v2 whose command or reason still names the person


def pseudonym(contact_id: int) -> tuple[str, str]:
    return PSEUDONYM_FIRST, f"contact {contact_id}"


def identity_digest(secret: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of a normalised email (lower case) or E.164 phone, under the database's secret."""
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _secret(session: Session) -> str:
    from salescrm.store.models import Setting

    cached = session.info.get("erasure_secret")
    if cached is None:
        cached = session.connection().execute(
            sa.select(Setting.__table__.c.value).where(Setting.__table__.c.key == SECRET_KEY)).scalar()
        if cached is None:
            from salescrm.errors import DatabaseUnavailable

            raise DatabaseUnavailable("The database has no erasure secret (migration 0008 makes it): run "
                                      "`salescrm db upgrade`.")
        session.info["erasure_secret"] = cached
    return cached


def erasure_of(session: Session, contact_id: int):
    """The erasure of a contact, or None when they were not erased."""
    from salescrm.store.models import Erasure

    table = Erasure.__table__
    return session.connection().execute(sa.select(table).where(table.c.contact_id == contact_id)
                                        .order_by(table.c.id)).first()


def refuse_erased(session: Session, email: str | None, phone: str | None) -> None:
    """Refuse an incoming email (parsed) or phone (E.164) that an erasure removed: "erased on DATE"."""
    if not email and not phone:
        return
    from salescrm.store.models import ErasedIdentity, Erasure

    identities, erasures = ErasedIdentity.__table__, Erasure.__table__
    known = session.info.get("erased_identities")
    if known is None:  # read once per session (erasures are few), so that an import asks nothing per row
        known = session.info["erased_identities"] = dict(session.connection().execute(
            sa.select(identities.c.digest, erasures.c.at).join(erasures, identities.c.erasure_id == erasures.c.id)).all())
    if not known:
        return
    secret = _secret(session)
    for kind, value in (("email", email.lower() if email else None), ("phone", phone)):
        at = known.get(identity_digest(secret, kind, value)) if value else None
        if at is not None:
            from salescrm.store.columns import as_utc

            raise Refused(f"This {kind} belongs to a person erased on {as_utc(at).date().isoformat()} (GDPR article 17): "
                          "salescrm does not take their data in again.")


# --- Erasing ----------------------------------------------------------------------------------------


def erase_contact(session: Session, ref: str, reason: str, by: str) -> Erased:
    """Erase the person `ref` names (see the module's text); Refused when they were erased already."""
    from salescrm.domain import refs
    from salescrm.domain.records import touch
    from salescrm.store.columns import as_utc
    from salescrm.store.models import ContactProperty, ErasedIdentity, Erasure

    from salescrm.store.models import size
    from salescrm.typed_text import clean_text

    reason = clean_text(reason, "Reason (--reason)", lines=True, max_length=size(Erasure.reason))
    contact = refs.contact(session, ref, for_update=True)
    earlier = erasure_of(session, contact.id)
    if earlier is not None:
        raise Refused(f"Contact {contact.id} was erased on {as_utc(earlier.at).date().isoformat()}; there is nothing "
                      "left to erase.")
    if session.connection().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")  # what this transaction frees is zeroed
    else:
        _refuse_without_journal_rights(session)
    mentions = _Mentions.of(session, contact)
    before = _head_seq(session)
    # The journal keeps this command and its reason: neither may name the person.
    reason = mentions.scrub(reason, words=True)
    session.info.update(command=f"salescrm contact erase {contact.id}", reason=reason)
    scrubbed: dict[str, int] = {}
    first, last = pseudonym(contact.id)
    contact.first_name, contact.last_name = first, last
    for name in PERSONAL_FIELDS[2:]:
        setattr(contact, name, None)
    contact.email_key = contact.source_system = None
    touch(session, contact)
    properties = ContactProperty.__table__
    for row in session.connection().execute(sa.select(properties.c.key).where(properties.c.contact_id == contact.id)):
        session.delete(session.get(ContactProperty, (contact.id, row.key)))
        scrubbed["properties"] = scrubbed.get("properties", 0) + 1
    session.flush()
    _scrub_records(session, contact.id, mentions, scrubbed)
    session.flush()
    erasure = Erasure(contact_id=contact.id, by=by, reason=reason)
    session.add(erasure)
    session.flush()
    secret = _secret(session)
    digests = {identity_digest(secret, kind, value): kind for kind, values in (("email", mentions.emails),
                                                                                ("phone", mentions.phones))
               for value in values}
    known = set(session.connection().execute(sa.select(ErasedIdentity.__table__.c.digest)
                                             .where(ErasedIdentity.__table__.c.digest.in_(list(digests)))).scalars()) if digests else set()
    for digest, kind in digests.items():
        if digest not in known:  # an address an earlier erased contact had is kept once
            session.add(ErasedIdentity(digest=digest, kind=kind, erasure_id=erasure.id))
    session.flush()
    _journal_erasure(session, erasure, len(digests))
    values, texts, pre_v2 = _blank_journal(session, contact.id, mentions, before)
    return Erased(erasure.id, contact.id, f"{first} {last}", erasure.at, len(digests), scrubbed, values, texts, pre_v2)


def _refuse_without_journal_rights(session: Session) -> None:
    """A rep's role may only add to the journal (`db grants`): an erasure is the database owner's to run."""
    allowed = session.connection().exec_driver_sql(
        "SELECT has_table_privilege('journal', 'UPDATE') AND has_table_privilege('journal_field', 'UPDATE')").scalar()
    if not allowed:
        raise Refused("Erasing a person blanks their values in the journal, which this PostgreSQL role may only add "
                      "to: run the erasure as the database's owner (docs/privacy.md); nothing was erased.")


def _journal_erasure(session: Session, erasure, identities: int) -> None:
    from salescrm.store.journal import Change, append

    append(session.connection(), session.info, [Change("erasure", erasure.id, "insert", {
        "contact": (None, erasure.contact_id), "reason": (None, erasure.reason), "identities": (None, identities)})])


@dataclass
class _Mentions:
    """The texts that name the person: every email, phone and full name they had (live and journaled)."""

    emails: set[str]
    phones: set[str]
    names: set[str]
    words: set[str] = field(default_factory=set)  # each first and last name alone

    @classmethod
    def of(cls, session: Session, contact) -> "_Mentions":
        from salescrm.store.journal_chain import unseal
        from salescrm.store.models import JournalEntry, JournalField

        entry, fld = JournalEntry.__table__, JournalField.__table__
        seen: dict[str, set[str]] = {"email": set(), "phone": set(), "first_name": set(), "last_name": set()}
        for name, value in (("email", contact.email), ("phone", contact.phone), ("first_name", contact.first_name),
                            ("last_name", contact.last_name)):
            if value:
                seen[name].add(value)
        rows = session.connection().execute(
            sa.select(fld.c.field, fld.c.old_value, fld.c.new_value).join(entry, entry.c.seq == fld.c.seq)
            .where(entry.c.record_type == "contact", entry.c.record_id == contact.id, fld.c.field.in_(list(seen))))
        for row in rows:
            for stored in (row.old_value, row.new_value):
                value = unseal(stored)
                if isinstance(value, str) and value.strip():
                    seen[row.field].add(value)
        names = {f"{f} {l}" for f in seen["first_name"] for l in seen["last_name"]}
        return cls({e.lower() for e in seen["email"]}, seen["phone"], names, seen["first_name"] | seen["last_name"])

    def texts(self) -> list[str]:
        """Longest first, so that a name inside an email is replaced with the email."""
        return sorted({m for m in (*self.emails, *self.names) if len(m) >= 3}, key=len, reverse=True)

    def pattern(self) -> str | None:
        """One regular expression (Python's, which PostgreSQL's `~*` reads alike) for every mention: the
        emails and names as written (any spacing inside a name), the phones in any formatting (`+34 600
        000 000`, `0034 600-000-000`, the national `600 000 000`)."""
        parts = [r"\s+".join(re.escape(word) for word in text.split()) for text in self.texts()]
        parts += [_phone_pattern(phone) for phone in sorted(self.phones)]
        return "|".join(parts) if parts else None

    def scrub(self, text: str | None, words: bool = False) -> str | None:
        """`text` with each mention replaced by MARKER; `words`: each of their names alone too (the erasure's
        own reason is about them: "Marta asked by phone")."""
        pattern = self.pattern()
        if words and self.words:
            alone = "|".join(rf"\b{re.escape(w)}\b" for w in sorted(self.words, key=len, reverse=True))
            pattern = f"{pattern}|{alone}" if pattern else alone
        return re.sub(pattern, MARKER, text, flags=re.IGNORECASE) if text and pattern else text

    def condition(self, session: Session, column):
        """SQL: `column` names the person (SQLite: a function of this connection; PostgreSQL: `~*`)."""
        pattern = self.pattern()
        if pattern is None:
            return sa.false()
        conn = session.connection()
        if conn.dialect.name != "sqlite":
            return column.op("~*")(pattern)
        compiled = re.compile(pattern, re.IGNORECASE)
        conn.connection.driver_connection.create_function(
            "salescrm_names_erased", 1, lambda text: 1 if text and compiled.search(text) else 0, deterministic=True)
        return sa.func.salescrm_names_erased(column) == 1


_SEPARATORS = r"[\s.()/-]*"


def _phone_pattern(e164: str) -> str:
    """A phone in any of the ways people write it: with +CC or 00CC, or national (an optional trunk 0)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
        code, national = str(number.country_code), str(number.national_number)
    except phonenumbers.NumberParseException:
        code, national = "", e164.lstrip("+")
    digits = _SEPARATORS.join(national)
    prefix = rf"(?:(?:\+|00){_SEPARATORS}{_SEPARATORS.join(code)}{_SEPARATORS}|0{_SEPARATORS})?" if code else ""
    return rf"(?<!\d){prefix}{digits}(?!\d)"


def _scrub_records(session: Session, contact_id: int, mentions: _Mentions, scrubbed: dict[str, int]) -> None:
    """The person's activities and tasks get MARKER as their text; elsewhere each mention becomes MARKER, and
    a gate value that is one of their emails becomes their contact id."""
    from salescrm.store.models import Activity, Deal, GateValue, Task

    def count(what: str) -> None:
        scrubbed[what] = scrubbed.get(what, 0) + 1

    def matching(model, *columns, linked=None):
        where = [sa.or_(*(mentions.condition(session, c) for c in columns))]
        if linked is not None:
            where = [sa.or_(linked == contact_id, *where)]
        return session.scalars(sa.select(model).where(*where).order_by(model.id)).all()

    for activity in matching(Activity, Activity.summary, linked=Activity.contact_id):
        text = MARKER if activity.contact_id == contact_id else mentions.scrub(activity.summary)
        if text != activity.summary:
            activity.summary = text
            count("activities")
    for task in matching(Task, Task.title, linked=Task.contact_id):
        text = MARKER if task.contact_id == contact_id else mentions.scrub(task.title)
        if text != task.title:
            task.title = text
            count("tasks")
    from salescrm.domain.naming import name_key

    for deal in matching(Deal, Deal.name, Deal.description, Deal.lost_reason, Deal.source_name):
        deal.name = mentions.scrub(deal.name)  # a name built from a description that named them
        deal.name_key = name_key(deal.name)
        deal.description = mentions.scrub(deal.description)
        deal.lost_reason = mentions.scrub(deal.lost_reason)
        deal.source_name = mentions.scrub(deal.source_name)
        count("deals")
    for gate in session.scalars(sa.select(GateValue).where(mentions.condition(session, GateValue.value))).all():
        gate.value = str(contact_id) if gate.value.strip().lower() in mentions.emails else mentions.scrub(gate.value)
        count("gate_values")


def _head_seq(session: Session) -> int:
    from salescrm.store.models import JournalHead

    return session.connection().execute(sa.select(JournalHead.__table__.c.seq).where(JournalHead.__table__.c.id == 1)).scalar()


def _blank_journal(session: Session, contact_id: int, mentions: _Mentions, before: int) -> tuple[int, int, int]:
    """Set to NULL every journal value that held the person's data, and blank the command and reason of
    the chain v2 rows about them or naming them (up to `before`: this erasure's own rows name nobody);
    count the older rows about them or naming them, whose command and reason stay."""
    from salescrm.store.models import Activity, JournalEntry, JournalField, Task

    conn = session.connection()
    entry, fld = JournalEntry.__table__, JournalField.__table__
    about_contact = sa.select(entry.c.seq).where(entry.c.record_type == "contact", entry.c.record_id == contact_id)
    activities = sa.select(Activity.__table__.c.id).where(Activity.__table__.c.contact_id == contact_id)
    tasks = sa.select(Task.__table__.c.id).where(Task.__table__.c.contact_id == contact_id)
    personal = sa.or_(
        fld.c.seq.in_(about_contact) & (fld.c.field.in_(PERSONAL_FIELDS) | fld.c.field.like("properties.%")),
        fld.c.seq.in_(sa.select(entry.c.seq).where(entry.c.record_type == "activity", entry.c.record_id.in_(activities)))
        & (fld.c.field == "summary"),
        fld.c.seq.in_(sa.select(entry.c.seq).where(entry.c.record_type == "task", entry.c.record_id.in_(tasks)))
        & (fld.c.field == "title"),
    )
    blanked = 0
    for side in ("old_value", "new_value"):
        column = fld.c[side]
        naming = sa.or_(personal, mentions.condition(session, column))
        blanked += conn.execute(sa.update(fld).where(column.is_not(None), naming).values({side: None})).rowcount
    named = sa.or_(mentions.condition(session, entry.c.command), mentions.condition(session, entry.c.reason))
    naming_text = sa.or_(entry.c.seq.in_(about_contact), named)
    v2 = entry.c.version >= 2
    texts = conn.execute(sa.update(entry).where(v2, entry.c.seq <= before, naming_text, (entry.c.command != "") | entry.c.reason.is_not(None))
                         .values(command="", reason=None)).rowcount
    pre_v2 = conn.execute(sa.select(sa.func.count()).select_from(entry).where(
        sa.or_(entry.c.version.is_(None), entry.c.version < 2), naming_text)).scalar()
    return blanked, texts, pre_v2


def backups_holding(conn: sa.Connection, before: datetime | None = None) -> list[dict]:
    """The backups salescrm made (the `backup_record` registry) before the latest erasure, or before `before`:
    they still hold erased data. Oldest first: {"path", "kind", "made_at", "made_by"}."""
    from salescrm.store.columns import iso
    from salescrm.store.models import BackupRecord, Erasure

    backups, erasures = BackupRecord.__table__, Erasure.__table__
    if before is None:
        before = conn.execute(sa.select(sa.func.max(erasures.c.at))).scalar()
        if before is None:
            return []
    rows = conn.execute(sa.select(backups).where(backups.c.made_at < before).order_by(backups.c.made_at, backups.c.id))
    return [{"path": r.path, "kind": r.kind, "made_at": iso(r.made_at), "made_by": r.made_by} for r in rows]
