"""`salescrm import` at scale, through every rule, against `sqlite-utils insert --csv` measured in the same run.

1. Contacts with their companies (`--rows N`, default 2,000): one HubSpot-shaped CSV of N contacts (name,
   email, phone, job title, Company name, Country/Region), each naming its own company, imported by one
   `salescrm import contacts` into a new SQLite database as a child process: every contact and every company
   goes through the rules (the one-company rule included), with its journal entries; the time beside
   `sqlite-utils insert --csv` of the same file into a bare table (the issue's baseline; `pip install
   ".[bench]"`, else Python's csv and sqlite3 `executemany`). Peak resident memory (wait4's rusage of the
   child) at N and at N/10: the import streams, so the two should be close (target 1.25x).
2. Deals with their stage history (`--deals N`, default 1,000; 0 skips): N deals, half open in
   Prospected and half Closed Lost (a creation and a lost move each), with their companies, beside
   `sqlite-utils insert --csv` of the deals file.
3. An export at scale (`--export-deals N`, default 0: skipped; the issue asks for 1,000,000): a
   `demo --size N` database exported as CSV, with its time and peak memory.

Nothing here is asserted in pytest. Usage: python bench/import.py [--rows 2000] [--deals 1000] [--export-deals 0]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY, build_demo, peak_rss_mib


def write(path: Path, rows: int) -> tuple[Path, Path]:
    """The companies file (for the deals run) and the contacts file, whose rows name their companies."""
    companies, contacts = path / "companies.csv", path / "contacts.csv"
    with open(companies, "w", newline="", encoding="utf-8") as c, open(contacts, "w", newline="", encoding="utf-8") as p:
        cw, pw = csv.writer(c), csv.writer(p)
        cw.writerow(["Record ID", "Company name", "Country/Region", "Website URL"])
        pw.writerow(["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company name",
                     "Country/Region"])
        for i in range(rows):
            cw.writerow([i, f"Clínica {i:06d} Médica", "Spain", f"clinica{i}.es"])
            pw.writerow([i, f"Ana{i}", "García", f"ana{i}@clinica{i}.es", f"+34 6{i:08d}", "Buyer",
                         f"Clínica {i:06d} Médica", "Spain"])
    return companies, contacts


def write_deals(path: Path, rows: int) -> Path:
    deals = path / "deals.csv"
    with open(deals, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Deal owner", "Associated Company",
                    "Create Date", "Closed lost reason"])
        for i in range(rows):
            lost = i % 2 == 1
            w.writerow([i, f"Deal {i}", "Closed Lost" if lost else "Prospected", 1000 + i,
                        "2026-05-01" if lost else "2027-05-01", "Bench Owner", f"Clínica {i:06d} Médica", "2026-01-05",
                        "Budget frozen" if lost else ""])
    return deals


def sqlite_utils() -> str | None:
    """The sqlite-utils command (`pip install ".[bench]"`): beside this interpreter, else on PATH."""
    beside = Path(PY).with_name("sqlite-utils")
    return str(beside) if beside.exists() else shutil.which("sqlite-utils")


def baseline(path: Path, db: Path) -> float:
    start = time.perf_counter()
    if sqlite_utils():
        subprocess.run([sqlite_utils(), "insert", str(db), "rows", str(path), "--csv"], check=True)
    else:
        with open(path, newline="", encoding="utf-8") as f, sqlite3.connect(db) as conn:
            reader = csv.reader(f)
            header = next(reader)
            conn.execute(f"CREATE TABLE rows ({', '.join(f'c{i}' for i in range(len(header)))})")
            conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(header))})", reader)
    return time.perf_counter() - start


def _env(work: Path) -> dict:
    return {**os.environ, "SALESCRM_DB": str(work / "crm.db"), "SALESCRM_USER": "bench", "SALESCRM_DATA_DIR": str(work / "data")}


def contacts_run(rows: int, work: Path) -> dict:
    _, contacts = write(work, rows)
    env = _env(work)
    subprocess.run([PY, "-m", "salescrm", "init"], env=env, check=True, capture_output=True)
    before = baseline(contacts, work / "bare-before.db")
    seconds, peak = peak_rss_mib([PY, "-m", "salescrm", "import", "contacts", str(contacts)], env)
    found = sqlite3.connect(work / "crm.db").execute(
        "SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM company), (SELECT count(*) FROM journal)").fetchone()
    # The baseline before and after the import, which bracket it in time, and their mean: the machine's speed
    # drifts from minute to minute.
    after = baseline(contacts, work / "bare.db")
    return {"seconds": seconds, "peak": peak, "found": found, "baseline": (before + after) / 2, "baselines": (before, after)}


def deals_run(rows: int, work: Path) -> dict:
    companies, _ = write(work, rows)
    deals = write_deals(work, rows)
    env = _env(work)
    subprocess.run([PY, "-m", "salescrm", "init"], env=env, check=True, capture_output=True)
    subprocess.run([PY, "-m", "salescrm", "team", "add", "Bench Owner", "--role", "JD-019"], env=env, check=True,
                   capture_output=True)
    subprocess.run([PY, "-m", "salescrm", "import", "companies", str(companies)], env=env, check=True, capture_output=True)
    seconds, peak = peak_rss_mib([PY, "-m", "salescrm", "import", "deals", str(deals),
                                  "--default", "deal_class=Care provider inpatient private", "--default", "source=HubSpot"], env)
    history = sqlite3.connect(work / "crm.db").execute("SELECT count(*) FROM stage_change").fetchone()[0]
    return {"seconds": seconds, "peak": peak, "history": history, "baseline": baseline(deals, work / "bare.db")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--export-deals", type=int, default=0)
    args = parser.parse_args()
    name = "sqlite-utils insert --csv" if sqlite_utils() else "csv + sqlite3 executemany"
    small_rows = max(args.rows // 10, 1)
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as large_dir:
        small = contacts_run(small_rows, Path(small_dir))
        large = contacts_run(args.rows, Path(large_dir))
    contacts, companies, entries = large["found"]
    print(f"{args.rows} contacts with their companies ({contacts} contacts, {companies} companies, {entries} journal "
          f"entries): import {large['seconds']:.2f} s ({args.rows / large['seconds']:.0f} rows/s); {name} of the same file "
          f"{large['baseline']:.3f} s (the mean of {large['baselines'][0]:.3f} s before and {large['baselines'][1]:.3f} s "
          f"after); ratio {large['seconds'] / large['baseline']:.2f}x (target: 2x sqlite-utils)")
    print(f"  at {small_rows} rows: {small['seconds']:.2f} s, ratio {small['seconds'] / small['baseline']:.2f}x")
    print(f"  peak RSS: {large['peak']:.0f} MiB at {args.rows} rows, {small['peak']:.0f} MiB at {small_rows} "
          f"(ratio {large['peak'] / small['peak']:.2f}; target 1.25)")
    if args.deals:
        with tempfile.TemporaryDirectory() as work:
            d = deals_run(args.deals, Path(work))
        print(f"{args.deals} deals with their stage history ({d['history']} stage changes): import {d['seconds']:.2f} s "
              f"({args.deals / d['seconds']:.0f} rows/s), peak {d['peak']:.0f} MiB; {name} of the deals {d['baseline']:.3f} s; "
              f"ratio {d['seconds'] / d['baseline']:.1f}x")
    if args.export_deals:
        with tempfile.TemporaryDirectory() as work:
            db = Path(work) / "demo.db"
            built = build_demo(db, args.export_deals, work)
            out = Path(work) / "deals.csv"
            secs, peak = peak_rss_mib([PY, "-m", "salescrm", "--db", str(db), "export", "deals", "--output", str(out)],
                                      {"SALESCRM_DATA_DIR": work})
            print(f"export deals of demo --size {args.export_deals} (built in {built:.0f} s): {secs:.1f} s "
                  f"({args.export_deals / secs:.0f} deals/s), peak {peak:.0f} MiB, {out.stat().st_size / 2**20:.0f} MiB file")


if __name__ == "__main__":
    main()
