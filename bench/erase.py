"""The cost of `contact erase` on a large SQLite database: the demo with N synthetic deals.

An erasure scans the journal's values for the person's mentions and rebuilds the file (VACUUM) so that no
byte of them is left. Baseline, measured in the same run on the same file: `db backup` (one pass over the
whole file, as VACUUM is) and `contact edit` (a one-record write). Printed: the seconds of each, and the
erasure's ratio to both. Nothing is asserted.

Usage: python bench/erase.py [--size 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY


def timed(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="synthetic deals in the demo database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        env = {**os.environ, "SALESCRM_DB": str(db), "SALESCRM_DATA_DIR": tmp, "SALESCRM_USER": "bench"}
        salescrm = [PY, "-m", "salescrm"]
        timed([*salescrm, "demo", "--size", str(args.size)], env)
        size = db.stat().st_size
        edit = timed([*salescrm, "contact", "edit", "1", "--job-title", "Bench", "--reason", "bench"], env)
        backup = timed([*salescrm, "db", "backup", str(Path(tmp) / "copy.db")], env)
        erase = timed([*salescrm, "contact", "erase", "1", "--reason", "bench", "--yes"], env)
        print(f"demo with {args.size:,} synthetic deals: {size / 2**20:.1f} MiB")
        print(f"contact edit  {edit:7.2f} s")
        print(f"db backup     {backup:7.2f} s")
        print(f"contact erase {erase:7.2f} s   {erase / backup:.1f}x db backup, {erase / edit:.1f}x contact edit")


if __name__ == "__main__":
    main()
