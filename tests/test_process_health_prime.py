"""The shipped health-prime process (the Health Prime Sales HubSpot SOP) as a file: its pipelines, stages,
gates, properties, lifecycle, automations and back-out, and the format constructs it needs (properties on
companies and contacts, entry rules, shared stages, automations, a transition, a summary note), each
validated with its key path and line."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from salescrm.process import load, rules, views
from salescrm.process.rules import Activity, CompanyDeal, Context, Value

pytestmark = pytest.mark.no_database

TEXT = load.shipped_text("health-prime")
HP = load.shipped("health-prime")
STAGES = ["Sales Qualified Lead", "Engaged", "Proposal", "Partner of Choice", "Closed Won", "Closed Lost"]


def gate(stage: str, pipeline: str = "new-business") -> list[tuple]:
    """A stage's rules as (kind, record.key or what it tests, parameter)."""
    found = []
    for r in HP.pipeline(pipeline).stage(stage).rules:
        if r.kind == "any-of":
            found.append((r.kind, r.k, tuple((x.kind, x.key, x.test.kind) for x in r.rules)))
        elif r.kind in ("company-property", "contact-property"):
            found.append((r.kind, r.key, r.test.kind))
        elif r.kind in ("has-next-step", "has-activity"):
            found.append((r.kind, r.activities, r.starts_with))
        else:
            found.append((r.kind, r.key, r.value))
    return found


def problems(text: str) -> list[tuple[str, str]]:
    _, found = load.check_text(text)
    return [(p.path, p.message) for p in found]


def test_its_pipelines_share_the_six_stages_and_probabilities():
    assert load.shipped_names() == ("health-prime", "sp-009-001")
    assert (HP.name, HP.revision) == ("health-prime", 1)
    assert [(p.key, p.label) for p in HP.pipelines] == [
        ("new-business", "New Business"), ("expansion", "Expansion"), ("upsell", "Upsell")]
    assert HP.default_pipeline.key == "new-business"
    for p in HP.pipelines:
        assert [(s.name, s.probability, s.won, s.lost) for s in p.stages] == [
            ("Sales Qualified Lead", 10, False, False), ("Engaged", 25, False, False), ("Proposal", 50, False, False),
            ("Partner of Choice", 80, False, False), ("Closed Won", 100, True, False), ("Closed Lost", 0, False, True)]
    assert HP.default_pipeline.stage("partner-of-choice").name == "Partner of Choice"
    assert HP.default_pipeline.first.gate is None and HP.default_pipeline.lost.gate is None


def test_expansion_and_upsell_take_only_companies_with_a_won_deal():
    assert HP.pipeline("new-business").entry == ()
    for key in ("expansion", "upsell"):
        p = HP.pipeline(key)
        assert [r.kind for r in p.entry] == ["company-has-won-deal"]
        assert p.entry_needs == "a company that already has a won deal (an existing client)"


def test_the_gates_are_the_sops_lists():
    assert gate("Engaged") == [("required", "enterprise_deal_status", None), ("required", "hp_products", None)]
    assert gate("Proposal") == [
        ("required", "hp_products", None), ("required", "likely_scope", None),
        ("any-of", 1, (("company-property", "providers", "number > 0"), ("contact-property", "providers", "number > 0"))),
        ("number > 0", "annual_practice_collections", None),
        ("has-next-step", ("note", "email", "call"), None)]
    poc = gate("Partner of Choice")
    assert poc[:11] == [
        ("required", "proposal", None), ("required", "pricing_model", None), ("required", "volume_data", None),
        ("date", "decision_date", None), ("required", "deal_meeting_required", None),
        ("equals", "approval_status", "Approved"), ("required", "rate_range", None), ("yes", "verbal_commit", None),
        ("at-least", "contract_status", "Proposal sent"), ("required", "confidence_level", None),
        ("company-property", "business_unit", "required")]
    assert poc[-1] == ("has-activity", ("note",), "#S&OP")
    # Every S&OP property is required there, on its record (the owner and the company's name always exist).
    read = {(r.record or "deal", r.key) for r in HP.default_pipeline.stage("Partner of Choice").rules if r.key}
    sop = {(x.record, x.key) for x in HP.sop.lines} - {("deal", "owner"), ("company", "name")}
    assert sop <= read
    assert gate("Closed Won") == [
        ("required", "quoted_rcm_rate", None), ("equals", "contract_status", "Proposal signed"),
        ("equals", "onboarding_questionnaire", "Uploaded"), ("date", "go_live_date", None),
        ("required", "nda_status", None), ("required", "baa_status", None)]
    for p in HP.pipelines:  # the same gates in each pipeline
        assert [s.rules for s in p.stages] == [s.rules for s in HP.default_pipeline.stages]


def test_the_properties_and_their_types():
    deal = {p.key: p for p in HP.properties_of("deal")}
    assert {k: p.type for k, p in deal.items()} == {
        "enterprise_deal_status": "yes/no", "hp_products": "multi-choice", "likely_scope": "text",
        "annual_practice_collections": "money", "proposal": "text", "pricing_model": "text", "volume_data": "text",
        "decision_date": "date", "deal_meeting_required": "yes/no", "approval_status": "choice", "rate_range": "text",
        "verbal_commit": "yes/no", "contract_status": "ordered choice", "confidence_level": "choice",
        "term_months": "number", "arr_at_signing": "money", "non_recurring_revenue": "money", "go_live_date": "date",
        "legacy_pm": "text", "legacy_ehr": "text", "tax_ids": "number", "annual_practice_charges": "money",
        "annual_visits": "number", "backlog_details": "text", "license_restrictions": "text",
        "contract_provisions": "text", "quoted_rcm_rate": "text", "onboarding_questionnaire": "choice",
        "nda_status": "choice", "baa_status": "choice"}
    assert deal["hp_products"].choices == ("RCM", "IT", "PM/EMR")
    assert deal["approval_status"].choices == ("Pending", "Approved", "Rejected")
    assert deal["contract_status"].choices == ("Not sent", "Proposal sent", "Proposal signed")
    assert deal["confidence_level"].choices == ("Low", "Medium", "High")
    assert deal["onboarding_questionnaire"].choices == ("Not uploaded", "Uploaded")
    assert deal["nda_status"].choices == deal["baa_status"].choices == ("Not needed", "Sent", "Signed")
    assert not deal["decision_date"].past and not deal["go_live_date"].past  # may be in the future
    assert {p.key: p.type for p in HP.properties_of("company")} == {
        "business_unit": "text", "provider_specialty": "text", "providers": "number", "locations": "number",
        "current_pm": "text", "current_ehr": "text", "current_rcm_processing": "text", "rcm_rate": "text",
        "minimum": "money", "support_global_note": "text", "division": "text"}
    assert [(p.key, p.type) for p in HP.properties_of("contact")] == [("providers", "number")]
    assert HP.property_of("company", "providers").label == "# of Providers"


def test_the_lifecycle_lost_reasons_roles_and_what_the_sop_leaves_out():
    life = HP.lifecycle
    assert life.values == ("Target", "Marketing Qualified Lead", "Sales Qualified Lead", "Customer",
                           "Exclude from Marketing", "Additional Sales Contact", "Recycled")
    assert (life.derived, life.initial) == ("first-that-holds", "Target")
    assert [v for v, _ in life.precedence] == ["Exclude from Marketing", "Additional Sales Contact", "Customer",
                                               "Sales Qualified Lead", "Recycled", "Marketing Qualified Lead", "Target"]
    assert dict(life.precedence)["Recycled"] == ("all-deals-lost-recyclable", "set-by-hand", "consent-withdrawn")
    assert life.kept == ("Exclude from Marketing", "Additional Sales Contact")
    assert HP.lost_categories == load.shipped("sp-009-001").lost_categories
    assert HP.recyclable == ("Bad timing", "No budget")
    assert HP.owner_roles == ("JD-019", "JD-002") and HP.signer_roles == ()
    assert HP.role_titles["JD-002"] == "Sales VP" and HP.role_titles["JD-016"] == "Customer Success Manager"
    assert HP.deal_classes == ()
    assert HP.company_requires == ("name",)
    assert load.shipped("sp-009-001").company_requires == ("name", "country", "website")
    assert HP.deal_names.render(country="US", company="Acme Family Practice", description="RCM") == \
        "US Acme Family Practice RCM"


def test_closed_won_creates_the_onboarding_and_attachment_tasks():
    won = {p.key: p.won for p in HP.pipelines}
    assert [(a.title, a.assignee, a.due) for a in HP.automations_on(HP.pipeline("new-business"), won["new-business"])] == [
        ("Onboarding: {company}", "JD-016", "2d"), ("Attach the signed contract and {company}_Calculator", "owner", "1d")]
    for key in ("expansion", "upsell"):  # "a signed contract for new business": onboarding in New Business only
        assert [a.title for a in HP.automations_on(HP.pipeline(key), won[key])] == [
            "Attach the signed contract and {company}_Calculator"]
    assert HP.automations_on(HP.default_pipeline, HP.default_pipeline.stage("Proposal")) == ()
    assert load.shipped("sp-009-001").automations == ()


def test_a_signed_deal_is_backed_out_only_by_jd_002():
    b = HP.backout
    assert (b.name, b.from_stage, b.to_stage, b.action) == (
        "Deals Backed out after a Contract is signed", "Closed Won", "Closed Lost", "back out a signed deal")
    [rule] = b.rules
    assert (rule.kind, rule.roles) == ("acting-user-role", ("JD-002",))
    assert load.shipped("sp-009-001").backout is None


def test_the_sop_summary_lists_the_sops_two_lists_in_order():
    assert HP.sop.heading == "#S&OP"
    assert [(x.record, x.key, x.label) for x in HP.sop.lines][:4] == [
        ("deal", "owner", "Deal Owner"), ("deal", "pricing_model", "Pricing Model"), ("deal", "term_months", "Term (Months)"),
        ("deal", "amount", "Deal Amount")]
    assert [x.key for x in HP.sop.lines if x.record == "company"] == [
        "name", "business_unit", "provider_specialty", "providers", "locations", "current_pm", "current_ehr",
        "current_rcm_processing", "rcm_rate", "minimum", "support_global_note", "division"]
    assert len([x for x in HP.sop.lines if x.record == "deal"]) == 17


def test_process_show_renders_it():
    obj = views.process_object(HP, views.chosen(HP, None, None))
    assert [p["name"] for p in obj["pipelines"]] == ["New Business", "Expansion", "Upsell"]
    assert obj["pipelines"][1]["entry"] == [{"kind": "company-has-won-deal"}]
    proposal = obj["pipelines"][0]["stages"][2]["requires"]
    assert proposal[2] == {"kind": "any-of", "k": 1, "rules": [
        {"kind": "company-property", "property": "providers", "label": "# of Providers", "type": "number",
         "record": "company", "test": "number > 0"},
        {"kind": "contact-property", "property": "providers", "label": "Number of Providers", "type": "number",
         "record": "contact", "test": "number > 0"}]}
    assert proposal[4] == {"kind": "has-next-step", "activities": ["note", "email", "call"]}
    details = dict(views.stage_details(HP.pipeline("upsell"), HP.pipeline("upsell").first))
    assert details["entry rule 1"] == "company-has-won-deal: the company has a won deal (not backed out)"
    assert details["needs"] == "(deals start here) a company that already has a won deal (an existing client)"
    assert views.needs_text(HP.default_pipeline, HP.default_pipeline.first) == "(deals start here)"
    poc = dict(views.stage_details(HP.default_pipeline, HP.default_pipeline.stage("Partner of Choice")))
    assert poc["rule 11"] == "company-property: the company's business_unit known (Business Unit)"
    assert poc["rule 37"] == "has-activity: note on the deal starting #S&OP"


def test_the_gate_fields_are_the_deals_own():
    """The domain's gate code reads deal values only: company and contact properties are not among a gate's keys."""
    proposal = HP.default_pipeline.stage("Proposal").gate
    assert proposal.keys == ("hp_products", "likely_scope", "annual_practice_collections")
    assert "providers" not in HP.gate_keys and "business_unit" not in HP.gate_keys


# --- The format's constructs, validated ----------------------------------------------------------


def test_an_unknown_property_type_names_the_types_of_its_record():
    text = TEXT.replace('key = "providers"\ntype = "number"\nlabel = "# of Providers"',
                        'key = "providers"\ntype = "contact"\nlabel = "# of Providers"')
    assert problems(text) == [("properties.company[2].type", "unknown type 'contact': choose one of text, number, "
                               "money, date, yes/no, choice, ordered choice, multi-choice")]


def test_a_rule_on_an_undeclared_company_property_names_the_table_to_declare_it_under():
    text = TEXT.replace('{ kind = "company-property", property = "division" }',
                        '{ kind = "company-property", property = "divisions" }')
    [(path, message)] = problems(text)
    assert path == "pipelines[0].stages[3].gate[35].property"
    assert message.startswith("a rule on an undeclared property 'divisions': declare it under [[properties.company]] "
                              "(declared: business_unit, ")
    text = TEXT.replace('{ kind = "contact-property", property = "providers"', '{ kind = "contact-property", property = "locations"')
    assert problems(text) == [("pipelines[0].stages[2].gate[2].rules[1].property", "a rule on an undeclared property "
                               "'locations': declare it under [[properties.contact]] (declared: providers)")]


def test_a_choice_rule_with_a_value_not_among_the_choices():
    text = TEXT.replace('property = "approval_status", value = "Approved"', 'property = "approval_status", value = "OK"')
    text = text.replace('{ kind = "required", property = "nda_status" }',
                        '{ kind = "one-of", property = "nda_status", values = ["Sent", "Done"] }')
    assert problems(text) == [
        ("pipelines[0].stages[3].gate[5].value", "choice 'OK' is not declared: choose one of Pending, Approved, Rejected"),
        ("pipelines[0].stages[4].gate[4].values[1]", "choice 'Done' is not declared: choose one of Not needed, Sent, Signed")]


def test_rules_stand_only_where_their_kind_can_be_read():
    text = TEXT.replace('entry = [{ kind = "company-has-won-deal" }]', 'entry = [{ kind = "has-next-step" }]', 1)
    text = text.replace('rules = [{ kind = "acting-user-role", roles = ["JD-002"] }]',
                        'rules = [{ kind = "acting-user-role", roles = ["JD-099"] }]')
    assert problems(text) == [
        ("pipelines[1].entry[0].kind", "'has-next-step' is not a rule of a pipeline's entry: it stands in a stage's gate"),
        ("backout.rules[0].roles[0]", "role 'JD-099' is not declared: choose one of JD-001, JD-002, JD-003, JD-004, "
                                      "JD-005, JD-007, JD-008, JD-011, JD-012, JD-013, JD-016, JD-019, JD-021")]


def test_a_k_of_n_groups_only_the_deals_properties_and_a_test_must_be_a_value_kind():
    text = TEXT.replace('{ kind = "any-of", k = 1,', '{ kind = "k-of-n", k = 1,')
    text = text.replace('property = "providers", test = "number > 0" },\n        { kind = "contact',
                        'property = "providers", test = "above zero" },\n        { kind = "contact')
    assert problems(text) == [
        ("pipelines[0].stages[2].gate[2].rules[0].test", "unknown test 'above zero': choose one of required, yes, equals, "
                                                         "one-of, at-least, date, number > 0"),
        ("pipelines[0].stages[2].gate[2].rules", "a k-of-n groups rules on the deal's properties (any-of groups any rules)")]


def test_shared_stages_automations_backout_summary_and_lifecycle_are_checked():
    text = (TEXT.replace('stages_from = "new-business"', 'stages_from = "upsell"', 1)
            .replace('title = "Onboarding: {company}"', 'title = "Onboarding: {client}"')
            .replace('due = "2d"', 'due = "two days"')
            .replace('from = "Closed Won"', 'from = "Partner of Choice"')
            .replace('{ deal = "owner", label = "Deal Owner" }', '{ deal = "owner" }')
            .replace('{ company = "division" }', '{ company = "divisions" }')
            .replace('when = ["engaged"]', 'when = ["engaged", "visited"]')
            .replace('recyclable = ["Bad timing", "No budget"]', 'recyclable = ["Bad timing", "Too expensive"]')
            .replace('requires = ["name"]', 'requires = ["website"]'))
    found = problems(text)
    assert found == [
        ("lost_reasons.recyclable[1]", "lost reason category 'Too expensive' is not declared: choose one of No budget, "
                                       "No authority, No need, Bad timing, Lost to competitor, No segment fit, "
                                       "Unresponsive, Other"),
        ("pipelines[1].stages_from", "pipeline 'upsell' is not declared before this one (declared: new-business)"),
        ("lifecycle.precedence[5].when[1]", "condition 'visited' is not declared: choose one of set-by-hand, "
                                            "company-has-won-deal, on-open-deal, all-deals-lost-recyclable, "
                                            "consent-withdrawn, engaged, otherwise"),
        ("companies.requires", "a company always needs its name: list name"),
        ("automations[0].title", "the pattern names an unknown field '{client}': known fields are {company}, {deal}"),
        ("automations[0].due", "'two days' is not a due offset: give a duration such as 1d, 2d or 4h"),
        ("backout.from", "'Partner of Choice' is not won in new-business, upsell: a back-out leaves a won stage"),
        ("sop.lines[0].label", "missing: the deal's own field owner takes a label"),
        ("sop.lines[28].company", "'divisions' is neither a company field nor a declared company property: choose one "
                                  "of name, country, website, business_unit, provider_specialty, providers, locations, "
                                  "current_pm, current_ehr, current_rcm_processing, rcm_rate, minimum, "
                                  "support_global_note, division"),
    ]


def test_a_test_of_the_wrong_kind_for_its_property_is_named_at_the_test():
    text = TEXT.replace('{ kind = "company-property", property = "minimum" }',
                        '{ kind = "company-property", property = "minimum", test = "yes" }')
    assert problems(text) == [("pipelines[0].stages[3].gate[33].test",
                               "'yes' applies to a yes/no property, and 'minimum' is a money")]


def test_a_back_out_goes_to_the_lost_stage():
    assert problems(TEXT.replace('to = "Closed Lost"', 'to = "Lost"')) == [
        ("backout.to", "'Lost' is not the lost stage of new-business (Closed Lost), expansion (Closed Lost), "
                       "upsell (Closed Lost)")]


def test_a_multi_choice_choice_cannot_hold_the_separator():
    text = TEXT.replace('choices = ["RCM", "IT", "PM/EMR"]', 'choices = ["RCM", "IT", "PM, EMR"]')
    assert problems(text) == [("properties.deal[1].choices[2]", "'PM, EMR' has a comma, which separates a "
                                                               "multi-choice's stored choices")]


def test_process_check_gives_each_new_error_its_line(cli, tmp_path):
    text = (TEXT.replace('key = "locations"\ntype = "number"', 'key = "locations"\ntype = "count"')
            .replace('{ kind = "company-property", property = "rcm_rate" }',
                     '{ kind = "company-property", property = "rcm_rates" }')
            .replace('value = "Uploaded" }', 'value = "Done" }'))
    path = tmp_path / "hp-rev2.toml"
    path.write_text(text, encoding="utf-8")
    r = cli("process", "check", str(path))
    assert (r.exit_code, r.stdout) == (2, "")
    lines = text.splitlines()
    said = r.stderr.splitlines()
    assert said[-1] == f"{path} is not a valid process file (3 problems); fix it and check again."
    for line, (needle, where) in zip(said[:-1], [('type = "count"', "properties.company[3].type"),
                                                 ('"rcm_rates"', "pipelines[0].stages[3].gate[32].property"),
                                                 ('value = "Done"', "pipelines[0].stages[4].gate[2].value")]):
        number = int(re.match(rf"{re.escape(str(path))}:(\d+): {re.escape(where)}: ", line).group(1))
        assert needle in lines[number - 1], (line, lines[number - 1])


def test_the_exported_file_checks(cli, tmp_path):
    r = cli("process", "export", "health-prime")
    assert (r.exit_code, r.stdout) == (0, TEXT)
    (tmp_path / "hp.toml").write_text(r.stdout, encoding="utf-8")
    r = cli("process", "check", str(tmp_path / "hp.toml"))
    assert (r.exit_code, r.stdout) == (0, f"{tmp_path / 'hp.toml'} is a valid process file: health-prime revision 1, "
                                          "3 pipelines, 18 stages, 42 properties.\n")


# --- The gates evaluated on plain data, as a command will pass them ----------------------------------

SIX = {"quoted_rcm_rate": "4.5%", "contract_status": "Proposal signed", "onboarding_questionnaire": "Uploaded",
       "go_live_date": "2027-03-01", "nda_status": "Signed", "baa_status": "Not needed"}


def needs(stage: str, values: dict[str, str], pipeline: str = "new-business", **ctx) -> list[str]:
    s = HP.pipeline(pipeline).stage(stage)
    return rules.problems(s.rules, s.gate.rule, {k: Value(v) for k, v in values.items()},
                          Context(s.name, **{"company_ref": "7", "deal_ref": "4", **ctx}))


def test_closed_won_needs_all_six():
    assert needs("Closed Won", SIX) == []
    for key in SIX:
        assert needs("Closed Won", {k: v for k, v in SIX.items() if k != key}) == [
            f"Closed Won needs {key}: --set {key}=…"], key
    assert needs("Closed Won", {**SIX, "contract_status": "Proposal sent"}) == [
        "contract_status is Proposal sent, and the gate needs Proposal signed (--set contract_status=Proposal signed)"]


def test_proposal_takes_the_providers_from_the_company_or_a_contact_and_a_next_step():
    values = {"hp_products": "RCM, IT", "likely_scope": "RCM and IT for 3 clinics", "annual_practice_collections": "2500000"}
    entered = datetime(2026, 11, 2, tzinfo=timezone.utc)
    step = dict(open_tasks=("Send the calculator",))
    assert needs("Proposal", values, company={"providers": "12"}, **step) == []
    assert needs("Proposal", values, contacts=({"providers": "3"},), **step) == []
    assert needs("Proposal", values, company={"providers": "12"}, entered_at=entered, current="Engaged",
                 activities=(Activity("call", datetime(2026, 11, 3, tzinfo=timezone.utc)),)) == []
    assert needs("Proposal", values, company={"providers": "0"}, entered_at=entered, current="Engaged",
                 activities=(Activity("call", datetime(2026, 11, 1, tzinfo=timezone.utc)),)) == [
        "Proposal needs one of: the company's providers above 0 (salescrm company edit 7 --set providers=…); "
        "providers above 0 on a contact of the deal (salescrm contact edit CONTACT --set providers=…)",
        "Proposal needs a next step: an open task on the deal (salescrm task add TITLE --deal 4), or a note, an email "
        "or a call logged on the deal since it entered Engaged (salescrm activity log --deal 4)"]


def test_partner_of_choice_needs_the_business_unit_and_the_sop_note():
    deal = {r.key: "1" for r in HP.default_pipeline.stage("Partner of Choice").rules if r.record == "deal"}
    deal.update(decision_date="2027-01-15", go_live_date="2027-03-01", deal_meeting_required="no",
                approval_status="Approved", verbal_commit="yes", contract_status="Proposal signed",
                confidence_level="High", hp_products="RCM")
    company = {p.key: "1" for p in HP.properties_of("company")}
    note = Activity("note", datetime(2026, 11, 3, tzinfo=timezone.utc), "#S&OP\nDeal Owner: Ana García")
    assert needs("Partner of Choice", deal, company=company, activities=(note,), amount_cents=100) == []
    no_unit = {k: v for k, v in company.items() if k != "business_unit"}
    assert needs("Partner of Choice", deal, company=no_unit, amount_cents=100) == [
        "Partner of Choice needs the company's business_unit known (salescrm company edit 7 --set business_unit=…)",
        "Partner of Choice needs a note starting #S&OP on the deal (salescrm deal sop 4)"]


def test_expansion_takes_a_company_whose_won_deal_was_not_backed_out():
    entry = HP.pipeline("expansion").entry
    assert rules.problems(entry, "x", {}, Context("Expansion")) == [
        "Expansion needs a company that already has a won deal (an existing client)"]
    assert rules.problems(entry, "x", {}, Context("Expansion", company_deals=(CompanyDeal(True, backed_out=True),))) != []
    assert rules.problems(entry, "x", {}, Context("Expansion", company_deals=(CompanyDeal(True),))) == []


def test_the_back_out_is_refused_to_anyone_but_a_jd_002():
    b = HP.backout
    ctx = dict(action=b.action)
    assert rules.problems(b.rules, "x", {}, Context(b.to_stage, acting_role="JD-002", **ctx)) == []
    for role in ("JD-019", "JD-001", None):
        assert rules.problems(b.rules, "x", {}, Context(b.to_stage, acting_role=role, **ctx)) == [
            "Only JD-002 (Sales VP) may back out a signed deal"]
