"""A deal row through `deal create`'s rules (issue 13, "Every row goes through the same domain rules").

- The owner matches a team member by name, then by login, and must hold an owner role; a row whose
  owner matches no member is refused.
- The name is rebuilt to SP-009-001's convention (`<country> <company> <description>`); the name the
  file gave is kept in `source_name` when it differs (the audit's `imported-name`). Without a
  description column, the description is the file's name, less a leading country code and company name.
- The stage label maps to a stage (values.Stages). An open deal is created in that stage only when it
  meets every gate on the way, with the row's `gates.KEY` values; else it is refused, or, with
  `--place-at-met-stage`, created at the furthest stage whose gates it meets, and the reason says so.
- A closed row never moves to a met stage. A lost row is created and lost, with the category of its
  column (else `Other`) and its reason (else "imported from SYSTEM"), on its Close Date. A won row is
  refused unless `--accept-won`: then it is won on its Close Date, its gate values stored unchecked, as
  set by `imported` on that date.
- Create Date is the deal's creation and its entry into the first stage.
"""

from __future__ import annotations

from datetime import datetime, time, timezone

from salescrm.domain.imports import matching
from salescrm.domain.imports.rows import Importer, Result, joined, text
from salescrm.domain.imports.values import amount_text
from salescrm.errors import GateNotMet, Refused

IMPORTED = "imported"  # who set the gate values of a deal imported as won


def owner_of(session, name: str):
    """A team member by name, then by login; refused when none has either, or when not an owner."""
    from sqlmodel import select

    from salescrm.domain import naming, team
    from salescrm.store.models import TeamMember

    member = session.exec(select(TeamMember).where(TeamMember.name_key == naming.name_key(name))).first()
    if member is None:
        member = session.exec(select(TeamMember).where(TeamMember.login == name)).first()
    if member is None:
        raise Refused(f"The owner '{name}' is no team member's name or login: add them with `salescrm team add`, "
                      "or correct the name in the file.")
    return team.owner(session, str(member.id))


def description_from(name: str | None, country: str, company: str) -> str | None:
    """The file's deal name without a leading country code and company name (`ES Sanitas PoC` -> `PoC`)."""
    if not name:
        return None
    from salescrm.domain.naming import name_key

    rest = name.strip()
    if rest[:3].upper() == f"{country} ":
        rest = rest[3:].lstrip()
    if name_key(rest).startswith(name_key(company) + " "):
        rest = rest[len(company):].lstrip(" -–:")
    return rest or name.strip()


def _contacts(imp: Importer, refs_text: str | None) -> list[str]:
    from salescrm.domain import refs

    out = []
    for ref in joined(refs_text):
        found, _ = matching.contact(imp.session, ref.lower() if "@" in ref else None, None)
        out.append(str(found.id) if found is not None else str(refs.contact(imp.session, ref).id))
    return out


def pipeline_for(imp: Importer, given: str | None):
    """The row's pipeline (its Pipeline column, by key or label); without one, or where the process has only
    one pipeline and the column names another (HubSpot's "Sales Pipeline"), the process's first."""
    from salescrm.domain.pipelines import parse_pipeline, process_of

    proc = process_of(imp.session)
    if given is None:
        return proc.default_pipeline
    try:
        return proc.pipeline(given)
    except KeyError:
        if len(proc.pipelines) == 1:
            return proc.default_pipeline
        return parse_pipeline(proc, given)  # refused, naming the pipelines


def deal_row(imp: Importer, line: int, v: dict) -> Result:
    from salescrm.domain import deals, naming
    from salescrm.domain.countries import parse_country
    from salescrm.domain.values import parse_amount
    from salescrm.store.models import Deal

    o = imp.options
    company_name, owner_name = text(v, "company"), text(v, "owner")
    if company_name is None:
        raise Refused("A deal needs its company (a company or Associated Company column, or --default company=NAME).")
    if owner_name is None:
        raise Refused("A deal needs its owner (an owner or Deal owner column, or --default owner=NAME).")
    company = imp.company_for(company_name)
    owner = owner_of(imp.session, owner_name)
    pipeline = pipeline_for(imp, text(v, "pipeline"))
    stage = o.stages.stage(text(v, "stage"), pipeline) if text(v, "stage") else pipeline.first.name
    country = parse_country(text(v, "country")) if text(v, "country") else company.country
    if country is None:
        raise Refused(f"'{company.name}' has no country, and a deal's name starts with one: give a country column.")
    given_name = text(v, "name")
    description = text(v, "description") or description_from(given_name, country, company.name)
    if description is None:
        raise Refused("A deal needs a name or a description.")
    rebuilt = naming.deal_name(country, company.name, description)
    source_name = given_name if given_name and naming.without_lost_prefix(given_name) != rebuilt else None
    from salescrm.domain.pipelines import process_of

    classes = bool(process_of(imp.session).deal_classes)  # health-prime declares none: its deals take no class
    for name in ("amount", "close_date", "deal_class", "source") if classes else ("amount", "close_date", "source"):
        if text(v, name) is None:
            raise Refused(f"A deal needs its {name.replace('_', ' ')}" + (" (--default deal_class=CLASS)" if name == "deal_class"
                          else " (--default source=TEXT)" if name == "source" else "") + ".")
    amount = amount_text(v["amount"], o.decimal_comma)
    close_date = o.dates.day(v["close_date"], "Close date")
    created = o.dates.moment(text(v, "created_at"), "Create Date") if text(v, "created_at") else None
    gates = {k[len("gates."):]: text(v, k) for k in v if k.startswith("gates.") and text(v, k)}
    found, how = imp.find(Deal, v)
    if found is None:
        found, how = matching.deal(imp.session, rebuilt, given_name)
    if found is not None:
        return _update(imp, line, found, how, v, amount, close_date, owner, stage)
    draft = deals.DealDraft(company=str(company.id), description=description, amount=amount,
                            close_date=close_date.isoformat(), deal_class=text(v, "deal_class"), source=text(v, "source"),
                            owner=str(owner.id), country=country, contacts=_contacts(imp, text(v, "contacts")),
                            currency=text(v, "currency"), pipeline=pipeline.key)
    parse_amount(amount)
    if pipeline.stage(stage).lost:
        deal, reason = _lost(imp, draft, pipeline, v, close_date, created), None
    elif pipeline.stage(stage).won:
        if not o.accept_won:
            raise Refused(f"The deal is won ({text(v, 'stage')}): pass --accept-won to import it as won, its gate values "
                          "recorded as imported on its Close Date.")
        deal, reason = _won(imp, draft, pipeline, stage, gates, close_date, created), None
    else:
        deal, reason = _open(imp, draft, pipeline, stage, gates, created)
    if source_name is not None:
        deal.source_name = source_name[:700]
    imp.keep_source(deal, v.get("external_id"))
    imp.session.add(deal)
    imp.session.flush()
    if source_name is not None:
        reason = "; ".join(r for r in (reason, f"named '{deal.name}' (the file's name was '{source_name}')") if r)
    return Result(line, "created", deal.id, reason, deal.name)


def _open(imp: Importer, draft, pipeline, stage: str, gates: dict, created):
    from salescrm.domain import deals

    try:
        with imp.session.begin_nested():
            return deals.create_deal(imp.session, draft, stage=stage, gate_values=gates, created_at=created).record, None
    except GateNotMet as e:
        if not imp.options.place_at_met_stage:
            raise Refused(f"{e.message} Pass --place-at-met-stage to import it at the furthest stage whose gates it meets.") from None
        first_problem = e.message
    for candidate in reversed(pipeline.path[:pipeline.rank(stage)]):
        try:
            with imp.session.begin_nested():
                deal = deals.create_deal(imp.session, draft, stage=candidate.name, gate_values=gates, created_at=created).record
        except GateNotMet:
            continue
        return deal, f"placed at {candidate.name}, the furthest stage whose gates it meets ({first_problem.rstrip('.')})"
    raise Refused(first_problem)  # pragma: no cover - the first stage has no gate


def _at(day) -> datetime:
    """A Close Date as the moment of a won or lost move: that day's start, local time (as Create Date's), in UTC."""
    return datetime.combine(day, time(0)).astimezone().astimezone(timezone.utc)


def _lost(imp: Importer, draft, pipeline, v: dict, close_date, created):
    from salescrm.domain import deals, moves

    deal = deals.create_deal(imp.session, draft, stage=pipeline.first.name, created_at=created).record
    category = text(v, "lost_reason_category") or "Other"
    reason = text(v, "lost_reason") or f"imported from {imp.options.source_system}"
    moves.lose_deal(imp.session, str(deal.id), category, reason, keep_tasks=True, at=_at(close_date))
    return deal


def _won(imp: Importer, draft, pipeline, won: str, gates: dict, close_date, created):
    from salescrm.domain import deals, lifecycle, moves
    from salescrm.domain.pipelines import process_of
    from salescrm.store.models import Company, GateValue, size
    from salescrm.typed_text import clean_text

    proc = process_of(imp.session)
    deal = deals.create_deal(imp.session, draft, stage=pipeline.first.name, created_at=created).record
    at = _at(close_date)
    for key, value in gates.items():
        try:
            stage, _ = proc.gate_field(key)
        except KeyError:
            raise Refused(f"gates.{key}: the process {proc.name} has no gate value '{key}'.") from None
        imp.session.add(GateValue(deal_id=deal.id, key=key, stage=stage.name, set_by=IMPORTED, set_at=at,
                                  value=clean_text(value, f"gates.{key}", lines=True, max_length=size(GateValue.value))))
    deal.stage = won
    imp.session.add(deal)
    moves.record_stage_change(imp.session, deal, pipeline.first.name, won, at)
    lifecycle.on_deal_closed(imp.session, imp.session.get(Company, deal.company_id), None)
    return deal


def _update(imp: Importer, line: int, deal, how: str, v: dict, amount: str, close_date, owner, stage: str) -> Result:
    from salescrm.domain import deals, moves
    from salescrm.domain.pipelines import pipeline_of
    from salescrm.domain.values import parse_amount

    reason = imp.matched(deal.id, how, line)
    pipeline = pipeline_of(imp.session, deal)
    if pipeline is None or not _has_stage(pipeline, deal.stage) or pipeline.stage(deal.stage).final:
        return Result(line, "unchanged", deal.id, f"{reason}; it is {deal.stage}, which is final", deal.name)
    changes = deals.DealChanges()
    if parse_amount(amount) != deal.amount_cents:
        changes.amount = amount
    if close_date != deal.close_date:
        changes.close_date = close_date.isoformat()
    for name in ("deal_class", "source"):
        if text(v, name) and text(v, name) != getattr(deal, name):
            setattr(changes, name, text(v, name))
    if owner.id != deal.owner_id:
        changes.owner = str(owner.id)
    changes.add_contacts = [c for c in _contacts(imp, text(v, "contacts")) if int(c) not in deals.contact_ids(imp.session, deal.id)]
    what = changes.business_fields()
    if what:
        deals.edit_deal(imp.session, str(deal.id), changes)
    if _has_stage(pipeline, stage) and pipeline.stage(stage).lost:
        moves.lose_deal(imp.session, str(deal.id), text(v, "lost_reason_category") or "Other",
                        text(v, "lost_reason") or f"imported from {imp.options.source_system}", keep_tasks=True)
        what.append("stage")
    elif _has_stage(pipeline, stage) and pipeline.stage(stage).open and pipeline.rank(stage) > pipeline.rank(deal.stage):
        gates = {k[len("gates."):]: text(v, k) for k in v if k.startswith("gates.") and text(v, k)}
        try:
            moves.advance_deal(imp.session, str(deal.id), to=stage, values=gates)  # refused before it writes
            what.append("stage")
        except GateNotMet as e:
            if not imp.options.place_at_met_stage:
                raise
            reason += f"; stays at {deal.stage} ({e.message.rstrip('.')})"
    if not what:
        return Result(line, "unchanged", deal.id, reason, deal.name)
    return Result(line, "updated", deal.id, f"{reason}; changed {', '.join(what)}", deal.name)


def _has_stage(pipeline, name: str) -> bool:
    return any(s.name == name for s in pipeline.stages)
