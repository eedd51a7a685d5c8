"""`salescrm demo`: a demo database built from the examples of SP-009-001."""

from __future__ import annotations

import os
from typing import Optional

import typer

from salescrm.cli.runtime import reason_option

from salescrm.cli import output

HELP = (
    "Build a demo database from the SP-009-001 examples and show its pipeline. Without --db or SALESCRM_DB it "
    "writes a separate demo file in the user data directory (replacing an earlier demo), never your own data; "
    "it refuses to write into a database that already holds records."
)
EPILOG = "Example: salescrm demo; salescrm --db /tmp/big.db demo --size 100000"


def demo(
    ctx: typer.Context,
    size: int = typer.Option(0, "--size", min=0, max=10_000_000,
                             help="Also add this many synthetic deals (deterministic, at most 10,000,000), for benchmarks."),
    reason: Optional[str] = reason_option(),
) -> None:
    from salescrm.cli.pipeline import show as show_pipeline
    from salescrm.cli.runtime import runtime
    from salescrm.store.location import DEMO_FILE, ENV_DB

    rt = runtime(ctx)
    if not rt.db and not os.environ.get(ENV_DB):
        rt.default_file = DEMO_FILE
        _remove_earlier_demo(rt.location().path)
    from salescrm.domain import demo as demo_data

    with rt.writing(reason) as session:
        demo_data.build_examples(session)
        added = demo_data.add_synthetic(session, size)
    location = rt.location()
    output.say(f"Demo database written to {location.display}" + (f" with {added:,} synthetic deals." if added else "."))
    show_pipeline(ctx, owner=None, deal_class=None, pipeline=None, json=False)
    prefix = f"salescrm --db {_quote(location.display)} " if rt.default_file or rt.db else "salescrm "
    output.say(
        "\nLook further:\n"
        f"  {prefix}deal list\n"
        f"  {prefix}deal show 'Torrejón'\n"
        f"  {prefix}company show 'Sanitas Hospitales'\n"
        f"  {prefix}deal next-steps\n"
        f"  {prefix}task list"
    )


def _remove_earlier_demo(path) -> None:
    from salescrm.store.engine import close_all

    close_all()  # no connection may outlive the file it points at
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def _quote(text: str) -> str:
    """The path as a shell word to copy: `~/...` under the home directory (the root --help shows it so)."""
    import shlex
    from pathlib import Path

    home = str(Path.home())
    if text.startswith(home + os.sep):
        return "~/" + shlex.quote(text[len(home) + 1:])
    return shlex.quote(text)
