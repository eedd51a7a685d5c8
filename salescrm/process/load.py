"""A process file (TOML, read with the standard library's tomllib) to a validated `Process`.

Every problem found is collected with its key path (`pipelines[0].stages[3].gate[1].kind`), so that
`salescrm process check` lists them all at once; `ProcessFileError` carries them. The shipped files are
parsed once per process run, when first asked for (`shipped`, cached).
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from salescrm.errors import InvalidValue
from salescrm.process import model
from salescrm.process.common import DIRECTIONS
from salescrm.process.load_actions import ActionReader
from salescrm.process.load_rules import RuleScope
from salescrm.process.reader import Problem

SHIPPED_DIR = Path(__file__).with_name("shipped")
DEFAULT = "sp-009-001"
PATTERN_FIELDS = ("country", "company", "description")  # what a deal name is built from
LIFECYCLE_DERIVATIONS = ("furthest-deal-stage", "first-that-holds")
# What a `first-that-holds` lifecycle's values are given by (the domain derives each, in the file's order).
LIFECYCLE_CONDITIONS = {
    "set-by-hand": "a person set it with `contact set-lifecycle`",
    "company-has-won-deal": "the contact's company has a won deal (not backed out)",
    "on-open-deal": "the contact is on an open deal",
    "all-deals-lost-recyclable": "all the contact's deals are lost, the latest with a recyclable category",
    "consent-withdrawn": "the contact withdrew their marketing consent",
    "engaged": "the contact engaged: an inbound activity or a lead intake",
    "otherwise": "none of the above (and on creation)",
}
COMPANY_FIELDS = ("name", "country", "website")


class ProcessFileError(InvalidValue):
    """A process file that is not valid TOML or not a valid process (exit 2)."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source, self.problems = source, problems
        first = problems[0]
        where = f"{first.path}: " if first.path else ""
        more = f" (and {len(problems) - 1} more: `salescrm process check` lists them)" if len(problems) > 1 else ""
        super().__init__(f"{source} is not a valid process file: {where}{first.message}{more}.")


def shipped_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SHIPPED_DIR.glob("*.toml")))


def shipped_text(name: str) -> str:
    path = SHIPPED_DIR / f"{name}.toml"
    if name not in shipped_names():
        raise InvalidValue(f"No shipped process '{name}': choose one of {', '.join(shipped_names())}.")
    return path.read_text(encoding="utf-8")


def shipped(name: str = DEFAULT) -> model.Process:
    """A process shipped inside the package, parsed and validated once per run."""
    return _shipped(name)


@functools.cache
def _shipped(name: str) -> model.Process:
    return loads(shipped_text(name), f"shipped:{name}")


def loads(text: str, source: str = "the process file") -> model.Process:
    """Parse and validate a process file's text; ProcessFileError lists every problem."""
    process, problems = check_text(text)
    if problems:
        raise ProcessFileError(source, problems)
    return process


def check_text(text: str) -> tuple[model.Process | None, list[Problem]]:
    """The process a text declares and the problems found (the process is None when there are any)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"\(at line (\d+), column \d+\)", str(e))
        return None, [Problem("", f"not valid TOML: {e}", int(found.group(1)) if found else None)]
    reader = _Reader()
    process = reader.process(data)
    return (None, reader.problems) if reader.problems else (process, [])


class _Reader(ActionReader):
    """Reads the parsed tables into the model, noting each problem with its key path."""

    def process(self, data: dict) -> model.Process | None:
        self.only(data, "", ("name", "revision", "title", "deal_classes", "deal_names", "lost_reasons", "roles",
                             "lead_statuses", "lifecycle", "companies", "properties", "pipelines", "automations",
                             "backout", "sop"))
        name = self.get(data, "name", "", str)
        revision = self.get(data, "revision", "", int)
        if revision is not None and revision < 1:
            self.fail("revision", f"must be 1 or more, not {revision}")
        classes = self.texts(data, "deal_classes", "", ())
        lost = self.get(data, "lost_reasons", "", dict, {})
        self.only(lost, "lost_reasons", ("categories", "recyclable"))
        categories = self.texts(lost, "categories", "lost_reasons")
        recyclable = self.texts(lost, "recyclable", "lost_reasons", ())
        for i, c in enumerate(recyclable):
            self.one_of(c, categories, f"lost_reasons.recyclable[{i}]", "lost reason category")
        roles, owners, signers = self.roles(self.get(data, "roles", "", dict, {}))
        properties = self.properties(self.get(data, "properties", "", dict, {}), classes)
        scope = RuleScope(properties, tuple(r.code for r in roles), roles)
        pipelines = self.pipelines(self.get(data, "pipelines", "", list, []), scope)
        stage_names = tuple(dict.fromkeys(s.name for p in pipelines for s in p.stages))
        leads = self.lead_statuses(self.get(data, "lead_statuses", "", dict, {}), categories)
        lifecycle = self.lifecycle(self.get(data, "lifecycle", "", dict, {}), stage_names)
        names = self.deal_names(self.get(data, "deal_names", "", dict, {}))
        companies = self.get(data, "companies", "", dict, {})
        self.only(companies, "companies", ("requires",))
        requires = self.texts(companies, "requires", "companies", COMPANY_FIELDS)
        for i, f in enumerate(requires):
            self.one_of(f, COMPANY_FIELDS, f"companies.requires[{i}]", "company field")
        if "name" not in requires:
            self.fail("companies.requires", "a company always needs its name: list name")
        automations = self.automations(self.get(data, "automations", "", list, []), pipelines, scope)
        backout = self.backout(self.get(data, "backout", "", dict, None), pipelines, scope)
        sop = self.summary(self.get(data, "sop", "", dict, None), properties)
        if self.problems:
            return None
        return model.Process(name, revision, self.get(data, "title", "", str, name), pipelines, properties, classes,
                             categories, leads, lifecycle, roles, owners, signers, names, recyclable, automations,
                             backout, sop, requires)

    def roles(self, table: dict):
        self.only(table, "roles", ("owners", "signers", "job_descriptions"))
        roles = []
        for i, jd in enumerate(self.get(table, "job_descriptions", "roles", list, [])):
            path = f"roles.job_descriptions[{i}]"
            if not isinstance(jd, dict):
                self.fail(path, "must be a table { code = ..., title = ... }")
                continue
            self.only(jd, path, ("code", "title"))
            code, title = self.get(jd, "code", path, str), self.get(jd, "title", path, str)
            if code and title:
                if any(r.code == code for r in roles):
                    self.fail(f"{path}.code", f"{code} is declared twice")
                roles.append(model.Role(code, title))
        codes = tuple(r.code for r in roles)
        owners, signers = self.texts(table, "owners", "roles"), self.texts(table, "signers", "roles")
        for key, listed in (("owners", owners), ("signers", signers)):
            for i, code in enumerate(listed):
                self.one_of(code, codes, f"roles.{key}[{i}]", "role")
        return tuple(roles), owners, signers

    def pipelines(self, items: list, scope: RuleScope) -> tuple[model.Pipeline, ...]:
        if not items:
            self.fail("pipelines", "missing: a process declares at least one pipeline")
        found = []
        for i, p in enumerate(items):
            path = f"pipelines[{i}]"
            if not isinstance(p, dict):
                self.fail(path, "must be a table")
                continue
            self.only(p, path, ("key", "label", "source", "entry", "entry_needs", "stages", "stages_from"))
            key, label = self.get(p, "key", path, str), self.get(p, "label", path, str)
            if any(q.key == key for q in found):
                self.fail(f"{path}.key", f"'{key}' is declared twice")
            entry = self.rules(self.get(p, "entry", path, list, []), f"{path}.entry", scope.at("entry"))
            entry_needs = self.get(p, "entry_needs", path, str, None)
            if p.get("entry") and entry_needs is None:
                self.fail(f"{path}.entry_needs", "missing: a pipeline with entry rules says in one line what they need")
            if key is not None and model.slugify(key) != key:
                self.fail(f"{path}.key", f"'{key}' must be a slug such as {model.slugify(key) or 'new-business'}")
            stages = self.stages_of(p, path, found, scope)
            if key and label and stages:
                found.append(model.Pipeline(key, label, stages, entry, entry_needs, self.get(p, "source", path, str, None)))
        return tuple(found)

    def stages_of(self, p: dict, path: str, earlier: list[model.Pipeline], scope: RuleScope) -> tuple[model.Stage, ...]:
        """A pipeline's stages: its own, or (`stages_from`) those of a pipeline declared before it."""
        if "stages_from" in p:
            source = self.get(p, "stages_from", path, str)
            if "stages" in p:
                self.fail(f"{path}.stages_from", "a pipeline has its own stages or those of another, not both")
            same = next((q for q in earlier if q.key == source), None)
            if source is not None and same is None:
                keys = ", ".join(q.key for q in earlier) or "none"
                self.fail(f"{path}.stages_from", f"pipeline '{source}' is not declared before this one (declared: {keys})")
            return same.stages if same else ()
        stages = tuple(s for s in (self.stage(s, f"{path}.stages[{j}]", scope)
                                   for j, s in enumerate(self.get(p, "stages", path, list, []))) if s)
        self.check_stages(stages, f"{path}.stages")
        return stages

    def stage(self, s, path: str, scope: RuleScope) -> model.Stage | None:
        if not isinstance(s, dict):
            self.fail(path, "must be a table")
            return None
        self.only(s, path, ("name", "probability", "reason", "source", "needs", "gate", "won", "lost", "won_order"))
        name, reason = self.get(s, "name", path, str), self.get(s, "reason", path, str)
        source = self.get(s, "source", path, str)
        probability = self.get(s, "probability", path, int)
        if probability is not None and not 0 <= probability <= 100:
            self.fail(f"{path}.probability", f"{probability} is outside 0-100 (a percentage)")
        won, lost = self.get(s, "won", path, bool, False), self.get(s, "lost", path, bool, False)
        if won and lost:
            self.fail(f"{path}.lost", "a stage is won or lost, not both")
        won_order = self.get(s, "won_order", path, int, None)
        rules = self.rules(self.get(s, "gate", path, list, []), f"{path}.gate", scope)
        needs = self.get(s, "needs", path, str, None)
        if s.get("gate") and needs is None:
            self.fail(f"{path}.needs", "missing: a stage with a gate says in one line what it needs")
        if lost and s.get("gate"):
            self.fail(f"{path}.gate", "the lost stage takes its lost reason category and details, not a gate")
        if None in (name, reason, source):
            return None
        return model.Stage(name, probability or 0, reason, source, model.Gate(rules, needs) if rules else None, won, lost,
                           won_order)

    def check_stages(self, stages: tuple[model.Stage, ...], path: str) -> None:
        names = [s.slug for s in stages]
        for j, s in enumerate(stages):
            if s.slug in names[:j]:
                self.fail(f"{path}[{j}].name", f"'{s.name}' is declared twice in this pipeline")
        if stages and stages[0].final:
            self.fail(f"{path}[0]", f"'{stages[0].name}' cannot be final: deals start in the first stage")
        won = [(j, s) for j, s in enumerate(stages) if s.won]
        lost = [(j, s) for j, s in enumerate(stages) if s.lost]
        if stages and not won:
            self.fail(path, "no stage is won: mark one `won = true`")
        if stages and len(lost) != 1:
            self.fail(path if not lost else f"{path}[{lost[1][0]}].lost", "a pipeline has one lost stage")
        orders = [s.won_order for _, s in won]
        if len(won) > 1 and (None in orders or len(set(orders)) != len(orders)):
            j, s = won[1]
            self.fail(f"{path}[{j}].won", f"two won stages ({won[0][1].name}, {s.name}) without an order: give each a "
                                          "distinct won_order, or keep one won stage")
        if won:
            first_won = won[0][0]
            for j, s in enumerate(stages):
                if j > first_won and s.open:
                    self.fail(f"{path}[{j}]", f"stage '{s.name}' cannot be reached: it comes after "
                                              f"'{stages[first_won].name}', which is won and final")

    def lead_statuses(self, t: dict, categories: tuple[str, ...]) -> model.LeadStatuses | None:
        path = "lead_statuses"
        self.only(t, path, ("values", "manual", "on_create", "on_open_deal", "after_close", "after_loss",
                            "by_direction", "ladder"))
        values = self.texts(t, "values", path)
        manual = self.texts(t, "manual", path, ())
        for i, v in enumerate(manual):
            self.one_of(v, values, f"{path}.manual[{i}]", "lead status")
        picked = {}
        for key in ("on_create", "on_open_deal", "after_close"):
            picked[key] = self.get(t, key, path, str)
            self.one_of(picked[key], values, f"{path}.{key}", "lead status")
        after_loss = self.mapping(t, "after_loss", path, categories, values, ())
        by_direction = self.mapping(t, "by_direction", path, DIRECTIONS, values, ())
        ladder = self.mapping(t, "ladder", path, values, int, ())
        return model.LeadStatuses(values, manual, picked["on_create"], picked["on_open_deal"], picked["after_close"],
                                  after_loss, by_direction, ladder)

    def lifecycle(self, t: dict, stage_names: tuple[str, ...]) -> model.Lifecycle | None:
        path = "lifecycle"
        self.only(t, path, ("values", "derived", "initial", "by_stage", "kept_after_loss_from", "manual", "kept",
                            "precedence"))
        values = self.texts(t, "values", path)
        derived = self.get(t, "derived", path, str)
        self.one_of(derived, LIFECYCLE_DERIVATIONS, f"{path}.derived", "derivation")
        initial = self.get(t, "initial", path, str)
        self.one_of(initial, values, f"{path}.initial", "lifecycle value")
        by_stage = self.mapping(t, "by_stage", path, stage_names, values, ())
        after_loss = self.get(t, "kept_after_loss_from", path, str, None)
        self.one_of(after_loss, stage_names, f"{path}.kept_after_loss_from", "stage")
        picked = {}
        for key in ("manual", "kept"):
            picked[key] = self.texts(t, key, path, ())
            for i, v in enumerate(picked[key]):
                self.one_of(v, values, f"{path}.{key}[{i}]", "lifecycle value")
        precedence = self.precedence(t, path, values)
        if derived == "furthest-deal-stage" and not by_stage:
            self.fail(f"{path}.by_stage", "missing: a furthest-deal-stage lifecycle gives each stage's value")
        if derived == "first-that-holds" and not precedence:
            self.fail(f"{path}.precedence", "missing: a first-that-holds lifecycle lists its values with their conditions")
        return model.Lifecycle(values, derived, initial, by_stage, after_loss, picked["manual"], picked["kept"],
                               precedence)

    def precedence(self, t: dict, path: str, values) -> tuple[tuple[str, tuple[str, ...]], ...]:
        found = []
        for i, item in enumerate(self.get(t, "precedence", path, list, [])):
            where = f"{path}.precedence[{i}]"
            if not isinstance(item, dict):
                self.fail(where, "must be a table { value = ..., when = [...] }")
                continue
            self.only(item, where, ("value", "when"))
            value, when = self.get(item, "value", where, str), self.texts(item, "when", where)
            self.one_of(value, values, f"{where}.value", "lifecycle value")
            for j, c in enumerate(when):
                self.one_of(c, tuple(LIFECYCLE_CONDITIONS), f"{where}.when[{j}]", "condition")
            if value is not None:
                found.append((value, when))
        return tuple(found)

    def deal_names(self, t: dict) -> model.DealNames | None:
        path = "deal_names"
        self.only(t, path, ("pattern", "lost_prefix"))
        pattern, prefix = self.get(t, "pattern", path, str), self.get(t, "lost_prefix", path, str)
        if pattern is not None:
            import string

            try:
                named = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
            except ValueError as e:
                self.fail(f"{path}.pattern", f"is not a pattern: {e}")
                named = []
            for f in named:
                if f not in PATTERN_FIELDS:
                    self.fail(f"{path}.pattern", f"the pattern names an unknown field '{{{f}}}': known fields are "
                                                 + ", ".join(f"{{{x}}}" for x in PATTERN_FIELDS))
        return model.DealNames(pattern, prefix) if pattern is not None and prefix is not None else None
