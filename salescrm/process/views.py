"""A process as data for `salescrm process show`: its JSON object, and the text of each rule and stage."""

from __future__ import annotations

from salescrm.errors import InvalidValue
from salescrm.process.model import Pipeline, Process, Rule, Stage


def chosen(proc: Process, pipeline: str | None, stage: str | None) -> list[tuple[Pipeline, tuple[Stage, ...]]]:
    """The pipelines (and, with `stage`, the one stage of each that has it) the options pick."""
    pipelines = list(proc.pipelines)
    if pipeline is not None:
        try:
            pipelines = [proc.pipeline(pipeline)]
        except KeyError:
            names = ", ".join(f"{p.key} ({p.label})" for p in proc.pipelines)
            raise InvalidValue(f"Unknown pipeline '{pipeline}': choose one of {names}.") from None
    if stage is None:
        return [(p, p.stages) for p in pipelines]
    picked = []
    for p in pipelines:
        try:
            picked.append((p, (p.stage(stage),)))
        except KeyError:
            continue
    if not picked:
        names = ", ".join(dict.fromkeys(s.name for p in pipelines for s in p.stages))
        raise InvalidValue(f"Unknown stage '{stage}': choose one of {names}.")
    return picked


def rule_object(rule: Rule) -> dict:
    obj: dict = {"kind": rule.kind}
    if rule.property is not None:
        obj.update(property=rule.property.key, label=rule.property.label, type=rule.property.type)
        if rule.property.choices:
            obj["choices"] = list(rule.property.choices)
    elif rule.field_name:
        obj["field"] = rule.field_name
    if rule.value is not None:
        obj["value"] = rule.value
    if rule.values:
        obj["values"] = list(rule.values)
    if rule.role:
        obj["role"] = rule.role
    if rule.kind in ("k-of-n", "any-of"):
        obj.update(k=rule.k, rules=[rule_object(r) for r in rule.rules])
    if rule.property is not None and rule.property.record != "deal":
        obj["record"] = rule.property.record
    if rule.test is not None:
        obj["test"] = rule.test.kind
        obj.update({k: v for k, v in rule_object(rule.test).items() if k in ("value", "values")})
    if rule.roles:
        obj["roles"] = list(rule.roles)
    if rule.activities:
        obj["activities"] = list(rule.activities)
    if rule.starts_with is not None:
        obj["starts_with"] = rule.starts_with
    if rule.since_entered:
        obj["since_entered"] = True
    return obj


def stage_object(stage: Stage) -> dict:
    return {"name": stage.name, "slug": stage.slug, "probability": stage.probability, "won": stage.won,
            "lost": stage.lost, "reason": stage.reason, "source": stage.source,
            "needs": stage.gate.rule if stage.gate else None, "requires": [rule_object(r) for r in stage.rules]}


def process_object(proc: Process, pipelines: list[tuple[Pipeline, tuple[Stage, ...]]]) -> dict:
    return {"name": proc.name, "revision": proc.revision, "title": proc.title,
            "pipelines": [{"name": p.label, "key": p.key, **({"entry": [rule_object(r) for r in p.entry],
                                                               "entry_needs": p.entry_needs} if p.entry else {}),
                           "stages": [stage_object(s) for s in stages]}
                          for p, stages in pipelines]}


def rule_text(rule: Rule) -> str:
    """One rule in words: `yes: segment_verified`, `3 of: budget, authority, need, timeline`."""
    if rule.kind in ("k-of-n", "any-of"):
        return f"{rule.k} of: " + ", ".join(rule_text(r) for r in rule.rules)
    key = rule.key
    if rule.kind == "company-property":
        return f"the company's {rule_text(rule.test)}"
    if rule.kind == "contact-property":
        return f"a contact of the deal with {rule_text(rule.test)}"
    if rule.kind == "has-next-step":
        return f"a next step: an open task, or {' / '.join(rule.activities)} since the deal entered its stage"
    if rule.kind == "has-activity":
        starting = f" starting {rule.starts_with}" if rule.starts_with else ""
        since = " since the deal entered its stage" if rule.since_entered else ""
        return f"{' / '.join(rule.activities)} on the deal{starting}{since}"
    if rule.kind == "company-has-won-deal":
        return "the company has a won deal (not backed out)"
    if rule.kind == "acting-user-role":
        return f"the acting user is a team member with role {' or '.join(rule.roles)}"
    if rule.kind == "required":
        return f"{key} known"
    if rule.kind in ("equals", "at-least"):
        return f"{key} {rule.kind} {rule.value}"
    if rule.kind == "one-of":
        return f"{key} one of {', '.join(rule.values)}"
    if rule.kind == "member-with-role":
        return f"{key}: a team member with role {rule.role}"
    if rule.kind == "contact-of-company":
        return f"{key}: a contact of the deal's company"
    if rule.kind == "number > 0":
        return f"{key} above 0"
    if rule.kind == "date":
        return f"{key} known" + (", not in the future" if rule.property.past else "")
    return f"{key} is yes"


def needs_text(pipeline: Pipeline, stage: Stage) -> str:
    """What moving into `stage` needs, in one line (`process show`'s table)."""
    if stage.gate:
        return stage.gate.rule
    if stage is pipeline.first:
        return f"(deals start here) {pipeline.entry_needs}" if pipeline.entry else "(deals start here)"
    if stage.lost:
        return "a lost reason category and its details (salescrm deal lose)"
    return "nothing more"


def stage_details(pipeline: Pipeline, stage: Stage) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [
        ("stage", stage.name), ("pipeline", f"{pipeline.label} ({pipeline.key})"), ("probability", f"{stage.probability} %"),
        ("final", "won" if stage.won else "lost" if stage.lost else "no"), ("reason", stage.reason),
        ("source", stage.source), ("needs", needs_text(pipeline, stage)),
    ]
    if stage is pipeline.first and pipeline.entry:
        pairs += [(f"entry rule {n}", f"{r.kind}: {rule_text(r)}") for n, r in enumerate(pipeline.entry, 1)]
    for n, rule in enumerate(stage.rules, 1):
        label = f" ({rule.property.label})" if rule.property else ""
        pairs.append((f"rule {n}", f"{rule.kind}: {rule_text(rule)}{label}"))
    return pairs
