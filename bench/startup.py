"""Start-up cost: every salescrm command is a new process, and completion runs one per TAB.

Prints the median wall time of `salescrm --help`, `salescrm deal --help` and a completion request
against a bare Typer app with the same commands (bench/bare_app.py), and of `salescrm deal show 1`
against the stack's floor: a script that imports Typer, rich and SQLModel, opens the same file and
reads that row (bench/floor_show.py). Targets: <= 1.2x and <= 1.15x.

The process file: the median time to parse and validate the shipped sp-009-001 file in-process, beside
tomllib's parse of the same text alone (target: under 10 ms), and the CPU time of a fresh interpreter
that imports the process package and loads the file, beside one that imports only what it builds on
(salescrm, tomllib, dataclasses, pathlib, and typing, which Typer imports anyway). With PYTHONDONTWRITEBYTECODE set, every salescrm module is
compiled on each run: unset it (or set PYTHONPYCACHEPREFIX) for the figures an installed package gives.

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, row, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    bare = [PY, str(ROOT / "bench" / "bare_app.py")]
    crm = [PY, "-m", "salescrm"]
    complete = {"COMP_WORDS": "x deal ", "COMP_CWORD": "2"}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = {"SALESCRM_DB": str(db), "SALESCRM_DATA_DIR": tmp}
        subprocess.run(crm + ["demo"], env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
        print(f"median of {runs} runs each")
        print(row("salescrm --help", wall(crm + ["--help"], env, runs), wall(bare + ["--help"], runs=runs), 1.2))
        print(row("salescrm deal --help", wall(crm + ["deal", "--help"], env, runs), wall(bare + ["deal", "--help"], runs=runs), 1.2))
        print(row(
            "completion of `salescrm deal <TAB>`",
            wall(crm, {**env, **complete, "_SALESCRM_COMPLETE": "complete_bash"}, runs),
            wall(bare, {**complete, "_BARE_COMPLETE": "complete_bash"}, runs=runs),
            1.2,
        ))
        floor = wall([PY, str(ROOT / "bench" / "floor_show.py"), str(db)], runs=runs)
        print(row("salescrm deal show 1 (vs Typer+rich+SQLModel floor)", wall(crm + ["deal", "show", "1"], env, runs), floor, 1.15))
    process_load(runs)


def process_load(runs: int) -> None:
    """Loading and validating the process file: in-process (vs tomllib alone), and in a fresh interpreter."""
    import tomllib

    from salescrm.process import load

    text = load.shipped_text(load.DEFAULT)

    def median_ms(fn) -> float:
        times = []
        for _ in range(max(runs, 50)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    loaded, parsed = median_ms(lambda: load.loads(text)), median_ms(lambda: tomllib.loads(text))
    verdict = "  ok" if loaded < 10 else "  OVER target 10 ms"
    print(row("process: load and validate sp-009-001 (vs tomllib)", loaded, parsed, unit="ms") + verdict)
    hp = load.shipped_text("health-prime")  # three pipelines, 42 properties, 54 rules
    loaded, parsed = median_ms(lambda: load.loads(hp)), median_ms(lambda: tomllib.loads(hp))
    verdict = "  ok" if loaded < 10 else "  OVER target 10 ms"
    print(row("process: load and validate health-prime (vs tomllib)", loaded, parsed, unit="ms") + verdict)
    # CPU time (user + system) of the child: on a shared machine, wall time mostly measures the neighbours.
    fresh = cpu([PY, "-c", "import salescrm.process as p; p.default()"], runs)
    floor = cpu([PY, "-c", "import salescrm, tomllib, dataclasses, pathlib, typing"], runs)  # typer imports typing
    print(row("process: import and first load, fresh interpreter (CPU)", fresh, floor)
          + f"  (+{(fresh - floor) * 1000:.1f} ms)")


def cpu(argv: list[str], runs: int) -> float:
    """Median CPU seconds (user + system) of running `argv`, read from the child's rusage."""
    times = []
    for _ in range(runs + 2):
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed")
        times.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(times[2:])


if __name__ == "__main__":
    main()
