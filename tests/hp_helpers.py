"""A Health Prime database for tests (`salescrm init --process health-prime`), and its deals written by SQL
until `deal create --pipeline` lands: one place to switch to the CLI then."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import Database
from tests.helpers import new_database, ok

ANN = ["contact", "add", "--first-name", "Ann", "--last-name", "Lee", "--job-title", "CFO",
       "--company", "Sunrise Clinics", "--email", "ann@sunrise.example", "--no-follow-up"]
BOB = ["contact", "add", "--first-name", "Bob", "--last-name", "Ray", "--job-title", "CEO",
       "--company", "Sunrise Clinics", "--email", "bob@sunrise.example", "--no-follow-up"]
_numbers = iter(range(1, 10**6))


def health_prime_database(cli, request, backend, tmp_path, *commands: list[str]):
    """A new database bound to health-prime on the test's backend, after `commands`: (run, Database), run
    being `cli` on it. Close the Database when done."""
    url = new_database(request, backend, tmp_path, schema=False)

    def run(*args, **kwargs):
        return cli("--db", url, *args, **kwargs)

    ok(run("init", "--process", "health-prime"))
    for command in commands:
        ok(run(*command))
    return run, Database(url)


@pytest.fixture
def hp(cli, request, backend, tmp_path):
    """A database bound to health-prime, with a rep, one company and its contact Ann: (run, Database)."""
    run, database = health_prime_database(
        cli, request, backend, tmp_path, ["team", "add", "Ana García", "--role", "JD-019"],
        ["company", "add", "Sunrise Clinics", "--country", "US", "--website", "sunrise.example"], ANN)
    yield run, database
    database.close()


def hp_deal(db: Database, stage: str = "Sales Qualified Lead", *, pipeline: str = "New Business", company_id: int = 1,
            contacts: tuple[int, ...] = (1,), amount_cents: int = 100000, currency: str = "EUR",
            lost_category: str | None = None, lost_from: str | None = None, backout: bool = False,
            path: tuple[str, ...] = ()) -> int:
    """A deal of `pipeline` in `stage`, with its history (created in the first stage, then through `path`
    to `stage`), as SQL writes it; a lost deal gets `lost_category`. Returns its id."""
    import sqlalchemy as sa

    number = next(_numbers)
    now = datetime.now(timezone.utc)
    stamp = sa.bindparam("at", type_=sa.DateTime(timezone=True))
    with db.engine.begin() as conn:
        deal_id = conn.execute(sa.text(
            "INSERT INTO deal (name, name_key, pipeline, stage, country, company_id, description, amount_cents, "
            "close_date, deal_class, source, owner_id, lost_reason_category, lost_reason, lost_from_stage, currency, "
            "created_at, updated_at, version) VALUES (:name, :key, :pipeline, :stage, 'US', :company, :description, "
            ":cents, :close, '', 'Referral', 1, :category, :reason, :lost_from, :currency, :at, :at, 1) RETURNING id"
        ).bindparams(stamp, sa.bindparam("close", type_=sa.Date)), {
            "name": f"US Sunrise Clinics Deal {number}", "key": f"us sunrise clinics deal {number}", "pipeline": pipeline,
            "stage": stage, "company": company_id, "description": f"Deal {number}", "cents": amount_cents,
            "close": (now + timedelta(days=90)).date(), "category": lost_category,
            "reason": "details" if lost_category else None, "lost_from": lost_from, "currency": currency, "at": now,
        }).scalar_one()
        for contact_id in contacts:
            conn.execute(sa.text("INSERT INTO deal_contact (deal_id, contact_id) VALUES (:d, :c)"),
                         {"d": deal_id, "c": contact_id})
        stages = ("Sales Qualified Lead", *path, stage) if stage != "Sales Qualified Lead" else (stage,)
        previous = None
        for i, to_stage in enumerate(stages):
            conn.execute(sa.text(
                "INSERT INTO stage_change (deal_id, from_stage, to_stage, changed_at, changed_by, backout) "
                "VALUES (:d, :f, :t, :at, 'tester', :b)").bindparams(stamp),
                {"d": deal_id, "f": previous, "t": to_stage, "at": now + timedelta(seconds=i),
                 "b": backout and i == len(stages) - 1})
            previous = to_stage
    return deal_id


def hp_values(db: Database, deal_id: int, stage: str = "Sales Qualified Lead", **values: str) -> None:
    """Deal properties stored as a gate stores them (`gate_value`), by SQL."""
    import sqlalchemy as sa

    with db.engine.begin() as conn:
        for key, value in values.items():
            conn.execute(sa.text(
                "INSERT INTO gate_value (deal_id, key, value, stage, set_at, set_by) VALUES (:d, :k, :v, :s, :at, 'tester')"
            ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
                {"d": deal_id, "k": key, "v": value, "s": stage, "at": datetime.now(timezone.utc)})
