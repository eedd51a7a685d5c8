"""Export streams: `salescrm export deals` at a small and a large size, with its peak memory.

Builds `demo --size N` databases, exports every deal as CSV and as xlsx to a file, and prints the wall
time and peak RSS of each, with the large size's peak as a ratio of the small one's (target: at most
1.25x: memory stays flat, since records are read a chunk at a time and rows written as they come).

Usage: python bench/export.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import PY, build_demo, peak_rss_mib, row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    small, large = (int(s) for s in parser.parse_args().sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        peaks = {}
        for size in (small, large):
            db = Path(tmp) / f"demo-{size}.db"
            built = build_demo(db, size, tmp)
            print(f"demo --size {size:,}: built in {built:.1f} s")
            for fmt in ("csv", "xlsx"):
                out = Path(tmp) / f"deals-{size}.{fmt}"
                seconds, peak = peak_rss_mib([PY, "-m", "salescrm", "--db", str(db), "export", "deals", "--format", fmt,
                                              "--output", str(out)], {"SALESCRM_DATA_DIR": tmp})
                peaks[size, fmt] = peak
                print(f"  export deals --format {fmt}: {seconds:.1f} s, peak {peak:.0f} MiB, {out.stat().st_size / 2**20:.1f} MiB file")
        for fmt in ("csv", "xlsx"):
            print(row(f"peak RSS, {large:,} vs {small:,} deals ({fmt})", peaks[large, fmt], peaks[small, fmt], 1.25, "MiB"))


if __name__ == "__main__":
    main()
