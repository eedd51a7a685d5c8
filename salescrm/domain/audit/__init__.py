"""The audit: every record checked against the rules of the process; findings, never changes.

The life-science CRM article: CRMs fail when "each salesperson enters data their own way" and the
database fills with duplicates and gaps; its remedy starts with an audit. SP-009-001 gives the rules.
Checks on deals are SQL predicates (counted with GROUP BY, listed streaming), so the audit of a
million deals never holds them in memory; checks on companies and contacts read names once.

One module per part: `base` (a finding, a run's context), `deals`, `companies` (duplicates, local
entities and branches), `contacts`, `checks` (the list), `run`, `fixes` (safe renames), `survey`
(the self-assessment). Their public names are importable from here.
"""

from salescrm.domain.audit.base import ERROR, STALE_DAYS, WARNING, Check, Context, Finding
from salescrm.domain.audit.checks import CHECK_IDS, CHECKS, PHASES, parse_checks
from salescrm.domain.audit.companies import FUZZY_MAX_DISTANCE, FUZZY_MIN_LENGTH, duplicate_company_pairs, folded
from salescrm.domain.audit.deals import expected_deal_name
from salescrm.domain.audit.fixes import Rename, apply_renames, proposed_renames
from salescrm.domain.audit.run import Audit, company_owners, contact_owners, owner_records, run_audit
from salescrm.domain.audit.survey import (
    ACT_BELOW,
    CONSIDER_BELOW,
    SURVEY_QUESTIONS,
    SURVEY_REPORTS,
    parse_reports,
    parse_scores,
    record_survey,
    survey_history,
    survey_object,
    verdict,
)

__all__ = [
    "ACT_BELOW", "CHECKS", "CHECK_IDS", "CONSIDER_BELOW", "ERROR", "FUZZY_MAX_DISTANCE", "FUZZY_MIN_LENGTH", "PHASES",
    "STALE_DAYS", "SURVEY_QUESTIONS", "SURVEY_REPORTS", "WARNING", "Audit", "Check", "Context", "Finding", "Rename",
    "apply_renames", "company_owners", "contact_owners", "duplicate_company_pairs", "expected_deal_name", "folded",
    "owner_records", "parse_checks", "parse_reports", "parse_scores", "proposed_renames", "record_survey", "run_audit",
    "survey_history", "survey_object", "verdict",
]
