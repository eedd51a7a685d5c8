"""What `--help` shows after an option or an argument: `--amount AMOUNT`, `deal show DEAL`, nothing after a flag.

Typer 0.29 prints the Python type of every parameter (`<str>`, `<bool>` even on plain flags,
`<list[str]>`, `<int range> [x>=0]`) and wraps a required argument in braces in the usage line
(`{deal}`), whatever the parameter means. Here one table names what each option and argument takes,
and `apply` gives every command those placeholders once Typer has built it (cli/app.py calls it for
each command group as it is loaded), so no command declares a metavar of its own unless it wants a
more precise one (`--scores Q1,Q2,Q3,Q4`): a new option gets the placeholder of its kind.
"""

from __future__ import annotations

from pathlib import Path

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

# Options by their long name, arguments by their parameter name. Anything not listed is TEXT, a
# number N, or a FILE, by its type.
OPTIONS = {
    "--amount": "AMOUNT",
    "--currency": "CODE",
    "--close-date": "DATE",
    "--at": "WHEN",
    "--since": "DATE",
    "--until": "DATE",
    "--compare": "DATE",
    "--due": "WHEN",
    "--company": "COMPANY",
    "--add-company": "COMPANY",
    "--remove-company": "COMPANY",
    "--distinct-from": "COMPANY",
    "--contact": "CONTACT",
    "--add-contact": "CONTACT",
    "--remove-contact": "CONTACT",
    "--deal": "DEAL",
    "--from": "DEAL",
    "--owner": "MEMBER",
    "--by": "USER",
    "--class": "CLASS",
    "--stage": "STAGE",
    "--pipeline": "PIPELINE",
    "--to": "STAGE",
    "--country": "COUNTRY",
    "--email": "EMAIL",
    "--phone": "PHONE",
    "--website": "URL",
    "--set": "KEY=VALUE",
    "--category": "CATEGORY",
    "--lost-category": "CATEGORY",
    "--status": "STATUS",
    "--type": "TYPE",
    "--direction": "DIRECTION",
    "--channel": "CHANNEL",
    "--role": "ROLE",
    "--login": "LOGIN",
    "--name": "NAME",
    "--legal-name": "NAME",
    "--first-name": "NAME",
    "--last-name": "NAME",
    "--limit": "N",
    "--size": "N",
    "--stale-days": "DAYS",
    "--head": "HEAD",
}
ARGUMENTS = {
    "company": "COMPANY",
    "contact": "CONTACT",
    "deal": "DEAL",
    "member": "MEMBER",
    "task_ids": "TASK",
    "file": "FILE",
    "old": "OLD",  # process diff
    "new": "NEW",
    "login": "LOGIN",
    "name": "NAME",
    "status": "STATUS",
    "title": "TEXT",
}


# Arguments that a script must give, but that a terminal asks for when left out (cli/pick.py): the usage
# line shows them as required, as a script needs them. (A new record's NAME or TITLE shows as [NAME].)
ASKED_WHEN_LEFT_OUT = {"company", "contact", "deal", "member", "task_ids", "file", "login", "status", "currency"}


def _by_type(param) -> str:
    annotation = getattr(param.type_descriptor, "annotation", None)
    element = getattr(annotation, "__args__", (annotation,))[0]  # List[int] -> int
    if element is int:
        return "N"
    if isinstance(element, type) and issubclass(element, Path):
        return "FILE"
    return "TEXT"


def placeholder(param) -> str | None:
    """The placeholder `--help` shows for `param` (None for a flag); `TASK...` for several values."""
    if isinstance(param, TyperOption):
        if param.is_flag:
            return None
        long_names = [o for o in param.opts if o.startswith("--")]
        return param.metavar or next((OPTIONS[o] for o in long_names if o in OPTIONS), None) or _by_type(param)
    name = param.metavar or ARGUMENTS.get(param.name) or _by_type(param)
    return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")


def _listed(values, process) -> str:
    return (", ".join(values) + f" (in {process.default().name}, the default process; `salescrm process show` "
            "gives your database's)")


# Help texts that list the process's values name them by these fields, filled in when the help is read
# (`--help`, docs/cli.md, zsh's descriptions): declaring them filled would load and parse the process file
# in every command, and in every TAB of completion, which never shows them.
# The default process's stages, gate keys and classes are listed with a pointer to the database's own.
PROCESS_FIELDS = {
    "{stages}": lambda process: _listed(process.STAGE_NAMES, process),
    "{gate_keys}": lambda process: _listed(process.GATE_KEYS, process),
    "{deal_classes}": lambda process: _listed(process.DEAL_CLASSES, process),
    "{lost_categories}": lambda process: ", ".join(process.LOST_CATEGORIES),
    "{activity_types}": lambda process: ", ".join(process.ACTIVITY_TYPES),
    "{manual_lead_statuses}": lambda process: ", ".join(process.MANUAL_LEAD_STATUSES),
    "{lead_channels}": lambda process: ", ".join(process.LEAD_CHANNELS),
}


def filled(text: str | None) -> str | None:
    """`text` with the process's values in place of its PROCESS_FIELDS."""
    if not text or "{" not in text:
        return text
    fields = [field for field in PROCESS_FIELDS if field in text]
    if fields:
        from salescrm import process

        for field in fields:
            text = text.replace(field, PROCESS_FIELDS[field](process))
    return text


def _help(param) -> str | None:
    return filled(param.__dict__.get("help"))


def _set_help(param, text: str | None) -> None:
    param.__dict__["help"] = text


# A parameter's help, filled in as it is read (PROCESS_FIELDS).
_filled_help = property(_help, _set_help)


class Option(TyperOption):
    """An option shown with its placeholder; a flag with none, and a number's range left to its help text."""

    help = _filled_help

    def display_type_rich(self, ctx) -> str | None:
        return self.metavar

    def _get_number_range_help_str(self) -> str | None:
        return None


class Argument(TyperArgument):
    """An argument shown by its placeholder alone: `DEAL` in the usage line and the arguments panel."""

    help = _filled_help

    def display_type_rich(self, ctx) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return self.display_name_raw

    def _usage_display_name(self) -> str:
        shown_required = self.required or self.name in ASKED_WHEN_LEFT_OUT
        return self.display_name_raw if shown_required else f"[{self.display_name_raw}]"


def show(param) -> None:
    """Give one of Typer's parameters its placeholder (once)."""
    if type(param) is TyperOption:
        param.metavar = placeholder(param)
        param.__class__ = Option
    elif type(param) is TyperArgument:
        param.metavar = placeholder(param)
        param.__class__ = Argument


def _shown(params: list) -> list:
    for param in params:
        show(param)
    return params


# Every parameter a command parses, shows or completes gets its placeholder, including those Typer and
# Click add on their own (`--help`, `--install-completion`).


class Command(TyperCommand):
    def get_params(self, ctx):
        return _shown(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx):
        return _shown(super().get_params(ctx))


def apply(command) -> None:
    """Make `command` (and, for a group, every command in it) show placeholders."""
    if type(command) is TyperCommand:
        command.__class__ = Command
    elif type(command) is TyperGroup:
        command.__class__ = Group
    for sub in getattr(command, "commands", {}).values():
        apply(sub)
