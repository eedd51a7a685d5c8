"""Rendering: rich tables on a terminal, tab-separated lines when piped, JSON on request.

`--json` always writes JSON to stdout and nothing else there; without it, output
never switches to JSON by itself and never draws boxes into a pipe.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def is_terminal() -> bool:
    return sys.stdout.isatty()


# --- Text that cannot drive the terminal ---------------------------------------------------------
#
# Input refuses control characters (salescrm.typed_text.plain_text), but the database may hold them
# anyway: rows written before that check, or by SQL. Whatever salescrm prints from it, in tables, TSV,
# messages and errors, goes through `inert`, which shows each C0 or C1 control, DEL and bidirectional
# control as an escape (`\x1b`, `\u202e`); tabs, newlines and carriage returns as `\t`, `\n`, `\r`. A
# message keeps its newlines (several lines are its own); a cell on a terminal shows one as a space, as
# it shows a tab; TSV escapes the backslash too, so that `\x1b` typed as text and an ESC stay apart.

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ESCAPED = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPED.update({ord(ch): f"\\u{ord(ch):04x}" for ch in _BIDI})
_ESCAPED.update({ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"})
_INERT = {
    "message": {**_ESCAPED, ord("\n"): "\n"},
    "cell": {**_ESCAPED, ord("\n"): " ", ord("\t"): " "},
    "tsv": {**_ESCAPED, ord("\\"): "\\\\"},
}


def inert(text, where: str = "message") -> str:
    """`text` as it may reach a terminal: control characters escaped, for a `message` (newlines kept),
    a table `cell` (a newline or tab as a space) or a `tsv` field (a backslash doubled)."""
    return str(text).translate(_INERT[where])


# JSON escapes the C0 controls itself; ensure_ascii=False leaves DEL, the C1 controls and the bidi
# controls raw, and they can only be inside strings, where \u00XX means the same character.
_JSON_ESCAPED = str.maketrans({code: f"\\u{code:04x}" for code in (*range(0x7F, 0xA0), *map(ord, _BIDI))})


def json_text(obj, indent: int | None = None) -> str:
    """`obj` as JSON text (UTF-8 kept, controls escaped): what every `--json` prints."""
    return json.dumps(obj, ensure_ascii=False, indent=indent).translate(_JSON_ESCAPED)


def print_json(obj) -> None:
    sys.stdout.write(json_text(obj, indent=2) + "\n")


_BATCH = 1000


def print_json_array(items: Iterable[dict], out=None) -> None:
    """A JSON array written a thousand items at a time, one per line, so that long lists never sit whole in memory."""
    out = out or sys.stdout
    encoded = map(json_text, items)
    batch = list(itertools.islice(encoded, _BATCH))
    if not batch:
        out.write("[]\n")
        return
    out.write("[\n  ")
    while batch:
        out.write(",\n  ".join(batch))
        batch = list(itertools.islice(encoded, _BATCH))
        if batch:
            out.write(",\n  ")
    out.write("\n]\n")


class progress:
    """A transient progress bar on stderr while a long command reads, one step per phase; on a terminal
    only (never with --json or into a pipe). The context gives the callback the domain calls with each
    phase it has finished; the bar names the phase under way."""

    def __init__(self, verb: str, phases: Sequence[str], *, shown: bool = True):
        self.verb, self.phases, self.bar = verb, tuple(phases), None
        if shown and self.phases and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)

    def __enter__(self):
        if self.bar is None:
            return lambda _phase: None
        self.bar.start()
        task = self.bar.add_task(f"{self.verb} {self.phases[0]}", total=len(self.phases))
        following = dict(zip(self.phases, self.phases[1:]))

        def done(phase: str) -> None:
            self.bar.update(task, advance=1, description=f"{self.verb} {following.get(phase, '')}".strip())
            self.bar.refresh()  # a phase is seconds long: name the next one now, not at the next tick

        return done

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


def say(text: str) -> None:
    """A confirmation of what was done, on stdout; on a terminal, wrapped at spaces to its width."""
    if is_terminal():
        from rich.console import Console
        from rich.text import Text

        Console(highlight=False).print(Text(inert(text)))
        return
    sys.stdout.write(inert(text) + "\n")


def warn(text: str) -> None:
    err(f"Warning: {text}")


def err(text: str) -> None:
    """A message on stderr (made inert); on a terminal, each line wrapped between words to its width, so
    that the terminal never folds a word in two. Words longer than a line (a path, a command) stay whole."""
    text = inert(text)
    width = _stderr_width()
    if width:
        text = "\n".join(_wrapped(line, width) if len(line) > width else line for line in text.split("\n"))
    sys.stderr.write(text + "\n")


_KEEP = "\ue000"  # stands for a space that must not break, while textwrap fills (it splits at ASCII spaces only)


def _wrapped(line: str, width: int) -> str:
    """`line` filled to `width`. A command to copy stays whole: one in backticks, and one that ends the
    line after a colon (`To retry ...: salescrm deal advance 12 --set ...`), which then gets a line of its
    own; so does an option with its value (`--set budget=...`)."""
    import re
    import textwrap

    line = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", _KEEP), line)
    line = re.sub(r"(?<=: )salescrm .*$", lambda m: m.group(0).replace(" ", _KEEP), line)
    line = re.sub(r"(?<=\s)(--[a-z][a-z-]*) (?=[^\s-])", lambda m: m.group(1) + _KEEP, line)  # an option and its value
    filled = textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False, subsequent_indent=_indent(line))
    return filled.replace(_KEEP, " ")


def _indent(line: str) -> str:
    """A wrapped line keeps the indent of the line it continues (a list item's, under its text)."""
    return line[: len(line) - len(line.lstrip(" "))] + ("  " if line.lstrip(" ").startswith("- ") else "")


def _stderr_width() -> int | None:
    try:
        if not sys.stderr.isatty():
            return None
        return os.get_terminal_size(sys.stderr.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        return None


def money(amount: int | float) -> str:
    """An amount in currency units as text: `12,000` and `12,000.50` on a terminal, `12000` and `12000.50`
    in a pipe (whole amounts without decimals, others with two; JSON keeps the number)."""
    grouping = "," if is_terminal() else ""
    if isinstance(amount, float) and not amount.is_integer():
        return f"{amount:{grouping}.2f}"
    return f"{int(amount):{grouping}}"


def _cell(value, where: str = "cell") -> str:
    if value is None:
        return ""
    return inert(value, where)


# --- Tables at the terminal's width ----------------------------------------------------------
#
# Each column has a kind, and the kind alone decides what happens when a table is wider than the
# terminal: ids, amounts, counts, dates, times, emails and phones are never shortened (one line, their
# full width); labels (stages, statuses, codes) wrap at spaces and never break a word; names and
# titles stay on one line and are shortened with an ellipsis; texts (summaries, messages) wrap at
# spaces and shorten with an ellipsis only a word longer than their column. Headers wrap at spaces.
# The widest shortenable columns give way first (a text keeps twice a name's room), down to a floor; a
# table whose whole columns cannot fit is drawn wider than the terminal rather than broken.


@dataclass(frozen=True)
class Kind:
    whole: bool = False  # never shortened
    wrap: bool = True  # wrapped at spaces (else one line)
    ellipsis: bool = False  # a value (or a word of it) too long for the column ends in …
    floor: int = 0  # narrowest width it gives way to (0: its longest word)
    justify: str = "left"
    share: int = 1  # how much room it keeps, against the others, when all give way


ID = Kind(whole=True, wrap=False)
AMOUNT = Kind(whole=True, wrap=False, justify="right")
COUNT = Kind(whole=True, wrap=False, justify="right")
DATE = Kind(whole=True, wrap=False)
TIME = Kind(whole=True, wrap=False)
EMAIL = Kind(whole=True, wrap=False)
PHONE = Kind(whole=True, wrap=False)
LABEL = Kind()
NAME = Kind(wrap=False, ellipsis=True, floor=8)
TEXT = Kind(ellipsis=True, floor=12, share=2)  # a summary wrapped narrow is a column of single words
BAR = Kind(wrap=False, floor=1)
LAST_RESORT_FLOOR = 4  # names and texts, when the floors above do not fit


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _widths(headers: list[str], kinds: list[Kind], rows: list[list[str]], budget: int) -> list[int]:
    from rich.cells import cell_len

    desired, floors, lowest = [], [], []
    shares = [kind.share for kind in kinds]
    for i, (header, kind) in enumerate(zip(headers, kinds)):
        cells = [row[i] for row in rows]
        header_word = max(cell_len(w) for w in _words(header))
        longest = max([cell_len(c) for c in cells] + [cell_len(header)])
        if kind.whole:
            width = max([cell_len(c) for c in cells] + [header_word])
            least = last_resort = longest = width
        elif kind.floor == 0:  # labels: their longest word
            least = last_resort = max([cell_len(w) for c in cells for w in _words(c)] + [header_word])
        else:
            least = max(header_word, min(longest, kind.floor))
            last_resort = max(header_word, min(longest, kind.floor, LAST_RESORT_FLOOR))
        desired.append(longest)
        floors.append(least)
        lowest.append(last_resort)
    if sum(desired) <= budget:
        return desired
    if sum(floors) > budget:
        floors = lowest
        if sum(floors) >= budget:
            return floors
    low, high = 0, max(desired)  # the largest cap (times each column's share) that fits
    while low < high:
        cap = (low + high + 1) // 2
        if sum(max(f, min(d, cap * s)) for d, f, s in zip(desired, floors, shares)) <= budget:
            low = cap
        else:
            high = cap - 1
    widths = [max(f, min(d, low * s)) for d, f, s in zip(desired, floors, shares)]
    spare = budget - sum(widths)
    for i in sorted(range(len(widths)), key=lambda i: -desired[i]):
        if spare <= 0:
            break
        if widths[i] < desired[i]:
            widths[i] += 1
            spare -= 1
    return widths


def _title(title: str | None):
    """A table's title as text, never read as rich markup (a name like `[bold]x[/]` prints as typed)."""
    if title is None:
        return None
    from rich.text import Text

    return Text(inert(title))


def _text(value: str, kind: Kind, justify: str):
    from rich.text import Text

    return Text(value, justify=justify, no_wrap=not kind.wrap, overflow="ellipsis" if kind.ellipsis else "fold")


def table(columns: Sequence, rows: Iterable[Sequence], *, title: str | None = None,
          justify: dict[str, str] | None = None, section: str | None = None) -> None:
    """Aligned table on a terminal, fitted to its width by each column's kind (a column is a header,
    a LABEL, or (header, kind)); tab-separated lines (no header) in a pipe, after a `# section` line
    when the command prints several tables."""
    if not is_terminal():
        write = sys.stdout.write
        if section:
            write(f"# {section}\n")
        for row in rows:
            write("\t".join(_cell(v, "tsv") for v in row) + "\n")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    headers = [c if isinstance(c, str) else c[0] for c in columns]
    kinds = [LABEL if isinstance(c, str) else c[1] for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    console = Console(highlight=False)
    gaps = 2 * (len(headers) - 1)  # a space of padding and the column rule between two columns
    widths = _widths(headers, kinds, cells, console.width - gaps)
    needed = sum(widths) + gaps
    if needed > console.width:  # whole values that cannot fit: wider than the terminal, never broken
        console = Console(highlight=False, width=needed)
    t = Table(title=_title(title), title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, show_edge=False,
              pad_edge=False, collapse_padding=True)
    aligned = [(justify or {}).get(h, k.justify) for h, k in zip(headers, kinds)]
    for header, width, how in zip(headers, widths, aligned):
        t.add_column(_text(header, LABEL, how), width=width, justify=how)
    for row in cells:
        t.add_row(*(_text(v, k, how) for v, k, how in zip(row, kinds, aligned)))
    console.print(t)


def details(pairs: Sequence[tuple[str, object]], *, title: str | None = None, section: str | None = None) -> None:
    """A record as `field: value` lines (aligned on a terminal, tab-separated in a pipe, after a
    `# section` line when the command prints several tables)."""
    if not is_terminal():
        if section:
            sys.stdout.write(f"# {section}\n")
        for key, value in pairs:
            sys.stdout.write(f"{_cell(key, 'tsv')}\t{_cell(value, 'tsv')}\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=_title(title), title_justify="left", show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold", no_wrap=True)
    t.add_column(overflow="fold")
    for key, value in pairs:
        t.add_row(Text(_cell(key)), Text(_cell(value)))
    Console(highlight=False).print(t)


def properties(values: dict[str, str]) -> None:
    """A record's properties (`company show`, `contact show`), under their keys as `--set` takes them."""
    if values:
        heading("Properties", "properties")
        table(["Property", ("Value", TEXT)], list(values.items()))


def heading(text: str | None, section: str) -> None:
    """A section's heading: bold text on a terminal (none when `text` is None), and one `# section`
    line in a pipe, so that a script can tell the tables of one output apart."""
    if is_terminal():
        if text is not None:
            from rich.console import Console
            from rich.text import Text

            Console(highlight=False).print(Text("\n" + inert(text), style="bold"))
    else:
        sys.stdout.write(f"# {section}\n")


def lines(texts: Iterable[str]) -> None:
    """Lines written whole, never wrapped or cut (commands to copy), whatever the terminal's width."""
    for text in texts:
        sys.stdout.write(inert(text) + "\n")


def when(iso_time: str | None) -> str:
    """A JSON time (UTC) as local time for people: `2026-11-23 10:31`."""
    if not iso_time:
        return "-"
    from datetime import datetime

    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")


def _timeline_text(item: dict) -> tuple[str, str, str]:
    kind = item["kind"]
    if kind == "activity":
        what = item["type"] + (f" {item['direction']}" if item["direction"] else "")
        return item["at"], what, f"{item['summary']} ({item['by']})"
    if kind == "task":
        state = "done" if item["done"] else ("overdue" if item["overdue"] else "open")
        return item["due"], f"task {state}", f"{item['title']} (task {item['id']}, {item['owner']})"
    deal = item["deal"]
    move = f"created in {item['to']}" if item["from"] is None else f"{item['from']} -> {item['to']}"
    return item["at"], "stage", f"Deal {deal['id']} {move} ({item['by']})"


def timeline(items: list[dict], shown_all: bool) -> None:
    """The timeline of a `show`: newest first; a hint when it was cut."""
    from salescrm.domain.timeline import TIMELINE_LIMIT

    heading("Timeline", "timeline")
    rows = []
    for item in items:
        at, what, text = _timeline_text(item)
        rows.append((when(at), what, text))
    table([("When", TIME), "What", ("Details", TEXT)], rows)
    if not shown_all and len(items) >= TIMELINE_LIMIT:
        sys.stderr.write(f"(the {TIMELINE_LIMIT} newest; --all shows everything)\n")
