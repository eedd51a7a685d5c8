"""Next steps and due tasks at scale: `deal next-steps` and `task due` must stay in SQL on their indexes.

Builds a `demo --size N` database (default 100,000 deals), gives half of the open deals a next-step
task (a tenth of them overdue) and adds as many tasks on companies, then times, each beside a baseline
from the same run on the same file:
- `deal next-steps --json` (every open deal with its earliest open task) vs `deal list --open --json`
  (the same open deals streamed, without tasks): target <= 1.5x.
- `task due --json` (the overdue tenth) vs `pipeline show --json` (start-up plus one aggregate): target <= 1.5x.
Peak memory of both at N vs N/10 shows whether they stream.

Usage: python bench/tasks.py [--size 100000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import PY, build_demo, peak_rss_mib, row, wall


def build(tmp: Path, size: int) -> Path:
    db = tmp / f"tasks{size}.db"
    build_demo(db, size, str(tmp / "data"))
    con = sqlite3.connect(db)
    try:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        open_deals = [r[0] for r in con.execute(
            "SELECT id, company_id FROM deal WHERE stage NOT IN ('Lost', 'Payment Done') ORDER BY id")]
        rows = []
        for n, deal_id in enumerate(open_deals[::2]):
            due = now + (timedelta(days=-3) if n % 10 == 0 else timedelta(days=7 + n % 50))
            rows.append(("Next step", "task", due.isoformat(" "), 1, deal_id, None, 0, now.isoformat(" "), "bench", 1))
            rows.append(("Call", "follow-up", (now + timedelta(days=30)).isoformat(" "), 1, None, 1, 0, now.isoformat(" "),
                         "bench", 1))
        con.executemany("INSERT INTO task (title, kind, due, owner_id, deal_id, company_id, done, created_at, created_by, "
                        "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.commit()
        print(f"demo --size {size:,}: {len(open_deals):,} open deals, {len(rows):,} tasks added")
    finally:
        con.close()
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="salescrm-tasks-") as tmp_name:
        tmp = Path(tmp_name)
        peaks: dict[str, dict[int, float]] = {"next-steps": {}, "task due": {}}
        for size in (args.size // 10, args.size):
            db = build(tmp, size)
            env = {"SALESCRM_DB": str(db), "SALESCRM_DATA_DIR": str(tmp / "data")}
            crm = [PY, "-m", "salescrm"]
            steps = wall(crm + ["deal", "next-steps", "--json"], env, runs=args.runs, warmup=1)
            listed = wall(crm + ["deal", "list", "--open", "--json"], env, runs=args.runs, warmup=1)
            due = _wall_allowing_1(crm + ["task", "due", "--json"], env, args.runs)
            pipeline = wall(crm + ["pipeline", "show", "--json"], env, runs=args.runs, warmup=1)
            print(row(f"  deal next-steps --json ({size:,})", steps, listed, 1.5))
            print(row(f"  task due --json ({size:,})", due, pipeline, 1.5))
            peaks["next-steps"][size] = peak_rss_mib(crm + ["deal", "next-steps", "--json"], env)[1]
            peaks["task due"][size] = _peak_allowing_1(crm + ["task", "due", "--json"], env)
        small, large = args.size // 10, args.size
        for name, by_size in peaks.items():
            print(f"  peak memory {name:<12} {by_size[small]:6.1f} MiB at {small:,} -> {by_size[large]:6.1f} MiB at "
                  f"{large:,}: {by_size[large] / by_size[small]:.2f}x")


def _wall_allowing_1(argv: list[str], env: dict, runs: int) -> float:
    """`task due` exits 1 when something is due (that is the point here)."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        p = subprocess.run(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[:300]}")
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[len(times[1:]) // 2]


def _peak_allowing_1(argv: list[str], env: dict) -> float:
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode()[:300]}")
    return usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
