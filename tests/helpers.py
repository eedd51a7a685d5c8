"""Values and small helpers that several test files share: gate values for every stage, walking a deal
through the pipeline, and another database on the test's backend."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import BANT, QUALIFIED, copy_sqlite_template


# Dates are read when a test uses them, not at import: a run may cross midnight, and a deal created after it
# refuses a gate date of the day before.
def today() -> date:
    return date.today()


def yesterday() -> str:
    return (today() - timedelta(days=1)).isoformat()


def tomorrow() -> str:
    return (today() + timedelta(days=1)).isoformat()


def next_year() -> str:
    return (today() + timedelta(days=365)).isoformat()


def dated(text: str) -> str:
    """`text` with "{tomorrow}" and "{next_year}" replaced by those days: for a parametrize value, made at import."""
    return text.replace("{tomorrow}", tomorrow()).replace("{next_year}", next_year())


def gate_day() -> str:
    """The date given to each gate: today's, as a gate date may not be before the day the deal was created, and
    the tests' deals are new."""
    return today().isoformat()


# The --set values that meet each gate after Discovered (QUALIFIED and BANT are in conftest).
IMPLEMENTATION = [
    "--set", "implementation_method=API",
    "--set", "success_metrics=Waiting list down 20%",
    "--set", "pricing_basis=Per report",
    "--set", "implementation_timeline=Q2 2027",
]
OFFER_SENT = ["--set", "quotation_template=T-009-002", "--set", "quotation_ref=Q-2027-001"]


def offer_approved() -> list[str]:
    return ["--set", f"offer_approved_on={gate_day()}"]


def contract_signed() -> list[str]:
    return [
        "--set", f"contract_signed_on={gate_day()}",
        "--set", "healthcare_provider_clause=yes",
        "--set", "signed_by=Elena Ortiz",
    ]


def payment_done() -> list[str]:
    return ["--set", f"payment_received_on={gate_day()}"]


def steps() -> list[tuple[str, list[str]]]:
    """Each stage after Prospected with the values that meet its gate, in pipeline order."""
    return [
        ("Qualified", QUALIFIED),
        ("Discovered", BANT),
        ("Implementation Defined", IMPLEMENTATION),
        ("Offer Sent", OFFER_SENT),
        ("Offer Approved", offer_approved()),
        ("Contract Signed", contract_signed()),
        ("Payment Done", payment_done()),
    ]


STAGE_ORDER = ["Prospected"] + [name for name, _ in steps()]


def sets_until(stage: str, start: str = "Prospected") -> list[str]:
    """Every --set for the gates entered moving from `start` to `stage`."""
    first, last = STAGE_ORDER.index(start), STAGE_ORDER.index(stage)
    return [a for name, values in steps()[first:last] for a in values]


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
    for name, values in steps():
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


FIXTURES = Path(__file__).parent / "fixtures"


def old_copy(tmp_path, revision: str = "0001") -> Path:
    """A private copy of the fixture database of schema `revision` (tests/fixtures), to be upgraded."""
    path = tmp_path / f"old-{revision}.db"
    shutil.copyfile(FIXTURES / f"schema-{revision}.db", path)
    os.chmod(path, 0o600)
    return path
