"""Every command's text options and arguments pass the domain's one check of typed characters
(`salescrm.typed_text.plain_text`) before the command runs: CRLF is read as LF, and a control
character is refused (exit 2) naming the option, whether the value is stored, looked up or filtered on.

A newline passes here only in the options that may span lines (and `--set`, whose gate values the
domain checks one by one); the domain checks each stored value again under its own label.
"""

from __future__ import annotations

import functools

from typer.core import TyperArgument

# Parameters (by their Python name) whose text may span lines: the summaries, notes, reasons,
# descriptions and lost reasons of values.MULTILINE_FIELDS, and the `--set KEY=VALUE` gate values.
MULTILINE_PARAMS = frozenset({"summary", "note", "reason", "description", "lost_reason", "set_"})


def _label(param) -> str:
    if isinstance(param, TyperArgument):
        return f"Argument {param.name.upper()}"
    return next((o for o in param.opts if o.startswith("--")), param.opts[0])


def _checked(callback, params):
    by_name = {p.name: p for p in params}

    @functools.wraps(callback)
    def run(**kwargs):
        for name, value in kwargs.items():
            param = by_name.get(name)
            if param is None or value is None:
                continue
            lines = name in MULTILINE_PARAMS
            if isinstance(value, str):
                kwargs[name] = _plain_text(value, _label(param), lines=lines)
            elif isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
                kwargs[name] = type(value)(_plain_text(v, _label(param), lines=lines) if isinstance(v, str) else v
                                           for v in value)
        return callback(**kwargs)

    run.salescrm_typed = True
    return run


def _plain_text(value: str, label: str, *, lines: bool) -> str:
    from salescrm.typed_text import plain_text  # imported once a command has text to check

    return plain_text(value, label, lines=lines)


def apply(command) -> None:
    """Check the text parameters of `command` (and, for a group, of every command in it) when it runs."""
    for sub in getattr(command, "commands", {}).values():
        apply(sub)
    if command.callback is not None and not getattr(command.callback, "salescrm_typed", False):
        command.callback = _checked(command.callback, command.params)
