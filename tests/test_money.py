"""Amounts follow one grammar in and one format out, and money has a currency that totals never mix."""

from __future__ import annotations

import json

import pytest

from salescrm.cli import output
from salescrm.store.location import resolve
from tests.conftest import ANA, DEAL, SANITAS
from tests.helpers import ok, show, with_options

AMBIGUOUS = "is ambiguous: write 12000 (twelve thousand) or 12.00 (twelve).\n"


def deal_with(**changes) -> list[str]:
    """`deal create` with the README's values (but no contact), some of them changed or added."""
    return with_options(DEAL[:DEAL.index("--contact")], **changes)


@pytest.fixture
def base(cli):
    for args in (ANA, SANITAS):
        ok(cli(*args))
    return cli


# --- Input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, cents", [
    ("12000", 1200000), ("12,000", 1200000), ("12 000", 1200000), ("12\u00a0000", 1200000),
    ("12\u202f000", 1200000), ("12,000.50", 1200050), ("12000.5", 1200050), ("1,234,567.89", 123456789),
    (" 900 ", 90000), ("0.05", 5),
])
def test_amounts_people_write_are_read(base, db, typed, cents):
    ok(base(*deal_with(amount=typed)))
    assert db.query("SELECT amount_cents FROM deal") == [(cents,)]


@pytest.mark.parametrize("typed", ["12.000", "1.500", "12,50", "12,5", "12.000,50", "12 000,50"])
def test_a_thousands_point_or_a_decimal_comma_is_refused(base, db, typed):
    r = base(*deal_with(amount=typed))
    assert (r.exit_code, r.stderr, r.stdout) == (2, f"Amount '{typed}' {AMBIGUOUS}", "")
    assert db.count("deal") == 0


@pytest.mark.parametrize("typed", ["12_000", "1,2345", "12,000 000", "12 000.5.0", "twelve", ".5", "12."])
def test_other_shapes_are_not_amounts(base, db, typed):
    r = base(*deal_with(amount=typed))
    assert r.exit_code == 2
    assert r.stderr == f"Amount '{typed}' is not an amount: give digits, e.g. 12000, 12,000 or 12000.50.\n"
    assert db.count("deal") == 0


def test_deal_edit_reads_the_same_grammar(seeded, db):
    ok(seeded("deal", "edit", "1", "--amount", "15 000.25"))
    assert db.query("SELECT amount_cents FROM deal") == [(1500025,)]
    r = seeded("deal", "edit", "1", "--amount", "15.000")
    assert (r.exit_code, r.stderr) == (2, f"Amount '15.000' {AMBIGUOUS}")
    assert db.query("SELECT amount_cents FROM deal") == [(1500025,)]


def test_the_amount_prompt_reads_the_same_grammar():
    from salescrm.domain.values import parse_amount
    from salescrm.errors import InvalidValue

    assert parse_amount("12 000") == 1200000
    with pytest.raises(InvalidValue, match="ambiguous: write 12000"):
        parse_amount("12,50")


# --- Output ----------------------------------------------------------------------------------------


@pytest.mark.no_database
@pytest.mark.parametrize("amount, terminal, pipe", [
    (15000, "15,000", "15000"), (12000.5, "12,000.50", "12000.50"), (0, "0", "0"), (0.05, "0.05", "0.05"),
    (1234567.89, "1,234,567.89", "1234567.89"), (12000.0, "12,000", "12000"),
])
def test_amounts_print_whole_without_decimals_and_others_with_two(monkeypatch, amount, terminal, pipe):
    monkeypatch.setattr(output, "is_terminal", lambda: True)
    assert output.money(amount) == terminal
    monkeypatch.setattr(output, "is_terminal", lambda: False)
    assert output.money(amount) == pipe


def test_a_pipe_and_json_carry_plain_numbers(base, sh):
    ok(base(*deal_with(amount="12,000.50")))
    r = ok(sh("deal", "list"))
    assert r.stdout.split("\t")[3:5] == ["12000.50", "EUR"]
    deal = json.loads(ok(sh("deal", "show", "1", "--json")).stdout)
    assert (deal["amount"], deal["currency"]) == (12000.5, "EUR")
    assert "Amount\t12000.50 EUR (weighted 600.02)" in ok(sh("deal", "show", "1")).stdout


# --- Currency ----------------------------------------------------------------------------------------


def test_a_new_database_has_eur_and_new_deals_take_it(seeded, db):
    assert db.query("SELECT key, value FROM setting WHERE key = 'currency'") == [("currency", "EUR")]
    assert show(seeded)["currency"] == "EUR"


def test_new_deals_take_the_database_currency(base, db, db_url):
    r = ok(base("db", "set-currency", "chf", "--reason", "The Swiss team's database"))
    assert (r.stdout, r.stderr) == (f"The currency of {resolve(db_url).display} is CHF (it was EUR).\n", "")
    ok(base(*deal_with(contact="")[:-2]))
    assert show(base)["currency"] == "CHF"
    assert db.query("SELECT currency FROM deal") == [("CHF",)]
    assert json.loads(ok(base("db", "status", "--json")).stdout)["currency"] == "CHF"


def test_a_currency_change_is_journaled_with_its_reason(base, db):
    ok(base("db", "set-currency", "USD", "--reason", "US team"))
    assert db.query("SELECT record_type, action, reason FROM journal ORDER BY seq DESC LIMIT 1") == [
        ("setting", "update", "US team")]
    entries = json.loads(ok(base("journal", "show", "--json")).stdout)
    [entry] = [e for e in entries if e["field"] == "currency"]
    assert (entry["old"], entry["new"]) == ("EUR", "USD")


def test_set_currency_json_and_the_same_currency_again(base, db, db_url):
    journal = db.count("journal")
    r = ok(base("db", "set-currency", "EUR", "--json"))
    assert json.loads(r.stdout) == {"database": resolve(db_url).display, "currency": "EUR"}
    assert db.count("journal") == journal  # nothing changed


def test_the_database_currency_cannot_change_once_deals_exist(seeded, db):
    r = seeded("db", "set-currency", "USD")
    assert (r.exit_code, r.stderr) == (1, (
        "The database's currency is EUR and it already holds deals, whose amounts are in it; it cannot change to USD. "
        "Give a deal another currency with `salescrm deal edit DEAL --currency USD`.\n"))
    assert db.query("SELECT value FROM setting WHERE key = 'currency'") == [("EUR",)]


@pytest.mark.parametrize("args,said", [
    (["XYZ"], "The currency 'XYZ' is not an ISO 4217 currency code: give one such as EUR, USD, GBP or CHF.\n"),
    ([], "Missing required value: currency (the CODE argument). Give it on the command line, or run on a terminal "
         "to be asked.\n"),
], ids=["unknown", "missing"])
def test_set_currency_refuses_what_is_not_a_currency(base, db, args, said):
    r = base("--no-input", "db", "set-currency", *args)
    assert (r.exit_code, r.stderr) == (2, said)
    assert db.query("SELECT value FROM setting WHERE key = 'currency'") == [("EUR",)]


def test_a_deal_may_carry_another_currency(base, db):
    ok(base(*deal_with(currency="usd")))
    assert show(base)["currency"] == "USD"
    ok(base("deal", "edit", "1", "--currency", "gbp"))
    assert db.query("SELECT currency FROM deal") == [("GBP",)]
    changes = db.query("SELECT old_value, new_value FROM journal_field WHERE field = 'currency' ORDER BY seq")
    assert [tuple(v and json.loads(v)[1] for v in c) for c in changes] == [(None, "USD"), ("USD", "GBP")]


@pytest.mark.parametrize("code", ["XYZ", "EURO", "12", "€"])
def test_an_unknown_currency_is_refused(base, db, code):
    r = base(*deal_with(currency=code))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"--currency '{code}' is not an ISO 4217 currency code: give one such as EUR, USD, GBP or CHF.\n"
    assert db.count("deal") == 0


def test_a_deal_created_from_a_lost_one_keeps_its_currency(base):
    ok(base(*deal_with(currency="USD")))
    ok(base("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen"))
    ok(base("deal", "create", "--from", "1", "--amount", "9000", "--close-date", "2027-09-30"))
    assert show(base, "2")["currency"] == "USD"
    ok(base("deal", "create", "--from", "1", "--description", "Second try", "--amount", "9000",
            "--close-date", "2027-09-30", "--currency", "EUR"))
    assert show(base, "3")["currency"] == "EUR"


def test_company_json_gives_each_deal_its_currency(base):
    ok(base(*deal_with(currency="USD")))
    company = json.loads(ok(base("company", "show", "1", "--json")).stdout)
    assert company["deals"][0]["currency"] == "USD"


def two_currencies(cli):
    ok(cli(*deal_with(amount="12000")))
    ok(cli(*deal_with(amount="3000", currency="USD", description="US pilot")))
    ok(cli(*deal_with(amount="1000", currency="USD", description="US extension")))


def test_pipeline_show_names_its_one_currency(base):
    ok(base(*deal_with(contact="")[:-2]))
    shown = json.loads(ok(base("pipeline", "show", "--json")).stdout)
    assert set(shown) == {"currency", "stages", "total"}
    assert (shown["currency"], shown["total"]) == ("EUR", {"count": 1, "amount": 12000, "weighted_amount": 600})


def test_pipeline_show_never_adds_two_currencies(base, sh):
    two_currencies(base)
    shown = json.loads(ok(base("pipeline", "show", "--json")).stdout)
    assert shown["currency"] is None and set(shown) == {"currency", "by_currency"}
    assert [(f["currency"], f["total"]) for f in shown["by_currency"]] == [
        ("EUR", {"count": 1, "amount": 12000, "weighted_amount": 600}),
        ("USD", {"count": 2, "amount": 4000, "weighted_amount": 200}),
    ]
    assert [set(f) for f in shown["by_currency"]] == [{"currency", "stages", "total"}] * 2
    piped = ok(sh("pipeline", "show")).stdout
    assert "# EUR\n" in piped and "# USD\n" in piped
    assert "Total\t\t1\t12000\t600\n" in piped and "Total\t\t2\t4000\t200\n" in piped


def test_an_empty_database_reports_in_its_currency(base):
    shown = json.loads(ok(base("pipeline", "show", "--json")).stdout)
    assert (shown["currency"], shown["total"]) == ("EUR", {"count": 0, "amount": 0, "weighted_amount": 0})


def test_the_reports_group_amounts_by_currency(base):
    two_currencies(base)
    report = json.loads(ok(base("report", "pipeline", "--json")).stdout)
    assert report["currency"] is None
    assert [(f["currency"], f["total"]["amount"]) for f in report["by_currency"]] == [("EUR", 12000), ("USD", 4000)]
    forecast = json.loads(ok(base("report", "forecast", "--json")).stdout)
    assert forecast["currency"] is None
    assert [(f["currency"], f["months"], f["total"]["amount"]) for f in forecast["by_currency"]] == [
        ("EUR", [{"month": "2027-03", "count": 1, "amount": 12000, "weighted_amount": 600, "won_amount": 0}], 12000),
        ("USD", [{"month": "2027-03", "count": 2, "amount": 4000, "weighted_amount": 200, "won_amount": 0}], 4000),
    ]


def test_report_pipeline_compare_gives_each_changed_deal_its_currency(base):
    from tests.helpers import today

    two_currencies(base)
    report = json.loads(ok(base("report", "pipeline", "--compare", today().isoformat(), "--json")).stdout)
    assert report["compare"]["currency"] is None
    assert report["changes"]["entered"] == []  # nothing changed between today and today
