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
from salescrm.process.reader import Problem, Reader
from salescrm.process.rules import KINDS

SHIPPED_DIR = Path(__file__).with_name("shipped")
DEFAULT = "sp-009-001"
PATTERN_FIELDS = ("country", "company", "description")  # what a deal name is built from
LIFECYCLE_DERIVATIONS = ("furthest-deal-stage",)
KEY = re.compile(r"[a-z][a-z0-9_]*\Z")


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


class _Reader(Reader):
    """Reads the parsed tables into the model, noting each problem with its key path."""

    def process(self, data: dict) -> model.Process | None:
        self.only(data, "", ("name", "revision", "title", "deal_classes", "deal_names", "lost_reasons", "roles",
                             "lead_statuses", "lifecycle", "properties", "pipelines"))
        name = self.get(data, "name", "", str)
        revision = self.get(data, "revision", "", int)
        if revision is not None and revision < 1:
            self.fail("revision", f"must be 1 or more, not {revision}")
        classes = self.texts(data, "deal_classes", "", ())
        lost = self.get(data, "lost_reasons", "", dict, {})
        self.only(lost, "lost_reasons", ("categories",))
        categories = self.texts(lost, "categories", "lost_reasons")
        roles, owners, signers = self.roles(self.get(data, "roles", "", dict, {}))
        properties = self.properties(self.get(data, "properties", "", dict, {}), classes)
        codes = tuple(r.code for r in roles)
        pipelines = self.pipelines(self.get(data, "pipelines", "", list, []), properties, codes, roles)
        stage_names = tuple(dict.fromkeys(s.name for p in pipelines for s in p.stages))
        leads = self.lead_statuses(self.get(data, "lead_statuses", "", dict, {}), categories)
        lifecycle = self.lifecycle(self.get(data, "lifecycle", "", dict, {}), stage_names)
        names = self.deal_names(self.get(data, "deal_names", "", dict, {}))
        if self.problems:
            return None
        return model.Process(name, revision, self.get(data, "title", "", str, name), pipelines, properties, classes,
                             categories, leads, lifecycle, roles, owners, signers, names)

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

    def properties(self, table: dict, classes: tuple[str, ...]) -> tuple[model.Property, ...]:
        self.only(table, "properties", ("deal",))
        found: list[model.Property] = []
        for i, p in enumerate(self.get(table, "deal", "properties", list, [])):
            path = f"properties.deal[{i}]"
            if not isinstance(p, dict):
                self.fail(path, "must be a table")
                continue
            self.only(p, path, ("key", "type", "label", "choices", "titles", "default", "default_by_class", "past"))
            key, label = self.get(p, "key", path, str), self.get(p, "label", path, str)
            type_ = self.get(p, "type", path, str)
            if key is not None and not KEY.match(key):
                self.fail(f"{path}.key", f"'{key}' must be lower-case letters, digits and _, starting with a letter")
            if key in model.DEAL_FIELDS or any(q.key == key for q in found):
                self.fail(f"{path}.key", f"'{key}' is declared twice (or is the deal's own field)")
            if type_ is not None and type_ not in model.FIELD_KIND:
                self.fail(f"{path}.type", f"unknown type '{type_}': choose one of {', '.join(model.FIELD_KIND)}")
            choices = self.texts(p, "choices", path, ())
            if type_ == "choice" and not choices:
                self.fail(f"{path}.choices", "a choice property lists its choices")
            titles = self.mapping(p, "titles", path, choices, None, ())
            default = self.get(p, "default", path, str, None)
            self.one_of(default, choices, f"{path}.default", "choice")
            by_class = self.mapping(p, "default_by_class", path, classes, choices, ())
            past = self.get(p, "past", path, bool, False)
            if past and type_ != "date":
                self.fail(f"{path}.past", "only a date can be `past`")
            if key and label and type_:
                found.append(model.Property(key, label, type_, "deal", choices, titles, default, by_class, past))
        return tuple(found)

    def pipelines(self, items: list, properties, codes, roles) -> tuple[model.Pipeline, ...]:
        if not items:
            self.fail("pipelines", "missing: a process declares at least one pipeline")
        found = []
        for i, p in enumerate(items):
            path = f"pipelines[{i}]"
            if not isinstance(p, dict):
                self.fail(path, "must be a table")
                continue
            self.only(p, path, ("key", "label", "stages"))
            key, label = self.get(p, "key", path, str), self.get(p, "label", path, str)
            if key is not None and model.slugify(key) != key:
                self.fail(f"{path}.key", f"'{key}' must be a slug such as {model.slugify(key) or 'new-business'}")
            stages = tuple(s for s in (self.stage(s, f"{path}.stages[{j}]", properties, codes, roles)
                                       for j, s in enumerate(self.get(p, "stages", path, list, []))) if s)
            self.check_stages(stages, f"{path}.stages")
            if key and label and stages:
                found.append(model.Pipeline(key, label, stages))
        return tuple(found)

    def stage(self, s, path: str, properties, codes, roles) -> model.Stage | None:
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
        rules = tuple(r for r in (self.rule(r, f"{path}.gate[{k}]", properties, codes, roles)
                                  for k, r in enumerate(self.get(s, "gate", path, list, []))) if r)
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

    def rule(self, r, path: str, properties, codes, roles) -> model.Rule | None:
        if not isinstance(r, dict):
            self.fail(path, "must be a table { kind = ..., property = ... }")
            return None
        kind_name = self.get(r, "kind", path, str)
        if kind_name is None:
            return None
        kind = KINDS.get(kind_name)
        if kind is None:
            self.fail(f"{path}.kind", f"unknown rule kind '{kind_name}': known kinds are {', '.join(KINDS)}")
            return None
        self.only(r, path, ("kind", *(("property",) if kind.on_property else ()), *kind.params))
        prop = field_name = None
        if kind.on_property:
            key = self.get(r, "property", path, str)
            if key is None:
                return None
            prop = next((p for p in properties if p.key == key), None)
            if prop is None and key not in kind.fields:
                known = ", ".join(p.key for p in properties) or "none"
                self.fail(f"{path}.property", f"a rule on an undeclared property '{key}': declare it under "
                                              f"[[properties.deal]] (declared: {known})")
                return None
            field_name = None if prop else key
            type_ = prop.type if prop else model.DEAL_FIELDS[key]
            if kind.types is not None and type_ not in kind.types:
                self.fail(f"{path}.kind", f"'{kind_name}' applies to a {' or '.join(kind.types)} property, and "
                                          f"'{key}' is a {type_}")
                return None
        params = {p: r.get(p) for p in kind.params}
        value = values = role = k = None
        sub: tuple[model.Rule, ...] = ()
        if "value" in params:
            value = self.get(r, "value", path, str)
            if value is not None and kind_name == "at-least":
                self.one_of(value, prop.choices, f"{path}.value", "choice")
        if "values" in params:
            values = self.texts(r, "values", path)
        if "role" in params:
            role = self.get(r, "role", path, str)
            self.one_of(role, codes, f"{path}.role", "role")
        if "k" in params:
            k = self.get(r, "k", path, int)
            sub = tuple(x for x in (self.rule(x, f"{path}.rules[{i}]", properties, codes, roles)
                                    for i, x in enumerate(self.get(r, "rules", path, list, []))) if x)
            if any(x.kind == "k-of-n" or x.property is None for x in sub):
                self.fail(f"{path}.rules", "a k-of-n groups rules on properties")
            if k is not None and not 1 <= k <= len(r.get("rules") or ()):
                self.fail(f"{path}.k", f"k is {k}, and must be from 1 to the number of rules ({len(r.get('rules') or ())})")
        titles = tuple((x.code, x.title) for x in roles) if role else ()
        return model.Rule(kind_name, prop, field_name, value, values or (), role, titles, k, sub)

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
        self.only(t, path, ("values", "derived", "initial", "by_stage", "kept_after_loss_from"))
        values = self.texts(t, "values", path)
        derived = self.get(t, "derived", path, str)
        self.one_of(derived, LIFECYCLE_DERIVATIONS, f"{path}.derived", "derivation")
        initial = self.get(t, "initial", path, str)
        self.one_of(initial, values, f"{path}.initial", "lifecycle value")
        by_stage = self.mapping(t, "by_stage", path, stage_names, values, ())
        kept = self.get(t, "kept_after_loss_from", path, str, None)
        self.one_of(kept, stage_names, f"{path}.kept_after_loss_from", "stage")
        return model.Lifecycle(values, derived, initial, by_stage, kept)

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
