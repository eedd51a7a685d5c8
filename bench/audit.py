"""The audit at scale.

1. The duplicate-company check on N companies (default 100,000) with 2 % planted near-duplicates
   (accents, case, legal forms, one-letter typos): time, recall of the planted pairs, precision.
   Baseline, same run: grouping by the folded key alone (fast, but blind to typos).
   Target: <= 3 s here, recall >= 99 %.
2. `salescrm audit --json` on `demo --size` databases (default 10,000 and 1,000,000 deals): wall time and
   peak memory; baseline, same run: `salescrm pipeline show --json` on the same file (start-up plus one
   aggregate). Targets: well under a minute at 1M; peak memory at 1M <= 1.25x at 10k (flat).

Usage: python bench/audit.py [--companies 100000] [--sizes 10000,1000000] [--skip-database]
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, build_demo, peak_rss_mib

sys.path.append(str(ROOT))

CONSONANTS = "bcdfghjklmnprstvxz"
VOWELS = "aeiou"
WORDS = ["Health", "Clinic", "Pharma", "Labs", "Medical", "Hospital", "Care", "Diagnostics", "Dermatology", "Therapeutics",
         "Biotech", "Group", "Salud", "Santé", "Klinik", "Sanidad"]
ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"}
LEGAL_FORMS = [" S.A.", ", S.L.", " GmbH", " AG", " Ltd", " Inc."]


def synthetic_names(count: int, rng: random.Random) -> list[str]:
    """Brand-like names (`Vestoralix Pharma`): a pronounceable stem of 6 to 11 letters (consonants, sometimes two
    together, and vowels), often with a common word. Real names are at least this sparse: few of them are one
    letter apart by accident, which is what the precision below measures."""
    names: set[str] = set()
    while len(names) < count:
        length = rng.randint(6, 11)
        letters = []
        while len(letters) < length:
            letters.append(rng.choice(CONSONANTS))
            if rng.random() < 0.3:
                letters.append(rng.choice(CONSONANTS))
            letters.append(rng.choice(VOWELS))
        stem = "".join(letters[:length]).capitalize()
        names.add(f"{stem} {rng.choice(WORDS)}" if rng.random() < 0.7 else stem)
    return sorted(names)


def near_duplicate(name: str, rng: random.Random) -> str:
    kind = rng.choice(["accents", "case", "legal", "typo"])
    if kind == "accents":
        chars = [ACCENTS.get(c, c) if c in ACCENTS and rng.random() < 0.5 else c for c in name]
        changed = "".join(chars)
        return changed if changed != name else name.upper()
    if kind == "case":
        return name.upper() if rng.random() < 0.5 else name.lower()
    if kind == "legal":
        return name + rng.choice(LEGAL_FORMS)
    i = rng.randrange(1, len(name) - 1)
    op = rng.choice(["substitute", "delete", "insert"])
    letter = rng.choice(string.ascii_lowercase)
    if op == "substitute":
        return name[:i] + letter + name[i + 1:]
    if op == "delete":
        return name[:i] + name[i + 1:]
    return name[:i] + letter + name[i:]


def bench_duplicates(count: int) -> None:
    from salescrm.domain.audit import FUZZY_MIN_LENGTH, duplicate_company_pairs, folded

    rng = random.Random(2026)
    planted_count = count * 2 // 100
    originals = synthetic_names(count - planted_count, rng)
    names = {i + 1: n for i, n in enumerate(originals)}
    planted: set[tuple[int, int]] = set()
    for source in rng.sample(range(1, len(originals) + 1), planted_count):
        copy = near_duplicate(names[source], rng)
        new_id = len(names) + 1
        names[new_id] = copy
        planted.add((source, new_id))
    # Planted pairs the check cannot be asked to find: a typo in a name shorter than the fuzzy minimum.
    findable = {p for p in planted if folded(names[p[0]]) == folded(names[p[1]])
                or min(len(folded(names[p[0]])), len(folded(names[p[1]]))) >= FUZZY_MIN_LENGTH}

    start = time.perf_counter()
    by_key: dict[str, list[int]] = {}
    for cid, name in names.items():
        by_key.setdefault(folded(name), []).append(cid)
    baseline_pairs = {(ids[0], other) for ids in by_key.values() for other in ids[1:]}
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    found = {(a, b) for a, b, _ in duplicate_company_pairs(names)}
    seconds = time.perf_counter() - start

    hits = len(found & planted)
    recall = hits / len(planted)
    recall_findable = len(found & findable) / len(findable)
    precision = hits / len(found) if found else 1.0
    base_recall = len(baseline_pairs & planted) / len(planted)
    print(f"duplicate-company on {len(names):,} companies, {len(planted):,} planted near-duplicates:")
    print(f"  blocked fuzzy match (ours)    {seconds:6.2f} s   recall {recall:6.1%} ({recall_findable:6.1%} of the "
          f"{len(findable):,} with names of {FUZZY_MIN_LENGTH}+ letters)   precision {precision:6.1%} "
          f"({len(found) - hits} pairs not planted)")
    print(f"  baseline: folded key alone    {baseline:6.2f} s   recall {base_recall:6.1%}")
    print(f"  target: <= 3 s and recall >= 99 %: {'ok' if seconds <= 3 and recall >= 0.99 else 'NOT MET'}")


def bench_database(sizes: list[int]) -> None:
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="salescrm-audit-") as tmp:
        env = {**os.environ, "SALESCRM_DATA_DIR": str(Path(tmp) / "data"), "SALESCRM_USER": "bench"}
        for size in sizes:
            db = Path(tmp) / f"d{size}.db"
            env["SALESCRM_DB"] = str(db)
            start = time.perf_counter()
            build_demo(db, size, str(Path(tmp) / "data"))
            print(f"\ndemo --size {size:,}: built in {time.perf_counter() - start:.1f} s")
            base_seconds, base_peak = peak_rss_mib([PY, "-m", "salescrm", "pipeline", "show", "--json"], env)
            seconds, peak = peak_rss_mib([PY, "-m", "salescrm", "audit", "--json", "--fail-on", "never"], env)
            peaks[size] = peak
            print(f"  audit --json                  {seconds:7.2f} s  peak {peak:7.1f} MiB")
            print(f"  baseline: pipeline show       {base_seconds:7.2f} s  peak {base_peak:7.1f} MiB  "
                  f"(audit is {seconds / base_seconds:.1f}x)")
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        ratio = peaks[large] / peaks[small]
        print(f"\npeak memory of audit at {large:,} vs {small:,}: {ratio:.2f}x (target <= 1.25x): "
              f"{'ok' if ratio <= 1.25 else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--skip-database", action="store_true")
    args = parser.parse_args()
    # The databases first: a child forked from this process after it has built 100,000 names would report
    # this process's memory as its own peak.
    if not args.skip_database:
        bench_database([int(s) for s in args.sizes.split(",")])
    bench_duplicates(args.companies)


if __name__ == "__main__":
    main()
