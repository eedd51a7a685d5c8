"""The tables. Amounts are stored in cents (integers), times as timezone-aware UTC (store/columns.py).

The schema itself is created and changed by the Alembic migrations in
`salescrm/store/migrations`; a test checks that these models and the migrations agree.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from salescrm.store.columns import MAX_ID, time_column, utcnow  # noqa: F401  (importing it sets the constraint names first)

# The one place the limits of typed values come from: the validation reads each text limit from its
# column (`size(Contact.keyword)`), so that a value SQLite would store is one PostgreSQL stores too.
# Ids are INTEGER columns, so no id above MAX_ID can exist (store/columns.py).


BRAND_KEY = sa.String(1000).with_variant(sa.String(1000, collation="C"), "postgresql")


@cache  # asked for each value an import checks
def size(column) -> int:
    """The number of characters `column` (a model attribute, `Contact.keyword`) holds."""
    return column.property.columns[0].type.length


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    role: str = Field(max_length=10)
    # The name the operating system or SALESCRM_USER gives this person (the acting user).
    login: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = time_column(default_factory=utcnow)


class Company(SQLModel, table=True):
    __tablename__ = "company"
    __table_args__ = (sa.Index("uq_company_source_external_id", "source_system", "external_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    # The name's brand words (legalforms.brand_key): the one-company rule finds the companies a name may stand
    # for by it, in SQL (companies.name_conflict). Byte order on PostgreSQL too, for its prefix ranges.
    brand_key: str = Field(default="", sa_type=BRAND_KEY, index=True, sa_column_kwargs={"server_default": ""})
    # Unknown for a lead registered from its name alone (the audit flags it).
    country: str | None = Field(default=None, max_length=2)
    website: str | None = Field(default=None, max_length=500)
    legal_name: str | None = Field(default=None, max_length=300)
    # The record's id in the system it was imported from (`salescrm import`); unique per system.
    external_id: str | None = Field(default=None, max_length=200)
    source_system: str | None = Field(default=None, max_length=40)
    lead_status: str = Field(max_length=20)
    lead_status_set_by: str = Field(max_length=200)
    lead_status_set_at: datetime = time_column(default_factory=utcnow)
    created_at: datetime = time_column(default_factory=utcnow)
    updated_at: datetime = time_column(default_factory=utcnow)
    version: int = Field(default=1)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (sa.Index("uq_contact_source_external_id", "source_system", "external_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    job_title: str | None = Field(default=None, max_length=200)  # may be unknown for a new lead
    email: str | None = Field(default=None, max_length=320)
    # The email in lower case: emails are unique ignoring case.
    email_key: str | None = Field(default=None, max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=40, index=True)  # matched by `salescrm import`
    # Where the lead came from (`lead add`): channel, and what a web form captured.
    channel: str | None = Field(default=None, max_length=20, index=True)
    search_engine: str | None = Field(default=None, max_length=100)
    keyword: str | None = Field(default=None, max_length=300)
    source_page: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=200)  # as Company's
    source_system: str | None = Field(default=None, max_length=40)
    # The lifecycle value a person chose (`contact set-lifecycle`), where the process declares manual
    # values; None where it is derived only.
    manual_lifecycle: str | None = Field(default=None, max_length=60)
    created_at: datetime = time_column(default_factory=utcnow)
    updated_at: datetime = time_column(default_factory=utcnow)
    version: int = Field(default=1)


class ContactCompany(SQLModel, table=True):
    __tablename__ = "contact_company"
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", primary_key=True, ondelete="CASCADE", index=True)


class Deal(SQLModel, table=True):
    __tablename__ = "deal"
    __table_args__ = (
        # pipeline show: a covering index for the per-stage aggregate.
        sa.Index("ix_deal_pipeline_stage_amount", "pipeline", "stage", "amount_cents"),
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        sa.Index("uq_deal_source_external_id", "source_system", "external_id", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=700)
    name_key: str = Field(max_length=700, index=True)
    pipeline: str = Field(max_length=50)
    stage: str = Field(max_length=40)
    country: str = Field(max_length=2)
    company_id: int = Field(foreign_key="company.id", index=True)
    description: str = Field(max_length=400)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    close_date: date
    deal_class: str = Field(max_length=60, index=True)
    source: str = Field(max_length=300)
    owner_id: int = Field(foreign_key="team_member.id", index=True)
    lost_reason_category: str | None = Field(default=None, max_length=40)
    lost_reason: str | None = Field(default=None, max_length=2000)
    # The stage a lost deal was lost from (lifecycle: a deal lost after Contract Signed still made a customer).
    lost_from_stage: str | None = Field(default=None, max_length=40)
    # ISO 4217; the database's currency unless the deal was given another (totals never mix them).
    currency: str = Field(default="EUR", max_length=3)
    external_id: str | None = Field(default=None, max_length=200)  # as Company's
    source_system: str | None = Field(default=None, max_length=40)
    source_name: str | None = Field(default=None, max_length=700)  # the deal's name in that system
    created_at: datetime = time_column(default_factory=utcnow)
    updated_at: datetime = time_column(default_factory=utcnow)
    version: int = Field(default=1)


class DealContact(SQLModel, table=True):
    __tablename__ = "deal_contact"
    deal_id: int = Field(foreign_key="deal.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE", index=True)


class GateValue(SQLModel, table=True):
    """A value entered at a stage gate (BANT notes, quotation reference, signature date...)."""

    __tablename__ = "gate_value"
    deal_id: int = Field(foreign_key="deal.id", primary_key=True)
    key: str = Field(max_length=40, primary_key=True)
    value: str = Field(max_length=2000)
    stage: str = Field(max_length=40)
    set_at: datetime = time_column(default_factory=utcnow)
    set_by: str = Field(max_length=200)


class StageChange(SQLModel, table=True):
    """Append-only history of a deal's stages (from is NULL when the deal was created)."""

    __tablename__ = "stage_change"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage: str | None = Field(default=None, max_length=40)
    to_stage: str = Field(max_length=40)
    changed_at: datetime = time_column(default_factory=utcnow)
    changed_by: str = Field(max_length=200)
    # The process revision that allowed the move (NULL for moves made before migration 0007).
    process_revision_id: int | None = Field(default=None, foreign_key="process_revision.id")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")  # made by `salescrm import`
    backout: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})  # a won deal backed out


class Activity(SQLModel, table=True):
    """An interaction with a customer (call, email, meeting, message, note), logged as it happened."""

    __tablename__ = "activity"
    __table_args__ = (
        sa.Index("ix_activity_company_at", "company_id", "at"),
        sa.Index("ix_activity_contact_at", "contact_id", "at"),
        sa.Index("ix_activity_deal_at", "deal_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=20)
    direction: str | None = Field(default=None, max_length=10)  # outbound, inbound; none for a note
    at: datetime = time_column(index=True)
    summary: str = Field(max_length=2000)
    actor: str = Field(max_length=200)  # "by" in JSON
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    company_id: int | None = Field(default=None, foreign_key="company.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    created_at: datetime = time_column(default_factory=utcnow)


class Task(SQLModel, table=True):
    """Something a team member must do by a time: a follow-up call, a deal's next step."""

    __tablename__ = "task"
    __table_args__ = (
        # task due / task list: open tasks by due time; deal next-steps: a deal's earliest open task.
        sa.Index("ix_task_done_due", "done", "due"),
        sa.Index("ix_task_deal_done_due", "deal_id", "done", "due"),
        sa.Index("ix_task_company_kind_done", "company_id", "kind", "done"),
        sa.CheckConstraint("owner_id IS NOT NULL OR owner_login IS NOT NULL", name="has_owner"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # task, follow-up (the automatic call after a new lead)
    due: datetime = time_column()
    owner_id: int | None = Field(default=None, foreign_key="team_member.id", index=True)
    # An acting user who is not (yet) a team member owns their automatic tasks by login.
    owner_login: str | None = Field(default=None, max_length=200, index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    company_id: int | None = Field(default=None, foreign_key="company.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    done: bool = Field(default=False)
    done_at: datetime | None = time_column(default=None)
    done_by: str | None = Field(default=None, max_length=200)
    # Why a task was closed other than by hand: "deal won" or "deal lost" (its deal became final).
    closed_as: str | None = Field(default=None, max_length=20)
    created_at: datetime = time_column(default_factory=utcnow)
    created_by: str = Field(max_length=200)
    version: int = Field(default=1)


OPEN_NAME_WHERE = "stage <> 'Lost' AND lost_reason_category IS NULL"


def declare_partial_indexes() -> None:
    """Add the partial indexes, and the tables declared on demand, to the metadata (the migrations and
    the schema comparison need the whole schema).

    Declared apart because dialect-specific arguments make SQLAlchemy import every dialect they
    name, which costs each command 35 ms at start-up; commands never need indexes declared.
    """
    from salescrm.store import tables_on_demand  # noqa: F401  (declares its tables)

    table = Deal.__table__
    if any(index.name == "uq_deal_open_name" for index in table.indexes):
        return
    # Two deals that are not lost may not share a name (SP-009-001: one deal per revenue-generating event).
    # A lost deal, in any process's lost stage, has its lost reason category (migration 0008).
    sa.Index(
        "uq_deal_open_name",
        table.c.name_key,
        unique=True,
        sqlite_where=sa.text(OPEN_NAME_WHERE),
        postgresql_where=sa.text(OPEN_NAME_WHERE),
    )


# Ledgers: tables whose rows are appended and never changed (the journal's, the stage history, the
# self-assessment's answers, the consent ledger, the process revisions applied). Reps may only read them and add to them (`salescrm db grants`); a new table
# of that kind is named here. `journal_head` is the chain's one-row head: appends lock it and move it.
LEDGERS = ("journal", "journal_field", "stage_change", "survey_answer", "consent_event", "marketing_export",
           "marketing_export_contact", "process_revision", "erasure", "erased_identity", "backup_record")
HEAD_TABLES = ("journal_head",)  # select and update only
READ_ONLY_TABLES = ("setting", "alembic_version")  # the administrator's: `init` and the migrations write them


# Each table costs start-up time to declare (about 5 ms with SQLModel), and these are used by few
# commands: the journal's (written by every write, read by `journal`), the survey's, the settings, the
# distinct-companies decisions, consent, the process revisions, company and contact properties, import batches. They are declared in store/tables_on_demand.py when first named here,
# so `from salescrm.store.models import Setting` works as for any other table.
ON_DEMAND = ("SurveyAnswer", "Setting", "DistinctCompanies", "JournalEntry", "JournalField", "JournalHead",
             "ConsentEvent", "MarketingExport", "MarketingExportContact", "ProcessRevision", "CompanyProperty",
             "ContactProperty", "ImportBatch", "Erasure", "ErasedIdentity", "BackupRecord")


def __getattr__(name: str):
    if name in ON_DEMAND:
        from salescrm.store import tables_on_demand

        return getattr(tables_on_demand, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
