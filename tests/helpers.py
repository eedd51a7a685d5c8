"""Values and small helpers that several test files share: gate values for every stage, walking a deal
through the pipeline, and another database on the test's backend."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from tests.conftest import BANT, QUALIFIED, copy_sqlite_template

TODAY = date.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
NEXT_YEAR = (TODAY + timedelta(days=365)).isoformat()

# The --set values that meet each gate after Discovered (QUALIFIED and BANT are in conftest). Gate dates
# are today's: a gate date may not be before the day the deal was created, and the tests' deals are new.
GATE_DAY = TODAY.isoformat()
IMPLEMENTATION = [
    "--set", "implementation_method=API",
    "--set", "success_metrics=Waiting list down 20%",
    "--set", "pricing_basis=Per report",
    "--set", "implementation_timeline=Q2 2027",
]
OFFER_SENT = ["--set", "quotation_template=T-009-002", "--set", "quotation_ref=Q-2027-001"]
OFFER_APPROVED = ["--set", f"offer_approved_on={GATE_DAY}"]
CONTRACT_SIGNED = [
    "--set", f"contract_signed_on={GATE_DAY}",
    "--set", "healthcare_provider_clause=yes",
    "--set", "signed_by=Elena Ortiz",
]
PAYMENT_DONE = ["--set", f"payment_received_on={GATE_DAY}"]

# Each stage after Prospected with the values that meet its gate, in pipeline order.
STEPS = [
    ("Qualified", QUALIFIED),
    ("Discovered", BANT),
    ("Implementation Defined", IMPLEMENTATION),
    ("Offer Sent", OFFER_SENT),
    ("Offer Approved", OFFER_APPROVED),
    ("Contract Signed", CONTRACT_SIGNED),
    ("Payment Done", PAYMENT_DONE),
]
STAGE_ORDER = ["Prospected"] + [name for name, _ in STEPS]


def sets_until(stage: str, start: str = "Prospected") -> list[str]:
    """Every --set for the gates entered moving from `start` to `stage`."""
    first, last = STAGE_ORDER.index(start), STAGE_ORDER.index(stage)
    return [a for name, values in STEPS[first:last] for a in values]


def with_options(args: list[str], **options: str) -> list[str]:
    """`args` with each option (`close_date="2027-01-01"` is `--close-date`) replaced or added."""
    args = list(args)
    for option, value in options.items():
        flag = "--" + option.replace("_", "-")
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    return args


def ok(run):
    """The run of a command that must succeed."""
    assert run.exit_code == 0, run.stderr or run.stdout
    return run


def show(cli, deal: str = "1") -> dict:
    """`deal show DEAL --json`."""
    return json.loads(ok(cli("deal", "show", deal, "--json")).stdout)


def walk_to(cli, stage: str, deal: str = "1") -> None:
    """Advance `deal` one stage at a time, meeting every gate, until it is in `stage`."""
    for name, values in STEPS:
        if show(cli, deal)["stage"] == stage:
            return
        r = cli("deal", "advance", deal, *values)
        assert r.exit_code == 0, (name, r.stderr)
    assert show(cli, deal)["stage"] == stage


def backdate_deal(db, days: int, deal_id: int = 1) -> None:
    """Make a deal look created `days` ago (the floor of its gate dates), as a deal recorded earlier is."""
    from datetime import datetime, timezone

    import sqlalchemy as sa

    when = datetime.now(timezone.utc) - timedelta(days=days)
    with db.engine.begin() as conn:
        update = sa.text("UPDATE deal SET created_at = :at WHERE id = :id").bindparams(
            sa.bindparam("at", type_=sa.DateTime(timezone=True)))
        conn.execute(update, {"at": when, "id": deal_id})


def new_database(request, backend: str, tmp_path, *, schema: bool = True) -> str:
    """Another database on the test's backend, for `--db` or SALESCRM_DB: a new SQLite file or a new
    PostgreSQL database, at the latest schema when `schema`, else with no tables at all (for SQLite: no
    file yet, made by the first command that writes)."""
    name = f"x{uuid.uuid4().hex[:16]}"
    if backend == "sqlite":
        path = tmp_path / f"{name}.db"
        return copy_sqlite_template(request, path) if schema else str(path)
    server = request.getfixturevalue("pg_server")
    return server.create_database(name, template="salescrm_template" if schema else None)
