"""The checks on contacts: duplicates by email or by name at one company, gaps, contacts without a company."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from salescrm.domain import naming
from salescrm.domain.audit.base import Context, Finding
from salescrm.domain.audit.checks import CHECKS
from salescrm.store.models import Contact, ContactCompany

def contact_checks(ctx: Context, wanted: set[str], owners: dict[int, str]) -> Iterator[Finding]:
    conn = ctx.session.connection()
    rows = conn.execute(sa.select(Contact.id, Contact.first_name, Contact.last_name, Contact.email, Contact.job_title)).all()
    names = {r.id: f"{r.first_name} {r.last_name}" for r in rows}

    def finding(check: str, cid: int, message: str, fix: str | None) -> Finding:
        return Finding(check, CHECKS[check].severity, "contact", cid, names[cid], owners.get(cid), message, fix)

    if "duplicate-contact" in wanted:
        by_email: dict[str, list[int]] = {}
        for r in rows:
            if r.email:
                by_email.setdefault(r.email.strip().lower(), []).append(r.id)
        for email, ids in by_email.items():
            for other in sorted(ids)[1:]:
                yield finding("duplicate-contact", other, f"Contact {other} '{names[other]}' shares the email {email} "
                              f"with contact {min(ids)}.", f"salescrm contact show {min(ids)}")
        companies_of: dict[int, list[int]] = {}
        for contact_id, company_id in conn.execute(sa.select(ContactCompany.contact_id, ContactCompany.company_id)):
            companies_of.setdefault(contact_id, []).append(company_id)
        seen: dict[tuple[str, int], int] = {}
        for r in sorted(rows, key=lambda r: r.id):
            key_name = naming.name_key(names[r.id])
            for company_id in companies_of.get(r.id, []):
                first = seen.setdefault((key_name, company_id), r.id)
                if first != r.id:
                    yield finding("duplicate-contact", r.id, f"Contact {r.id} '{names[r.id]}' has the same name as contact "
                                  f"{first} at the same company.", f"salescrm contact show {first}")
                    break
    if "missing-field" in wanted:
        for r in rows:
            if not (r.job_title or "").strip():
                yield finding("missing-field", r.id, f"Contact {r.id} '{names[r.id]}' has no job title.",
                              f"salescrm contact edit {r.id} --job-title ...")
    if "no-lawful-basis" in wanted:
        from datetime import timedelta

        from salescrm.domain import consent, times
        from salescrm.domain.audit.checks import NO_BASIS_DAYS

        for contact in consent.without_lawful_basis(ctx.session, times.now() - timedelta(days=NO_BASIS_DAYS)):
            yield finding("no-lawful-basis", contact.id, f"Contact {contact.id} '{names[contact.id]}' has no lawful basis "
                          f"recorded {NO_BASIS_DAYS} days after their creation.",
                          f"salescrm contact consent {contact.id} --granted --basis BASIS --source SOURCE")
    if "marketing-after-withdrawal" in wanted:
        from salescrm.domain import consent
        from salescrm.domain.views import iso

        for contact_id, export_id, at in consent.exported_after_withdrawal(ctx.session):
            yield finding("marketing-after-withdrawal", contact_id, f"Contact {contact_id} '{names[contact_id]}' had withdrawn "
                          f"their marketing consent, and marketing export {export_id} of {iso(at)} held them.",
                          f"salescrm contact show {contact_id}")
    if "orphan" in wanted:
        linked = sa.select(ContactCompany.contact_id).distinct()
        for (cid,) in conn.execute(sa.select(Contact.id).where(Contact.id.not_in(linked)).order_by(Contact.id)):
            yield finding("orphan", cid, f"Contact {cid} '{names[cid]}' has no company.",
                          f"salescrm contact edit {cid} --add-company COMPANY")
