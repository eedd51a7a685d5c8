"""What a revision of a process changes: two processes compared key by key (`salescrm process diff`).

Each process is first made a snapshot (nested dicts of plain values, stages and properties by name, a
gate as the text of its rules), and the snapshots are compared recursively; a change is a key path with
the old and the new value (None: absent). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from salescrm.process.model import Process
from salescrm.process.views import rule_text


@dataclass(frozen=True)
class Change:
    path: str  # `pipelines.sales.stages."Offer Sent".probability`
    old: object  # None: added
    new: object  # None: removed

    @property
    def sign(self) -> str:
        return "+" if self.old is None else "-" if self.new is None else "~"

    def as_object(self) -> dict:
        return {"path": self.path, "change": {"+": "added", "-": "removed", "~": "changed"}[self.sign],
                "old": self.old, "new": self.new}


def snapshot(p: Process) -> dict:
    return {
        "title": p.title,
        "pipelines": {pl.key: {
            "label": pl.label,
            "entry": [rule_text(r) for r in pl.entry], "entry_needs": pl.entry_needs, "source": pl.source,
            "order": [s.name for s in pl.stages],
            "stages": {s.name: {"probability": s.probability, "won": s.won, "lost": s.lost, "won_order": s.won_order,
                                "reason": s.reason, "source": s.source, "needs": s.gate.rule if s.gate else None,
                                "requires": [rule_text(r) for r in s.rules]} for s in pl.stages},
        } for pl in p.pipelines},
        "properties": {f"{q.record}.{q.key}": {"label": q.label, "type": q.type, "choices": list(q.choices),
                                               "titles": dict(q.titles), "default": q.default,
                                               "default_by_class": dict(q.default_by_class), "past": q.past}
                       for q in p.properties},
        "deal_classes": list(p.deal_classes),
        "lost_categories": list(p.lost_categories),
        "recyclable": list(p.recyclable),
        "company_requires": list(p.company_requires),
        "lead_statuses": {"values": list(p.lead_statuses.values), "manual": list(p.lead_statuses.manual),
                          "on_create": p.lead_statuses.on_create, "on_open_deal": p.lead_statuses.on_open_deal,
                          "after_close": p.lead_statuses.after_close, "after_loss": dict(p.lead_statuses.after_loss),
                          "by_direction": dict(p.lead_statuses.by_direction), "ladder": dict(p.lead_statuses.ladder)},
        "lifecycle": {"values": list(p.lifecycle.values), "derived": p.lifecycle.derived, "initial": p.lifecycle.initial,
                      "by_stage": dict(p.lifecycle.by_stage), "kept_after_loss_from": p.lifecycle.kept_after_loss_from,
                      "manual": list(p.lifecycle.manual), "kept": list(p.lifecycle.kept),
                      "precedence": [f"{v}: {', '.join(when)}" for v, when in p.lifecycle.precedence]},
        "automations": [f"on entering {a.stage}" + (f" in {', '.join(a.pipelines)}" if a.pipelines else "")
                        + f": task '{a.title}' for {a.assignee}, due in {a.due}" for a in p.automations],
        "backout": None if p.backout is None else {
            "name": p.backout.name, "from": p.backout.from_stage, "to": p.backout.to_stage,
            "action": p.backout.action, "rules": [rule_text(r) for r in p.backout.rules], "source": p.backout.source},
        "sop": None if p.sop is None else {"heading": p.sop.heading,
                                           "lines": [f"{x.record}.{x.key}: {x.label}" for x in p.sop.lines]},
        "roles": {"job_descriptions": {r.code: r.title for r in p.roles}, "owners": list(p.owner_roles),
                  "signers": list(p.signer_roles)},
        "deal_names": {"pattern": p.deal_names.pattern, "lost_prefix": p.deal_names.lost_prefix},
    }


def changes(old: Process, new: Process) -> list[Change]:
    """Every key whose value differs between `old` and `new`, in the order of the snapshot."""
    from salescrm.process.reader import quoted

    found: list[Change] = []

    def walk(a, b, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                sub = f"{path}.{quoted(key)}" if path else quoted(key)
                if key not in b:
                    found.append(Change(sub, a[key], None))
                elif key not in a:
                    found.append(Change(sub, None, b[key]))
                else:
                    walk(a[key], b[key], sub)
        elif a != b:
            found.append(Change(path, a, b))

    walk(snapshot(old), snapshot(new), "")
    return found
