"""The tables few commands use, declared when salescrm.store.models first names one (see ON_DEMAND there).

The journal's tables (every write appends to them; `journal show|verify` reads them), the CRM
self-assessment's answers (`audit survey`), the database's settings (its currency), the decisions
that two companies are distinct (`--distinct-from`), the consent ledger with the marketing exports, the
process revisions the database was bound to (`process apply`), the properties a process declares on
companies and contacts, and the batches of `salescrm import`. Same metadata, same rules as store/models.py.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from salescrm.store.columns import time_column, utcnow


class SurveyAnswer(SQLModel, table=True):
    """One answer set of the life-science article's CRM self-assessment (`audit survey`)."""

    __tablename__ = "survey_answer"
    id: int | None = Field(default=None, primary_key=True)
    taken_at: datetime = time_column(default_factory=utcnow)
    taken_by: str = Field(max_length=200)
    capture: int  # 1-7: how completely we capture what we need
    qualifying_defined: int  # 1-7: how clearly the lead qualification process is defined
    qualifying_understood: int  # 1-7: how well the whole team understands it
    clean_data: int  # 1-7: how clean the database is
    reports: str = Field(max_length=200)  # the regular reports the team runs, comma-separated ids
    score: int  # 4-33


class Setting(SQLModel, table=True):
    """The database's own settings, one row each: `currency` (ISO 4217, set by `init`)."""

    __tablename__ = "setting"
    key: str = Field(max_length=40, primary_key=True)
    value: str = Field(max_length=200)


class DistinctCompanies(SQLModel, table=True):
    """A decision that two companies whose names look alike are distinct (`--distinct-from`).

    Kept with the lower id first, so that a pair has one row; the audit honours it.
    """

    __tablename__ = "distinct_companies"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    other_company_id: int = Field(foreign_key="company.id", primary_key=True, index=True)
    reason: str = Field(max_length=2000)
    decided_by: str = Field(max_length=200)
    decided_at: datetime = time_column(default_factory=utcnow)


class ConsentEvent(SQLModel, table=True):
    """One event of a contact's consent ledger (`contact consent`): granted or withdrawn, for a purpose,
    on a lawful basis. Never changed nor removed (triggers, as for the journal): the current state is the
    latest event per purpose."""

    __tablename__ = "consent_event"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    purpose: str = Field(max_length=40)
    state: str = Field(max_length=20)  # granted | withdrawn
    basis: str | None = Field(default=None, max_length=40)  # consent | legitimate-interest | contract
    source: str = Field(max_length=300)  # where it was given: "Email Marketing Consent form"
    wording_version: str | None = Field(default=None, max_length=100)
    at: datetime = time_column()  # when the person gave or withdrew it
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = time_column(default_factory=utcnow)


class MarketingExport(SQLModel, table=True):
    """An `export contacts --for-marketing`: who exported the consented contacts, when and why."""

    __tablename__ = "marketing_export"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = time_column(default_factory=utcnow)
    by: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    contacts: int


class MarketingExportContact(SQLModel, table=True):
    """A contact that a marketing export held."""

    __tablename__ = "marketing_export_contact"
    export_id: int = Field(foreign_key="marketing_export.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, index=True)


class JournalEntry(SQLModel, table=True):
    """One change of one record, chained to the previous entry by its hash (the audit trail)."""

    __tablename__ = "journal"
    __table_args__ = (sa.Index("ix_journal_record", "record_type", "record_id"),)
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = time_column()
    actor: str = Field(max_length=200)  # "by" in JSON: a reserved word in PostgreSQL
    command: str = Field(max_length=2000)
    reason: str | None = Field(default=None, max_length=2000)
    record_type: str = Field(max_length=40)
    record_id: int | None = Field(default=None)
    action: str = Field(max_length=20)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # Chain v2 (store/journal_chain.py): the row's salt, and the digests that cover command and reason.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    salt: str | None = Field(default=None, max_length=16)
    command_digest: str | None = Field(default=None, max_length=64)
    reason_digest: str | None = Field(default=None, max_length=64)


class JournalField(SQLModel, table=True):
    """A changed field of a journal entry. Values are stored as JSON `[salt, value]` beside a digest
    of them, so that erasing a person's value (setting it to NULL) leaves the chain verifiable."""

    __tablename__ = "journal_field"
    seq: int = Field(foreign_key="journal.seq", primary_key=True)
    field: str = Field(max_length=80, primary_key=True)
    old_value: str | None = Field(default=None)
    new_value: str | None = Field(default=None)
    old_digest: str | None = Field(default=None, max_length=64)
    new_digest: str | None = Field(default=None, max_length=64)


class JournalHead(SQLModel, table=True):
    """The chain's head, one row: appends lock it, so that concurrent writers cannot fork the chain."""

    __tablename__ = "journal_head"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)


class ProcessRevision(SQLModel, table=True):
    """One revision of the process this database follows (`salescrm process apply`): the whole TOML file
    as applied, with why and by whom. Never changed nor removed (triggers, as for the journal): the
    database's process is its latest row. Migration 0007 bound every database to the shipped sp-009-001."""

    __tablename__ = "process_revision"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)  # the file's `name`: sp-009-001, health-prime
    revision: str = Field(max_length=60)  # the file's `revision`
    body: str = Field(sa_type=sa.Text)  # the whole file, as applied
    sha256: str = Field(max_length=64)  # of the body's UTF-8 bytes
    reason: str = Field(max_length=2000)
    applied_by: str = Field(max_length=200)
    applied_at: datetime = time_column(default_factory=utcnow)


class CompanyProperty(SQLModel, table=True):
    """A value of a company property the process declares (`company edit --set KEY=VALUE`)."""

    __tablename__ = "company_property"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    key: str = Field(max_length=60, primary_key=True)
    value: str = Field(max_length=2000)
    set_at: datetime = time_column(default_factory=utcnow)
    set_by: str = Field(max_length=200)


class ContactProperty(SQLModel, table=True):
    """A value of a contact property the process declares (`contact edit --set KEY=VALUE`)."""

    __tablename__ = "contact_property"
    contact_id: int = Field(foreign_key="contact.id", primary_key=True)
    key: str = Field(max_length=60, primary_key=True)
    value: str = Field(max_length=2000)
    set_at: datetime = time_column(default_factory=utcnow)
    set_by: str = Field(max_length=200)


class ImportBatch(SQLModel, table=True):
    """One run of `salescrm import`: what it read, how many records it created and updated, and whether
    it was undone."""

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = time_column(default_factory=utcnow)
    by: str = Field(max_length=200)
    file: str = Field(max_length=1000)
    record_type: str = Field(max_length=20)
    source_system: str = Field(max_length=40)
    created: int
    updated: int
    undone_at: datetime | None = time_column(default=None)
    undone_by: str | None = Field(default=None, max_length=200)


class Erasure(SQLModel, table=True):
    """One `contact erase` (GDPR article 17): which contact was made pseudonymous, when, by whom and why.
    Holds no personal data; never changed nor removed (triggers)."""

    __tablename__ = "erasure"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    at: datetime = time_column(default_factory=utcnow)
    by: str = Field(max_length=200)
    reason: str = Field(max_length=2000)


class ErasedIdentity(SQLModel, table=True):
    """A keyed hash (HMAC under the database's secret) of an erased email or phone, so that a later
    import refuses a row that matches it. Never changed nor removed (triggers)."""

    __tablename__ = "erased_identity"
    digest: str = Field(max_length=64, primary_key=True)
    kind: str = Field(max_length=10)  # email, phone
    erasure_id: int = Field(foreign_key="erasure.id")


class BackupRecord(SQLModel, table=True):
    """A backup this database's salescrm made (`db backup`, a migration's, a restore's): those made before
    an erasure still hold the erased data. Never changed nor removed (triggers)."""

    __tablename__ = "backup_record"
    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(max_length=1000)
    kind: str = Field(max_length=20)  # backup, migration, restore
    made_at: datetime = time_column(default_factory=utcnow)
    made_by: str = Field(max_length=200)
