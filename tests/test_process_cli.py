"""`salescrm process show|export|check`: the process as a file, seen and checked from the command line."""

from __future__ import annotations

import json
import re

import pytest

from salescrm.process import load
from tests.test_widths import WIDTH, at_80

pytestmark = pytest.mark.no_database  # no database is bound to a process yet: these read the shipped file

SHIPPED = load.shipped_text("sp-009-001")


def check(cli, tmp_path, text: str):
    path = tmp_path / "rev.toml"
    path.write_text(text, encoding="utf-8")
    return cli("process", "check", str(path)), str(path)


def line_of(text: str, needle: str, after: str = "") -> int:
    """The line (1-based) of the first `needle` after the first `after`."""
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


# --- show ---------------------------------------------------------------------------------------


def test_show_lists_every_stage_in_a_pipe(cli):
    r = cli("process", "show")
    assert r.exit_code == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[:3] for row in rows] == [
        ["Prospected", "5", ""], ["Qualified", "10", ""], ["Discovered", "20", ""], ["Implementation Defined", "40", ""],
        ["Offer Sent", "60", ""], ["Offer Approved", "80", ""], ["Contract Signed", "95", ""],
        ["Payment Done", "100", "won"], ["Lost", "0", "lost"]]
    assert rows[2][3] == "at least 3 of 4 BANT notes"


def test_show_json_has_the_pipelines_display_name_and_each_stages_rules(cli):
    obj = json.loads(cli("process", "show", "--json").stdout)
    assert (obj["name"], obj["revision"]) == ("sp-009-001", 1)
    [sales] = obj["pipelines"]
    assert (sales["name"], sales["key"]) == ("Sales", "sales")
    stages = {s["name"]: s for s in sales["stages"]}
    assert list(stages)[-1] == "Lost" and stages["Lost"]["lost"] and stages["Payment Done"]["won"]
    assert stages["Offer Sent"]["probability"] == 60
    assert stages["Offer Sent"]["requires"] == [
        {"kind": "required", "property": "quotation_template", "label": "Quotation template", "type": "choice",
         "choices": ["T-009-002", "T-009-004"]},
        {"kind": "required", "property": "quotation_ref", "label": "Quotation reference", "type": "text"},
        {"kind": "number > 0", "field": "amount"}]
    bant = stages["Discovered"]["requires"][0]
    assert (bant["kind"], bant["k"], [r["property"] for r in bant["rules"]]) == (
        "k-of-n", 3, ["budget", "authority", "need", "timeline"])
    assert stages["Contract Signed"]["requires"][2]["role"] == "JD-001"


def test_show_one_stage_by_slug_with_its_rules_and_source(cli):
    r = cli("process", "show", "--stage", "contract-signed")
    assert r.exit_code == 0, r.stderr
    pairs = dict(line.split("\t") for line in r.stdout.splitlines()[1:])
    assert r.stdout.splitlines()[0] == "# contract-signed"
    assert pairs["source"].startswith('GP-009: "JD-001 General Manager')
    assert pairs["rule 3"] == "member-with-role: signed_by: a team member with role JD-001 (Signed by (a team member with role JD-001))"
    obj = json.loads(cli("process", "show", "--stage", "Offer sent", "--pipeline", "Sales", "--json").stdout)
    assert [s["name"] for p in obj["pipelines"] for s in p["stages"]] == ["Offer Sent"]


def test_show_refuses_an_unknown_stage_or_pipeline_listing_the_known_ones(cli):
    r = cli("process", "show", "--stage", "signed")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == ("Unknown stage 'signed': choose one of Prospected, Qualified, Discovered, Implementation Defined, "
                        "Offer Sent, Offer Approved, Contract Signed, Payment Done, Lost.\n")
    r = cli("process", "show", "--pipeline", "upsell")
    assert (r.exit_code, r.stderr) == (2, "Unknown pipeline 'upsell': choose one of sales (Sales).\n")


def test_show_fits_80_columns_without_breaking_words(tmp_path):
    lines = at_80("process", "show", cwd=tmp_path)
    assert max(len(line) for line in lines) <= WIDTH
    text = " ".join(" ".join(line.split()) for line in lines)
    for words in ("segment_verified", "healthcare-provider", "quotation_template", "T-009-004", "Implementation Defined"):
        assert words in text
    assert re.search(r"^Payment Done +100 +won +the date the payment was received *$", "\n".join(lines), re.M)


# --- export -------------------------------------------------------------------------------------


def test_export_prints_the_shipped_file_that_check_accepts(cli, tmp_path):
    r = cli("process", "export")
    assert (r.exit_code, r.stdout) == (0, SHIPPED)
    assert cli("process", "export", "shipped:sp-009-001").stdout == SHIPPED
    r, path = check(cli, tmp_path, r.stdout)
    assert (r.exit_code, r.stdout) == (0, f"{path} is a valid process file: sp-009-001 revision 1, 1 pipeline, 9 stages, "
                                          "17 properties.\n")


def test_export_of_an_unknown_process_lists_the_shipped_ones(cli):
    r = cli("process", "export", "health")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "No shipped process 'health': choose one of health-prime, sp-009-001.\n")


# --- check: each error names its key path and line, exit 2 ----------------------------------------


def refused(cli, tmp_path, text: str) -> list[str]:
    r, path = check(cli, tmp_path, text)
    assert (r.exit_code, r.stdout) == (2, ""), r.stderr
    lines = r.stderr.splitlines()
    assert re.fullmatch(rf"{re.escape(path)} is not a valid process file \(\d+ problems?\); fix it and check again\.",
                        lines[-1])
    return [line.removeprefix(path + ":") for line in lines[:-1]]


def test_check_an_unknown_rule_kind(cli, tmp_path):
    text = SHIPPED.replace('{ kind = "required", property = "success_metrics" }',
                           '{ kind = "requried", property = "success_metrics" }')
    assert refused(cli, tmp_path, text) == [
        f"{line_of(text, 'requried')}: pipelines[0].stages[3].gate[1].kind: unknown rule kind 'requried': known kinds "
        "are required, yes, equals, one-of, at-least, date, number > 0, k-of-n, contact-of-company, member-with-role, "
        "company-property, contact-property, has-next-step, has-activity, any-of, company-has-won-deal, acting-user-role"]


def test_check_a_stage_that_cannot_be_reached(cli, tmp_path):
    extra = ('[[pipelines.stages]]\nname = "Renewal"\nprobability = 100\nreason = "Renewed."\nsource = "x"\n\n')
    text = SHIPPED.replace('[[pipelines.stages]]\nname = "Lost"', extra + '[[pipelines.stages]]\nname = "Lost"')
    header = line_of(text, 'name = "Renewal"') - 1
    assert refused(cli, tmp_path, text) == [
        f"{header}: pipelines[0].stages[8]: stage 'Renewal' cannot be reached: it comes "
        "after 'Payment Done', which is won and final"]


def test_check_a_probability_outside_0_to_100(cli, tmp_path):
    text = SHIPPED.replace("probability = 95", "probability = 195")
    assert refused(cli, tmp_path, text) == [
        f"{line_of(text, 'probability = 195')}: pipelines[0].stages[6].probability: 195 is outside 0-100 (a percentage)"]


def test_check_a_rule_on_an_undeclared_property(cli, tmp_path):
    text = SHIPPED.replace('property = "quotation_ref" }', 'property = "quotation_reference" }')
    [problem] = refused(cli, tmp_path, text)
    assert problem.startswith(f"{line_of(text, 'quotation_reference')}: pipelines[0].stages[4].gate[1].property: a rule "
                              "on an undeclared property 'quotation_reference': declare it under [[properties.deal]] "
                              "(declared: segment_verified, decision_maker, ")


def test_check_two_won_stages_without_an_order(cli, tmp_path):
    text = SHIPPED.replace('name = "Contract Signed"\n', 'name = "Contract Signed"\nwon = true\n')
    won = line_of(text, "won = true", after='name = "Payment Done"')
    assert refused(cli, tmp_path, text) == [
        f"{won}: pipelines[0].stages[7].won: two won stages "
        "(Contract Signed, Payment Done) without an order: give each a distinct won_order, or keep one won stage"]


def test_check_a_pattern_naming_an_unknown_field(cli, tmp_path):
    text = SHIPPED.replace('"{country} {company} {description}"', '"{country} {company} {title}"')
    assert refused(cli, tmp_path, text) == [
        f"{line_of(text, '{title}')}: deal_names.pattern: the pattern names an unknown field '{{title}}': known fields "
        "are {country}, {company}, {description}"]


def test_check_lists_every_problem_and_a_missing_key_at_its_table(cli, tmp_path):
    text = SHIPPED.replace("probability = 95", "probability = -1").replace(
        'needs = "the date the offer was approved"\n', "")
    header = line_of(text, 'name = "Offer Approved"') - 1
    assert refused(cli, tmp_path, text) == [
        f"{header}: pipelines[0].stages[5].needs: missing: a stage with a gate "
        "says in one line what it needs",
        f"{line_of(text, 'probability = -1')}: pipelines[0].stages[6].probability: -1 is outside 0-100 (a percentage)"]


def test_check_a_syntax_error_says_tomllibs_line(cli, tmp_path):
    assert refused(cli, tmp_path, 'name = "x"\nrevision = \n') == ["2: not valid TOML: Invalid value (at line 2, column 12)"]


def test_check_a_file_that_is_missing_or_not_utf8(cli, tmp_path):
    r = cli("process", "check", str(tmp_path / "none.toml"))
    assert (r.exit_code, r.stderr) == (2, f"No file {tmp_path / 'none.toml'}: give the path of a process file "
                                          "(`salescrm process export` writes one).\n")
    (tmp_path / "bin.toml").write_bytes(b'name = "x"\n\xff\n')
    r = cli("process", "check", str(tmp_path / "bin.toml"))
    assert (r.exit_code, r.stderr) == (2, f"{tmp_path / 'bin.toml'}:2: not UTF-8 text; a process file is UTF-8 TOML.\n")
