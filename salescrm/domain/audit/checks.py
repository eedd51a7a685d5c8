"""The audit's checks: each with its severity, the records it looks at and the rule behind it."""

from __future__ import annotations

from salescrm.domain.audit import deals as d
from salescrm.domain.audit.base import ERROR, WARNING, Check
from salescrm.errors import InvalidValue

NO_BASIS_DAYS = 30  # a contact's grace period before `no-lawful-basis` reports them

CHECKS: dict[str, Check] = {c.id: c for c in (
    Check("deal-name", ERROR, "deal", "SP-009-001 deal naming: `<CC> <Company> <description>`; lost deals renamed `Lost ...`",
          find=d.deal_names),
    Check("stage-gate", ERROR, "deal", "SP-009-001 stage thresholds (BANT 3 of 4 before Discovered, ...)",
          condition=d.stage_gate, describe=d.describe_stage_gate),
    Check("duplicate-company", ERROR, "company", "SP-009-001 naming the company: one company per best-known brand"),
    Check("local-branch", ERROR, "company", "SP-009-001 global companies with local branches: one company for the global entity"),
    Check("legal-name", WARNING, "company", "SP-009-001: the company is named by its brand, not its legal entity"),
    Check("duplicate-contact", ERROR, "contact", "the article: duplicates make the database untrustworthy"),
    Check("missing-field", WARNING, "any", "SP-009-001 required properties (company: country, website; contact: job title; "
          "deal: amount, close date, class, source, owner)", condition=d.deal_missing, describe=d.describe_deal_missing),
    Check("orphan", WARNING, "any", "SP-009-001: contacts belong to companies; deals are associated with contacts",
          condition=d.orphan_deal, describe=d.describe_orphan_deal),
    Check("owner-role", ERROR, "deal", "GP-009: the deal owner is JD-019 or JD-002", condition=d.owner_role,
          describe=d.describe_owner_role),
    Check("stale-deal", WARNING, "deal", "the article: a pipeline nobody works on is not a pipeline", condition=d.stale,
          describe=d.describe_stale),
    Check("overdue-close", WARNING, "deal", "the article's forecast needs close dates that hold", condition=d.overdue_close,
          describe=d.describe_overdue_close),
    Check("no-next-step", WARNING, "deal", "the article's \"Pipeline Next Steps\" report", condition=d.no_next_step,
          describe=d.describe_no_next_step),
    Check("unknown-value", ERROR, "any", "values salescrm did not write: a stage, class, owner, role, status or type "
          "that the process does not know (domain/known_values.py)"),
    Check("marketing-after-withdrawal", ERROR, "contact", "GDPR article 21: no marketing to a contact who withdrew "
          "their consent; a marketing export (`export contacts --for-marketing`) after the withdrawal held them"),
    Check("no-lawful-basis", WARNING, "contact", "GDPR article 6: a lawful basis recorded for each contact (`contact consent`) "
          f"within {NO_BASIS_DAYS} days of their creation"),
    Check("imported-name", WARNING, "deal", "SP-009-001 deal naming: an imported deal's name, rebuilt to the convention, "
          "differed from the file's (kept as `source_name`)", condition=d.imported_name, describe=d.describe_imported_name),
)}
CHECK_IDS = tuple(CHECKS)
PHASES = ("deal names", "companies", "contacts", "deal checks")  # what `run_audit` reports to its progress callback


def parse_checks(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in CHECKS]
    if unknown:
        raise InvalidValue(f"Unknown check {', '.join(repr(u) for u in unknown)}: choose from {', '.join(CHECK_IDS)}.")
    return [c for c in CHECK_IDS if c in values] if values else list(CHECK_IDS)
