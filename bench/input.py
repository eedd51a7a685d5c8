"""Bounded input: the memory and stderr of `lead add --from-json` on a large file of invalid leads.

Issue 11 measured a 50 MB array of invalid leads at 826 MB of memory and 51.7 MB written to stderr.
This script writes such an array (every lead with an invalid email and an unknown channel) and runs
`lead add --from-json` on it as a child process, reading the child's peak resident memory (rusage) and
counting the bytes it writes to stderr. Each figure is printed beside a baseline from the same run: the
same command on a small file of 2 leads, valid for the memory, one of them invalid for stderr (the
message any refused file gets). Also printed: the same array at a tenth of the size (flat
memory means the same peak), `/dev/zero` (stopped at the line bound), and, with --lines, the 50 MB as
JSON lines. Nothing here is asserted in pytest.

Usage: python bench/input.py [--mb 50] [--lines]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY

INVALID = {"first_name": "Eva", "last_name": "Gil", "email": "not-an-email", "company": "DKV", "channel": "fax",
           "keyword": "derma"}
VALID = [{"first_name": "Eva", "last_name": "Gil", "email": "eva@dkv.es", "company": "DKV", "channel": "web-form"},
         {"first_name": "Rita", "last_name": "Luz", "phone": "+34 600 111 333", "channel": "event"}]


def write_invalid(path: Path, megabytes: float, lines: bool) -> int:
    """A file of about `megabytes` MB of invalid leads, as an array or as JSON lines; how many leads."""
    one = json.dumps(INVALID)
    count = int(megabytes * 1_000_000) // (len(one) + 2)
    with open(path, "w", encoding="utf-8") as f:
        # Written piece by piece: a child's peak RSS counts the memory of the parent it was forked from.
        f.write("" if lines else "[")
        for i in range(count):
            f.write(one + "\n" if lines else ("," if i else "") + one + "\n")
        f.write("" if lines else "]\n")
    return count


def run(args: list[str], env: dict) -> tuple[int, float, float, int]:
    """(exit code, seconds, peak RSS in MiB, stderr bytes) of one `salescrm` child process."""
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "salescrm", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr_bytes = 0
    while chunk := proc.stderr.read(1 << 16):
        stderr_bytes += len(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_maxrss / 1024, stderr_bytes


def line(label: str, result, memory, stderr) -> str:
    code, seconds, rss, err = result
    return (f"{label:<34} exit {code}  {seconds:6.1f} s  peak RSS {rss:6.1f} MiB ({rss / memory[2]:4.2f}x)  "
            f"stderr {err:>7,} bytes ({err / max(stderr[3], 1):5.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--lines", action="store_true", help="also the same size as JSON lines")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "SALESCRM_DATA_DIR": str(tmp / "data"), "SALESCRM_DB": str(tmp / "crm.db"),
               "SALESCRM_USER": "bench"}
        import ijson

        print(f"ijson {ijson.__version__}, backend {ijson.backend}")
        small = tmp / "valid.json"
        small.write_text(json.dumps(VALID))
        subprocess.run([PY, "-m", "salescrm", "init"], env=env, check=True, capture_output=True)
        memory = run(["lead", "add", "--from-json", str(small), "--no-follow-up"], env)
        print(line("baseline: 2 valid leads", memory, memory, memory))
        one_bad = tmp / "one-invalid.json"
        one_bad.write_text(json.dumps([VALID[0], INVALID]))
        stderr = run(["lead", "add", "--from-json", str(one_bad)], env)
        print(line("baseline: 1 valid, 1 invalid", stderr, memory, stderr))
        baseline = (memory, stderr)
        tenth = tmp / "tenth.json"
        n = write_invalid(tenth, options.mb / 10, lines=False)
        print(line(f"array, {options.mb / 10:g} MB ({n:,} invalid)", run(["lead", "add", "--from-json", str(tenth)], env), *baseline))
        big = tmp / "big.json"
        n = write_invalid(big, options.mb, lines=False)
        print(line(f"array, {options.mb:g} MB ({n:,} invalid)", run(["lead", "add", "--from-json", str(big)], env), *baseline))
        if options.lines:
            big_lines = tmp / "big.jsonl"
            n = write_invalid(big_lines, options.mb, lines=True)
            print(line(f"lines, {options.mb:g} MB ({n:,} invalid)", run(["lead", "add", "--from-json", str(big_lines)], env), *baseline))
        print(line("/dev/zero", run(["lead", "add", "--from-json", "/dev/zero"], env), *baseline))


if __name__ == "__main__":
    main()
