"""An empty value given on the command line is refused (exit 2), never read as "not given".

`--stage ""` or `--owner ""` from a script whose variable came out empty would otherwise list every
stage's deals or give the task to the acting user, silently. The options whose help says that empty
clears keep that meaning (CLEARING). Applied to every command once Typer has built it (cli/app.py), as
a callback on each text parameter: Typer's own place for checking a value as it is parsed.
"""

from __future__ import annotations

from salescrm.errors import InvalidValue

# (command, parameter): the documented "empty clears" values.
CLEARING = {
    ("contact edit", "--email"),
    ("contact edit", "--phone"),
    ("company edit", "--legal-name"),
    ("team set-login", "login"),
}


def _named(param) -> str:
    long_names = [o for o in param.opts if o.startswith("--")]
    return long_names[0] if long_names else (param.metavar or param.name.upper())


def _refuse_empty(then):
    def check(ctx, param, value):
        values = value if isinstance(value, (list, tuple)) else (value,)
        # Spaces alone are empty; a control character (NEL, tab) is plain_text's to refuse, naming it.
        if any(isinstance(v, str) and not v.strip(" ") for v in values):
            name = _named(param)
            leave = f", or leave {name} out" if name.startswith("--") else ""
            raise InvalidValue(f"{name} is empty: give a value{leave}.")
        return then(ctx, param, value) if then is not None else value

    return check


def _takes_text(param) -> bool:
    annotation = getattr(param.type_descriptor, "annotation", None)
    element = getattr(annotation, "__args__", (annotation,))[0]  # Optional[str], List[str] -> str
    return element is str and not getattr(param, "is_flag", False)


def apply(command, path: str = "") -> None:
    """Refuse empty values in every text parameter of `command` (and of the commands in a group)."""
    for name, sub in getattr(command, "commands", {}).items():
        apply(sub, f"{path} {name}".strip())
    for param in getattr(command, "params", ()):
        if getattr(param, "_refuses_empty", False) or not _takes_text(param):
            continue
        if (path, _named(param) if param.opts[0].startswith("-") else param.name) in CLEARING:
            continue
        param.callback = _refuse_empty(param.callback)
        param._refuses_empty = True
