"""Reading what a process file declares besides its pipelines: the tasks created on entering a stage
(`[[automations]]`), the one transition from won to lost (`[backout]`), and the summary note built from a
deal's values (`[sop]`). Part of load.py's reader; every problem is noted with its key path."""

from __future__ import annotations

import re
import string

from salescrm.process import model
from salescrm.process.load_rules import RuleReader, RuleScope

TITLE_FIELDS = ("company", "deal")  # what an automation's task title may name
OWNER = "owner"  # an automation's assignee: the deal's owner
_DUE = re.compile(r"(?:\d+[wdhm])+\Z")  # a duration, as `task add --due` takes it (domain/times.py)


class ActionReader(RuleReader):
    def automations(self, items: list, pipelines, scope: RuleScope) -> tuple[model.Automation, ...]:
        found = []
        for i, a in enumerate(items):
            path = f"automations[{i}]"
            if not isinstance(a, dict):
                self.fail(path, "must be a table")
                continue
            self.only(a, path, ("stage", "pipelines", "title", "assignee", "due", "source"))
            stage, title = self.get(a, "stage", path, str), self.get(a, "title", path, str)
            assignee, due = self.get(a, "assignee", path, str), self.get(a, "due", path, str)
            keys = self.texts(a, "pipelines", path, ())
            chosen = [p for p in pipelines if not keys or p.key in keys]
            for j, key in enumerate(keys):
                self.one_of(key, tuple(p.key for p in pipelines), f"{path}.pipelines[{j}]", "pipeline")
            if stage is not None and chosen and not all(any(s.name == stage for s in p.stages) for p in chosen):
                missing = ", ".join(p.key for p in chosen if not any(s.name == stage for s in p.stages))
                self.fail(f"{path}.stage", f"stage '{stage}' is not a stage of {missing}")
            if title is not None:
                self.pattern(title, f"{path}.title", TITLE_FIELDS)
            self.one_of(assignee, (OWNER, *scope.codes), f"{path}.assignee", "assignee")
            if due is not None and not _DUE.match(due.replace(" ", "")):
                self.fail(f"{path}.due", f"'{due}' is not a due offset: give a duration such as 1d, 2d or 4h")
            if None not in (stage, title, assignee, due):
                found.append(model.Automation(stage, title, assignee, due, keys, self.get(a, "source", path, str, "")))
        return tuple(found)

    def pattern(self, text: str, path: str, fields: tuple[str, ...]) -> None:
        try:
            named = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as e:
            self.fail(path, f"is not a pattern: {e}")
            return
        for f in named:
            if f not in fields:
                self.fail(path, f"the pattern names an unknown field '{{{f}}}': known fields are "
                                + ", ".join(f"{{{x}}}" for x in fields))

    def backout(self, t: dict | None, pipelines, scope: RuleScope) -> model.Transition | None:
        if t is None:
            return None
        path = "backout"
        self.only(t, path, ("name", "from", "to", "action", "rules", "source"))
        name, action = self.get(t, "name", path, str), self.get(t, "action", path, str)
        origin, target = self.get(t, "from", path, str), self.get(t, "to", path, str)
        having = [p for p in pipelines if any(s.name == origin for s in p.stages)]
        if origin is not None and pipelines and not having:
            self.fail(f"{path}.from", f"stage '{origin}' is not a stage of any pipeline")
        not_won = [p.key for p in having if not next(s for s in p.stages if s.name == origin).won]
        if not_won:
            self.fail(f"{path}.from", f"'{origin}' is not won in {', '.join(not_won)}: a back-out leaves a won stage")
        other = [f"{p.key} ({p.lost.name})" for p in having if target is not None and p.lost.name != target]
        if other:
            self.fail(f"{path}.to", f"'{target}' is not the lost stage of {', '.join(other)}")
        rules = self.rules(self.get(t, "rules", path, list, []), f"{path}.rules", scope.at("transition"))
        if not t.get("rules"):
            self.fail(f"{path}.rules", "missing: a back-out names who may make it (acting-user-role)")
        if None in (name, action, origin, target):
            return None
        return model.Transition(name, origin, target, rules, action, self.get(t, "source", path, str, ""))

    def summary(self, t: dict | None, properties) -> model.Summary | None:
        if t is None:
            return None
        path = "sop"
        self.only(t, path, ("heading", "lines", "source"))
        heading = self.get(t, "heading", path, str)
        lines = []
        for i, item in enumerate(self.get(t, "lines", path, list) or []):
            where = f"{path}.lines[{i}]"
            if not isinstance(item, dict):
                self.fail(where, "must be a table { deal = KEY } or { company = KEY }, with an optional label")
                continue
            self.only(item, where, ("deal", "company", "label"))
            records = [r for r in ("deal", "company") if r in item]
            if len(records) != 1:
                self.fail(where, "names one value: { deal = KEY } or { company = KEY }")
                continue
            record = records[0]
            key, label = self.get(item, record, where, str), self.get(item, "label", where, str, None)
            prop = next((p for p in properties if p.record == record and p.key == key), None)
            if key is None:
                continue
            if prop is None and key not in model.SUMMARY_FIELDS[record]:
                known = ", ".join([*model.SUMMARY_FIELDS[record], *(p.key for p in properties if p.record == record)])
                self.fail(f"{where}.{record}", f"'{key}' is neither a {record} field nor a declared {record} "
                                               f"property: choose one of {known}")
                continue
            if prop is None and label is None:
                self.fail(f"{where}.label", f"missing: the {record}'s own field {key} takes a label")
                continue
            lines.append(model.SummaryLine(record, key, label or prop.label))
        if heading is None:
            return None
        return model.Summary(heading, tuple(lines), self.get(t, "source", path, str, ""))
