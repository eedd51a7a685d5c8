"""Reading a Health Prime database: `pipeline show`, `deal list`, the reports and the audit per pipeline
(`--pipeline`, and the `pipelines` JSON shape of a process with several)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.helpers import ok
from tests.hp_helpers import hp, hp_deal  # noqa: F401  (hp is a fixture)

HP_OPEN = ["Sales Qualified Lead", "Engaged", "Proposal", "Partner of Choice"]
PROBABILITY = {"Sales Qualified Lead": 10, "Engaged": 25, "Proposal": 50, "Partner of Choice": 80}
PIPELINES = [("new-business", "New Business"), ("expansion", "Expansion"), ("upsell", "Upsell")]


def shown(run, *args) -> object:
    return json.loads(ok(run(*args, "--json")).stdout)


def stages(figure: dict) -> list[tuple[str, int, float]]:
    return [(s["stage"], s["count"], s["amount"]) for s in figure["stages"]]


@pytest.fixture
def deals(hp):
    """New Business: 1 in Engaged (10,000), 1 won; Expansion: 1 in Proposal (5,000) and 1 in Engaged in USD."""
    run, db = hp
    hp_deal(db, "Engaged", amount_cents=1_000_000)
    hp_deal(db, "Closed Won", amount_cents=700_000, path=("Engaged", "Proposal", "Partner of Choice"))
    hp_deal(db, "Proposal", pipeline="Expansion", amount_cents=500_000, path=("Engaged",))
    hp_deal(db, "Engaged", pipeline="Expansion", amount_cents=200_000, currency="USD")
    return run, db


def test_pipeline_show_gives_each_pipeline_with_its_own_stages(deals):
    run, _ = deals
    summary = shown(run, "pipeline", "show")
    assert list(summary) == ["pipelines"]
    assert [(p["pipeline"], p["label"]) for p in summary["pipelines"]] == PIPELINES
    new, expansion, upsell = summary["pipelines"]
    assert (new["currency"], stages(new)) == ("EUR", [(s, int(s == "Engaged"), 10000 if s == "Engaged" else 0)
                                                       for s in HP_OPEN])
    assert new["stages"][1]["weighted_amount"] == 2500 and new["total"] == {"count": 1, "amount": 10000,
                                                                            "weighted_amount": 2500}
    # The currency grouping inside each pipeline: never summed across currencies.
    assert expansion["currency"] is None and [f["currency"] for f in expansion["by_currency"]] == ["EUR", "USD"]
    assert stages(expansion["by_currency"][0])[2] == ("Proposal", 1, 5000)
    assert stages(expansion["by_currency"][1])[1] == ("Engaged", 1, 2000)
    assert upsell["total"] == {"count": 0, "amount": 0, "weighted_amount": 0}
    one = shown(run, "pipeline", "show", "--pipeline", "New Business")
    assert one == {"pipelines": [new]}


def test_pipeline_show_in_a_pipe_names_each_pipeline(deals):
    run, _ = deals
    out = ok(run("pipeline", "show")).stdout
    assert out.startswith("# pipeline new-business\nSales Qualified Lead\t10\t0\t0\t0\nEngaged\t25\t1\t10000\t2500\n")
    assert "# pipeline expansion EUR\n" in out and "# pipeline expansion USD\n" in out and "# pipeline upsell\n" in out
    assert ok(run("pipeline", "show", "--pipeline", "upsell")).stdout == (
        "Sales Qualified Lead\t10\t0\t0\t0\nEngaged\t25\t0\t0\t0\nProposal\t50\t0\t0\t0\nPartner of Choice\t80\t0\t0\t0\n"
        "Total\t\t0\t0\t0\n")


def test_an_unknown_pipeline_exits_2_naming_each(deals):
    run, _ = deals
    for args in (("pipeline", "show"), ("deal", "list"), ("report", "pipeline"), ("report", "cycle"),
                 ("report", "forecast"), ("report", "conversion"), ("audit",)):
        r = run(*args, "--pipeline", "renewals")
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", "Unknown pipeline 'renewals': choose one of new-business "
                                                            "(New Business), expansion, upsell (by key or label).\n"), args


def test_deal_list_stays_a_flat_array_with_the_pipeline_label_and_filters_by_pipeline(deals):
    run, _ = deals
    listed = shown(run, "deal", "list")
    assert [(d["id"], d["pipeline"], d["stage"], d["probability"]) for d in listed] == [
        (4, "Expansion", "Engaged", 25), (3, "Expansion", "Proposal", 50), (2, "New Business", "Closed Won", 100),
        (1, "New Business", "Engaged", 25)]
    assert [d["id"] for d in shown(run, "deal", "list", "--pipeline", "expansion")] == [4, 3]
    assert [d["id"] for d in shown(run, "deal", "list", "--won")] == [2]
    assert [d["id"] for d in shown(run, "deal", "list", "--open", "--pipeline", "new-business")] == [1]
    assert [d["id"] for d in shown(run, "deal", "list", "--stage", "engaged")] == [4, 1]
    assert [d["id"] for d in shown(run, "deal", "list", "--stage", "engaged", "--pipeline", "upsell")] == []
    r = run("deal", "list", "--stage", "offer-sent")
    assert (r.exit_code, r.stderr) == (2, "Unknown stage 'offer-sent': choose one of Sales Qualified Lead, Engaged, "
                                          "Proposal, Partner of Choice, Closed Won, Closed Lost.\n")
    deal = shown(run, "deal", "show", "3")
    assert (deal["pipeline"], deal["probability"], deal["weighted_amount"]) == ("Expansion", 50, 2500)


def test_report_pipeline_per_pipeline_and_compared(deals):
    run, _ = deals
    today = date.today().isoformat()
    report = shown(run, "report", "pipeline")
    assert report["at"] == today and [p["pipeline"] for p in report["pipelines"]] == [k for k, _ in PIPELINES]
    assert report["pipelines"] == shown(run, "pipeline", "show")["pipelines"]  # nothing changed since
    compared = shown(run, "report", "pipeline", "--pipeline", "expansion", "--compare", today)
    assert [p["pipeline"] for p in compared["pipelines"]] == ["expansion"]
    assert [p["pipeline"] for p in compared["compare"]["pipelines"]] == ["expansion"]
    assert compared["changes"]["won"] == []  # deal 2 is New Business's


def test_report_cycle_forecast_and_conversion_per_pipeline(deals):
    run, _ = deals
    cycle = shown(run, "report", "cycle")
    assert (cycle["won_at"], [p["pipeline"] for p in cycle["pipelines"]]) == ("Closed Won", [k for k, _ in PIPELINES])
    new = cycle["pipelines"][0]
    assert new["deals"] == 1 and [s["stage"] for s in new["stage_median_days"]] == HP_OPEN
    assert cycle["pipelines"][1]["deals"] == 0
    assert shown(run, "report", "cycle", "--won-at", "partner-of-choice", "--pipeline", "new-business")[
        "won_at"] == "Partner of Choice"
    r = run("report", "cycle", "--won-at", "payment-done")
    assert (r.exit_code, r.stderr) == (2, "Unknown --won-at value 'payment-done': choose one of closed-won, "
                                          "partner-of-choice.\n")
    forecast = shown(run, "report", "forecast")
    new, expansion, upsell = forecast["pipelines"]
    assert (new["total"]["count"], new["total"]["weighted_amount"], new["total"]["won_amount"]) == (1, 2500, 7000)
    assert [f["currency"] for f in expansion["by_currency"]] == ["EUR", "USD"]
    assert upsell["months"] == []
    conversion = shown(run, "report", "conversion")
    new = conversion["pipelines"][0]
    assert [(s["stage"], s["entered"], s["reached_next"]) for s in new["stages"]] == [
        ("Sales Qualified Lead", 2, 2), ("Engaged", 2, 1), ("Proposal", 1, 1), ("Partner of Choice", 1, 1)]
    assert (new["won"], new["lost"], new["win_rate"]) == (1, 0, 1.0)
    assert conversion["leads"] == {"companies": 1, "won": 1, "rate": 1.0}
    assert list(conversion) == ["at", "since", "until", "pipelines", "leads"]


def test_the_reports_in_a_pipe_name_each_pipeline(deals):
    run, _ = deals
    out = ok(run("report", "conversion")).stdout
    assert out.startswith("# pipeline new-business\n# stages\nSales Qualified Lead\t2\t2\tEngaged\t1.0\n")
    assert out.endswith("# leads\nLeads to won\t1.0 (1 of 1 companies created have a won deal)\n")
    out = ok(run("report", "forecast", "--pipeline", "expansion")).stdout
    assert out.startswith("# pipeline expansion EUR\n")
    out = ok(run("report", "cycle", "--pipeline", "upsell")).stdout
    assert out.startswith("# pipeline upsell\n# cycle\nCycle\tdays from creation to Closed Won (won)\n")


def audit(run, *args) -> dict:
    r = run("audit", "--json", *args)
    assert r.exit_code in (0, 1), r.stderr
    return json.loads(r.stdout)


def gate_findings(run, *args) -> list[str]:
    return [f["message"] for f in audit(run, "--check", "stage-gate", *args)["findings"]]


def test_the_audit_checks_each_pipelines_gates_on_the_stored_properties(hp):
    from tests.hp_helpers import hp_values

    run, db = hp
    deal = hp_deal(db, "Proposal", path=("Engaged",))
    hp_values(db, deal, "Engaged", enterprise_deal_status="no", hp_products="RCM")  # `required`: a no is known
    [message] = gate_findings(run)
    assert message.endswith("is in Proposal without what this gate needs: Proposal (the likely scope (HP products), "
                            "the number of providers (on the company or a contact), Annual Practice Collections and a "
                            "next step).")
    hp_values(db, deal, "Proposal", likely_scope="RCM for 3 clinics", annual_practice_collections="250000")
    assert len(gate_findings(run)) == 1  # the number of providers: on the company or a contact
    ok(run("contact", "edit", "ann@sunrise.example", "--set", "providers=4"))
    assert gate_findings(run) == []  # a next step is the move's rule, not the stored data's
    won = hp_deal(db, "Closed Won", path=("Engaged", "Proposal", "Partner of Choice"))
    hp_values(db, won, "Closed Won", contract_status="Proposal sent")
    [message] = [m for m in gate_findings(run) if f"Deal {won} " in m]
    assert "Closed Won (the quoted RCM rate, contract Proposal signed," in message


def test_the_audit_per_pipeline(deals):
    run, db = deals
    whole = audit(run)
    assert [(p["pipeline"], p["deals"]) for p in whole["pipelines"]] == [("new-business", 2), ("expansion", 2),
                                                                        ("upsell", 0)]
    assert sum(p["findings"] for p in whole["pipelines"]) == sum(
        1 for f in whole["findings"] if f["record_type"] == "deal")
    # Health Prime declares no deal classes: a deal without one lacks nothing.
    assert [f for f in whole["findings"] if f["check"] == "missing-field" and f["record_type"] == "deal"] == []
    expansion = audit(run, "--pipeline", "expansion")
    assert expansion["pipelines"] == [{"pipeline": "expansion", "label": "Expansion", "deals": 2,
                                       "findings": whole["pipelines"][1]["findings"]}]
    assert {f["record_id"] for f in expansion["findings"]} == {3, 4}
    assert all(f["record_type"] == "deal" for f in expansion["findings"])  # --pipeline audits deals, as --owner


def test_next_steps_and_class_filters_follow_the_process(deals):
    run, _ = deals
    steps = shown(run, "deal", "next-steps")
    assert sorted(d["deal"] for d in steps) == [1, 3, 4]  # deal 2 is won (Closed Won): not open
    for args in (("deal", "list"), ("pipeline", "show"), ("report", "forecast"), ("deal", "next-steps")):
        r = run(*args, "--class", "Insurance")
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", "The process health-prime has no deal classes.\n"), args


def test_the_team_is_shown_and_added_with_the_processs_own_role_titles(hp):
    """health-prime calls JD-002 the SOP's "Sales VP": `team add` takes and says that title, and `team
    list` shows it, where sp-009-001's Sales Manager would be wrong."""
    run, db = hp
    r = run("team", "add", "Vic Stone", "--role", "sales vp", "--login", "vic")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "Added team member 2: Vic Stone (JD-002 Sales VP), login vic\n", "")
    assert [(m["role"], m["title"]) for m in shown(run, "team", "list")] == [
        ("JD-019", "Business Development"), ("JD-002", "Sales VP")]
    r = run("team", "add", "Sam Sales", "--role", "Sales Manager")
    assert r.exit_code == 2 and "Unknown role 'Sales Manager': choose one of JD-001 (General Manager), JD-002 (Sales VP)," in r.stderr
    assert db.count("team_member") == 2
