"""`db check` at scale, check by check.

On a `demo --size N` database (default 100,000 deals): the time of each check in `DB_CHECKS` (in one
process, one read snapshot, as `db check` runs them), and the wall time of `salescrm db check`;
baseline, same run: `salescrm pipeline show --json` on the same file (start-up plus one aggregate).

Usage: python bench/checks.py [--size 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, build_demo

sys.path.append(str(ROOT))


def wall_once(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    p = subprocess.run(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {p.stderr.decode()[:500]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = {"SALESCRM_DATA_DIR": tmp, "SALESCRM_DB": str(db)}
        print(f"demo --size {args.size}: built in {build_demo(db, args.size, tmp):.1f} s")
        os.environ.update(env)
        from salescrm.domain.db_checks import DB_CHECKS, CheckContext
        from salescrm.store.engine import HEAD_REVISION, dispose_all, read_session
        from salescrm.store.location import resolve

        with read_session(resolve(str(db))) as session:
            ctx = CheckContext(session, "sqlite", HEAD_REVISION, HEAD_REVISION)
            for check in DB_CHECKS:
                start = time.perf_counter()
                ran = check(ctx)
                print(f"  {check.__name__:<16} {time.perf_counter() - start:7.2f} s"
                      + (f"  ({len(ran.problems)} problems)" if ran else "  (does not apply)"))
        dispose_all()
        base = min(wall_once([PY, "-m", "salescrm", "pipeline", "show", "--json"], env) for _ in range(3))
        full = min(wall_once([PY, "-m", "salescrm", "db", "check"], env) for _ in range(3))
        print(f"salescrm db check: {full:.2f} s; baseline pipeline show --json: {base:.2f} s; ratio {full / base:.1f}x")


if __name__ == "__main__":
    main()
