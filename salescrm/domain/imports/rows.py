"""One import row through the domain's own rules: the same functions `company add`, `contact add` and
`deal create` call (deals are in deal_rows.py).

Each row runs in its own savepoint: a row a rule refuses leaves nothing behind, and the next goes on.
A row's result is its action (`created`, `updated`, `unchanged`, `skipped`, `refused`), the record it
wrote or matched, and the reason. Rows follow lead intake's minimum: a company needs its name, a contact a
name and an email or a phone. `--default FIELD=VALUE` fills a field a row lacks.

Companies follow SP-009-001's one-company rule: a row whose name is a local branch (`Novartis España`)
or a local entity (`Novartis Farmacéutica, S.A.`) of an existing company is not created; it is
`skipped`, "merged into Novartis (local branch)", no field of Novartis changes, and contacts and deals
naming it link to Novartis. `--distinct NAME` imports such a row as its own company (with the reason
given, as `--distinct-from` keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from salescrm.domain import naming
from salescrm.domain.imports import matching
from salescrm.domain.imports.results import Result, joined, text  # noqa: F401  (the names the row modules import from here)
from salescrm.domain.imports.values import Dates, Stages
from salescrm.errors import Refused, SalesCrmError

ACTIONS = ("created", "updated", "unchanged", "skipped", "refused")


@dataclass
class Options:
    kind: str
    source_system: str | None = None  # None: `hubspot` for HubSpot headers, `file` otherwise
    defaults: dict[str, str] = field(default_factory=dict)
    distinct: list[str] = field(default_factory=list)
    stages: Stages | None = None
    dates: Dates = field(default_factory=Dates)
    decimal_comma: bool = False
    place_at_met_stage: bool = False
    accept_won: bool = False
    follow_up: timedelta | None = None  # --follow-up: a call for each new company or contact
    properties: dict = field(default_factory=dict)  # key -> the process's Property, for `properties.KEY` values
    lifecycle_manual: tuple[str, ...] = ()  # the lifecycle values a person may set (health-prime's), imported from Lifecycle Stage


class Importer:
    """The rows of one file, applied in one session."""

    def __init__(self, session: Session, options: Options, handler, batch_id: int | None = None):
        """`handler(importer, line, values) -> Result`: the rules of the record type (run.HANDLERS)."""
        self.session, self.options, self.handler, self.batch_id = session, options, handler, batch_id
        self.first_line: dict[int, int] = {}  # record id -> the first line of this file that wrote or matched it
        self._new_names: list[tuple[int, str]] = []  # companies a contact row created, indexed once its savepoint is released
        self.chunk = None  # bulk.Chunk: what the current chunk's rows name, looked up together
        self.pending: list = []  # bulk.Pending: plain rows whose records wait to be written together
        self.late: list[Result] = []  # rows refused when run again after their lot was refused
        self.distinct = {naming.name_key(n) for n in options.distinct}
        if options.kind == "deals":
            from salescrm.domain.pipelines import process_of

            if options.stages is None:
                options.stages = Stages()
            options.stages.bind(process_of(session))  # --map-stage's stages checked against the database's process
        self._source: tuple[str, str] | None = None  # the row's (system, external id), given to the record it creates
        from sqlalchemy import event

        event.listen(session, "before_flush", self._stamp)

    def _stamp(self, session, _context, _instances) -> None:
        """A record the row creates gets its external id in its first flush (one journal entry, not two)."""
        if self._source is None:
            return
        from salescrm.store.models import Company, Contact, Deal

        model = {"companies": Company, "contacts": Contact, "deals": Deal}.get(self.options.kind)
        for obj in session.new:
            if model is not None and isinstance(obj, model) and obj.external_id is None:
                obj.source_system, obj.external_id = self._source

    def prefetch(self, rows: list[dict]) -> None:
        """A new chunk of rows: what they name, looked up together (bulk.py); the rows still waiting written."""
        from salescrm.domain.imports import bulk

        self.settle()
        self.chunk = bulk.prefetch(self, [{**self.options.defaults, **v} for v in rows])

    def settle(self) -> None:
        """Write the plain rows that wait (lots.settle); any the database refused as a lot run again alone,
        and their results take the new outcome (`late`: the run writes those it refused to the rejects)."""
        from salescrm.domain.imports import bulk, lots

        pending, self.pending = self.pending, []
        again = lots.settle(self, pending)
        refused = {id(p) for p in again}
        kind = bulk.model_of(self.options.kind)
        for p in pending:
            if id(p) in refused:
                continue
            if p.model is kind:
                self.first_line.setdefault(p.record["id"], p.line)
            if p.model is self._company_model():
                self._indexed(p.record["id"], p.record["name"])
        if self.chunk is not None:
            self.chunk.pending_names = None
            self.chunk.new_companies = {k: p for k, p in self.chunk.new_companies.items() if id(p) not in refused}
        for p in again:
            if p.model is not kind:
                continue  # a company a contact row was to create: that row, run again alone, creates it
            redone = self._apply_alone(p.line, p.values)
            if self.chunk is not None and redone.record_id is not None and redone.action != "refused":
                from salescrm.domain.imports import bulk

                bulk.mark(self, self.chunk, redone.record_id)
            p.result.action, p.result.record_id, p.result.reason, p.result.label = (
                redone.action, redone.record_id, redone.reason, redone.label)
            if redone.action == "refused":
                self.late.append(p.result)

    @staticmethod
    def _company_model():
        from salescrm.store.models import Company

        return Company

    def apply(self, line: int, values: dict[str, object]) -> Result:
        row = {**self.options.defaults, **values}
        plain = _PLAIN.get(self.options.kind)
        if plain is not None and self.chunk is not None:
            try:
                found = plain(self, self.chunk, line, row)
            except SalesCrmError:
                found = None  # refused: the row runs alone, for the message its rules give
            if found is not None:
                self.pending.append(found)
                return found.result
        self.settle()
        result = self._apply_alone(line, row)
        if self.chunk is not None and result.record_id is not None and result.action != "refused":
            from salescrm.domain.imports import bulk

            bulk.mark(self, self.chunk, result.record_id)
        return result

    def _apply_alone(self, line: int, row: dict[str, object]) -> Result:
        """One row in its own savepoint, through the record type's handler."""
        from sqlalchemy import exc

        external = text(row, "external_id")
        self._source = (self.options.source_system, external) if external else None
        try:
            with self.session.begin_nested():
                result = self.handler(self, line, row)
        except SalesCrmError as e:
            return Result(line, "refused", None, e.message)
        except exc.IntegrityError:
            return Result(line, "refused", None, "It conflicts with a record already stored (a value that must be unique).")
        finally:
            self._source = None
            new_names, self._new_names = self._new_names, []
        if result.record_id is not None:
            self.first_line.setdefault(result.record_id, line)
        if result.action == "created" and self.options.kind == "companies":
            new_names.append((result.record_id, result.label))
        for cid, name in new_names:  # only once its savepoint is released
            self._indexed(cid, name)
        return result

    def _indexed(self, company_id: int, name: str) -> None:
        """A company this chunk wrote, into the chunk's index of names (bulk.Chunk.index)."""
        if self.chunk is not None and self.chunk.index is not None:
            self.chunk.index.add(company_id, name)

    def name_conflict(self, name: str):
        """`companies.name_conflict`: for a name of the chunk, against the companies its one query found
        (bulk.prefetch) and those the chunk has written since; for any other, by its own query."""
        chunk = self.chunk
        if chunk is not None and chunk.index is not None and chunk.covers(name):
            return chunk.index.conflict(name)
        from salescrm.domain import companies

        return companies.name_conflict(self.session, name)

    def company_or_new(self, name: str, country: str | None) -> tuple[object, str | None]:
        """The company a contact's row names, through the company rules (issue 13): by folded name; else the
        global company a local branch or entity name stands for ("merged into Novartis (local branch)",
        unless `--distinct`); else a new company of that name (and the row's country), as `import companies`
        would create it. Any other clash with the one-company rule refuses the row. (company, what the
        report says about it, or None)."""
        from salescrm.domain import companies
        from salescrm.domain.values import clean_name
        from salescrm.store.models import Company, size

        found, _ = matching.company(self.session, name, None)
        if found is not None:
            return found, None
        name = clean_name(name, "Company name", size(Company.name))
        clash = self.name_conflict(name)
        distinct = naming.name_key(name) in self.distinct
        if clash is not None and not distinct:
            if clash.how in ("branch", "local-entity"):
                return self.session.get(Company, clash.other_id), \
                    f"{name} merged into {clash.other_name} ({merge_kind(clash.how)})"
            raise Refused(clash.message)
        company = companies.add_company(self.session, name, country, None, required=False,
                                        distinct_from=[str(clash.other_id)] if clash is not None else (),
                                        name_checked=clash is None).record
        self._new_names.append((company.id, company.name))
        return company, f"created company {company.name}"

    def matched(self, record_id: int, how: str, line: int) -> str:
        first = self.first_line.get(record_id)
        return f"same {how} as line {first}" if first is not None and first != line else f"matched by {how}"

    def keep_new(self, record, values: dict) -> None:
        """A record the row created, with its Create Date and its id in the source system, flushed."""
        created = text(values, "created_at")
        if created:
            record.created_at = self.options.dates.moment(created, "Create Date")
        self.keep_source(record, values.get("external_id"))
        self.session.add(record)
        self.session.flush()

    def keep_source(self, record, external_id) -> None:
        if external_id is not None and str(external_id).strip():
            record.external_id = str(external_id).strip()
            record.source_system = self.options.source_system

    def find(self, model, values: dict) -> tuple[object | None, str | None]:
        external = values.get("external_id")
        if external is not None and str(external).strip():
            found = matching.by_external_id(self.session, model, self.options.source_system, str(external).strip())
            if found is not None:
                return found, "external id"
        return None, None

    def company_for(self, name: str):
        """The company a contact's or deal's row names: by folded name, else the global company a local
        branch or entity name stands for; refused when there is none."""
        from salescrm.store.models import Company

        found, _ = matching.company(self.session, name, None)
        if found is not None:
            return found
        clash = self.name_conflict(name)
        if clash is not None and clash.how in ("branch", "local-entity"):
            return self.session.get(Company, clash.other_id)
        raise Refused(f"No company '{name}' in the database: import the companies first "
                      "(`salescrm import companies FILE`), or add it with `salescrm company add`.")


def _plain_company(imp, chunk, line, row):
    from salescrm.domain.imports import bulk

    return bulk.plain_company(imp, chunk, line, row)


def _plain_contact(imp, chunk, line, row):
    from salescrm.domain.imports import bulk

    return bulk.plain_contact(imp, chunk, line, row)


_PLAIN = {"companies": _plain_company, "contacts": _plain_contact}


def merge_kind(how: str) -> str:
    return "local branch" if how == "branch" else "local entity"


# --- Companies ------------------------------------------------------------------------------------


def company_row(imp: Importer, line: int, v: dict) -> Result:
    from salescrm.domain import companies
    from salescrm.domain.countries import parse_country
    from salescrm.domain.values import clean_name, parse_website
    from salescrm.store.models import Company, size
    from salescrm.typed_text import clean_text

    given = text(v, "name")
    if given is None:
        raise Refused("A company needs its name (lead intake's minimum).")
    name = clean_name(given, "Company name", size(Company.name))
    country = parse_country(text(v, "country")) if text(v, "country") else None
    website_text = text(v, "website") or text(v, "domain")
    website = parse_website(website_text) if website_text else None
    legal_name = clean_text(text(v, "legal_name"), "Legal name", required=False, max_length=size(Company.legal_name), name=True)
    found, how = imp.find(Company, v)
    if found is None:
        found, how = matching.company(imp.session, name, website)
    if found is None:
        clash = imp.name_conflict(name)
        distinct = naming.name_key(name) in imp.distinct
        if clash is not None and not distinct:
            if clash.how in ("branch", "local-entity"):
                return Result(line, "skipped", clash.other_id, f"merged into {clash.other_name} ({merge_kind(clash.how)})",
                              clash.other_name)
            raise Refused(clash.message)
        outcome = companies.add_company(imp.session, name, country, website, legal_name, required=False,
                                        distinct_from=[str(clash.other_id)] if clash is not None else (),
                                        name_checked=clash is None)
        company = outcome.record
        imp.keep_new(company, v)
        set_properties(imp, company, v)
        _follow_up(imp, None, company)
        return Result(line, "created", company.id, "; ".join(outcome.warnings) or None, company.name)
    changes = {k: new for k, new, old in (("country", country, found.country), ("website", website, found.website),
                                          ("legal_name", legal_name, found.legal_name)) if new is not None and new != old}
    if website is not None and not text(v, "website") and matching.domain_of(website) == matching.domain_of(found.website):
        changes.pop("website", None)  # a domain column names the site the company has
    if how == "external id" and name != found.name:
        changes["name"] = name  # renamed in the system it came from (a domain match keeps our name)
    reason = imp.matched(found.id, how, line)
    changes.update(dict.fromkeys(set_properties(imp, found, v)))
    if not changes and not _source_changes(imp, found, v):
        return Result(line, "unchanged", found.id, reason, found.name)
    if set(changes) & {"country", "website", "legal_name", "name"}:
        companies.edit_company(imp.session, str(found.id), **{k: changes[k] for k in changes
                                                              if k in ("country", "website", "legal_name", "name")})
    imp.keep_source(found, v.get("external_id"))
    imp.session.add(found)
    imp.session.flush()
    return Result(line, "updated", found.id, f"{reason}; changed {', '.join(changes) or 'its external id'}", found.name)


def _source_changes(imp: Importer, record, v: dict) -> bool:
    external = text(v, "external_id")
    if external is None:
        return False
    return (record.external_id, record.source_system) != (external, imp.options.source_system)


def _follow_up(imp: Importer, contact, company) -> None:
    if imp.options.follow_up is None:
        return
    from salescrm.domain import tasks
    from salescrm.domain.activities import Linked

    tasks.follow_up(imp.session, Linked(contact, company, None), imp.options.follow_up)


def set_properties(imp: Importer, record, v: dict) -> list[str]:
    """The row's values of the process's custom properties (`properties.KEY`), parsed by their types and
    stored on the company or contact as `company edit --set` stores them; the keys whose value changed."""
    from salescrm.domain import properties
    from salescrm.domain.property_values import parse_property
    from salescrm.store.models import Company, CompanyProperty, ContactProperty

    kind, model = ("company", CompanyProperty) if isinstance(record, Company) else ("contact", ContactProperty)
    values = {}
    for name in [k for k in v if k.startswith("properties.")]:
        key = name[len("properties."):]
        value = parse_property(imp.options.properties[key], text(v, name) or "")
        stored = imp.session.get(model, (record.id, key))
        if value is not None and (stored is None or stored.value != value):
            values[key] = value
    if values:
        properties.store(imp.session, kind, record.id, values)
    return list(values)
