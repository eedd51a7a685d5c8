"""`db restore` while salescrm writers write: no acknowledged write may be lost (run by concurrency.py --restores).

W writer threads each run `activity log` as its own `python -m salescrm` process, one after another, until
the restores are done; meanwhile R restores of one backup run, a random short while apart. A write that
exited 0 must be in the database "as it was before" of a later restore, or in the database at the end
(each restore brings back a backup that holds none of these writes). Printed: the restores run, the
writes acknowledged, and the writes lost (expected: 0).
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from common import PY

CONTACT = "buyer@race.example"


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "salescrm", *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _must(args: list[str], env: dict) -> str:
    p = _run(args, env)
    if p.returncode != 0:
        raise SystemExit(f"preparing: salescrm {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p.stdout


def _summaries(path: Path) -> set[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {s for (s,) in con.execute("SELECT summary FROM activity")}
    finally:
        con.close()


def race(tmp: Path, writers: int, restores: int, seed: int) -> bool:
    rng = random.Random(seed)
    db = tmp / "restore-race.db"
    env = {**os.environ, "SALESCRM_DB": str(db), "SALESCRM_DATA_DIR": str(tmp / "data"), "SALESCRM_USER": "bench-setup"}
    _must(["team", "add", "Ana García", "--role", "JD-019"], env)
    _must(["company", "add", "Race Clinic", "--country", "ES", "--website", "https://race.example"], env)
    _must(["contact", "add", "--first-name", "Buyer", "--last-name", "Race", "--job-title", "Head of Purchasing",
           "--company", "Race Clinic", "--email", CONTACT], env)
    backup = tmp / "restore-race-backup.db"
    _must(["db", "backup", str(backup)], env)

    done = threading.Event()
    acknowledged: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        n = 0
        wenv = {**env, "SALESCRM_USER": f"bench-{w}"}
        while not done.is_set():
            n += 1
            summary = f"Race call {w}-{n}"
            p = _run(["activity", "log", "--contact", CONTACT, "--type", "call", "--direction", "outbound",
                      "--summary", summary], wenv)
            with lock:
                if p.returncode == 0:
                    acknowledged.append(summary)
                else:
                    failed.append(f"{summary}: exit {p.returncode}: {p.stderr.strip()[:300]}")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    befores: list[Path] = []
    restore_failures: list[str] = []
    for _ in range(restores):
        time.sleep(rng.uniform(0.2, 1.5))
        p = _run(["db", "restore", str(backup), "--force"], env)
        if p.returncode != 0:
            restore_failures.append(f"restore: exit {p.returncode}: {p.stderr.strip()[:300]}")
            continue
        m = re.search(r"is kept in (.+\.bak)\.", p.stdout)
        if m:
            befores.append(Path(m.group(1)))
    time.sleep(rng.uniform(0.2, 1.0))
    done.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    kept = _summaries(db)
    for before in befores:
        kept |= _summaries(before)
    lost = [s for s in acknowledged if s not in kept]
    verify = _run(["journal", "verify"], env)
    print(f"\n== SQLite: {restores} restores under {writers} writers ({wall:.1f} s)")
    print(f"  restores run: {len(befores)} of {restores}; writes acknowledged (exit 0): {len(acknowledged)}; "
          f"writes failed: {len(failed)}; writes lost: {len(lost)} (expected: 0)")
    print(f"  journal verify after the last restore: exit {verify.returncode}")
    for line in (restore_failures + failed + [f"lost: {s}" for s in lost])[:50]:
        print(f"    FAIL {line}")
    return not (lost or failed or restore_failures) and len(befores) == restores and verify.returncode == 0
