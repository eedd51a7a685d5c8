"""Baseline for bench/startup.py: a bare Typer app with as many commands and groups as salescrm."""

import typer

app = typer.Typer(no_args_is_help=True)
GROUPS = {
    "team": ["add", "list"],
    "company": ["add", "list", "show", "edit", "set-status"],
    "contact": ["add", "list", "show", "edit"],
    "deal": ["create", "advance", "lose", "show", "list", "edit"],
    "pipeline": ["show"],
}


def _make(name):
    def command(ref: str = typer.Argument(""), json: bool = typer.Option(False, "--json", help="JSON.")):
        """A command."""

    command.__name__ = name.replace("-", "_")
    return command


for group, commands in GROUPS.items():
    sub = typer.Typer(help=f"The {group} group.", no_args_is_help=True)
    for name in commands:
        sub.command(name, help=f"{group} {name}.")(_make(name))
    app.add_typer(sub, name=group)
app.command("demo", help="demo.")(_make("demo"))

if __name__ == "__main__":
    app(prog_name="bare")
