"""Names of companies, deals and countries (salescrm.domain.naming and .countries)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salescrm.domain.company_names import branch_splits
from salescrm.domain.countries import country_index, country_name, local_names, parse_country
from salescrm.domain.naming import (
    deal_name,
    legal_form_brand,
    lost_name,
    name_key,
    without_lost_prefix,
)
from salescrm.errors import EXIT_INVALID, InvalidValue

pytestmark = pytest.mark.no_database  # no test here opens a database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOW_TO_GIVE = "give an ISO 3166-1 code (ES, ESP) or an English name (Spain)."

# --- name_key ------------------------------------------------------------------------


def test_name_key_ignores_case_and_accents():
    assert name_key("Hospital de Torrejón") == name_key("HOSPITAL DE TORREJON") == "hospital de torrejon"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("  São   Paulo\t", "sao paulo"),
        ("Clínica\nUniversidad de Navarra", "clinica universidad de navarra"),
        ("Straße", "strasse"),
        ("Ñandú Çedilla", "nandu cedilla"),
        ("", ""),
    ],
)
def test_name_key_folds_and_collapses_whitespace(text, key):
    assert name_key(text) == key


# --- Deal names --------------------------------------------------------------------------


def test_deal_name_follows_sp_009_001():
    assert deal_name("ES", "Sanitas Hospitales", "Proof of Concept") == "ES Sanitas Hospitales Proof of Concept"


def test_deal_name_strips_and_collapses_each_part():
    assert deal_name(" ES ", "Sanitas   Hospitales ", "\tProof of\nConcept ") == "ES Sanitas Hospitales Proof of Concept"


def test_lost_name_adds_the_prefix_once():
    assert lost_name("ES Sanitas Hospitales Proof of Concept") == "Lost ES Sanitas Hospitales Proof of Concept"
    assert lost_name(lost_name("ES Bayer Pilot")) == "Lost ES Bayer Pilot"


def test_without_lost_prefix():
    assert without_lost_prefix("Lost ES Bayer Pilot") == "ES Bayer Pilot"
    assert without_lost_prefix("ES Bayer Pilot") == "ES Bayer Pilot"
    assert without_lost_prefix(lost_name("ES Bayer Pilot")) == "ES Bayer Pilot"


# --- Legal forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "brand"),
    [
        ("Novartis Farmacéutica, S.A.", "Novartis Farmacéutica"),
        ("Bayer AG", "Bayer"),
        ("Hospital SAS", "Hospital"),
        ("Laboratorios Rovi SA", "Laboratorios Rovi"),
        ("Laboratorios Rovi, s.a.", "Laboratorios Rovi"),
        ("Grifols S.A.U.", "Grifols"),
        ("Grifols SAU", "Grifols"),
        ("Quirónsalud S.L.", "Quirónsalud"),
        ("Quirónsalud, S.L", "Quirónsalud"),
        ("Ribera Salud S.L.U.", "Ribera Salud"),
        ("Siemens Healthcare GmbH", "Siemens Healthcare"),
        ("Fresenius SE & Co. KG", "Fresenius"),
        ("Fresenius SE", "Fresenius"),
        ("Pfizer Inc.", "Pfizer"),
        ("Pfizer, Inc", "Pfizer"),
        ("AstraZeneca PLC", "AstraZeneca"),
        ("AstraZeneca plc", "AstraZeneca"),
        ("Smith & Nephew Ltd.", "Smith & Nephew"),
        ("Smith & Nephew Limited", "Smith & Nephew"),
        ("Acme Health LLC", "Acme Health"),
        ("Chiesi Farmaceutici S.p.A.", "Chiesi Farmaceutici"),
        ("Chiesi Farmaceutici SpA", "Chiesi Farmaceutici"),
        ("Menarini S.r.l.", "Menarini"),
        ("Menarini SRL", "Menarini"),
        ("Sanofi S.A.S.", "Sanofi"),
        ("Philips B.V.", "Philips"),
        ("Philips BV", "Philips"),
        ("UCB N.V.", "UCB"),
        ("UCB NV", "UCB"),
        ("Merck & Co.", "Merck"),
        ("Abbott Corp.", "Abbott"),
        ("Abbott Corporation", "Abbott"),
        ("Orion Oy", "Orion"),
        ("Elekta AB", "Elekta"),
        ("Novo Nordisk A/S", "Novo Nordisk"),
        ("Ambu ApS", "Ambu"),
        ("Samsung Medison Co., Ltd.", "Samsung Medison"),
        ("  Bayer   AG  ", "Bayer"),
        # Spelled out, respelled, and the forms cleanco lacks
        ("Laboratorios Rovi Sociedad Anónima", "Laboratorios Rovi"),
        ("Quirónsalud Sociedad Limitada", "Quirónsalud"),
        ("Pfizer Incorporated", "Pfizer"),
        ("Smith & Nephew Limited", "Smith & Nephew"),
        ("Sanofi S.A.R.L.", "Sanofi"),
        ("Sanofi SARL", "Sanofi"),
        ("Chiesi S.p.A..", "Chiesi"),
        ("Laboratorios Rovi S. A.", "Laboratorios Rovi"),
        ("Novartis AG", "Novartis"),
        ("Ericsson SE", "Ericsson"),
        ("Toyota KK", "Toyota"),
        ("Philips, B.V.", "Philips"),
        ("Ascendis Pharma A/S", "Ascendis Pharma"),
        ("Merck KGaA", "Merck"),
        ("Merck & Co", "Merck"),  # `& Co` is a term of two words: the rule of bare codes is for one
    ],
)
def test_legal_form_brand_drops_a_trailing_legal_form(name, brand):
    assert legal_form_brand(name) == brand


@pytest.mark.parametrize(
    "name",
    [
        "Sanitas Hospitales",
        "SAS Institute",
        "Sage",
        "Bayer",
        "Hospital de Torrejón",
        "Agfa Healthcare",
        "Incyte Biosciences",
        "Hospital S A",  # letters apart without dots are not S.A.
        "S.A.",  # nothing left once the form is dropped
        "GmbH",
        "",
        # Two-letter terms that are ISO 3166 codes stay countries (branches), but for AG, SA, SE, AS, AB, NV, BV, KK
        "Pfizer PT",
        "Novartis NL",
        "Pfizer AT",
        "Roche CA",
        "Quirónsalud, SL",
        "Novartis UK",
        "Pfizer GBR",
        # Plain words of cleanco's list that end brands are not legal forms
        "Health Unlimited",
        "The Dental Company",
        "Clinica Private",
    ],
)
def test_legal_form_brand_none_without_a_trailing_legal_form(name):
    assert legal_form_brand(name) is None


# --- Countries: parse_country ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "alpha2"),
    [
        ("es", "ES"),
        ("ES", "ES"),
        ("ESP", "ES"),
        ("esp", "ES"),
        ("Spain", "ES"),
        ("spain", "ES"),
        ("  Spain ", "ES"),
        ("Kingdom of Spain", "ES"),
        ("KINGDOM OF  SPAIN", "ES"),
        ("España", "ES"),
        ("espana", "ES"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("united kingdom", "GB"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("Taiwan", "TW"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Svizzera", "CH"),
        ("Brasil", "BR"),
        ("Côte d'Ivoire", "CI"),
        ("cote d'ivoire", "CI"),
    ],
)
def test_parse_country(value, alpha2):
    assert parse_country(value) == alpha2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Spainn", f"Unknown country 'Spainn': {HOW_TO_GIVE} Did you mean Spain (ES)?"),
        ("Germny", f"Unknown country 'Germny': {HOW_TO_GIVE} Did you mean Germany (DE)?"),
        ("untied kingdom", f"Unknown country 'untied kingdom': {HOW_TO_GIVE} Did you mean United Kingdom (GB)?"),
        ("Xyzzy", f"Unknown country 'Xyzzy': {HOW_TO_GIVE}"),
        ("XX", f"Unknown country 'XX': {HOW_TO_GIVE}"),
        ("", f"No country given: {HOW_TO_GIVE}"),
        ("  \t", f"No country given: {HOW_TO_GIVE}"),
    ],
)
def test_parse_country_refuses_with_a_message(value, message):
    with pytest.raises(InvalidValue) as raised:
        parse_country(value)
    assert raised.value.message == message
    assert raised.value.exit_code == EXIT_INVALID


def test_suggestion_uses_the_common_name():
    with pytest.raises(InvalidValue) as raised:
        parse_country("Taiwn")
    assert raised.value.message == f"Unknown country 'Taiwn': {HOW_TO_GIVE} Did you mean Taiwan (TW)?"


# --- Countries: names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpha2", "name"),
    [("ES", "Spain"), ("TW", "Taiwan"), ("KR", "South Korea"), ("GB", "United Kingdom"), ("DE", "Germany")],
)
def test_country_name_prefers_the_common_name(alpha2, name):
    assert country_name(alpha2) == name


def test_local_names_of_spain():
    assert {"España", "Reino de España", "Espanya", "Espainia"} <= local_names("ES")


def test_local_names_of_germany():
    assert {"Deutschland", "Bundesrepublik Deutschland"} <= local_names("DE")


def test_local_names_of_switzerland_in_each_of_its_languages():
    assert {"Schweiz", "Suisse", "Svizzera"} <= local_names("CH")


def test_local_names_use_a_territory_catalogue():
    # pt_BR has its own catalogue; Brazil is named by it, not only by plain `pt`.
    assert "Brasil" in local_names("BR")
    assert {"Srbija", "Србија"} <= local_names("RS")  # sr@latin and sr


def test_local_names_leave_out_english_names():
    assert not {"Spain", "Kingdom of Spain"} & local_names("ES")
    assert not {"Germany", "Federal Republic of Germany"} & local_names("DE")


def test_local_names_accept_lower_case_and_return_a_fresh_set():
    names = local_names("es")
    names.clear()
    assert "España" in local_names("ES")


def test_country_index_maps_codes_and_names():
    index = country_index()
    assert index.codes["ES"] == index.codes["ESP"] == "ES"
    assert index.names[name_key("España")] == "ES"
    assert index.english[name_key("Kingdom of Spain")] == "ES"
    assert name_key("España") not in index.english


# --- Branches ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Novartis Spain", "Novartis España", "novartis espana", "NOVARTIS ESPAÑA", "Novartis ES", "Novartis ESP", "Novartis  Spain"],
)
def test_branch_splits_finds_a_country_after_the_company(name):
    assert branch_splits(name) == [("novartis", "ES")]


@pytest.mark.parametrize(
    ("name", "splits"),
    [
        ("Novartis United Kingdom", [("novartis", "GB")]),
        ("Novartis united kingdom", [("novartis", "GB")]),
        ("Roche Schweiz", [("roche", "CH")]),
        ("Roche Suisse", [("roche", "CH")]),
        ("Bayer Deutschland", [("bayer", "DE")]),
        ("Bayer Bundesrepublik Deutschland", [("bayer", "DE"), ("bayer bundesrepublik", "DE")]),
        ("Sanofi Kingdom of Spain", [("sanofi", "ES"), ("sanofi kingdom of", "ES")]),
        ("Grupo Hospitalario Quirón España", [("grupo hospitalario quiron", "ES")]),
        ("Pfizer South Korea", [("pfizer", "KR")]),  # "Korea" alone names no country
        ("Pfizer AT", [("pfizer", "AT")]),
        ("Pfizer GBR", [("pfizer", "GB")]),
        ("Pfizer PT", [("pfizer", "PT")]),
        ("Novartis NL", [("novartis", "NL")]),
        ("Roche CA", [("roche", "CA")]),
    ],
)
def test_branch_splits_multi_word_and_every_split(name, splits):
    assert branch_splits(name) == splits


@pytest.mark.parametrize(
    "name",
    [
        "Novartis Pharma",
        "Hospital de Torrejón",
        "Spain",
        "España",
        "ES",
        "Novartis Es",  # a code counts only when written in upper case
        "Pfizer at",
        "Pfizer esp",
        "Bayer Hispania",
        "",
        # Legal forms that are also ISO codes are legal forms, not countries
        "Novartis AG",  # not Antigua and Barbuda
        "Novartis SA",
        "Ericsson SE",
        "Norsk Hydro AS",
        "Philips BV",
    ],
)
def test_branch_splits_none(name):
    assert branch_splits(name) == []


# --- Start-up cost --------------------------------------------------------------------------


def test_importing_naming_and_countries_does_not_load_pycountry():
    code = (
        "import sys, salescrm.domain.naming, salescrm.domain.countries; "
        "print(sorted(m for m in ('pycountry', 'difflib') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


# --- The one-company rule on names alone (what an import calls once per row) ------------------


def test_company_names_index_finds_local_entities_branches_and_the_reverse():
    from salescrm.domain.company_names import CompanyNames

    index = CompanyNames([(1, "Novartis"), (2, "Merck Sharp & Dohme"), (3, "Bayer AG")])
    clash = index.conflict("Novartis Farmacéutica, S.A.")
    assert (clash.how, clash.other_id, clash.message) == ("local-entity", 1, (
        "Novartis Farmacéutica, S.A. looks like a local entity of Novartis: record it as Novartis "
        "(keep the legal name with --legal-name)"))
    assert (index.conflict("Novartis España").how, index.conflict("Novartis España").country) == ("branch", "ES")
    assert index.conflict("Bayer Spain").other_id == 3  # its legal form aside, Bayer AG is Bayer
    assert index.conflict("Merck").how == "has-local-entity"
    assert index.conflict("Merck", ignore=[2]) is None  # declared distinct
    assert index.conflict("Novo Nordisk") is None
    assert index.conflict("Novartisbank") is None
    assert list(CompanyNames([(1, "Novartis"), (2, "Novartis Pharma"), (3, "Novartis ES"), (4, "Novo")]).prefix_pairs()) \
        == [(1, 2, None), (1, 3, "ES")]
