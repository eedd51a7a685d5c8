"""The characters typed text may hold, wherever it comes from, and a free-text value trimmed and checked.

Text reaches salescrm from options and arguments, prompts and files (`lead add --from-json`), and a
terminal shows it again later; the acting user's name comes from the environment. The cli (cli/typed.py,
the prompts), the domain and the store (store/actors.py) check it with these same rules, so they sit
beside errors.py, below all three. Standard library only.
"""

from __future__ import annotations

import functools
import re

from salescrm.errors import InvalidValue

MAX_TEXT = 2000  # the longest free text of any column (a summary, a reason): what a prompt takes before the domain checks

# Issue 11, "No stored text can drive the terminal": CRLF is read as LF; the C0 controls (tab included),
# DEL and the C1 controls (U+0080-U+009F; U+009B is a CSI) are refused, except a newline in the free texts
# that may span lines (summaries, notes, reasons, descriptions, lost reasons); names refuse the
# bidirectional controls too, which reorder how a name is shown.
MULTILINE_FIELDS = ("summary", "note", "reason", "description", "lost reason")
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = "\x00-\x09\x0b-\x1f\x7f-\x9f"


@functools.cache
def _refused(lines: bool, name: bool) -> re.Pattern:
    """The characters refused in typed text: the controls, lone surrogates (bytes that are not UTF-8),
    a newline unless the text may span `lines`, and in a `name` the bidirectional controls."""
    newline = "" if lines else "\n"
    bidi = BIDI_CONTROLS if name else ""
    return re.compile(f"[{_CONTROLS}{newline}\ud800-\udfff{bidi}]")


_CONTROL_NAMES = {"\x1b": "ESC", "\x07": "BEL", "\x08": "backspace", "\r": "carriage return", "\x7f": "DEL",
                  "\x9b": "CSI", "\x9d": "OSC"}


def plain_text(value: str, label: str, *, lines: bool = False, name: bool = False) -> str:
    """The one check of the characters of typed text, wherever it comes from: `value` with CRLF as LF, or
    InvalidValue (exit 2) naming `label` when it holds a control character (a newline only where `lines`)
    or, in a `name`, a bidirectional control. NUL and lone surrogates (bytes that are not UTF-8) are
    refused with their own words: the two backends would disagree on them."""
    value = value.replace("\r\n", "\n")
    found = _refused(lines, name).search(value)
    if found is None:
        return value
    ch = found.group()
    code = ord(ch)
    if ch == "\x00":
        raise InvalidValue(f"{label} holds a NUL character, which cannot be stored. Remove it and try again.")
    if 0xD800 <= code <= 0xDFFF:
        raise InvalidValue(f"{label} is not valid UTF-8 text. Check the terminal's encoding and type it again.")
    if ch == "\n":
        raise InvalidValue(f"{label} holds a line break; give it on one line "
                           f"(only a {', '.join(MULTILINE_FIELDS[:-1])} or {MULTILINE_FIELDS[-1]} may have several).")
    if ch == "\t":
        raise InvalidValue(f"{label} holds a tab; use spaces instead.")
    if ch in BIDI_CONTROLS:
        raise InvalidValue(f"{label} holds the bidirectional control U+{code:04X}, which changes how a name "
                           "reads on screen; remove it and try again.")
    named = f" ({_CONTROL_NAMES[ch]})" if ch in _CONTROL_NAMES else ""
    raise InvalidValue(f"{label} holds the control character \\x{code:02x}{named}, which could drive a terminal; "
                       "remove it and try again.")


def clean_text(value: str | None, label: str, *, required: bool = True, max_length: int = MAX_TEXT,
               lines: bool = False, name: bool = False) -> str | None:
    """Trim a free-text value after `plain_text` (its characters; newlines only where `lines`); refuse
    an empty required value and overlong text."""
    if value is None:
        if required:
            raise InvalidValue(f"{label} is required.")
        return None
    value = plain_text(value, label, lines=lines, name=name).strip()
    if not value:
        if required:
            raise InvalidValue(f"{label} cannot be empty.")
        return None
    if not has_visible_character(value):
        raise InvalidValue(f"{label} holds only invisible characters (such as zero-width spaces): type visible text.")
    if len(value) > max_length:
        raise InvalidValue(f"{label} is {len(value)} characters long; the limit is {max_length}.")
    return value


# Characters that show nothing although Unicode files them as letters or symbols (Hangul fillers, the blank
# Braille pattern); the categories below cover format characters (zero-width space and joiners, BOM, bidi
# marks, soft hyphen), controls, separators and combining marks with nothing to combine with.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def has_visible_character(value: str) -> bool:
    """Whether `value` shows anything: a text made only of zero-width or other invisible characters does not."""
    import unicodedata

    return any(ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in value)
