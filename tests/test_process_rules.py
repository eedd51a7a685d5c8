"""The gate rule kinds of salescrm/process/rules.py, each on its own, and how a stage's rules become the
sentences of a refusal (no database: a rule reads values already parsed)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from salescrm.process import rules
from salescrm.process.model import Property, Rule
from salescrm.process.rules import Activity, CompanyDeal, Context, Value, Verdict

pytestmark = pytest.mark.no_database

CTX = Context("Offer Sent", amount_cents=0)


def prop(key: str, type_: str = "text", **kw) -> Property:
    return Property(key, key.replace("_", " "), type_, **kw)


def verdict(rule: Rule, stored=None, ctx=CTX, **value) -> Verdict:
    return rules.check(rule, {rule.key: Value(stored, **value)} if stored is not None else {}, ctx)


def test_required_is_met_by_any_value_and_a_note_only_by_a_real_one():
    text = Rule("required", prop("quotation_ref"))
    assert verdict(text) == Verdict(False)
    assert verdict(text, "Q-1") == Verdict(True)
    note = Rule("required", prop("budget", "note"))
    for unmet in ("", "no", " None ", "-"):
        assert verdict(note, unmet) == Verdict(False), unmet
    assert verdict(note, "Approved for 2027") == Verdict(True)


def test_yes_is_met_by_yes_and_a_no_is_a_problem_naming_the_set():
    rule = Rule("yes", prop("segment_verified", "yes/no"))
    assert verdict(rule, "yes") == Verdict(True)
    assert verdict(rule) == Verdict(False)
    assert verdict(rule, "no") == Verdict(False, "segment_verified is no, and the gate needs yes (--set segment_verified=yes)")


def test_equals_compares_ignoring_case():
    rule = Rule("equals", prop("approval_status", "choice", choices=("Pending", "Approved")), value="Approved")
    assert verdict(rule, "approved").met
    assert verdict(rule, "Pending") == Verdict(
        False, "approval_status is Pending, and the gate needs Approved (--set approval_status=Approved)")


def test_one_of():
    rule = Rule("one-of", prop("nda_status", "choice", choices=("Not needed", "Sent", "Signed")), values=("Not needed", "Signed"))
    assert verdict(rule, "Signed").met and verdict(rule, "not needed").met
    assert verdict(rule, "Sent") == Verdict(False, "nda_status is Sent, and the gate needs one of Not needed, Signed: "
                                                   "--set nda_status=…")


def test_at_least_is_met_by_the_value_or_a_later_one():
    status = prop("contract_status", "choice", choices=("Not sent", "Proposal sent", "Proposal signed"))
    rule = Rule("at-least", status, value="Proposal sent")
    assert verdict(rule, "Proposal sent").met and verdict(rule, "Proposal signed").met
    assert verdict(rule, "Not sent") == Verdict(
        False, "contract_status is Not sent, and the gate needs Proposal sent or Proposal signed: --set contract_status=…")


def test_date_is_met_by_a_known_date():
    rule = Rule("date", prop("offer_approved_on", "date", past=True))
    assert verdict(rule, "2026-01-02").met
    assert not verdict(rule).met


def test_number_above_zero_on_the_amount_names_the_stage_and_the_option():
    rule = Rule("number > 0", field_name="amount")
    assert rules.check(rule, {}, Context("Offer Sent", 1)).met
    assert rules.check(rule, {}, Context("Offer Sent", 0)) == Verdict(
        False, "Offer Sent needs an amount above 0 (set it with `salescrm deal edit --amount`)")


def test_contact_of_company():
    rule = Rule("contact-of-company", prop("decision_maker", "contact"))
    assert verdict(rule, "marta@sanitas.es", name="Marta Ruiz", id=1, of_company=True).met
    assert verdict(rule, "luis@dkv.es", name="Luis Pardo", id=2) == Verdict(
        False, "decision_maker Luis Pardo is not a contact of the deal's company: name another with --set "
               "decision_maker=…, or link them with `salescrm contact edit 2 --add-company ...`")


def test_member_with_role():
    titles = (("JD-001", "General Manager"), ("JD-019", "Business Development"))
    rule = Rule("member-with-role", prop("signed_by", "member"), role="JD-001", role_titles=titles)
    assert verdict(rule, "Elena Ortiz", name="Elena Ortiz", role="JD-001").met
    assert verdict(rule, "Ana García", name="Ana García", role="JD-019").problem == (
        "signed_by Ana García is JD-019 (Business Development), not JD-001 (General Manager): name one with --set signed_by=…")
    assert "JD-099 (a role salescrm does not know)" in verdict(rule, "X", name="X", role="JD-099").problem


def test_k_of_n_counts_its_rules():
    bant = [Rule("required", prop(k, "note")) for k in ("budget", "authority", "need", "timeline")]
    rule = Rule("k-of-n", k=3, rules=tuple(bant))
    two = {"budget": Value("Yes, 2027"), "need": Value("Waiting list"), "authority": Value("none")}
    assert not rules.check(rule, two, CTX).met
    assert rules.check(rule, {**two, "timeline": Value("Q3")}, CTX).met


def test_problems_lists_failing_values_then_missing_keys_then_groups_then_deal_fields():
    ctx = Context("Contract Signed", 0)
    gate = (
        Rule("date", prop("contract_signed_on", "date")),
        Rule("yes", prop("healthcare_provider_clause", "yes/no")),
        Rule("member-with-role", prop("signed_by", "member"), role="JD-001", role_titles=(("JD-001", "General Manager"),)),
        Rule("number > 0", field_name="amount"),
    )
    found = rules.problems(gate, "the signature", {"healthcare_provider_clause": Value("no")}, ctx)
    assert found == [
        "healthcare_provider_clause is no, and the gate needs yes (--set healthcare_provider_clause=yes)",
        "Contract Signed needs contract_signed_on, signed_by: --set contract_signed_on=… --set signed_by=…",
        "Contract Signed needs an amount above 0 (set it with `salescrm deal edit --amount`)",
    ]
    bant = Rule("k-of-n", k=3, rules=tuple(Rule("required", prop(k, "note")) for k in ("budget", "authority", "need")))
    assert rules.problems((bant,), "at least 3 of 3 notes", {"need": Value("x")}, ctx) == [
        "Contract Signed needs at least 3 of 3 notes, 1 met; add --set budget=… --set authority=…"]
    assert rules.problems(gate, "x", {"contract_signed_on": Value("2026-01-01"), "healthcare_provider_clause": Value("yes"),
                                      "signed_by": Value("E", name="E", role="JD-001")}, Context("C", 1)) == []


def test_every_kind_has_a_check_or_groups_rules():
    assert set(rules.KINDS) >= {"required", "yes", "equals", "one-of", "at-least", "date", "number > 0", "k-of-n",
                                "contact-of-company", "member-with-role"}
    assert all(k.check or "rules" in k.params for k in rules.KINDS.values())


# --- The kinds that read more than the deal's values: the Context carries what they read ------------

ENTERED = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def on(record: str, key: str, type_: str = "text", test: str = "required", **kw) -> Rule:
    """A company-property or contact-property rule testing `key` with the value kind `test`."""
    p = Property(key, key, type_, record=record)
    return Rule(f"{record}-property", p, test=Rule(test, p, **kw))


def test_company_property_reads_the_companys_properties_with_its_test():
    rule = on("company", "business_unit")
    assert rules.check(rule, {"business_unit": Value("deal's own")}, Context("Partner of Choice")) == Verdict(False)
    assert rules.check(rule, {}, Context("Partner of Choice", company={"business_unit": "East"})).met
    providers = on("company", "providers", "number", "number > 0")
    ctx = Context("Proposal", company={"providers": "0"}, company_ref="7")
    assert rules.check(providers, {}, ctx) == Verdict(
        False, "the company's providers is 0, and Proposal needs the company's providers above 0 "
               "(salescrm company edit 7 --set providers=…)")
    assert rules.check(providers, {}, Context("Proposal", company={"providers": "12"})).met
    assert rules.problems((rule,), "x", {}, Context("Partner of Choice", company_ref="7")) == [
        "Partner of Choice needs the company's business_unit known (salescrm company edit 7 --set business_unit=…)"]


def test_contact_property_is_met_by_any_contact_of_the_deal():
    rule = on("contact", "providers", "number", "number > 0")
    assert not rules.check(rule, {}, Context("Proposal")).met
    assert not rules.check(rule, {}, Context("Proposal", contacts=({}, {"providers": "0"}))).met
    assert rules.check(rule, {}, Context("Proposal", contacts=({}, {"providers": "3"}))).met
    assert rules.problems((rule,), "x", {}, Context("Proposal")) == [
        "Proposal needs providers above 0 on a contact of the deal (salescrm contact edit CONTACT --set providers=…)"]


def test_has_next_step_is_an_open_task_or_an_activity_since_the_deal_entered_its_stage():
    rule = Rule("has-next-step", activities=("note", "email", "call"))
    ctx = dict(stage="Proposal", entered_at=ENTERED, current="Engaged", deal_ref="4")
    before = Activity("email", datetime(2026, 11, 1, tzinfo=timezone.utc))
    meeting = Activity("meeting", datetime(2026, 11, 3, tzinfo=timezone.utc))
    assert not rules.check(rule, {}, Context(**ctx, activities=(before, meeting))).met
    assert rules.check(rule, {}, Context(**ctx, activities=(Activity("call", ENTERED),))).met
    assert rules.check(rule, {}, Context(**ctx, open_tasks=("Send the calculator",))).met
    assert rules.problems((rule,), "x", {}, Context(**ctx)) == [
        "Proposal needs a next step: an open task on the deal (salescrm task add TITLE --deal 4), or a note, an email "
        "or a call logged on the deal since it entered Engaged (salescrm activity log --deal 4)"]


def test_has_activity_matches_the_start_of_a_summary():
    rule = Rule("has-activity", activities=("note",), starts_with="#S&OP", hint="salescrm deal sop DEAL")
    sop = Activity("note", ENTERED, "#S&OP\nDeal Owner: Ana García")
    assert rules.check(rule, {}, Context("Partner of Choice", activities=(sop,))).met
    assert not rules.check(rule, {}, Context("Partner of Choice", activities=(Activity("email", ENTERED, "#S&OP"),
                                                                               Activity("note", ENTERED, "S&OP")))).met
    assert rules.problems((rule,), "x", {}, Context("Partner of Choice", deal_ref="4")) == [
        "Partner of Choice needs a note starting #S&OP on the deal (salescrm deal sop 4)"]
    since = Rule("has-activity", activities=("note",), since_entered=True)
    assert not rules.check(since, {}, Context("P", activities=(Activity("note", datetime(2026, 1, 1, tzinfo=timezone.utc)),),
                                              entered_at=ENTERED)).met


def test_any_of_counts_any_rules_and_names_each_way_to_meet_it():
    rule = Rule("any-of", k=1, rules=(on("company", "providers", "number", "number > 0"),
                                      on("contact", "providers", "number", "number > 0")))
    assert rules.check(rule, {}, Context("Proposal", contacts=({"providers": "2"},))).met
    assert rules.check(rule, {}, Context("Proposal", company={"providers": "9"})).met
    assert rules.problems((rule,), "x", {}, Context("Proposal", company={"providers": "0"}, company_ref="7")) == [
        "Proposal needs one of: the company's providers above 0 (salescrm company edit 7 --set providers=…); "
        "providers above 0 on a contact of the deal (salescrm contact edit CONTACT --set providers=…)"]
    two = Rule("any-of", k=2, rules=(Rule("required", prop("a")), Rule("company-has-won-deal"), Rule("number > 0", field_name="amount")))
    assert not rules.check(two, {"a": Value("x")}, Context("S")).met
    assert rules.check(two, {"a": Value("x")}, Context("S", amount_cents=5)).met


def test_company_has_won_deal_does_not_count_a_backed_out_deal():
    rule = Rule("company-has-won-deal")
    assert not rules.check(rule, {}, Context("Expansion")).met
    assert not rules.check(rule, {}, Context("Expansion", company_deals=(CompanyDeal(False), CompanyDeal(True, backed_out=True)))).met
    assert rules.check(rule, {}, Context("Expansion", company_deals=(CompanyDeal(True, backed_out=True), CompanyDeal(True)))).met
    assert rules.problems((rule,), "x", {}, Context("Expansion")) == [
        "Expansion needs a company that already has a won deal (an existing client)"]


def test_acting_user_role_names_the_roles_that_may_act():
    rule = Rule("acting-user-role", roles=("JD-002",), role_titles=(("JD-002", "Sales VP"), ("JD-019", "Business Development")))
    ctx = dict(stage="Closed Lost", action="back out a signed deal")
    assert rules.check(rule, {}, Context(**ctx, acting_role="JD-002")).met
    refused = Verdict(False, "Only JD-002 (Sales VP) may back out a signed deal")
    assert rules.check(rule, {}, Context(**ctx, acting_role="JD-019")) == refused
    assert rules.check(rule, {}, Context(**ctx, acting_role=None)) == refused  # no member's login
    assert rules.problems((rule,), "x", {}, Context(**ctx)) == [refused.problem]
    assert rules.check(Rule("acting-user-role", roles=("JD-001", "JD-002")), {}, Context("Lost")).problem == (
        "Only JD-001 or JD-002 may enter Lost")


def test_required_on_a_multi_choice_needs_one_choice_and_number_above_zero_reads_money():
    hp = Rule("required", prop("hp_products", "multi-choice", choices=("RCM", "IT", "PM/EMR")))
    assert not verdict(hp, "").met and not verdict(hp, " , ").met
    assert verdict(hp, "RCM, IT").met
    assert hp.property.selected("RCM, PM/EMR") == ("RCM", "PM/EMR")
    money = Rule("number > 0", prop("annual_practice_collections", "money"))
    assert verdict(money, "1250000.00").met
    assert verdict(money, "0").problem == ("annual_practice_collections is 0, and the gate needs a number above 0: "
                                           "--set annual_practice_collections=…")


def test_a_deal_property_rule_does_not_read_a_company_property_of_the_same_key():
    """`providers` on the deal's values is not the company's: each record's properties are its own."""
    rule = on("company", "providers", "number", "number > 0")
    assert not rules.check(rule, {"providers": Value("5")}, Context("Proposal")).met
