"""Asking a person for values, with questionary (imported only when a prompt is shown).

Commands talk to a `Prompter`; tests pass a scripted one. Validation reuses the
domain's parsers, so a prompt accepts exactly what the matching option accepts.
"""

from __future__ import annotations

import sys
from typing import Callable, Protocol, Sequence

from salescrm.errors import SalesCrmError

Validator = Callable[[str], object]


class Prompter(Protocol):
    def text(self, message: str, *, validate: Validator | None = None, instruction: str | None = None,
             default: str = "") -> str: ...

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str: ...

    def autocomplete(self, message: str, choices: Sequence[str], *, validate: Validator | None = None) -> str: ...

    # default None: no default, the person must answer yes or no (a yes a stage gate requires).
    def confirm(self, message: str, *, default: bool | None = False) -> bool: ...

    def checkbox(self, message: str, choices: Sequence[str], *, checked: Sequence[str] = ()) -> list[str]: ...

    def say(self, text: str) -> None: ...


def _as_questionary_validator(validate: Validator | None):
    if validate is None:
        return None

    def check(answer: str):
        try:
            validate(answer)
        except SalesCrmError as e:
            return e.message
        return True

    return check


def _yes_or_no(answer: str) -> None:
    from salescrm.domain.values import parse_yes_no
    from salescrm.errors import InvalidValue

    if not answer.strip():
        raise InvalidValue("Answer yes or no: this question has no default.")
    parse_yes_no(answer, "The answer")


class QuestionaryPrompter:
    """Prompts on the terminal. `unsafe_ask` lets Ctrl-C reach the CLI, which exits 130 saying nothing was saved."""

    def text(self, message, *, validate=None, instruction=None, default=""):
        import questionary

        return questionary.text(
            message, validate=_as_questionary_validator(validate), instruction=instruction, default=default
        ).unsafe_ask()

    def select(self, message, choices, *, default=None):
        import questionary

        return questionary.select(message, choices=list(choices), default=default).unsafe_ask()

    def autocomplete(self, message, choices, *, validate=None):
        import questionary

        return questionary.autocomplete(
            message,
            choices=list(choices),
            validate=_as_questionary_validator(validate),
            match_middle=True,
            ignore_case=True,
        ).unsafe_ask()

    def confirm(self, message, *, default=False):
        import questionary

        if default is None:  # Enter alone answers nothing: questionary's confirm would take its default
            from salescrm.domain.values import parse_yes_no

            answer = questionary.text(message, instruction="(yes/no)", validate=_as_questionary_validator(_yes_or_no)).unsafe_ask()
            return parse_yes_no(answer, "The answer")
        return questionary.confirm(message, default=default).unsafe_ask()

    def checkbox(self, message, choices, *, checked=()):
        import questionary

        options = [questionary.Choice(c, checked=c in checked) for c in choices]
        return questionary.checkbox(message, choices=options).unsafe_ask()

    def say(self, text):
        print(text, file=sys.stderr)


def required(label: str) -> Validator:
    def check(answer: str) -> None:
        from salescrm.domain.values import clean_text

        clean_text(answer, label)

    return check


def one_of(choices: Sequence[str], label: str) -> Validator:
    def check(answer: str) -> None:
        from salescrm.domain.values import parse_choice

        parse_choice(answer, choices, label)

    return check


def pick(p: Prompter, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
    """A select; with one possible answer, that answer is chosen and said instead of asked."""
    if len(choices) == 1:
        p.say(f"{message}: {choices[0]} (the only one)")
        return choices[0]
    return p.select(message, choices, default=default)
