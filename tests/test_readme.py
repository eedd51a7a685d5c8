"""The README's "Using it" lines, run as written, in order, from a script (`--no-input`).

The lines are read from the README itself, so this test follows it: a line that fails off a terminal
fails here. `notify-send` and `mail` are stubs on PATH; `leads.jsonl` is the web form's file the
README's `lead add --from-json` line reads. Every salescrm command exits 0, except `task due` and
`audit`, which exit 1 when they report (something due, errors found): then the line's `|| ...` ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SHIM = """#!/bin/sh
"{python}" -m salescrm --no-input "$@"
code=$?
printf '%s\\t%s\\n' "$code" "$*" >> "{log}"
exit $code
"""
STUB = """#!/bin/sh
printf 'stub\\t%s\\n' "{name}" >> "{log}"
cat > /dev/null
"""
LEAD = {"first_name": "Eva", "last_name": "Soto", "email": "eva.soto@example.es", "channel": "web-form",
        "search_engine": "google", "keyword": "dermatology triage"}


def using_it_lines() -> list[str]:
    """The shell lines of the README's "Using it" block, continuation lines joined, comments left out."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Using it\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def reports(args: str) -> bool:
    """`task due` and a bare `audit` (not `audit fix` or `audit survey`) exit 1 when they report."""
    words = args.split()
    return words[:2] == ["task", "due"] or (words[:1] == ["audit"] and (len(words) == 1 or words[1].startswith("-")))


@pytest.mark.sqlite_only
def test_the_readme_using_it_lines_run_as_written(backend, tmp_path):
    bin_dir, work, log = tmp_path / "bin", tmp_path / "work", tmp_path / "calls.log"
    bin_dir.mkdir()
    work.mkdir()
    for name, text in (("salescrm", SHIM.format(python=sys.executable, log=log)),
                       ("notify-send", STUB.format(name="notify-send", log=log)), ("mail", STUB.format(name="mail", log=log))):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (work / "leads.jsonl").write_text(json.dumps(LEAD) + "\n")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SALESCRM_USER": "ana"}
    lines = using_it_lines()
    assert len(lines) >= 25 and lines[0].startswith("salescrm team add")
    for line in lines:
        log.write_text("")
        p = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=120)
        calls = [entry.split("\t", 1) for entry in log.read_text().splitlines()]
        commands = [(int(code), args) for code, args in calls if code != "stub"]
        stubs = [args for code, args in calls if code == "stub"]
        assert commands, line
        for code, args in commands:
            assert code in ((0, 1) if reports(args) else (0,)), f"{line}\n-> salescrm {args}: exit {code}\n{p.stderr}"
            if code == 1 and "||" in line:
                assert stubs, f"{line}: exit 1 and the || command did not run"
        if "||" not in line:
            assert p.returncode == commands[-1][0], line
        assert "Traceback" not in p.stderr and "Unexpected error" not in p.stderr, (line, p.stderr)
