"""The process as a file (salescrm/process/): the shipped sp-009-001, the loader's validation with key
paths, the first release's names derived from the file, and a stage added by a file alone."""

from __future__ import annotations

import pytest

from salescrm import process
from salescrm.errors import GateNotMet
from salescrm.process import load, locate

SHIPPED = load.shipped_text("sp-009-001")


def problems(text: str) -> list[tuple[str, str]]:
    _, found = load.check_text(text)
    return [(p.path, p.message) for p in found]


def with_stage_after(name: str, stage_toml: str, extra: str = "") -> str:
    """The shipped text with `stage_toml` (a [[pipelines.stages]] table) inserted after the stage `name`."""
    start = SHIPPED.index(f'name = "{name}"')
    nxt = SHIPPED.index("[[pipelines.stages]]", start)
    return extra + SHIPPED[:nxt] + stage_toml + "\n" + SHIPPED[nxt:]


@pytest.mark.no_database
def test_the_shipped_file_is_the_first_releases_process():
    p = load.shipped("sp-009-001")
    assert (p.name, p.revision) == ("sp-009-001", 1)
    assert [(s.name, s.probability, s.won, s.lost) for s in p.default_pipeline.stages] == [
        ("Prospected", 5, False, False), ("Qualified", 10, False, False), ("Discovered", 20, False, False),
        ("Implementation Defined", 40, False, False), ("Offer Sent", 60, False, False), ("Offer Approved", 80, False, False),
        ("Contract Signed", 95, False, False), ("Payment Done", 100, True, False), ("Lost", 0, False, True)]
    assert process.PIPELINE == "Sales" and process.LOST_PREFIX == "Lost "
    assert process.GATE_KEYS == (
        "segment_verified", "decision_maker", "budget", "authority", "need", "timeline", "implementation_method",
        "success_metrics", "pricing_basis", "implementation_timeline", "quotation_template", "quotation_ref",
        "offer_approved_on", "contract_signed_on", "healthcare_provider_clause", "signed_by", "payment_received_on")
    discovered = process.stage("discovered")
    assert (discovered.gate.min_met, discovered.gate.rule) == (3, "at least 3 of 4 BANT notes")
    assert process.stage("offer-sent").gate.amount_positive
    assert process.gate_field("signed_by")[1].role == "JD-001"
    assert process.quotation_template_for("Pharma clinical trials") == "T-009-004"
    assert process.quotation_template_for(None) == "T-009-002"
    assert process.OWNER_ROLES == ("JD-019", "JD-002") and process.SIGNER_ROLE == "JD-001"
    assert process.LEAD_AUTOMATION_LADDER["Connected"] == 2
    assert process.LIFECYCLE_BY_STAGE["Contract Signed"] == "Customer"


@pytest.mark.no_database
def test_the_shipped_file_is_parsed_once():
    assert load.shipped("sp-009-001") is load.shipped("sp-009-001") is process.default()


@pytest.mark.no_database
def test_an_unknown_shipped_name_lists_the_shipped_ones():
    with pytest.raises(Exception) as e:
        load.shipped_text("sp-009-999")
    assert str(e.value) == "No shipped process 'sp-009-999': choose one of health-prime, sp-009-001."


@pytest.mark.no_database
def test_the_deal_name_follows_the_files_pattern():
    names = load.shipped().deal_names
    assert names.render(country="ES", company=" Sanitas  Hospitales", description="Proof of\tConcept") == \
        "ES Sanitas Hospitales Proof of Concept"
    assert names.render(country="", company="Sanitas", description="") == "Sanitas"


@pytest.mark.no_database
def test_every_key_path_of_the_shipped_file_has_a_line():
    lines = locate.lines_of(SHIPPED)
    text = SHIPPED.splitlines()
    assert text[lines["pipelines[0].stages[4].gate[2].kind"] - 1].strip() == '{ kind = "number > 0", property = "amount" },'
    assert text[lines['lifecycle.by_stage."Offer Sent"'] - 1] == '"Offer Sent" = "Opportunity"'
    assert locate.line_of(lines, "pipelines[0].stages[1].nothing_here") == lines["pipelines[0].stages[1]"]


@pytest.mark.no_database
def test_a_syntax_error_has_its_line():
    _, found = load.check_text('name = "x"\nrevision = \n')
    assert found[0].line == 2 and found[0].message.startswith("not valid TOML: ")


@pytest.mark.no_database
def test_unknown_keys_and_wrong_types_are_named():
    text = SHIPPED.replace('probability = 5\n', 'probability = "5"\nprobabilty = 5\n', 1)
    assert problems(text) == [
        ("pipelines[0].stages[0].probabilty", "unknown key 'probabilty': known keys here are name, probability, reason, "
                                             "source, needs, gate, won, lost, won_order"),
        ("pipelines[0].stages[0].probability", "must be a whole number, not '5'"),
    ]


@pytest.mark.no_database
def test_k_of_n_needs_a_k_within_its_rules():
    text = SHIPPED.replace('{ kind = "k-of-n", k = 3,', '{ kind = "k-of-n", k = 5,')
    assert problems(text) == [("pipelines[0].stages[2].gate[0].k", "k is 5, and must be from 1 to the number of rules (4)")]


@pytest.mark.no_database
def test_a_rule_of_the_wrong_kind_for_its_property_is_named():
    text = SHIPPED.replace('{ kind = "yes", property = "segment_verified" }', '{ kind = "date", property = "segment_verified" }')
    assert problems(text) == [("pipelines[0].stages[1].gate[0].kind",
                               "'date' applies to a date property, and 'segment_verified' is a yes/no")]


@pytest.mark.no_database
def test_a_signer_role_must_be_declared():
    text = SHIPPED.replace('property = "signed_by", role = "JD-001"', 'property = "signed_by", role = "JD-099"')
    assert problems(text) == [("pipelines[0].stages[6].gate[2].role",
                               "role 'JD-099' is not declared: choose one of " + ", ".join(process.ROLE_TITLES))]


# --- A stage added by a file alone -------------------------------------------------------------

PILOT = """
[[pipelines.stages]]
name = "Pilot Agreed"
probability = 15
reason = "The customer agreed to a pilot."
source = 'A test: "a pilot is agreed before discovery".'
needs = "a pilot agreement (yes), its site, and its phase at least Planned"
gate = [
    { kind = "yes", property = "pilot_agreed" },
    { kind = "one-of", property = "pilot_site", values = ["Madrid", "Barcelona"] },
    { kind = "at-least", property = "pilot_phase", value = "Planned" },
]
"""
PILOT_PROPERTIES = """
[[properties.deal]]
key = "pilot_agreed"
type = "yes/no"
label = "Pilot agreed"

[[properties.deal]]
key = "pilot_site"
type = "text"
label = "Pilot site"

[[properties.deal]]
key = "pilot_phase"
type = "choice"
label = "Pilot phase"
choices = ["Proposed", "Planned", "Running"]
"""


def pilot_process():
    text = with_stage_after("Qualified", PILOT)
    at = text.index("# --- The Sales pipeline")
    return load.loads(text[:at] + PILOT_PROPERTIES + "\n" + text[at:], "pilot.toml")


@pytest.mark.no_database
def test_a_stage_with_a_gate_is_added_by_the_file_alone():
    pipeline = pilot_process().default_pipeline
    assert [s.name for s in pipeline.stages_between("Qualified", "Discovered")] == ["Pilot Agreed", "Discovered"]
    assert pipeline.stage("pilot-agreed").gate.keys == ("pilot_agreed", "pilot_site", "pilot_phase")


def test_the_domains_gate_check_enforces_a_stage_added_by_a_file(seeded, location):
    """No code knows "Pilot Agreed": domain/gates.py evaluates the rules the file declares, on a real deal."""
    from salescrm.domain import gates, refs
    from salescrm.store import engine

    entering = pilot_process().default_pipeline.stages_between("Qualified", "Pilot Agreed")
    with engine.read_session(location) as s:
        facts = gates.facts_of(refs.deal(s, "1"))
        with pytest.raises(GateNotMet) as refused:
            gates.check_gates(s, entering, {"pilot_agreed": "no", "pilot_site": "Sevilla", "pilot_phase": "proposed"}, facts)
        assert refused.value.message == (
            "Cannot move deal 1 into Pilot Agreed: pilot_agreed is no, and the gate needs yes (--set pilot_agreed=yes); "
            "pilot_site is Sevilla, and the gate needs one of Madrid, Barcelona: --set pilot_site=…; "
            "pilot_phase is Proposed, and the gate needs Planned or Running: --set pilot_phase=….")
        with pytest.raises(GateNotMet) as missing:
            gates.check_gates(s, entering, {"pilot_agreed": "y"}, facts)
        assert missing.value.problems == [
            "Pilot Agreed needs pilot_site, pilot_phase: --set pilot_site=… --set pilot_phase=…"]
        stored = gates.check_gates(s, entering, {"pilot_agreed": "Y", "pilot_site": "madrid", "pilot_phase": "running"}, facts)
        assert stored == {"pilot_agreed": "yes", "pilot_site": "madrid", "pilot_phase": "Running"}


def test_an_amount_of_0_is_refused_once_a_gate_that_needs_one_is_passed(seeded):
    """`deal edit --amount 0` reads the file's `number > 0` rule, not a stage name in the code."""
    from tests.helpers import sets_until, show, walk_to

    walk_to(seeded, "Discovered")
    assert seeded("deal", "edit", "1", "--amount", "0", "--reason", "not priced yet").exit_code == 0
    assert seeded("deal", "edit", "1", "--amount", "12000", "--reason", "priced").exit_code == 0
    assert seeded("deal", "advance", "1", "--to", "offer-sent", *sets_until("Offer Sent", "Discovered")).exit_code == 0
    r = seeded("deal", "edit", "1", "--amount", "0", "--reason", "x")
    assert (r.exit_code, r.stderr) == (1, "Deal 1 is past Offer Sent, whose gate needs an amount above 0.\n")
    assert show(seeded)["amount"] == 12000
