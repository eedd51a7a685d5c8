"""Concurrent writers: P processes x N commands each, every command its own `python -m salescrm` process.

The mix is `company add`, `deal create`, `deal advance` and `activity log`. Most commands touch records of their own
process and must succeed; some race on purpose: two processes add the same company, create a deal with
the same name, or advance the same deal from Prospected to Qualified, at the same position of their
lists, and start together. Of each race exactly one must win; the other must be refused by the rule
(exit 1 with the rule's message). Any other exit status is a failure, listed.

Afterwards the database is checked: every successful command's effect is there (no lost writes), the
unique rules held (no two open deals share a name, no two companies a name key), every successful command
is in the journal, and `salescrm journal verify` exits 0 (the hash chain did not fork).

Baseline, measured in the same run on a database prepared the same way: the same commands run one after
another by one process. Printed: commands per second of both, and their ratio.

With `--restores R`, it runs the restore race instead (bench/restore_race.py): `--processes` writers log
activities while R `db restore`s run on the SQLite file; every write that exited 0 must be in a database
"as it was before" or in the restored one. Printed: restores run, writes acknowledged, writes lost.

Usage: python bench/concurrency.py [--processes 8] [--commands 100] [--backend sqlite|postgresql|both]
       [--seed N] [--no-baseline] [--restores R]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import PY, ROOT

# The database is prepared in this process and the commands run as `python -m salescrm` of this same
# interpreter: both must use the installed package, so the checkout comes last on the path (it is there
# for tests.pgserver), or a schema change in the checkout would make the commands refuse the database.
sys.path.append(str(ROOT))

OWNER = "Ana García"
SIGNER = "Elena Ortiz"
PREP_COMPANIES = 4
# The own deals of a process go through these stages, one `deal advance` each, with the values each gate needs.
OWN_STAGES = [
    ("qualified", "Prospected", "Qualified", ["segment_verified=yes", "decision_maker={email}"]),
    ("discovered", "Qualified", "Discovered", ["budget=Approved", "authority=Head of service", "need=Waiting list"]),
    ("implementation-defined", "Discovered", "Implementation Defined",
     ["implementation_method=API", "success_metrics=Waiting list", "pricing_basis=Per report", "implementation_timeline=Q3"]),
    ("offer-sent", "Implementation Defined", "Offer Sent", ["quotation_template=T-009-002", "quotation_ref=Q-{deal}"]),
]
RACE_REFUSALS = {
    "company": ("already exists", "was added meanwhile"),
    "deal": ("already open under that name", "got this name meanwhile"),
    "advance": ("by someone else", "is not forward", "is in Qualified"),
}


@dataclass
class Command:
    kind: str  # company, deal, advance, activity
    args: list[str]
    race: int | None = None  # race group: exactly one of its commands wins
    expect: dict = field(default_factory=dict)  # what a success must leave in the database
    worker: int = 0
    slot: int = 0
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0


@dataclass
class Prepared:
    companies: list[str]
    emails: list[str]
    own_deals: dict[int, list[int]]  # worker -> deal ids
    race_deals: list[int]
    prep_deal_company: dict[int, int]  # deal id -> index of its prep company


# --- Preparing a database ------------------------------------------------------------------


def _cli(url: str, *args: str) -> str:
    """Run one command in-process (preparation only), with the database at `url`; return its stdout."""
    from typer.testing import CliRunner

    from salescrm.cli.app import app

    result = CliRunner().invoke(app, ["--db", url, *args], env={"SALESCRM_USER": "bench-setup"}, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"preparing: salescrm {' '.join(args)} failed ({result.exit_code}): {result.stderr}")
    return result.stdout


def prepare(url: str, processes: int, own_per_worker: int, race_advances: int) -> Prepared:
    import json

    from salescrm.store.engine import dispose_all

    _cli(url, "team", "add", OWNER, "--role", "JD-019")
    _cli(url, "team", "add", SIGNER, "--role", "JD-001")
    companies, emails = [], []
    for k in range(PREP_COMPANIES):
        name = f"Prep Company {k + 1}"
        _cli(url, "company", "add", name, "--country", "ES", "--website", f"https://prep{k + 1}.example")
        email = f"buyer{k + 1}@prep{k + 1}.example"
        _cli(url, "contact", "add", "--first-name", "Buyer", "--last-name", f"Number {k + 1}", "--job-title", "Head of Purchasing",
             "--company", name, "--email", email)
        companies.append(name)
        emails.append(email)

    def deal(description: str, k: int) -> int:
        out = _cli(url, "deal", "create", "--company", companies[k], "--description", description, "--amount", "20000",
                   "--close-date", "2027-06-30", "--class", "Insurance", "--source", "Bench", "--owner", OWNER,
                   "--contact", emails[k], "--json")
        return json.loads(out)["id"]

    deal_company: dict[int, int] = {}
    own: dict[int, list[int]] = {}
    for w in range(processes):
        own[w] = []
        for j in range(own_per_worker):
            k = (w + j) % PREP_COMPANIES
            deal_id = deal(f"Own deal of process {w} number {j}", k)
            own[w].append(deal_id)
            deal_company[deal_id] = k
    race = []
    for g in range(race_advances):
        k = g % PREP_COMPANIES
        deal_id = deal(f"Contested deal {g}", k)
        race.append(deal_id)
        deal_company[deal_id] = k
    dispose_all()
    return Prepared(companies, emails, own, race, deal_company)


# --- The workload ---------------------------------------------------------------------------


def plan(prep: Prepared, processes: int, commands: int, seed: int) -> list[list[Command]]:
    """Each process's list of commands; the two commands of a race sit at the same position of two lists."""
    rng = random.Random(seed)
    race_each = max(2, 2 * round(0.03 * commands))  # company adds and deal creates that race, per process
    race_adv_each = max(2, 2 * round(0.05 * commands))  # advances that race, per process
    own_adv_each = len(prep.own_deals[0]) * len(OWN_STAGES)
    unique_each = commands - 2 * race_each - race_adv_each - own_adv_each
    if unique_each < 2:
        raise SystemExit(f"--commands {commands} is too small for the mix")
    lists: list[list[Command | None]] = [[None] * commands for _ in range(processes)]
    race_no = 0

    def place_pair(a: int, b: int, make) -> None:
        nonlocal race_no
        free = [s for s in range(commands) if lists[a][s] is None and lists[b][s] is None]
        slot = rng.choice(free)
        race_no += 1
        for w in (a, b):
            lists[w][slot] = make(race_no)

    # Races between neighbours w and w+1: half of each process's races with each neighbour.
    race_deal_iter = iter(prep.race_deals)
    for w in range(processes):
        partner = (w + 1) % processes
        for _ in range(race_each // 2):
            place_pair(w, partner, lambda g: _company_add(f"Contested Company {g}", f"contested{g}.example", g))
            place_pair(w, partner, lambda g: _deal_create(prep, g % PREP_COMPANIES, f"Contested new deal {g}", g))
        for _ in range(race_adv_each // 2):
            deal_id = next(race_deal_iter)
            k = prep.prep_deal_company[deal_id]
            place_pair(w, partner, lambda g, d=deal_id, k=k: _advance(d, OWN_STAGES[0], prep.emails[k], g))

    for w in range(processes):
        own_items = [("own", d) for d in prep.own_deals[w] for _ in OWN_STAGES]
        third = unique_each // 3
        own_items += [("company", i) for i in range(third)]
        own_items += [("activity", i) for i in range(third)]
        own_items += [("deal", i) for i in range(unique_each - 2 * third)]
        rng.shuffle(own_items)
        stage_of: dict[int, int] = {}
        free = iter(s for s in range(commands) if lists[w][s] is None)
        for kind, n in own_items:
            if kind == "own":
                step = stage_of.get(n, 0)
                stage_of[n] = step + 1
                command = _advance(n, OWN_STAGES[step], prep.emails[prep.prep_deal_company[n]], None)
            elif kind == "company":
                command = _company_add(f"Bench Company {w}-{n}", f"bench{w}-{n}.example", None)
            elif kind == "activity":
                command = _activity_log(prep.emails[(w + n) % PREP_COMPANIES], f"Bench call {w}-{n}")
            else:
                command = _deal_create(prep, (w + n) % PREP_COMPANIES, f"New deal of process {w} number {n}", None)
            lists[w][next(free)] = command
    for w, commands_of in enumerate(lists):
        for slot, command in enumerate(commands_of):
            command.worker, command.slot = w, slot
    return lists  # type: ignore[return-value]


def _company_add(name: str, host: str, race: int | None) -> Command:
    return Command("company", ["company", "add", name, "--country", "ES", "--website", f"https://{host}"], race, {"name": name})


def _activity_log(email: str, summary: str) -> Command:
    args = ["activity", "log", "--contact", email, "--type", "call", "--direction", "outbound", "--summary", summary]
    return Command("activity", args, None, {"summary": summary})


def _deal_create(prep: Prepared, k: int, description: str, race: int | None) -> Command:
    company = prep.companies[k]
    args = ["deal", "create", "--company", company, "--description", description, "--amount", "15000",
            "--close-date", "2027-09-30", "--class", "Insurance", "--source", "Bench", "--owner", OWNER]
    return Command("deal", args, race, {"name": f"ES {company} {description}"})


def _advance(deal_id: int, stage: tuple, email: str, race: int | None) -> Command:
    slug, from_stage, to_stage, sets = stage
    args = ["deal", "advance", str(deal_id), "--to", slug]
    for s in sets:
        args += ["--set", s.format(email=email, deal=deal_id)]
    return Command("advance", args, race, {"deal": deal_id, "from": from_stage, "to": to_stage})


def copy_plan(lists: list[list[Command]]) -> list[list[Command]]:
    return [[Command(c.kind, list(c.args), c.race, dict(c.expect), c.worker, c.slot) for c in commands] for commands in lists]


# --- Running -----------------------------------------------------------------------------------


def run_one(command: Command, env: dict) -> None:
    start = time.perf_counter()
    p = subprocess.run([PY, "-m", "salescrm", *command.args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    command.seconds = time.perf_counter() - start
    command.exit_code, command.stdout, command.stderr = p.returncode, p.stdout, p.stderr


def run_concurrent(lists: list[list[Command]], base_env: dict) -> float:
    """Each process's commands in its own thread; the two commands of a race start together.

    (No deadlock: a process waits only for a partner whose same race sits at the same position of its list.)
    """
    barrier = threading.Barrier(len(lists) + 1)
    race_starts = {c.race: threading.Barrier(2) for commands in lists for c in commands if c.race is not None}

    def worker(w: int) -> None:
        env = {**base_env, "SALESCRM_USER": f"bench-{w}"}
        barrier.wait()
        for command in lists[w]:
            if command.race is not None:
                race_starts[command.race].wait(timeout=900)
            run_one(command, env)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(len(lists))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def run_sequential(lists: list[list[Command]], base_env: dict) -> float:
    """The same commands by one process, position by position (each process's own order is kept)."""
    start = time.perf_counter()
    for slot in range(len(lists[0])):
        for w in range(len(lists)):
            run_one(lists[w][slot], {**base_env, "SALESCRM_USER": f"bench-{w}"})
    return time.perf_counter() - start


# --- Checking ----------------------------------------------------------------------------------


def check(lists: list[list[Command]], url: str, base_env: dict) -> list[str]:
    """Failures: unexpected exit statuses, races without exactly one winner, lost writes, broken rules."""
    import sqlalchemy as sa

    from salescrm.store.location import resolve

    problems = []
    every = [c for commands in lists for c in commands]
    races: dict[int, list[Command]] = {}
    for c in every:
        where = f"process {c.worker} #{c.slot}: salescrm {shlex.join(c.args)}"
        if c.race is not None:
            races.setdefault(c.race, []).append(c)
        if c.exit_code == 0:
            continue
        refused_by_rule = c.race is not None and c.exit_code == 1 and any(m in c.stderr for m in RACE_REFUSALS[c.kind])
        if not refused_by_rule:
            problems.append(f"{where}: exit {c.exit_code}: {c.stderr.strip()[:400]}")
    for g, members in sorted(races.items()):
        winners = sum(c.exit_code == 0 for c in members)
        if winners != 1:
            problems.append(f"race {g} ({members[0].kind}: {shlex.join(members[0].args)}): {winners} winners, not 1")

    engine = sa.create_engine(resolve(url).url)
    try:
        with engine.connect() as conn:
            q = lambda sql, **kw: conn.execute(sa.text(sql), kw).all()  # noqa: E731
            journal_commands = {r[0] for r in q("SELECT DISTINCT command FROM journal")}
            for c in every:
                if c.exit_code != 0:
                    continue
                where = f"process {c.worker} #{c.slot}: salescrm {shlex.join(c.args)}"
                if c.kind == "company":
                    m = re.match(r"Added company (\d+): ", c.stdout)
                    rows = q("SELECT name FROM company WHERE id = :id", id=int(m.group(1))) if m else []
                    if not rows or rows[0][0] != c.expect["name"]:
                        problems.append(f"{where}: succeeded ({c.stdout.strip()}) but the company is not there: {rows}")
                elif c.kind == "activity":
                    m = re.match(r"Logged activity (\d+): ", c.stdout)
                    rows = q("SELECT summary FROM activity WHERE id = :id", id=int(m.group(1))) if m else []
                    if not rows or rows[0][0] != c.expect["summary"]:
                        problems.append(f"{where}: succeeded ({c.stdout.strip()}) but the activity is not there: {rows}")
                elif c.kind == "deal":
                    m = re.match(r"Created deal (\d+): ", c.stdout)
                    rows = q("SELECT name, stage FROM deal WHERE id = :id", id=int(m.group(1))) if m else []
                    if not rows or rows[0][0] != c.expect["name"]:
                        problems.append(f"{where}: succeeded ({c.stdout.strip()}) but the deal is not there: {rows}")
                else:
                    rows = q("SELECT count(*) FROM stage_change WHERE deal_id = :d AND from_stage = :f AND to_stage = :t",
                             d=c.expect["deal"], f=c.expect["from"], t=c.expect["to"])
                    if rows[0][0] != 1:
                        problems.append(f"{where}: succeeded but the stage history holds {rows[0][0]} such moves")
                line = "salescrm " + " ".join(shlex.quote(a) for a in c.args)
                if line not in journal_commands:
                    problems.append(f"{where}: succeeded but is not in the journal")
            for name_key, n in q("SELECT name_key, count(*) FROM deal WHERE stage <> 'Lost' GROUP BY name_key HAVING count(*) > 1"):
                problems.append(f"{n} open deals share the name key {name_key!r}")
            for name_key, n in q("SELECT name_key, count(*) FROM company GROUP BY name_key HAVING count(*) > 1"):
                problems.append(f"{n} companies share the name key {name_key!r}")
            for deal_id, n in q("SELECT deal_id, count(*) FROM stage_change GROUP BY deal_id, to_stage HAVING count(*) > 1"):
                problems.append(f"deal {deal_id} entered a stage {n} times")
    finally:
        engine.dispose()
    verify = subprocess.run([PY, "-m", "salescrm", "journal", "verify"], env=base_env, capture_output=True, text=True)
    if verify.returncode != 0:
        problems.append(f"journal verify exited {verify.returncode}: {(verify.stderr or verify.stdout).strip()[:400]}")
    return problems


def summary(label: str, lists: list[list[Command]], wall: float) -> tuple[float, str]:
    every = [c for commands in lists for c in commands]
    rate = len(every) / wall
    times = sorted(c.seconds for c in every)
    codes: dict[int, int] = {}
    for c in every:
        codes[c.exit_code] = codes.get(c.exit_code, 0) + 1
    p95 = times[int(0.95 * (len(times) - 1))]
    return rate, (f"  {label:<11} {len(every)} commands in {wall:7.1f} s = {rate:6.2f} commands/s; per command median "
                  f"{statistics.median(times):.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s; exit codes {dict(sorted(codes.items()))}")


# --- Backends ------------------------------------------------------------------------------------


def bench_backend(name: str, new_database, args, tmp: Path) -> bool:
    print(f"\n== {name}: {args.processes} processes x {args.commands} commands")
    results = {}
    modes = ["concurrent"] + ([] if args.no_baseline else ["sequential"])
    ok = True
    base_plan = base_prep = None
    for mode in modes:
        url = new_database(mode)
        env = {**os.environ, "SALESCRM_DB": url, "SALESCRM_DATA_DIR": str(tmp / "data")}
        env.pop("SALESCRM_USER", None)
        start = time.perf_counter()
        prep = prepare(url, args.processes, own_per_worker=5, race_advances=args.processes * max(2, 2 * round(0.05 * args.commands)) // 2)
        if base_plan is None:
            base_prep, lists = prep, plan(prep, args.processes, args.commands, args.seed)
            base_plan = lists
        else:
            assert prep == base_prep, "the baseline's database was not prepared the same way"
            lists = copy_plan(base_plan)
        print(f"  prepared a database for the {mode} run in {time.perf_counter() - start:.1f} s")
        wall = (run_concurrent if mode == "concurrent" else run_sequential)(lists, env)
        rate, line = summary(mode, lists, wall)
        print(line)
        problems = check(lists, url, env)
        every = [c for commands in lists for c in commands]
        refused = [c for c in every if c.exit_code == 1 and c.race is not None]
        races = len({c.race for c in every if c.race is not None})
        how: dict[str, int] = {}
        for c in refused:  # which message refused it: the rule seen before writing, or the race caught while writing
            said = next((m for m in RACE_REFUSALS[c.kind] if m in c.stderr), "other")
            how[f"{c.kind}: {said}"] = how.get(f"{c.kind}: {said}", 0) + 1
        print(f"  {'':<11} {races} races, {len(refused)} commands refused by their rule (expected: {races}): "
              + ", ".join(f"{k} {v}" for k, v in sorted(how.items())))
        print(f"  {'':<11} failures: {len(problems)}")
        for p in problems[:50]:
            print(f"    FAIL {p}")
        if len(problems) > 50:
            print(f"    ... and {len(problems) - 50} more")
        ok = ok and not problems
        results[mode] = rate
    if "sequential" in results:
        ratio = results["concurrent"] / results["sequential"]
        print(f"  {'throughput':<11} concurrent {results['concurrent']:.2f} commands/s vs sequential baseline "
              f"{results['sequential']:.2f} commands/s: ratio {ratio:.2f}x on {os.cpu_count()} CPUs")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the sequential baseline.")
    parser.add_argument("--restores", type=int, default=0,
                        help="Run R restores under --processes writers on SQLite instead (no lost write allowed).")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if args.processes < 2:
        parser.error("--processes must be at least 2 (the races need two)")
    started = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory(prefix="salescrm-concurrency-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["SALESCRM_DATA_DIR"] = str(tmp / "data")  # never the user's own data directory
        if args.restores:
            from restore_race import race

            ok = race(tmp, args.processes, args.restores, args.seed)
        elif args.backend in ("sqlite", "both"):
            ok &= bench_backend("SQLite", lambda mode: str(tmp / f"{mode}.db"), args, tmp)
        if args.backend in ("postgresql", "both") and not args.restores:
            from tests.pgserver import PgServer, find_bin_dir

            bin_dir = find_bin_dir()
            try:
                import psycopg  # noqa: F401
            except ImportError:
                bin_dir = None
            if bin_dir is None:
                print("\n== PostgreSQL: skipped (pg_ctl/initdb or psycopg not found)")
            else:
                server = PgServer(bin_dir).start()
                try:
                    ok &= bench_backend("PostgreSQL", lambda mode: server.create_database(f"bench_{mode}"), args, tmp)
                finally:
                    from salescrm.store.engine import dispose_all

                    dispose_all()
                    server.stop()
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s; {'no failures' if ok else 'FAILURES (listed above)'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
