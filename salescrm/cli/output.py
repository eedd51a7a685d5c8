"""Rendering: rich tables on a terminal, tab-separated lines when piped, JSON on request.

`--json` always writes JSON to stdout and nothing else there; without it, output
never switches to JSON by itself and never draws boxes into a pipe.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Sequence


def is_terminal() -> bool:
    return sys.stdout.isatty()


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


_ITEM = json.JSONEncoder(ensure_ascii=False)
_BATCH = 1000


def print_json_array(items: Iterable[dict]) -> None:
    """A JSON array written a thousand items at a time, one per line, so that long lists never sit whole in memory."""
    out = sys.stdout
    encoded = map(_ITEM.encode, items)
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
    """A confirmation of what was done, on stdout."""
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"Warning: {text}\n")


def money(amount: int | float) -> str:
    """An amount in currency units as text: `12,000` and `12,000.50` on a terminal, `12000` and `12000.50`
    in a pipe (whole amounts without decimals, others with two; JSON keeps the number)."""
    grouping = "," if is_terminal() else ""
    if isinstance(amount, float) and not amount.is_integer():
        return f"{amount:{grouping}.2f}"
    return f"{int(amount):{grouping}}"


def _cell(value) -> str:
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\n", " ")


def table(columns: Sequence[str], rows: Iterable[Sequence], *, title: str | None = None,
          justify: dict[str, str] | None = None, no_wrap: Sequence[str] = (),
          min_width: dict[str, int] | None = None) -> None:
    """Aligned table on a terminal; tab-separated lines (no header) in a pipe."""
    if not is_terminal():
        write = sys.stdout.write
        for row in rows:
            write("\t".join(_cell(v) for v in row) + "\n")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in columns:
        t.add_column(column, justify=(justify or {}).get(column, "left"), overflow="fold", no_wrap=column in no_wrap,
                     min_width=(min_width or {}).get(column))
    for row in rows:
        t.add_row(*(Text(_cell(v)) for v in row))
    Console(highlight=False).print(t)


def details(pairs: Sequence[tuple[str, object]], *, title: str | None = None) -> None:
    """A record as `field: value` lines (aligned on a terminal, tab-separated in a pipe)."""
    if not is_terminal():
        for key, value in pairs:
            sys.stdout.write(f"{key}\t{_cell(value)}\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    for key, value in pairs:
        t.add_row(key, Text(_cell(value)))
    Console(highlight=False).print(t)


def heading(text: str) -> None:
    if is_terminal():
        from rich.console import Console

        from rich.text import Text

        Console(highlight=False).print(Text("\n" + text, style="bold"))
    else:
        sys.stdout.write(f"\n# {text}\n")


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
    from salescrm.domain.views import TIMELINE_LIMIT

    heading("Timeline")
    rows = []
    for item in items:
        at, what, text = _timeline_text(item)
        rows.append((when(at), what, text))
    table(["When", "What", "Details"], rows, no_wrap=["When"])
    if not shown_all and len(items) >= TIMELINE_LIMIT:
        sys.stderr.write(f"(the {TIMELINE_LIMIT} newest; --all shows everything)\n")
