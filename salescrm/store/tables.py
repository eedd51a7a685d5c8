"""The tables as read by the commands that only read them: `deal show`, the lists, the timelines.

Declaring the SQLModel classes of store/models.py costs each command about 20 million instructions a
table (pydantic's model, SQLModel's columns, the ORM's mapper): more than a read command's own work,
and three quarters of `deal show`'s start-up above the SQLModel floor (bench/startup.py). A read needs
only each column's name and how its value comes back, so the read paths name these light table clauses
instead, under the models' names, with the models' attribute syntax (`Deal.stage`, `select(Deal.id)`,
`.join(Company, ...)`). Their rows are plain rows, never ORM records: a write still loads the model.

The models stay the schema's one source (the migrations, the writes); `tests/test_store.py` checks that
every table here has exactly its model's columns, and the types whose values need converting back.
A statement names either these tables or the models, never both: the two are different FROM clauses.
"""

from __future__ import annotations

import sqlalchemy as sa

# Each table's columns in the models' order. A column is text unless its name says otherwise:
# `:int` an integer, `:date` a date, `:time` a timezone-aware time (store/columns.py), `:bool` a boolean.
COLUMNS = {
    "team_member": "id:int name name_key role login created_at:time",
    "company": "id:int name name_key brand_key country website legal_name external_id source_system lead_status "
               "lead_status_set_by lead_status_set_at:time created_at:time updated_at:time version:int",
    "contact": "id:int first_name last_name job_title email email_key phone channel search_engine keyword "
               "source_page external_id source_system manual_lifecycle created_at:time updated_at:time version:int",
    "contact_company": "contact_id:int company_id:int",
    "deal": "id:int name name_key pipeline stage country company_id:int description amount_cents:int "
            "close_date:date deal_class source owner_id:int lost_reason_category lost_reason lost_from_stage "
            "currency external_id source_system source_name created_at:time updated_at:time version:int",
    "deal_contact": "deal_id:int contact_id:int",
    "gate_value": "deal_id:int key value stage set_at:time set_by",
    "stage_change": "id:int deal_id:int from_stage to_stage changed_at:time changed_by process_revision_id:int "
                    "import_batch_id:int backout:bool",
    "activity": "id:int type direction at:time summary actor contact_id:int company_id:int deal_id:int created_at:time",
    "task": "id:int title kind due:time owner_id:int owner_login deal_id:int company_id:int contact_id:int "
            "done:bool done_at:time done_by closed_as created_at:time created_by version:int",
    "process_revision": "id:int name revision body sha256 reason applied_by applied_at:time",
}
TYPES = {
    "": sa.String,
    "int": sa.Integer,
    "date": sa.Date,
    "time": lambda: sa.DateTime(timezone=True),
    "bool": sa.Boolean,
}


class ReadTable:
    """A table clause whose columns are attributes, as a model's are; SQLAlchemy takes it wherever it
    takes a table (`__clause_element__`)."""

    def __init__(self, clause):
        self.__table__ = clause
        for column in clause.c:
            setattr(self, column.key, column)

    def __clause_element__(self):
        return self.__table__

    def __repr__(self) -> str:
        return f"<read table {self.__table__.name}>"


def _declared(name: str) -> ReadTable:
    columns = []
    for item in COLUMNS[name].split():
        column, _, kind = item.partition(":")
        columns.append(sa.column(column, TYPES[kind]()))
    return ReadTable(sa.table(name, *columns))


def aliased(table: ReadTable) -> ReadTable:
    """A second name for `table` in one statement (a deal's owner beside a task's), as `sqlalchemy.orm.aliased`."""
    return ReadTable(table.__table__.alias())


TeamMember = _declared("team_member")
Company = _declared("company")
Contact = _declared("contact")
ContactCompany = _declared("contact_company")
Deal = _declared("deal")
DealContact = _declared("deal_contact")
GateValue = _declared("gate_value")
StageChange = _declared("stage_change")
Activity = _declared("activity")
Task = _declared("task")
ProcessRevision = _declared("process_revision")  # read by every command that asks the database's process
