"""The documented grants work: `salescrm db grants` prints a rep's privileges generated from the schema,
and a rep set up with exactly those runs the whole day's work on a real PostgreSQL server, while the
ledgers stay insert-only for them."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy.engine import make_url

from salescrm.store import grants
from tests.conftest import ANA, DEAL, ELENA, MARTA, QUALIFIED, SANITAS
from tests.helpers import ok, tomorrow


@pytest.mark.no_database
def test_grants_cover_every_table_once_and_keep_ledgers_insert_only():
    from salescrm.store.models import LEDGERS

    listed = [t for g in grants.rep_grants() for t in g.tables]
    assert sorted(listed) == sorted({t.name for t in grants._tables()} | {"alembic_version"})
    assert len(listed) == len(set(listed))
    by_table = {t: g.privileges for g in grants.rep_grants() for t in g.tables}
    assert {t: by_table[t] for t in LEDGERS} == {t: "SELECT, INSERT" for t in LEDGERS}
    assert {"journal", "journal_field", "stage_change"} <= set(LEDGERS)
    assert by_table["journal_head"] == "SELECT, UPDATE"
    assert by_table["activity"] == by_table["task"] == "SELECT, INSERT, UPDATE, DELETE"


def test_db_grants_prints_the_sql(cli, backend, db_url):
    r = cli("db", "grants", "--role", "salescrm_rep")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("-- A salescrm rep's privileges at schema revision ")
    database = make_url(db_url).database if backend == "postgresql" else "salescrm"  # a file: the docs' name
    assert lines[1] == f"GRANT CONNECT ON DATABASE {database} TO salescrm_rep;"
    assert "GRANT SELECT, INSERT ON backup_record, consent_event, erased_identity, erasure, journal, journal_field, " \
           "marketing_export, marketing_export_contact, process_revision, stage_change, survey_answer TO salescrm_rep;" \
           "  -- ledgers: insert-only" in lines
    assert lines[-1].startswith("GRANT USAGE ON SEQUENCE activity_id_seq, backup_record_id_seq, company_id_seq, ")
    assert cli("db", "grants", "--role", "").exit_code == 2


def test_a_rep_with_exactly_the_printed_grants_does_the_whole_day(cli, backend, pg_server, db_url, monkeypatch, tmp_path):
    """A rep's scenario as a login role holding only `db grants`' privileges (the admin adds the team)."""
    if backend != "postgresql":
        pytest.skip("grants are PostgreSQL's")
    import psycopg

    database = make_url(db_url).database
    role = f"rep_{uuid.uuid4().hex[:10]}"
    sql = ok(cli("db", "grants", "--role", role)).stdout
    pg_server.execute(f"CREATE ROLE {role} LOGIN")
    try:
        pg_server.execute(sql, database)
        for member in (ANA, ELENA):  # the administrator, as the owner
            ok(cli(*member))
        monkeypatch.setenv("SALESCRM_DB", pg_server.url(database, user=role))
        monkeypatch.setenv("SALESCRM_USER", "ana")
        leads = tmp_path / "leads.jsonl"
        leads.write_text(json.dumps({"first_name": "Eva", "last_name": "Soler", "email": "eva@quiron.es",
                                     "company": "Quirón", "channel": "email"}) + "\n")
        for args in (
            SANITAS, MARTA, DEAL, ["deal", "advance", "1", *QUALIFIED],
            ["deal", "edit", "1", "--amount", "15000", "--reason", "Bigger pilot"],
            ["activity", "log", "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound",
             "--summary", "Intro call"],
            ["task", "add", "Send the pricing calculator", "--deal", "1", "--due", tomorrow(), "--owner", "Ana García"],
            ["task", "done", "2"],
            ["lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--email", "luis@dkv.es", "--company", "DKV",
             "--channel", "web-form"],
            ["lead", "add", "--from-json", str(leads)],
            ["audit", "--fail-on", "never"], ["audit", "survey", "--scores", "5,6,4,7", "--reports", "cycle,pipeline"],
            ["pipeline", "show"], ["report", "pipeline"], ["report", "cycle"], ["report", "forecast"],
            ["report", "conversion"], ["deal", "next-steps"], ["company", "show", "Sanitas Hospitales"],
            ["deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen"],
            ["journal", "show", "--deal", "1"], ["journal", "verify"], ["db", "check"],
        ):
            r = cli(*args)
            assert r.exit_code == 0, (args, r.stderr)
        with psycopg.connect(f"host=127.0.0.1 port={pg_server.port} user={role} dbname={database}") as conn:
            for statement in ("UPDATE journal SET actor = 'mallory' WHERE seq = 1", "DELETE FROM journal WHERE seq = 1",
                              "UPDATE journal_field SET new_value = NULL", "DELETE FROM stage_change",
                              "UPDATE stage_change SET to_stage = 'Won'", "TRUNCATE journal, journal_field",
                              "UPDATE setting SET value = 'USD'", "DROP TABLE deal"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
                conn.rollback()
            assert conn.execute("SELECT count(*) FROM journal").fetchone()[0] > 0
    finally:
        from salescrm.store.engine import dispose_all

        dispose_all()
        pg_server.execute(f"REASSIGN OWNED BY {role} TO postgres", database)
        pg_server.execute(f"DROP OWNED BY {role}", database)
        pg_server.execute(f"DROP ROLE {role}")
