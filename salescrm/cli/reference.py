"""The command reference in docs/cli.md, generated from the commands themselves.

Regenerate with `python -m salescrm.cli.reference > docs/cli.md`; a test fails when
the file is stale or when a command lacks help text or an example.
"""

from __future__ import annotations

from collections.abc import Iterator

import typer

from salescrm.cli import placeholders
from salescrm.errors import EXIT_CODES_HELP

HEADER = """# salescrm command reference

Generated from the commands' own help by `python -m salescrm.cli.reference > docs/cli.md`;
`tests/test_docs.py` fails when this file is stale. Every command also answers `--help`.

## Global options

These go before the command group, e.g. `salescrm --db team.db deal list`.

{globals}

## Exit codes

{exit_codes}

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused by a rule of the process (a gate not met, a lost deal advanced, a backwards move, a duplicate, a wrong owner role, a record changed meanwhile) or record not found |
| 2 | invalid usage or value (a missing required option off a terminal, a malformed value or one outside its allowed choices) |
| 3 | the database cannot be reached, opened or written (a full or failing disk is said as such), or is at a schema this release cannot use; nothing was saved |
| 4 | the change was saved, but its output could not be written (stdout or stderr closed, full or failing: EBADF, ENOSPC, EIO); said on stderr when stderr still works. A closed pipe (`salescrm deal list \\| head -1`) is not a failure: exit 0 |
| 130 | interrupted (Ctrl-C): "Interrupted; nothing was saved.", or, when the command's one transaction had already committed, "the change was already saved" |
| 143 | terminated (SIGTERM): "Terminated; nothing was saved.", or "the change was already saved" as for 130 |

## Prompts and scripts

On a terminal (stdin and stdout both terminals, no `--no-input`), a required value not given as an
option is asked for. Anywhere else nothing is asked: a missing value exits 2 naming the option that
supplies it. `--json` writes JSON on stdout and nothing else there; without it, output is a table on a
terminal and tab-separated lines (ISO dates, no header) in a pipe. A command that prints more than one
table (`deal show`, `company show`, `contact show`, `audit`, `report cycle`, `report conversion`,
`report pipeline --compare`) precedes each of them, in a pipe, with one line `# name`, named after its
section on the terminal and, where there is one, after its key in the command's JSON: `# deal` (or
`# company`, `# contact`), `# gates`, `# contacts`, `# deals`, `# timeline`; for the audit `# summary`,
`# owners`, `# findings`; for the reports `# cycle`, `# by_class`, `# by_owner`, `# stage_median_days`,
`# stages`, `# entered`, `# moved`, `# won`, `# lost`, `# missing`, `# rates`, `# lost_reasons`.

On a terminal, tables fit its width without breaking a word or a number: ids, amounts, counts, dates,
times, emails and phones are never shortened; names and titles may be, with an ellipsis (…); stages,
statuses and texts wrap between words. Times in tables are local (`2026-11-30 14:02`). The audit's fix
commands are printed whole under its table, one per line (followed by `# ` and the numbers of the
findings they fix), so that they can be copied. `--limit 0`, like no `--limit`, lists everything.

A command that asks for a missing value also asks for the optional values not given (Enter skips
them: a contact's company, email and phone, a deal's contacts, a team member's login); a command
given every required value runs without a question. Every question comes before the command writes
anything. Ctrl-C or Ctrl-D at a prompt cancels the command: "Interrupted; nothing was saved.", exit
130. A company, a contact or a deal may be named by its id, its name (any case, accents optional) or a
unique part of the name; a part that matches several exits 1 and lists them.

## Text that cannot drive a terminal

Text typed as an option or an argument, at a prompt, or in a file (`lead add --from-json`) has CRLF read
as LF, then is refused (exit 2, naming the option or field) when it holds a control character: the C0
controls (tab included), DEL and the C1 controls (U+0080 to U+009F). A newline is allowed only in a
summary, a note (a lead's note, a BANT note in `--set`), a reason (`--reason`, a lost reason) and a deal's
description; names (companies, legal names, contacts, team members) also refuse the bidirectional controls
U+202A to U+202E and U+2066 to U+2069, which reorder how a name reads. Text the database holds anyway (rows
from before this rule, SQL edits) is printed escaped: `\\x1b`, `\\x9b`, `\\u202e` in tables, messages and
errors; in tab-separated output a tab, newline and carriage return are `\\t`, `\\n` and `\\r`, and a backslash
is doubled, so that every row stays one line. `--json` escapes DEL, the C1 and the bidirectional controls
as `\\u007f`, `\\u009b`, `\\u202e` (JSON escapes the C0 controls itself). Nothing stored is read as rich
markup: a name like `[bold]x[/]` prints as typed.

## JSON objects

`show --json` prints one object; `list --json` prints an array of every matching record (all of them
unless `--limit` is given), each with the fields of its `show` object except `history`. Amounts are in
currency units (`12000`, `12000.5`), beside the ISO 4217 code of their `currency`; dates are ISO
(`2027-03-31`), times ISO 8601 in UTC (`2026-11-23T09:00:00Z`).

Linked records are `{id, name}` objects (contacts also carry `email`), or null.

- deal: `id, name, stage, pipeline, country, company, company_id, description, amount, currency,
  weighted_amount, probability, close_date, deal_class, source, owner, owner_id, contacts [{id, name, email}],
  lost_reason_category, lost_reason, gates {key: value}, created_at, updated_at`, and in `deal show`,
  `history [{from, to, at, by}]` and `timeline`. A stage salescrm does not know (written by SQL) has
  `probability` and `weighted_amount` null; an `owner_id` that points at no team member has `owner` null.
- company: `id, name, country, website, legal_name, lead_status, lead_status_set_by, lead_status_set_at,
  contacts [{id, name, email}], deals [{id, name, stage, amount, currency}], created_at, updated_at`, and in
  `company show`, `timeline`.
- contact: `id, first_name, last_name, job_title, email, phone, channel, search_engine, keyword,
  source_page, lifecycle_stage, companies [{id, name}], created_at, updated_at`, and in `contact show`,
  `deals [{id, name, stage}]` and `timeline`.
- team member: `id, name, role, title, login`.
- activity: `id, type, direction, at, summary, by, contact, company, deal`.
- task: `id, title, due, owner, done, deal, company, contact, overdue`.
- timeline (newest first; the 15 newest unless `--all`): activities and tasks as above with
  `"kind": "activity"` or `"kind": "task"`, and stage changes `{"kind": "stage change", id, at, deal, from, to, by}`.
- `deal next-steps --json`: `[{"deal": id, "name", "stage", "owner", "next_task": {"id", "title", "due",
  "owner"} or null, "flag": null | "missing" | "overdue"}]`, deals with no next step first.
- Every write command takes `--json` and prints the record it names, in the shape of its `show --json`
  without `timeline` (a team member as in `team list --json`), so that a script can read the new id:
  `team add|set-login`, `company add|edit|set-status`, `contact add|edit`, `deal create|advance|edit|lose`,
  `task add`, `activity log`, `audit survey`. Other records it created or closed go under keys of that
  object: `follow_up` (the follow-up task of `company add` and `contact add`, or null), `closed_tasks`
  (`deal lose`: the tasks closed with the deal). `task done --json` prints an array of the tasks done,
  and `audit fix --json` an array of the renamed deals (its proposals then go to stderr).
- `lead add --json`: `{line, contact, company, new_contact, new_company, activity, follow_up}` (an array
  of them with `--from-json`), where `activity` is the id of the activity the lead was logged as: the
  inbound activity of a repeat lead, or, for a new contact, the `note` activity that keeps its `--note`
  (null without a note); `follow_up` is the follow-up task or null. With `--from-json --skip-invalid`,
  the command exits 1 when it skipped any lead, after registering the valid ones, whose JSON is still
  printed.
- `pipeline show --json`: `{"currency", "stages": [{"stage", "count", "amount", "weighted_amount"}, ...],
  "total": {"count", "amount", "weighted_amount"}}` over open deals (a stage salescrm does not know is
  listed last, weighted as nothing), when they are in one currency (or
  none: the database's). Amounts of different currencies are never added: with several,
  `{"currency": null, "by_currency": [{"currency", "stages", "total"}, ...]}`, the database's first.
- `db check --json`: `{"database", "backend", "sound", "checks": [{"check", "how", "problems": [...]}]}`, the
  checks that ran on this backend, in order; exit 1 when any has a problem.
"""


def command_tree() -> Iterator[tuple[list[str], object]]:
    """Every leaf command as (path, click command), in the order of `--help`."""
    from salescrm.cli.app import app

    root = typer.main.get_command(app)
    ctx = root.make_context("salescrm", [], resilient_parsing=True)

    def walk(group, path):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if hasattr(cmd, "list_commands"):
                if getattr(cmd, "invoke_without_command", False):  # `salescrm audit` runs itself too
                    yield path + [name], cmd
                yield from walk(cmd, path + [name])
            else:
                yield path + [name], cmd

    yield from walk(root, [])


def _option_rows(cmd) -> list[str]:
    rows = []
    for param in cmd.params:
        if getattr(param, "hidden", False) or param.name in ("help",):
            continue
        shown = placeholders.placeholder(param)  # as `--help` shows it
        if param.param_type_name == "argument":
            name = f"`{shown}`"
            required = "required" if param.required else "optional"
        else:
            name = ", ".join(f"`{o}`" for o in param.opts) + (f" `{shown}`" if shown else "")
            required = "repeatable" if param.multiple else ("flag" if param.is_flag else "")
        help_text = (placeholders.filled(getattr(param, "help", None)) or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {name} | {required} | {help_text} |")
    return rows


def render() -> str:
    from salescrm.cli.app import app

    root = typer.main.get_command(app)
    globals_table = "\n".join(["| option | kind | meaning |", "|---|---|---|"] + _option_rows(root))
    parts = [HEADER.replace("{globals}", globals_table).replace("{exit_codes}", EXIT_CODES_HELP)]
    for path, cmd in command_tree():
        title = "salescrm " + " ".join(path)
        parts.append(f"## `{title}`\n")
        parts.append((cmd.help or "").strip() + "\n")
        rows = _option_rows(cmd)
        if rows:
            parts.append("\n".join(["| argument / option | kind | meaning |", "|---|---|---|"] + rows) + "\n")
        if cmd.epilog:
            example = cmd.epilog.removeprefix("Example:").strip()
            parts.append(f"```\n{example}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
