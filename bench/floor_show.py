"""Baseline for `salescrm deal show 1`: import Typer, rich and SQLModel, open the file, read the row, print it."""

import sys

import rich  # noqa: F401
import typer  # noqa: F401
from sqlmodel import Field, Session, SQLModel, create_engine, select


class Deal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    stage: str


engine = create_engine(f"sqlite:///{sys.argv[1]}")
with Session(engine) as session:
    deal = session.exec(select(Deal).where(Deal.id == 1)).one()
    print(deal.id, deal.name, deal.stage)
