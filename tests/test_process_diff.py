"""`salescrm process diff OLD NEW`: what a revision changes, and the database's deals it would strand
(exit 0 when none would be, 1 when some would)."""

from __future__ import annotations

import json

from salescrm.process import load
from tests.helpers import walk_to

SHIPPED = load.shipped_text("sp-009-001")


def revision(tmp_path, text: str, name: str = "rev2.toml") -> str:
    path = tmp_path / name
    path.write_text(text.replace("revision = 1", "revision = 2", 1), encoding="utf-8")
    return str(path)


def test_the_same_process_changes_nothing_and_strands_nothing(seeded):
    r = seeded("process", "diff", "shipped:sp-009-001", "shipped:sp-009-001")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "sp-009-001 revision 1 -> sp-009-001 revision 1: 0 changes\n", "")


def test_a_changed_probability_is_listed_and_strands_nothing(seeded, tmp_path):
    rev = revision(tmp_path, SHIPPED.replace("probability = 60", "probability = 65"))
    r = seeded("process", "diff", "shipped:sp-009-001", rev)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == ("sp-009-001 revision 1 -> sp-009-001 revision 2: 1 change\n"
                        '~ pipelines.sales.stages."Offer Sent".probability: 60 -> 65\n')


def test_a_rule_added_to_a_passed_gate_strands_the_deals_that_lack_its_value(seeded, tmp_path):
    walk_to(seeded, "Discovered")
    rev = revision(tmp_path, SHIPPED.replace(
        '    { kind = "contact-of-company", property = "decision_maker" },\n',
        '    { kind = "contact-of-company", property = "decision_maker" },\n'
        '    { kind = "required", property = "quotation_ref" },\n'))
    r = seeded("process", "diff", "shipped:sp-009-001", rev, "--json")
    assert r.exit_code == 1
    assert r.stderr == (f"1 deal would be stranded by {rev}: move them on, give them the values, or keep their stages "
                        "in the revision.\n")
    obj = json.loads(r.stdout)
    assert (obj["old"], obj["new"]) == ({"name": "sp-009-001", "revision": 1}, {"name": "sp-009-001", "revision": 2})
    assert obj["changes"] == [{
        "path": 'pipelines.sales.stages.Qualified.requires', "change": "changed",
        "old": ["segment_verified is yes", "decision_maker: a contact of the deal's company"],
        "new": ["segment_verified is yes", "decision_maker: a contact of the deal's company", "quotation_ref known"]}]
    assert obj["stranded"] == [{"deal": 1, "name": "ES Sanitas Hospitales Proof of Concept", "stage": "Discovered",
                                "why": "Qualified needs quotation_ref: --set quotation_ref=…"}]
    # The same deal given the value is no longer stranded.
    assert seeded("deal", "edit", "1", "--set", "quotation_ref=Q-1", "--reason", "known").exit_code == 0
    assert seeded("process", "diff", "shipped:sp-009-001", rev).exit_code == 0


def test_a_removed_stage_strands_its_deals(seeded, tmp_path):
    walk_to(seeded, "Discovered")
    start = SHIPPED.index('[[pipelines.stages]]\nname = "Discovered"')
    end = SHIPPED.index("[[pipelines.stages]]", start + 1)
    text = (SHIPPED[:start] + SHIPPED[end:]).replace('"Discovered" = "Opportunity"\n', "")
    rev = revision(tmp_path, text)
    r = seeded("process", "diff", "shipped:sp-009-001", rev)
    assert r.exit_code == 1
    out = r.stdout.splitlines()
    assert out[0] == "sp-009-001 revision 1 -> sp-009-001 revision 2: 3 changes"
    assert '- pipelines.sales.stages.Discovered' in out
    assert out[-2:] == ["# stranded", "1\tDiscovered\tES Sanitas Hospitales Proof of Concept\tits stage Discovered is removed"]


def test_diff_reads_current_and_refuses_an_unknown_shipped_name_and_an_invalid_file(seeded, tmp_path):
    r = seeded("process", "diff", "current", "shipped:sp-009-001")  # the database's applied revision
    assert (r.exit_code, r.stdout, r.stderr) == (0, "sp-009-001 revision 1 -> sp-009-001 revision 1: 0 changes\n", "")
    r = seeded("process", "diff", "shipped:sp-009-001", "shipped:nope")
    assert (r.exit_code, r.stderr) == (2, "No shipped process 'nope': choose one of health-prime, sp-009-001.\n")
    bad = revision(tmp_path, SHIPPED.replace("probability = 95", "probability = 195"))
    r = seeded("process", "diff", "shipped:sp-009-001", bad)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (f"{bad} is not a valid process file: pipelines[0].stages[6].probability: 195 is outside 0-100 "
                        "(a percentage).\n")


def test_a_rule_on_what_the_deal_has_besides_its_values_is_judged_as_a_move_would_judge_it(seeded, tmp_path):
    """`has-next-step` added to a passed gate: the deal with an open task meets it, the other does not (the
    diff reads the deal's tasks and activities, as `deal advance` does)."""
    walk_to(seeded, "Discovered")
    r = seeded("deal", "create", "--company", "Sanitas Hospitales", "--description", "Second site", "--amount", "5000",
               "--close-date", "2027-03-31", "--class", "Care provider inpatient private", "--source", "Referral",
               "--owner", "Ana García", "--contact", "marta@sanitas.es")
    assert r.exit_code == 0, r.stderr
    walk_to(seeded, "Qualified", deal="2")
    assert seeded("task", "add", "Call Marta about the second site", "--deal", "2", "--due", "2027-01-15",
                  "--owner", "Ana García").exit_code == 0
    rev = revision(tmp_path, SHIPPED.replace(
        '    { kind = "contact-of-company", property = "decision_maker" },\n',
        '    { kind = "contact-of-company", property = "decision_maker" },\n'
        '    { kind = "has-next-step", activities = ["note", "email", "call"] },\n'))
    r = seeded("process", "diff", "shipped:sp-009-001", rev, "--json")
    assert r.exit_code == 1, r.stderr
    assert [s["deal"] for s in json.loads(r.stdout)["stranded"]] == [1]
    assert seeded("task", "add", "Send the offer", "--deal", "1", "--due", "2027-01-15", "--owner", "Ana García").exit_code == 0
    assert seeded("process", "diff", "shipped:sp-009-001", rev).exit_code == 0
