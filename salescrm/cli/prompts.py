"""Asking a person for values, with questionary (imported only when a prompt is shown).

Commands talk to a `Prompter`; tests pass a scripted one. Validation reuses the
domain's parsers, so a prompt accepts exactly what the matching option accepts.
"""

from __future__ import annotations

import re
import sys
from typing import Callable, Protocol, Sequence

from salescrm.errors import SalesCrmError

Validator = Callable[[str], object]
_ROOM_FOR_THE_ANSWER = 24  # columns left on the question's line for what the person types


class Prompter(Protocol):
    def text(self, message: str, *, validate: Validator | None = None, instruction: str | None = None,
             default: str = "") -> str: ...

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str: ...

    def autocomplete(self, message: str, choices: Sequence[str], *, validate: Validator | None = None,
                     complete: Callable[[str], Sequence[str]] | None = None) -> str:
        """Free text with completion from `choices`; `complete`, when given, ranks the completions for
        what was typed (best first) instead of matching it anywhere in a choice."""

    # default None: no default, the person must answer yes or no (a yes a stage gate requires).
    def confirm(self, message: str, *, default: bool | None = False) -> bool: ...

    def checkbox(self, message: str, choices: Sequence[str], *, checked: Sequence[str] = ()) -> list[str]: ...

    def say(self, text: str) -> None: ...


def _as_questionary_validator(validate: Validator | None, label: str):
    """An answer's characters pass the one check of typed text (`plain_text`, under the question's
    label) before `validate` sees it, so that a refused character is said at the prompt, which asks again."""

    def check(answer: str):
        from salescrm.typed_text import plain_text

        try:
            answer = plain_text(answer, label)
            if validate is not None:
                validate(answer)
        except SalesCrmError as e:
            return e.message
        return True

    return check


def _typed(answer: str, label: str) -> str:
    """The answer as the command receives it: with CRLF as LF (its characters were checked at the prompt)."""
    from salescrm.typed_text import plain_text

    return plain_text(answer, label)


def _shown(choice: str) -> str:
    """A choice as the terminal shows it: a name from the data cannot drive it (the answer is the choice itself)."""
    from salescrm.cli.output import inert

    return inert(choice, "cell")


def _yes_or_no(answer: str) -> None:
    from salescrm.domain.values import parse_yes_no
    from salescrm.errors import InvalidValue

    if not answer.strip():
        raise InvalidValue("Answer yes or no: this question has no default.")
    parse_yes_no(answer, "The answer")


class QuestionaryPrompter:
    """Prompts on the terminal.

    `unsafe_ask` lets Ctrl-C reach the CLI, which exits 130 saying nothing was saved; Ctrl-D (end of
    input) at any prompt is turned into the same interruption. A typed answer is checked when it is
    submitted (not at every key), and a validation message wraps to the terminal's width instead of
    being cut at its edge.
    """

    def text(self, message, *, validate=None, instruction=None, default=""):
        import questionary

        message, instruction = self._fitted(message, instruction)
        return _typed(_ask(questionary.text(
            message, validate=_as_questionary_validator(validate, message), instruction=instruction, default=default,
            validate_while_typing=False,
        )), message)

    def select(self, message, choices, *, default=None):
        import questionary

        message, _ = self._fitted(message, None)
        options = [questionary.Choice(_shown(c), value=c) for c in choices]
        return _ask(questionary.select(message, choices=options, default=default), bind_ctrl_d=True)

    def autocomplete(self, message, choices, *, validate=None, complete=None):
        import questionary

        message, _ = self._fitted(message, None)
        return _typed(_ask(questionary.autocomplete(
            message,
            choices=list(choices),
            completer=_ranked_completer(complete) if complete else None,
            validate=_as_questionary_validator(validate, message),
            match_middle=True,
            ignore_case=True,
            validate_while_typing=False,
        )), message)

    def confirm(self, message, *, default=False):
        import questionary

        if default is None:  # Enter alone answers nothing: questionary's confirm would take its default
            from salescrm.domain.values import parse_yes_no

            message, instruction = self._fitted(message, "(yes/no)")
            answer = _ask(questionary.text(message, instruction=instruction, validate=_as_questionary_validator(_yes_or_no, message),
                                           validate_while_typing=False))
            return parse_yes_no(answer, "The answer")
        message, _ = self._fitted(message, "(Y/n)")
        return _ask(questionary.confirm(message, default=default), bind_ctrl_d=True)

    def checkbox(self, message, choices, *, checked=()):
        import questionary

        # questionary's own instruction (arrow keys, <space>, <a>, <i>) runs past 80 columns; this one fits.
        message, instruction = self._fitted(message, CHECKBOX_INSTRUCTION)
        options = [questionary.Choice(_shown(c), value=c, checked=c in checked) for c in choices]
        return _ask(questionary.checkbox(message, choices=options, instruction=instruction or ""), bind_ctrl_d=True)

    def say(self, text):
        """Said above a question on stderr, each line wrapped between words to the terminal's width."""
        import shutil
        import textwrap

        from salescrm.cli.output import inert

        width = max(shutil.get_terminal_size().columns - 1, 20)
        for line in inert(text).split("\n"):
            print(textwrap.fill(line, width=width, break_long_words=False, break_on_hyphens=False) if line else "",
                  file=sys.stderr)

    def _fitted(self, message: str, instruction: str | None) -> tuple[str, str | None]:
        """A question that would run past the terminal's edge (prompt_toolkit folds it in the middle of
        a word) is asked by its head alone; its explanation, then its instruction if still too wide, are
        said above it, wrapped between words."""
        import shutil

        width = shutil.get_terminal_size().columns
        if _question_width(message, instruction) <= width:
            return message, instruction
        head, explanation = _head_and_explanation(message)
        above = [explanation] if explanation else []
        if _question_width(head, instruction) > width and instruction:
            above.append(instruction.strip().removeprefix("(").removesuffix(")"))
            instruction = None
        for text in above:
            self.say(_sentence(text))
        return head, instruction


CHECKBOX_INSTRUCTION = "(space selects, enter confirms)"


def _question_width(message: str, instruction: str | None) -> int:
    return len("? ") + len(message) + (len(instruction) + 1 if instruction else 0) + _ROOM_FOR_THE_ANSWER


def _head_and_explanation(message: str) -> tuple[str, str]:
    """"Budget: they have funds" and "Segment verified (it exists)?" -> their head and explanation."""
    mark = "?" if message.endswith("?") else ""
    body = message.removesuffix("?")
    match = re.fullmatch(r"(?P<head>[^:(]+?)(?::\s+(?P<colon>.+)|\s+\((?P<paren>.+)\))", body)
    if not match:
        return message, ""
    return match["head"] + mark, match["colon"] or match["paren"]


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _ask(question, *, bind_ctrl_d: bool = False):
    """Ask `question`; Ctrl-D (or the end of input) interrupts it exactly as Ctrl-C does.

    A text prompt raises EOFError for Ctrl-D on an empty line (with text, Ctrl-D deletes forward, as in
    readline); selects, checkboxes and confirms ignore Ctrl-D unless `bind_ctrl_d` binds it.
    """
    if bind_ctrl_d:
        _cancel_on_ctrl_d(question.application)
    _wrap_validation_message(question.application)
    try:
        return question.unsafe_ask()
    except EOFError:
        raise KeyboardInterrupt from None


def _cancel_on_ctrl_d(application) -> None:
    """Ctrl-D ends the question as questionary's own Ctrl-C binding does."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    extra = KeyBindings()

    @extra.add("c-d", eager=True)
    def _(event):
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    application.key_bindings = merge_key_bindings([application.key_bindings, extra]) if application.key_bindings else extra


def _wrap_validation_message(application) -> None:
    """prompt_toolkit's validation toolbar is one line high and cuts a longer message at the terminal's
    edge: give it a window as high as the message, wrapped between words at the terminal's width."""
    import textwrap

    from prompt_toolkit.application import get_app
    from prompt_toolkit.filters import has_validation_error
    from prompt_toolkit.layout import ConditionalContainer, FormattedTextControl, Window

    def wrapped():
        app = get_app()
        error = app.current_buffer.validation_error
        if error is None:
            return []
        width = max(app.output.get_size().columns, 20)
        return [("class:validation-toolbar", "\n".join(textwrap.wrap(error.message, width)))]

    for container in application.layout.walk():
        if isinstance(container, ConditionalContainer) and container.filter is has_validation_error \
                and isinstance(container.content, Window):
            container.content = Window(FormattedTextControl(wrapped), wrap_lines=True, dont_extend_height=True)


def _ranked_completer(complete: Callable[[str], Sequence[str]]):
    """A completer offering `complete(typed text)` in its order (best first), replacing the whole text."""
    from prompt_toolkit.completion import Completer, Completion

    class Ranked(Completer):
        def get_completions(self, document, complete_event):
            typed = document.text_before_cursor
            for choice in complete(typed):
                yield Completion(choice, start_position=-len(typed))

    return Ranked()


def required(label: str) -> Validator:
    def check(answer: str) -> None:
        from salescrm.typed_text import clean_text

        clean_text(answer, label)

    return check


def pick(p: Prompter, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
    """A select; with one possible answer, that answer is chosen and said instead of asked."""
    if len(choices) == 1:
        p.say(f"{message}: {choices[0]} (the only one)")
        return choices[0]
    return p.select(message, choices, default=default)
