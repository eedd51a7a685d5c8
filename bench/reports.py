"""Reports at scale: `report pipeline --at` on a demo database, beside the plain max-per-group query.

Builds (or reuses, with --keep) a database with `salescrm demo --size N` (default 100,000 deals; 1,000,000
takes about a minute to build), picks a day in the middle of its history, and measures, interleaved so
that a busy machine slows both sides alike:

- baseline: the plain SQLite max()-per-group query (raw sqlite3, in-process): each deal's last stage
  change before the end of that day, its stage by SQLite's bare-column rule, joined to the deal, summed
  per open stage;
- `reports.pipeline_report(at=...)` in-process (SQLAlchemy Core, the portable max(id)-and-join form that
  also runs on PostgreSQL), which must give the same figures. Target: <= 1.5x the baseline;
- the whole command `salescrm report pipeline --at DAY --json` (a new process each run), against the
  same baseline (target 1.5x; every salescrm command pays about half a second of start-up, 0.4 s of it
  the stack's own floor, so the command nears the query's ratio only where the query dominates: at a
  million deals the query takes about a second and the command is about 1.6x) and against the stack's
  start-up floor (bench/floor_show.py) + 1.5x the baseline, the budget bench/scale.py uses for `pipeline show`;
  `pipeline show --json` is timed beside it for salescrm's own start-up.

Then, for information (no target), the other reports' commands at the same size.

Usage: python bench/reports.py [--size 100000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from common import PY, ROOT, build_demo, peak_rss_mib, row, wall

OPEN_STAGES = ("Prospected", "Qualified", "Discovered", "Implementation Defined", "Offer Sent", "Offer Approved",
               "Contract Signed")
RAW_MAX_PER_GROUP = (
    "SELECT h.to_stage, count(*), coalesce(sum(d.amount_cents), 0) "
    "FROM (SELECT deal_id, to_stage, max(id) FROM stage_change WHERE changed_at < ? GROUP BY deal_id) AS h "
    "JOIN deal AS d ON d.id = h.deal_id "
    f"WHERE h.to_stage IN ({', '.join('?' for _ in OPEN_STAGES)}) AND d.pipeline = 'Sales' GROUP BY h.to_stage"
)


def cutoff(day: date) -> str:
    """The end of a local day as SQLite stores times (UTC, microseconds), as the report computes it."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).astimezone().astimezone(timezone.utc)
    return end.strftime("%Y-%m-%d %H:%M:%S.%f")


def raw_once(db: Path, day: date) -> tuple[float, dict]:
    conn = sqlite3.connect(db)
    start = time.perf_counter()
    rows = conn.execute(RAW_MAX_PER_GROUP, (cutoff(day), *OPEN_STAGES)).fetchall()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, {stage: (count, cents) for stage, count, cents in rows}


def domain_once(db: Path, day: date) -> tuple[float, dict]:
    from salescrm.domain import reports
    from salescrm.store.engine import read_session
    from salescrm.store.location import resolve

    with read_session(resolve(str(db))) as session:
        start = time.perf_counter()
        report = reports.pipeline_report(session, at=day)
        elapsed = time.perf_counter() - start
    return elapsed, {s["stage"]: (s["count"], round(s["amount"] * 100)) for s in report["stages"] if s["count"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="Keep the database in this directory (and reuse it).")
    args = parser.parse_args()
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="salescrm-reports-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"scale-{args.size}.db"
    if not db.exists():
        seconds = build_demo(db, args.size, str(workdir))
        print(f"demo --size {args.size:,}: built in {seconds:.1f} s ({db.stat().st_size / 2**20:,.0f} MiB)")
    conn = sqlite3.connect(db)
    deals, changes = conn.execute("SELECT (SELECT count(*) FROM deal), (SELECT count(*) FROM stage_change)").fetchone()
    conn.close()
    day = date.today() - timedelta(days=120)  # the synthetic history spans the last year
    print(f"{deals:,} deals, {changes:,} stage changes; pipeline at the end of {day.isoformat()}")

    raw_times, domain_times = [], []
    raw_once(db, day), domain_once(db, day)  # warm the page cache and the imports
    for _ in range(args.runs):
        seconds, raw = raw_once(db, day)
        raw_times.append(seconds)
        seconds, ours = domain_once(db, day)
        domain_times.append(seconds)
    if raw != ours:
        raise SystemExit(f"the report and the raw query disagree:\n  raw    {raw}\n  report {ours}")
    baseline = statistics.median(raw_times)
    in_process = statistics.median(domain_times)
    print("  same figures from the report and the raw query: yes")
    print(row("raw sqlite3 max()-per-group (baseline)", baseline, baseline))
    print(row("reports.pipeline_report in-process", in_process, baseline, target=1.5))

    command = [PY, "-m", "salescrm", "--db", str(db), "report", "pipeline", "--at", day.isoformat(), "--json"]
    whole = wall(command, runs=args.runs, warmup=1)
    floor = wall([PY, str(ROOT / "bench" / "floor_show.py"), str(db)], runs=args.runs, warmup=1)
    current = wall([PY, "-m", "salescrm", "--db", str(db), "pipeline", "show", "--json"], runs=args.runs, warmup=1)
    print(row("report pipeline --at (whole command)", whole, baseline, target=1.5))
    budget = floor + 1.5 * baseline
    print(f"{'  vs start-up floor + 1.5x baseline':<48} {whole:8.3f} s  budget   {budget:8.3f} s  "
          f"{'ok' if whole <= budget else 'OVER'}")
    print(f"{'  start-up floor (bench/floor_show.py)':<48} {floor:8.3f} s")
    print(f"{'  pipeline show --json (today, from the index)':<48} {current:8.3f} s  "
          "(salescrm start-up plus the current pipeline from its covering index)")

    print("\nother reports (whole command, median; for information):")
    others = {
        "report pipeline --at --compare (30 days)": ["report", "pipeline", "--at", day.isoformat(), "--compare",
                                                     (day - timedelta(days=30)).isoformat(), "--json"],
        "report forecast": ["report", "forecast", "--json"],
        "report conversion": ["report", "conversion", "--json"],
        "report cycle": ["report", "cycle", "--json"],
    }
    for name, argv in others.items():
        full = [PY, "-m", "salescrm", "--db", str(db), *argv]
        seconds = wall(full, runs=max(1, args.runs // 2), warmup=1)
        _, peak = peak_rss_mib(full)
        print(f"  {name:<46} {seconds:7.3f} s  peak {peak:6.1f} MiB")
    print(f"\ndatabase in {workdir}")


if __name__ == "__main__":
    main()
