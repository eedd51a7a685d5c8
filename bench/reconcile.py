"""The reconciliation of `db check` (every record against the journal's last values) at scale.

Two databases of N deals (default 100,000), built once:
- `bulk`: `demo --size N`, whose synthetic deals are one bulk journal row, reconciled against the
  digests that row recorded;
- `rows`: the same deals each with its own journal entry (the baseline migration 0005 writes), so
  that each deal is reconciled field by field with the journal.

For each: `salescrm db check` (median of 3 runs: chain, protection and reconciliation) against the
baseline, measured in the same run on the same file, of `salescrm journal verify` (the chain alone);
the difference is the reconciliation's time. Peak memory of `db check` at N/10 and N shows that it
stays flat (windows of ids, ordered queries).

Usage: python bench/reconcile.py [--deals 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, build_demo, peak_rss_mib, row, wall

sys.path.append(str(ROOT))


def build_rows(db: Path, size: int, data_dir: str) -> float:
    """A demo database whose N synthetic deals are each journaled (a baseline entry each), not as one bulk row."""
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from salescrm.store.location import resolve
from salescrm.store import engine
from salescrm.domain import demo
from salescrm.store import reconcile_baseline
location = resolve({str(db)!r})
with engine.write_session(location, actor="bench", command="bench") as s:
    demo.journal.record_bulk = lambda *a, **k: None  # no bulk row: every deal gets its own entry
    demo.add_synthetic(s, {size})
    reconcile_baseline.write_baseline(s.connection(), s.info)
engine.close_all()
"""
    start = time.perf_counter()
    subprocess.run([PY, "-c", script], env={**os.environ, "SALESCRM_DATA_DIR": data_dir}, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    data_dir = str(tmp / "data")
    env = {"SALESCRM_DATA_DIR": data_dir}
    try:
        print(f"Reconciliation at {args.deals:,} deals (db check vs journal verify on the same file, median of 3)")
        for kind, build in (("bulk", lambda p, n: build_demo(p, n, data_dir)), ("rows", lambda p, n: build_rows(p, n, data_dir))):
            db = tmp / f"{kind}.db"
            built = build(db, args.deals)
            print(f"  built the {kind} database in {built:.1f} s")
            check = wall([PY, "-m", "salescrm", "--db", str(db), "db", "check"], env, runs=3, warmup=1)
            verify = wall([PY, "-m", "salescrm", "--db", str(db), "journal", "verify"], env, runs=3, warmup=1)
            print(row(f"db check, {kind} ({args.deals:,} deals)", check, verify))
            print(f"  reconciliation alone (db check - journal verify): {check - verify:.2f} s")
        small = tmp / "small.db"
        build_rows(small, args.deals // 10, data_dir)
        _, rss_small = peak_rss_mib([PY, "-m", "salescrm", "--db", str(small), "db", "check"], env)
        _, rss_large = peak_rss_mib([PY, "-m", "salescrm", "--db", str(tmp / "rows.db"), "db", "check"], env)
        print(row(f"peak memory of db check, {args.deals:,} vs {args.deals // 10:,} deals", rss_large, rss_small,
                  target=1.25, unit="MiB"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
