"""The values shell completion offers from the database's process: stage slugs and deal classes.

Completion runs one process per TAB, so it reads a SQLite file's process with the standard library alone
(`sqlite3`, read-only, and `tomllib`: no SQLAlchemy, no loader's validation). On PostgreSQL, with no file
yet, or when the file cannot be read, it offers what the shipped processes have together (issue 12).
Nothing here ever writes, upgrades or creates a database.
"""

from __future__ import annotations

from pathlib import Path

import typer

from salescrm.process.common import slugify

SHIPPED = Path(__file__).resolve().parent.parent / "process" / "shipped"


def _stored_file(ctx: typer.Context | None) -> str | None:
    """The process file a SQLite database is bound to (its latest revision), or None."""
    import sqlite3
    from urllib.parse import quote

    from salescrm.errors import SalesCrmError
    from salescrm.store.location import resolve

    try:
        db = ctx.find_root().params.get("db") if ctx is not None else None
        path = resolve(db).path
    except SalesCrmError:
        return None
    if path is None or not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.2) as connection:
            row = connection.execute("SELECT body FROM process_revision ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _processes(ctx: typer.Context | None) -> list[dict]:
    import tomllib

    stored = _stored_file(ctx)
    texts = [stored] if stored else [p.read_text(encoding="utf-8") for p in sorted(SHIPPED.glob("*.toml"))]
    parsed = []
    for text in texts:
        try:
            parsed.append(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            continue
    return parsed


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def stage_slugs(ctx: typer.Context | None, incomplete: str) -> list[str]:
    """The slugs of every pipeline's stages (a pipeline with `stages_from` has its source's)."""
    slugs = []
    for data in _processes(ctx):
        for pipeline in data.get("pipelines", []):
            slugs += [slugify(str(stage.get("name", ""))) for stage in pipeline.get("stages", [])]
    return [s for s in _unique(slugs) if s and s.startswith(incomplete.lower())]


def deal_classes(ctx: typer.Context | None, incomplete: str) -> list[str]:
    classes = [str(c) for data in _processes(ctx) for c in data.get("deal_classes", [])]
    return [c for c in _unique(classes) if c.lower().startswith(incomplete.lower())]


def pipeline_keys(ctx: typer.Context | None, incomplete: str) -> list[str]:
    """The keys of the process's pipelines (`new-business`)."""
    keys = [str(p.get("key", "")) for data in _processes(ctx) for p in data.get("pipelines", [])]
    return [k for k in _unique(keys) if k and k.startswith(incomplete.lower())]
