"""Start-up cost: every salescrm command is a new process, and completion runs one per TAB.

Prints the median wall time of `salescrm --help`, `salescrm deal --help` and a completion request
against a bare Typer app with the same commands (bench/bare_app.py), and of `salescrm deal show 1`
against the stack's floor: a script that imports Typer, rich and SQLModel, opens the same file and
reads that row (bench/floor_show.py). Targets: <= 1.2x and <= 1.15x.

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
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


if __name__ == "__main__":
    main()
