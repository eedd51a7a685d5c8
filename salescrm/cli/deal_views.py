"""How deals are shown on a terminal or in a pipe: `deal show`'s details, `deal list`'s owners, and the
next steps of `deal next-steps` and `report next-steps` (cli/output.py renders the tables)."""

from __future__ import annotations

from salescrm.cli import output


def owner_shown(owner: str | None, owner_id: int | None) -> str:
    """A deal's owner in a table: its name, or the stored id when it points at no team member (written by SQL)."""
    return owner if owner is not None else f"#{owner_id} (no such team member)"


def render_deal(obj: dict) -> None:
    """`deal show`'s fields and gate values (the timeline and what the next stage needs follow)."""
    pairs = [
        ("Deal", f"{obj['name']} (id {obj['id']})"),
        ("Stage", f"{obj['stage']} ({obj['probability']} %), pipeline {obj['pipeline']}" if obj["probability"] is not None
         else f"{obj['stage']} (a stage salescrm does not know), pipeline {obj['pipeline']}"),
        ("Company", obj["company"]),
        ("Country", obj["country"]),
        ("Description", obj["description"]),
        ("Amount", f"{output.money(obj['amount'])} {obj['currency']}" + (
            f" (weighted {output.money(obj['weighted_amount'])})" if obj["weighted_amount"] is not None else "")),
        ("Close date", obj["close_date"]),
        ("Class", obj["deal_class"]),
        ("Source", obj["source"]),
        ("Owner", owner_shown(obj["owner"], obj["owner_id"])),
        ("Contacts", ", ".join(f"{c['name']} <{c['email']}>" if c["email"] else c["name"] for c in obj["contacts"]) or "-"),
    ]
    if obj["lost_reason_category"]:
        pairs.append(("Lost reason", f"{obj['lost_reason_category']}: {obj['lost_reason']}"))
    output.details(pairs, section="deal")
    if obj["gates"]:
        output.heading("Gate values", "gates")
        output.table(["Key", ("Value", output.TEXT)], list(obj["gates"].items()))


def render_next_steps(items, json: bool) -> None:
    """The next steps as a JSON array or a table (`deal next-steps` and `report next-steps`), streamed."""
    if json:
        output.print_json_array(items)
        return
    flags = {"missing": "NO NEXT STEP", "overdue": "OVERDUE", None: ""}
    if not output.is_terminal():
        output.table(
            ["Deal", "Name", "Stage", "Owner", "Next step", "Due", "Flag"],
            ((d["deal"], d["name"], d["stage"], d["owner"], d["next_task"]["title"] if d["next_task"] else "-",
              output.when(d["next_task"]["due"]) if d["next_task"] else "-", flags[d["flag"]]) for d in items),
        )
        return
    # On a terminal the flag leads the next step's column, which leaves the names room at 80 columns.
    output.table(
        [("Deal", output.ID), ("Name", output.NAME), "Stage", ("Owner", output.NAME), ("Next step", output.NAME),
         ("Due", output.TIME)],
        ((d["deal"], d["name"], d["stage"], d["owner"],
          (f"{flags[d['flag']]}: " if d["flag"] == "overdue" else "") + d["next_task"]["title"] if d["next_task"] else flags["missing"],
          output.when(d["next_task"]["due"]) if d["next_task"] else "-") for d in items),
    )
