"""Scale: demo databases of 10k and 1M deals, and the commands a manager runs on them.

For each size: builds the database with `salescrm demo --size N` (timed; target for 1M: under two
minutes), then times `pipeline show --json`, `deal list --stage Discovered --json` and `deal show 1`
(median of a few runs) with their peak memory, against the raw sqlite3 aggregate on the same file
(the same GROUP BY, in-process) and the stack's start-up floor (bench/floor_show.py).
Targets: `pipeline show` on 1M deals <= floor + 1.5x the raw aggregate; peak memory at 1M <= 1.25x at 10k.

Usage: python bench/scale.py [--sizes 10000,1000000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, build_demo, peak_rss_mib, wall

OPEN_STAGES = ("Prospected", "Qualified", "Discovered", "Implementation Defined", "Offer Sent", "Offer Approved", "Contract Signed")
RAW_AGGREGATE = (
    "SELECT stage, count(*), coalesce(sum(amount_cents), 0) FROM deal WHERE pipeline = 'Sales' AND stage IN "
    f"({', '.join('?' for _ in OPEN_STAGES)}) GROUP BY stage"
)


def raw_aggregate_seconds(db: Path, runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        conn = sqlite3.connect(db)
        start = time.perf_counter()
        conn.execute(RAW_AGGREGATE, OPEN_STAGES).fetchall()
        times.append(time.perf_counter() - start)
        conn.close()
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="Keep the databases in this directory (and reuse them).")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="salescrm-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    commands = {
        "pipeline show --json": ["pipeline", "show", "--json"],
        "deal list --stage Discovered --json": ["deal", "list", "--stage", "Discovered", "--json"],
        "deal show 1": ["deal", "show", "1"],
    }
    peaks: dict[str, dict[int, float]] = {name: {} for name in commands}
    results = {}
    for size in sizes:
        db = workdir / f"scale-{size}.db"
        if not db.exists():
            seconds = build_demo(db, size, str(workdir))
            print(f"demo --size {size:>9,}: built in {seconds:7.1f} s ({db.stat().st_size / 2**20:,.0f} MiB)")
        floor = wall([PY, str(ROOT / "bench" / "floor_show.py"), str(db)], runs=args.runs)
        raw = raw_aggregate_seconds(db, args.runs)
        print(f"\n{size:,} deals: start-up floor {floor:.3f} s, raw sqlite3 aggregate {raw * 1000:.1f} ms")
        for name, argv in commands.items():
            full = [PY, "-m", "salescrm", "--db", str(db), *argv]
            seconds = wall(full, runs=args.runs, warmup=1)
            _, peak = peak_rss_mib(full)
            peaks[name][size] = peak
            results[(name, size)] = seconds
            print(f"  {name:<38} {seconds:7.3f} s  peak {peak:7.1f} MiB")
        budget = floor + 1.5 * raw
        seconds = results[("pipeline show --json", size)]
        verdict = "ok" if seconds <= budget else "OVER"
        print(f"  pipeline show: {seconds:.3f} s vs floor + 1.5x raw = {budget:.3f} s  {verdict}")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\npeak memory at {large:,} vs {small:,} (target <= 1.25x):")
        for name in commands:
            ratio = peaks[name][large] / peaks[name][small]
            print(f"  {name:<38} {peaks[name][small]:7.1f} -> {peaks[name][large]:7.1f} MiB  {ratio:4.2f}x "
                  f"{'ok' if ratio <= 1.25 else 'OVER'}")
    print(f"\ndatabases in {workdir}")


if __name__ == "__main__":
    main()
