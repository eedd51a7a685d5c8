"""Helpers for the bench scripts: run a command many times and take the median wall time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def wall(argv: list[str], env: dict | None = None, runs: int = 15, warmup: int = 2) -> float:
    """Median wall-clock seconds of running `argv` (stdout discarded), after warm-up runs."""
    full_env = {**os.environ, **(env or {})}
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        p = subprocess.run(argv, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[:500]}")
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times)


def peak_rss_mib(argv: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak resident memory in MiB) of one run, read from the child's rusage."""
    import resource

    full_env = {**os.environ, **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode()[:500]}")
    return elapsed, usage.ru_maxrss / 1024


def row(label: str, value: float, baseline: float, target: float | None = None, unit: str = "s") -> str:
    ratio = value / baseline if baseline else float("inf")
    verdict = "" if target is None else ("  ok" if ratio <= target else f"  OVER target {target}x")
    return f"{label:<48} {value:8.3f} {unit}  baseline {baseline:8.3f} {unit}  ratio {ratio:5.2f}x{verdict}"


def build_demo(db: Path, size: int, data_dir: str) -> float:
    """Seconds to write a `demo --size` database to `db` (the SP-009-001 examples plus `size` synthetic deals)."""
    env = {**os.environ, "SALESCRM_DATA_DIR": data_dir}
    start = time.perf_counter()
    subprocess.run([PY, "-m", "salescrm", "--db", str(db), "demo", "--size", str(size)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start
