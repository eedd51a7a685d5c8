"""An import's rows a chunk at a time: what the chunk names is looked up in SQL once (set-based), and the
new records it creates are written together (lots.py: one statement per table, one journal append), not one
savepoint and flush per row.

For each chunk (`CHUNK` rows) `prefetch` asks, in one query per kind of key, which of the chunk's
external ids, emails, phones, company names and website domains the database already has (`Known`:
a key it checked and did not find is surely absent; any other key is looked up as before, by the
row's own query in matching.py). A row that only creates a record, whose keys are all surely absent
and that needs nothing but its own fields (no consent columns, no properties, no follow-up, no company
to merge), is a *plain* row: it is checked by the same parsers as the commands, its record is built as
`company add` / `contact add` build it, and it waits in `pending`. A plain contact row may name a company
the database lacks: when that name clashes with no company under the one-company rule, the company waits
in `pending` too, before the contact, as the contact rule would create it. The rule is asked of the
companies the chunk's names may stand for, found in SQL by their brand keys (`_index`), and of those the
chunk has written since. Any other row first writes the pending ones (`lots.settle`), then runs alone in its
savepoint, as rows.py describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

CHUNK = 1000  # rows (5,000 measured: 1.8x the peak memory, for little time)


@dataclass
class Known:
    """Keys the chunk's query checked, and those among them the database has (or that rows since added)."""

    checked: set = field(default_factory=set)
    present: set = field(default_factory=set)

    def absent(self, key) -> bool:
        return key is not None and key in self.checked and key not in self.present

    def fill(self, keys, present) -> None:
        self.checked |= set(keys)
        self.present |= set(present)


@dataclass(slots=True, eq=False)  # compared by identity
class Pending:
    line: int
    values: dict
    model: type  # Company or Contact
    record: dict  # its columns, as `company add` / `contact add` would set them (the others take their defaults)
    companies: list  # a contact's Company records, linked once it has its id
    result: object  # rows.Result, its record_id filled by `settle`


class Chunk:
    """What one chunk's queries found, and the parsed values its rows share (each parsed once)."""

    def __init__(self):
        self.external = Known()
        self.names = Known()  # company name keys
        self.companies: dict[str, object] = {}  # name key -> Company, for the names the database has
        self.domains = Known()
        self.emails = Known()  # email keys (lower case)
        self.phones = Known()  # E.164
        self.parsed: dict[tuple, object] = {}  # (parser, text, region) -> value, or the error it raised
        self.pending_names = None  # company_names.CompanyNames of the companies waiting in `pending`
        self.new_companies: dict[str, Pending] = {}  # name key -> a company a contact row of this chunk creates
        self.erasures = False  # the database keeps erased identities: each contact row runs alone, past its check
        self.index = None  # company_names.CompanyNames: the companies the chunk's names may stand for, and its new ones
        self.indexed: set[str] = set()  # the brand keys of the names whose candidates `index` holds

    def covers(self, name: str) -> bool:
        from salescrm import legalforms

        return legalforms.brand_key(name) in self.indexed

    def parse(self, parser, text: str, *args):
        key = (parser.__name__, text, *args)
        if key not in self.parsed:
            try:
                self.parsed[key] = parser(text, *args)
            except Exception as e:  # noqa: BLE001 - kept, and raised again where the row is checked
                self.parsed[key] = e
        found = self.parsed[key]
        if isinstance(found, Exception):
            raise found
        return found

    def try_parse(self, parser, text: str, *args):
        try:
            return self.parse(parser, text, *args)
        except Exception:  # noqa: BLE001
            return None


def model_of(kind: str):
    """The model of the records an import of `kind` writes in bulk (None: every row runs alone)."""
    from salescrm.store.models import Company, Contact

    return {"companies": Company, "contacts": Contact}.get(kind)


def _in(column, keys: set) -> list:
    """`column IN keys`, in slices a statement can take."""
    keys = sorted(k for k in keys if k is not None)
    return [column.in_(keys[i:i + CHUNK]) for i in range(0, len(keys), CHUNK)]


def prefetch(imp, rows: list[dict]) -> Chunk:
    """The chunk's keys, looked up in one query per kind (a chunk's keys in one statement)."""
    from salescrm.domain import naming
    from salescrm.domain.imports import matching
    from salescrm.domain.imports.results import joined, text
    from salescrm.domain.values import clean_name, parse_email, parse_phone, parse_website
    from salescrm.store.models import Company, Contact, size

    chunk = Chunk()
    kind, session = imp.options.kind, imp.session
    conn = session.connection()
    model = {"companies": Company, "contacts": Contact}.get(kind)
    if model is None:
        return chunk
    system = imp.options.source_system
    externals = {text(v, "external_id") for v in rows} - {None}
    if externals and system is not None:
        found = set()
        for condition in _in(model.external_id, externals):
            found |= {e for (e,) in conn.execute(sa.select(model.external_id).where(model.source_system == system, condition))}
        chunk.external.fill(externals, found)
    names, written = set(), set()
    for v in rows:
        for given in ([text(v, "name")] if kind == "companies" else joined(text(v, "companies"))):
            if given:
                name = chunk.try_parse(clean_name, given, "Company name", size(Company.name))
                if name is not None:
                    names.add(naming.name_key(name))
                    written.add(name)
    _index(chunk, conn, written)
    if names:
        for condition in _in(Company.name_key, names):
            for company in session.scalars(sa.select(Company).where(condition)):
                chunk.companies[company.name_key] = company
        chunk.names.fill(names, chunk.companies)
    if kind == "companies":
        domains = set()
        for v in rows:
            site = text(v, "website") or text(v, "domain")
            website = chunk.try_parse(parse_website, site) if site else None
            domains.add(matching.domain_of(website))
        domains.discard(None)
        if domains:
            chunk.domains.fill(domains, matching.domains_present(session, domains))
        return chunk
    from salescrm.store.models import ErasedIdentity

    # An import refuses a row naming an erased person ("erased on DATE"), a check the contact rule makes on
    # each row; erasures are rare, so where there is any, contact rows are simply not plain.
    chunk.erasures = conn.execute(sa.select(sa.literal(1)).select_from(ErasedIdentity.__table__).limit(1)).first() is not None
    emails, phones = set(), set()
    for v in rows:
        email_text, phone_text = text(v, "email"), text(v, "phone")
        if email_text:
            email = chunk.try_parse(parse_email, email_text)
            if email is not None:
                emails.add(email.lower())
        if phone_text:
            first = next(iter(joined(text(v, "companies"))), None)
            company = chunk.companies.get(naming.name_key(first)) if first else None
            region = company.country if company is not None else _country(chunk, v)
            phone = chunk.try_parse(parse_phone, phone_text, region)
            if phone is not None:
                phones.add(phone)
    for known, column, keys in ((chunk.emails, Contact.email_key, emails), (chunk.phones, Contact.phone, phones)):
        if keys:
            found = set()
            for condition in _in(column, keys):
                found |= {k for (k,) in conn.execute(sa.select(column).where(condition))}
            known.fill(keys, found)
    return chunk


def _index(chunk: Chunk, conn, names: set[str]) -> None:
    """The companies the chunk's names may stand for under the one-company rule, found by their brand keys
    in a few statements (companies.candidates), not by holding every company's name in memory."""
    from salescrm import legalforms
    from salescrm.domain.company_names import CompanyNames
    from salescrm.domain.companies import candidates

    ordered = sorted(names)
    chunk.index = CompanyNames()
    for i in range(0, len(ordered), _NAMES_PER_QUERY):
        for company_id, name in candidates(conn, ordered[i:i + _NAMES_PER_QUERY]):
            if company_id not in chunk.index.names:
                chunk.index.add(company_id, name)
    chunk.indexed = {legalforms.brand_key(n) for n in ordered}


_NAMES_PER_QUERY = 200  # a statement's OR of key ranges stays far below SQLite's expression depth (1,000)


def _country(chunk: Chunk, v: dict) -> str | None:
    from salescrm.domain.countries import parse_country
    from salescrm.domain.imports.results import text

    given = text(v, "country")
    return chunk.try_parse(parse_country, given) if given else None


# --- Plain rows ---------------------------------------------------------------------------------


_CONTACT_PLAIN = {"first_name", "last_name", "job_title", "email", "phone", "companies", "country", "external_id",
                  "created_at", "search_engine", "keyword", "source_page", "channel"}
_COMPANY_PLAIN = {"name", "country", "website", "domain", "legal_name", "external_id", "created_at"}


def plain_company(imp, chunk: Chunk, line: int, v: dict):
    """A new company row that needs only its own fields, built as `company add` builds it; None when the
    row is not plain (it then runs alone, through rows.company_row)."""
    from salescrm.domain import companies, naming
    from salescrm.domain.countries import parse_country
    from salescrm.domain.imports import matching
    from salescrm.domain.imports.results import Result, text
    from salescrm.domain.values import clean_name, parse_website
    from salescrm.store.models import Company, size
    from salescrm.typed_text import clean_text

    if set(v) - _COMPANY_PLAIN or imp.options.follow_up is not None:
        return None
    external = text(v, "external_id")
    if external is not None and not chunk.external.absent(external):
        return None
    name = clean_name(text(v, "name"), "Company name", size(Company.name)) if text(v, "name") else None
    if name is None:
        return None
    key = naming.name_key(name)
    if not chunk.names.absent(key) or key in imp.distinct:
        return None
    site = text(v, "website") or text(v, "domain")
    website = chunk.parse(parse_website, site) if site else None
    domain = matching.domain_of(website)
    if domain is not None and not chunk.domains.absent(domain):
        return None
    if imp.name_conflict(name) is not None or _pending_conflict(chunk, name):
        return None
    company = company_record(imp, name, key, chunk.parse(parse_country, text(v, "country")) if text(v, "country") else None,
                             website=website, legal_name=clean_text(text(v, "legal_name"), "Legal name", required=False,
                                                                    max_length=size(Company.legal_name), name=True))
    if text(v, "created_at"):
        company["created_at"] = imp.options.dates.moment(text(v, "created_at"), "Create Date")
    if external is not None:
        company.update(external_id=external, source_system=imp.options.source_system)
    chunk.names.present.add(key)
    chunk.pending_names.add(-len(chunk.pending_names.names) - 1, name)
    if domain is not None:
        chunk.domains.present.add(domain)
    if external is not None:
        chunk.external.present.add(external)
    result = Result(line, "created", None, "; ".join(companies.name_warnings(name)) or None, name)
    return Pending(line, v, Company, company, [], result)


def mark(imp, chunk: Chunk, record_id: int) -> None:
    """A record a row wrote alone (or matched): its keys are no longer surely absent, so later rows of the
    chunk that name them are looked up, not taken as new."""
    from salescrm.domain.imports import matching
    from salescrm.store.models import Company, Contact

    model = {"companies": Company, "contacts": Contact}.get(imp.options.kind)
    record = imp.session.get(model, record_id) if model is not None else None
    if record is None:
        return
    if record.external_id is not None:
        chunk.external.present.add(record.external_id)
    if model is Company:
        chunk.names.present.add(record.name_key)
        domain = matching.domain_of(record.website)
        if domain is not None:
            chunk.domains.present.add(domain)
    else:
        for known, key in ((chunk.emails, record.email_key), (chunk.phones, record.phone)):
            if key is not None:
                known.present.add(key)


def _pending_conflict(chunk: Chunk, name: str) -> bool:
    """Whether `name` clashes with a company a plain row of this chunk is about to create (that row is then
    written first, and this one runs alone, against the index that has it)."""
    from salescrm.domain.company_names import CompanyNames

    if chunk.pending_names is None:
        chunk.pending_names = CompanyNames()
    return chunk.pending_names.conflict(name) is not None


def plain_contact(imp, chunk: Chunk, line: int, v: dict):
    """A new contact row that needs only its own fields, of existing companies or of new ones it creates
    (`_new_company`), built as `contact add` builds it; None when the row is not plain."""
    from salescrm.domain import naming
    from salescrm.domain.imports.results import Result, joined, text
    from salescrm.domain.values import clean_name, parse_choice, parse_email, parse_phone
    from salescrm.store.models import Company, Contact, size
    from salescrm.typed_text import clean_text

    if set(v) - _CONTACT_PLAIN or imp.options.follow_up is not None or chunk.erasures:
        return None
    first, last = text(v, "first_name"), text(v, "last_name")
    email_text, phone_text = text(v, "email"), text(v, "phone")
    if not first or not last or not (email_text or phone_text):
        return None
    external = text(v, "external_id")
    if external is not None and not chunk.external.absent(external):
        return None
    linked, notes = [], []
    for given in joined(text(v, "companies")):
        name = chunk.parse(clean_name, given, "Company name", size(Company.name))
        key = naming.name_key(name)
        company = chunk.companies.get(key)
        if company is None:
            company = _new_company(imp, chunk, line, name, key, v)
            if company is None or (company.result.line == line and any(_creates(c, line) for c in linked)):
                return None  # a company to merge, one that clashes, or two new ones: the row runs alone
        if company not in linked:
            linked.append(company)
    email = chunk.parse(parse_email, email_text) if email_text else None
    if email is not None and not chunk.emails.absent(email.lower()):
        return None
    region = (_country_of(linked[0]) if linked else None) or _country(chunk, v)
    phone = chunk.parse(parse_phone, phone_text, region) if phone_text else None
    if phone is not None and not chunk.phones.absent(phone):
        return None
    contact = dict(
        first_name=clean_text(first, "First name", max_length=size(Contact.first_name), name=True),
        last_name=clean_text(last, "Last name", max_length=size(Contact.last_name), name=True),
        job_title=clean_text(text(v, "job_title"), "Job title", required=False, max_length=size(Contact.job_title)),
        email=email, email_key=email.lower() if email else None, phone=phone,
    )
    for name in ("search_engine", "keyword", "source_page"):
        if text(v, name):
            contact[name] = clean_text(text(v, name), name.replace("_", " ").capitalize(), max_length=size(getattr(Contact, name)))
    if text(v, "channel"):
        from salescrm import process

        contact["channel"] = parse_choice(text(v, "channel"), process.LEAD_CHANNELS, "Channel", slugs=True)
    if text(v, "created_at"):
        contact["created_at"] = imp.options.dates.moment(text(v, "created_at"), "Create Date")
    if external is not None:
        contact.update(external_id=external, source_system=imp.options.source_system)
    for known, key in ((chunk.emails, email.lower() if email else None), (chunk.phones, phone), (chunk.external, external)):
        if key is not None:
            known.present.add(key)
    for company in linked:
        if _creates(company, line):
            _register(chunk, company)
            imp.pending.append(company)  # written before the contact, in the same lot
            notes.append(f"created company {company.record['name']}")
    result = Result(line, "created", None, "; ".join(notes) or None, f"{contact['first_name']} {contact['last_name']}")
    return Pending(line, v, Contact, contact, linked, result)


def _country_of(company) -> str | None:
    return company.record.get("country") if isinstance(company, Pending) else company.country


def _new_company(imp, chunk: Chunk, line: int, name: str, key: str, v: dict):
    """The company a contact row names that the database does not have: one a plain row of this chunk is
    creating (`chunk.new_companies`), else a new one of that name and the row's country, built as the
    contact rule creates it (rows.Importer.company_or_new), when the name is surely new and clashes with no
    company; None otherwise (the row then runs alone, to merge it into the global company or be refused)."""
    from salescrm.domain.imports.results import Result
    from salescrm.store.models import Company

    if key in chunk.new_companies:
        return chunk.new_companies[key]
    if not chunk.names.absent(key) or key in imp.distinct:
        return None
    if imp.name_conflict(name) is not None or _pending_conflict(chunk, name):
        return None
    return Pending(line, v, Company, company_record(imp, name, key, _country(chunk, v)), [],
                   Result(line, "created", None, None, name))


def company_record(imp, name: str, key: str, country: str | None, **fields) -> dict:
    """A new company's columns, as `companies.add_company` sets them (the others take their defaults)."""
    from salescrm import legalforms
    from salescrm.domain.pipelines import process_of
    from salescrm.store.actors import actor_of

    return dict(name=name, name_key=key, brand_key=legalforms.brand_key(name), country=country,
                lead_status=process_of(imp.session).lead_statuses.on_create, lead_status_set_by=actor_of(imp.session),
                **fields)


def _creates(company, line: int) -> bool:
    """Whether `company` is a new one that the contact row at `line` creates."""
    return isinstance(company, Pending) and company.result.line == line


def _register(chunk: Chunk, company: Pending) -> None:
    key = company.record["name_key"]
    chunk.new_companies[key] = company
    chunk.names.present.add(key)
    chunk.pending_names.add(-len(chunk.pending_names.names) - 1, company.record["name"])
