"""Reading a process file's properties and rules: the declarations of `[[properties.deal]]`,
`[[properties.company]]` and `[[properties.contact]]`, and each rule of a gate, a pipeline's entry or a
transition, checked against the kind it names (rules.py) and the properties it reads. Part of load.py's
reader; every problem is noted with its key path."""

from __future__ import annotations

from salescrm.process import model
from salescrm.process.common import ACTIVITY_TYPES
from salescrm.process.reader import Reader
from salescrm.process.rules import KINDS, NEXT_STEP_ACTIVITIES, PLACES

# The value kinds a company-property or contact-property rule may `test` its property with.
TESTS = ("required", "yes", "equals", "one-of", "at-least", "date", "number > 0")
PROPERTY_KEYS = ("key", "type", "label", "choices", "titles", "default", "default_by_class", "past")


class RuleReader(Reader):
    """Properties and rules (load.py's `_Reader` is built on it)."""

    def properties(self, table: dict, classes: tuple[str, ...]) -> tuple[model.Property, ...]:
        import re

        key_form = re.compile(r"[a-z][a-z0-9_]*\Z")
        self.only(table, "properties", model.RECORDS)
        found: list[model.Property] = []
        for record in model.RECORDS:
            types = model.RECORD_TYPES[record]
            for i, p in enumerate(self.get(table, record, "properties", list, [])):
                path = f"properties.{record}[{i}]"
                if not isinstance(p, dict):
                    self.fail(path, "must be a table")
                    continue
                self.only(p, path, PROPERTY_KEYS if record == "deal" else PROPERTY_KEYS[:4] + ("past",))
                key, label = self.get(p, "key", path, str), self.get(p, "label", path, str)
                type_ = self.get(p, "type", path, str)
                if key is not None and not key_form.match(key):
                    self.fail(f"{path}.key", f"'{key}' must be lower-case letters, digits and _, starting with a letter")
                if (record == "deal" and key in model.DEAL_FIELDS) or any(q.key == key and q.record == record
                                                                          for q in found):
                    self.fail(f"{path}.key", f"'{key}' is declared twice (or is the deal's own field)")
                if type_ is not None and type_ not in types:
                    self.fail(f"{path}.type", f"unknown type '{type_}': choose one of {', '.join(types)}")
                choices = self.texts(p, "choices", path, ())
                if type_ in model.CHOICE_TYPES and not choices:
                    self.fail(f"{path}.choices", f"a{'n' if type_[0] == 'o' else ''} {type_} property lists its choices")
                if choices and type_ in types and type_ not in model.CHOICE_TYPES:
                    self.fail(f"{path}.choices", f"only a choice property lists choices, and '{key}' is a {type_}")
                if type_ == "multi-choice":
                    for j, c in enumerate(choices):
                        if "," in c:
                            self.fail(f"{path}.choices[{j}]", f"'{c}' has a comma, which separates a multi-choice's "
                                                              "stored choices")
                titles = self.mapping(p, "titles", path, choices, None, ())
                default = self.get(p, "default", path, str, None)
                self.one_of(default, choices, f"{path}.default", "choice")
                by_class = self.mapping(p, "default_by_class", path, classes, choices, ())
                past = self.get(p, "past", path, bool, False)
                if past and type_ != "date":
                    self.fail(f"{path}.past", "only a date can be `past`")
                if key and label and type_:
                    found.append(model.Property(key, label, type_, record, choices, titles, default, by_class, past))
        return tuple(found)

    def rules(self, items: list, path: str, scope: "RuleScope") -> tuple[model.Rule, ...]:
        return tuple(r for r in (self.rule(x, f"{path}[{k}]", scope) for k, x in enumerate(items)) if r)

    def rule(self, r, path: str, scope: "RuleScope", record: str | None = None) -> model.Rule | None:
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
        if record is None and scope.place not in kind.places:  # (a `test` stands where its rule does)
            where = " or ".join(PLACES[p] for p in kind.places)
            self.fail(f"{path}.kind", f"'{kind_name}' is not a rule of {PLACES[scope.place]}: it stands in {where}")
            return None
        self.only(r, path, ("kind", *(("property",) if kind.on_property else ()), *kind.params, *kind.optional))
        record = record or kind.record
        prop = field_name = None
        if kind.on_property:
            key = self.get(r, "property", path, str)
            if key is None:
                return None
            declared = [p for p in scope.properties if p.record == record]
            prop = next((p for p in declared if p.key == key), None)
            if prop is None and (record != "deal" or key not in kind.fields):
                known = ", ".join(p.key for p in declared) or "none"
                self.fail(f"{path}.property", f"a rule on an undeclared property '{key}': declare it under "
                                              f"[[properties.{record}]] (declared: {known})")
                return None
            field_name = None if prop else key
            if kind.record != "deal":  # company-property, contact-property: the rule its value must meet
                test = self.get(r, "test", path, str, "required")
                if test not in TESTS:
                    self.fail(f"{path}.test", f"unknown test '{test}': choose one of {', '.join(TESTS)}")
                    return None
                inner = {"kind": test, "property": key, **{p: r[p] for p in ("value", "values") if p in r}}
                before = len(self.problems)
                checked = self.rule(inner, path, scope, record)
                for problem in self.problems[before:]:  # the test's kind is the rule's `test`
                    if problem.path == f"{path}.kind":
                        problem.path = f"{path}.test"
                if checked is None:
                    return None
                return model.Rule(kind_name, prop, test=checked)
            type_ = prop.type if prop else model.DEAL_FIELDS[key]
            if kind.types is not None and type_ not in kind.types and type_ in model.RECORD_TYPES[record]:
                self.fail(f"{path}.kind", f"'{kind_name}' applies to a {' or '.join(kind.types)} property, and "
                                          f"'{key}' is a {type_}")
                return None
        return self.parameters(kind_name, r, path, scope, prop, field_name)

    def parameters(self, kind_name: str, r: dict, path: str, scope: "RuleScope", prop, field_name) -> model.Rule:
        kind = KINDS[kind_name]
        wanted = kind.params + kind.optional
        value = values = role = k = starts = hint = None
        roles: tuple[str, ...] = ()
        activities: tuple[str, ...] = ()
        since = False
        sub: tuple[model.Rule, ...] = ()
        if "value" in kind.params:
            value = self.get(r, "value", path, str)
            self.value_of(prop, value, f"{path}.value")
        if "values" in kind.params:
            values = self.texts(r, "values", path)
            for i, v in enumerate(values):
                self.value_of(prop, v, f"{path}.values[{i}]")
        if "role" in kind.params:
            role = self.get(r, "role", path, str)
            self.one_of(role, scope.codes, f"{path}.role", "role")
        if "roles" in kind.params:
            roles = self.texts(r, "roles", path)
            for i, code in enumerate(roles):
                self.one_of(code, scope.codes, f"{path}.roles[{i}]", "role")
        if "activities" in wanted:
            activities = self.texts(r, "activities", path, NEXT_STEP_ACTIVITIES)
            for i, t in enumerate(activities):
                self.one_of(t, ACTIVITY_TYPES, f"{path}.activities[{i}]", "activity type")
            if not activities:
                self.fail(f"{path}.activities", "lists no activity type")
        if "starts_with" in wanted:
            starts = self.get(r, "starts_with", path, str, None)
            since = self.get(r, "since_entered", path, bool, False)
            hint = self.get(r, "hint", path, str, None)
        if "rules" in kind.params:
            items = self.get(r, "rules", path, list, [])
            k = self.get(r, "k", path, int) if "k" in kind.params else self.get(r, "k", path, int, 1)
            sub = self.rules(items, f"{path}.rules", scope)
            if kind_name == "k-of-n" and any(x.kind == "k-of-n" or x.record != "deal" for x in sub):
                self.fail(f"{path}.rules", "a k-of-n groups rules on the deal's properties (any-of groups any rules)")
            if k is not None and not 1 <= k <= len(items):
                self.fail(f"{path}.k", f"k is {k}, and must be from 1 to the number of rules ({len(items)})")
        titles = tuple((x.code, x.title) for x in scope.roles) if role or roles else ()
        return model.Rule(kind_name, prop, field_name, value, values or (), role, titles, k, sub, roles=roles,
                          activities=activities, starts_with=starts, since_entered=since, hint=hint)

    def value_of(self, prop: model.Property | None, value: str | None, path: str) -> None:
        """A rule's `value` (or one of its `values`) must be a choice of its choice property, or yes/no."""
        if value is None or prop is None:
            return
        if prop.type in model.CHOICE_TYPES:
            self.one_of(value, prop.choices, path, "choice")
        elif prop.type == "yes/no":
            self.one_of(value, ("yes", "no"), path, "value")


class RuleScope:
    """What a rule may refer to, and where it stands (a key of rules.PLACES)."""

    def __init__(self, properties, codes, roles, place: str = "gate"):
        self.properties, self.codes, self.roles, self.place = properties, codes, roles, place

    def at(self, place: str) -> "RuleScope":
        return RuleScope(self.properties, self.codes, self.roles, place)
