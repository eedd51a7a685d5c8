"""`salescrm import contacts` of N contacts with their companies, through every rule, against a bare baseline.

Writes a CSV of N contacts (name, email, phone, job title) each at its own company, imports the companies
and then the contacts into a new SQLite database as child processes (wall time and peak resident memory
from rusage), and prints those beside the baseline measured in the same run: Python's csv module and
sqlite3 `executemany` of the same contacts file into a bare table, the floor any importer stands on. The
issue's own baseline, `sqlite-utils insert --csv`, is used instead when it is installed (`pip install
".[bench]"`). Also printed: the
peak memory at N and at N/10 (streamed: the two should be close). Nothing here is asserted in pytest.

Usage: python bench/import.py [--rows 2000]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY


def write(path: Path, rows: int) -> tuple[Path, Path]:
    companies, contacts = path / "companies.csv", path / "contacts.csv"
    with open(companies, "w", newline="", encoding="utf-8") as c, open(contacts, "w", newline="", encoding="utf-8") as p:
        cw, pw = csv.writer(c), csv.writer(p)
        cw.writerow(["Record ID", "Company name", "Country/Region", "Website URL"])
        pw.writerow(["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Associated Company"])
        for i in range(rows):
            cw.writerow([i, f"Clínica {i:06d} Médica", "Spain", f"clinica{i}.es"])
            pw.writerow([i, f"Ana{i}", "García", f"ana{i}@clinica{i}.es", f"+34 6{i:08d}", "Buyer", f"Clínica {i:06d} Médica"])
    return companies, contacts


def child(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    p = subprocess.run(argv, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def sqlite_utils() -> str | None:
    """The sqlite-utils command (`pip install ".[bench]"`): beside this interpreter, else on PATH."""
    beside = Path(PY).with_name("sqlite-utils")
    return str(beside) if beside.exists() else shutil.which("sqlite-utils")


def baseline(contacts: Path, db: Path) -> float:
    start = time.perf_counter()
    if sqlite_utils():
        subprocess.run([sqlite_utils(), "insert", str(db), "contacts", str(contacts), "--csv"], check=True)
    else:
        with open(contacts, newline="", encoding="utf-8") as f, sqlite3.connect(db) as conn:
            reader = csv.reader(f)
            header = next(reader)
            conn.execute(f"CREATE TABLE contacts ({', '.join(f'c{i}' for i in range(len(header)))})")
            conn.executemany(f"INSERT INTO contacts VALUES ({', '.join('?' * len(header))})", reader)
    return time.perf_counter() - start


def run(rows: int, work: Path) -> tuple[float, float, float]:
    companies, contacts = write(work, rows)
    env = {**os.environ, "SALESCRM_DB": str(work / "crm.db"), "SALESCRM_USER": "bench",
           "SALESCRM_DATA_DIR": str(work / "data")}
    subprocess.run([PY, "-m", "salescrm", "init"], env=env, check=True, capture_output=True)
    seconds_companies, _ = child([PY, "-m", "salescrm", "import", "companies", str(companies)], env)
    seconds_contacts, peak = child([PY, "-m", "salescrm", "import", "contacts", str(contacts)], env)
    return seconds_companies + seconds_contacts, peak, baseline(contacts, work / "bare.db")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as large_dir:
        _, small_peak, _ = run(max(args.rows // 10, 1), Path(small_dir))
        seconds, peak, floor = run(args.rows, Path(large_dir))
    name = "sqlite-utils insert --csv" if sqlite_utils() else "csv + sqlite3 executemany"
    print(f"{args.rows} contacts with their companies: import {seconds:.2f} s ({args.rows / seconds:.0f} rows/s); "
          f"{name} of the contacts {floor:.3f} s; ratio {seconds / floor:.0f}x (target: 2x sqlite-utils)")
    print(f"peak RSS: {peak:.0f} MiB at {args.rows} rows, {small_peak:.0f} MiB at {max(args.rows // 10, 1)} "
          f"(ratio {peak / small_peak:.2f}; target 1.25)")


if __name__ == "__main__":
    main()
