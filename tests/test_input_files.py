"""Input files are bounded (issue 11): `lead add --from-json` streams its input, within
SALESCRM_MAX_INPUT_BYTES and SALESCRM_MAX_LINE_BYTES, refuses JSON nested deeper than 64 levels, says
that a closed stdin is closed, shows at most 20 rejected lines, and writes every one to `--rejects FILE`.
bench/input.py measures the memory and stderr of a 50 MB array of invalid leads."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from salescrm.domain.input_files import Limits, read_records
from salescrm.errors import InvalidValue
from tests.helpers import ok

EVA = {"first_name": "Eva", "last_name": "Gil", "email": "eva@dkv.es", "company": "DKV", "channel": "web-form"}
RITA = {"first_name": "Rita", "last_name": "Luz", "phone": "+34 600 111 333", "channel": "event"}
TABLES = ("contact", "company", "task", "activity", "journal")
FIX = "Fix them, or pass --skip-invalid to register the valid ones."


def counts(db) -> dict[str, int]:
    return {table: db.count(table) for table in TABLES}


def nothing(db) -> dict[str, int]:
    return dict.fromkeys(TABLES, 0)


def write(tmp_path, text: str | bytes, name: str = "leads.json") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def invalid(n: int) -> dict:
    return {**RITA, "first_name": f"P{n}", "email": f"bad-{n}"}


INVALID_REASON = "email: Email 'bad-{n}' is not valid: An email address must have an @-sign."


# --- The bounds -------------------------------------------------------------------------------


def test_dev_zero_stops_at_the_line_bound(cli, db):
    r = cli("lead", "add", "--from-json", "/dev/zero")
    assert (r.exit_code, r.stderr) == (
        2, "line 1: longer than 1048576 bytes (SALESCRM_MAX_LINE_BYTES): split the record, or raise the limit.\n")
    assert counts(db) == nothing(db)


@pytest.mark.parametrize("shape", ["lines", "array"])
def test_a_line_over_the_bound_refuses_the_file_and_writes_nothing(cli, db, tmp_path, monkeypatch, shape):
    monkeypatch.setenv("SALESCRM_MAX_LINE_BYTES", "4000")
    leads = [EVA, {**RITA, "note": "x" * 5000}, RITA]
    text = "\n".join(json.dumps(lead) for lead in leads) if shape == "lines" else json.dumps(leads)
    r = cli("lead", "add", "--from-json", write(tmp_path, text), "--skip-invalid")
    assert (r.exit_code, r.stderr) == (
        2, "line 2: longer than 4000 bytes (SALESCRM_MAX_LINE_BYTES): split the record, or raise the limit.\n")
    assert counts(db) == nothing(db)
    monkeypatch.setenv("SALESCRM_MAX_LINE_BYTES", "6000")  # within the bound, the note's own limit speaks
    r = cli("lead", "add", "--from-json", write(tmp_path, text))
    assert r.exit_code == 2
    assert r.stderr.splitlines()[1] == "  line 2: note: Note is 5000 characters long; the limit is 2000."


def test_the_input_bound_counts_the_whole_file(cli, db, tmp_path, monkeypatch):
    text = "\n".join(json.dumps({**RITA, "first_name": f"R{n}"}) for n in range(10)) + "\n"
    path = write(tmp_path, text)
    monkeypatch.setenv("SALESCRM_MAX_INPUT_BYTES", str(len(text.encode()) - 1))
    r = cli("lead", "add", "--from-json", path)
    assert (r.exit_code, r.stderr) == (2, f"line 10: the input is longer than {len(text.encode()) - 1} bytes "
                                          "(SALESCRM_MAX_INPUT_BYTES): split it, or raise the limit.\n")
    assert counts(db) == nothing(db)
    monkeypatch.setenv("SALESCRM_MAX_INPUT_BYTES", str(len(text.encode())))
    ok(cli("lead", "add", "--from-json", path))
    assert db.count("contact") == 10


@pytest.mark.parametrize("variable", ["SALESCRM_MAX_INPUT_BYTES", "SALESCRM_MAX_LINE_BYTES"])
@pytest.mark.parametrize("value", ["", "0", "1G", "-5", "²"])
def test_a_bound_that_is_not_a_number_of_bytes_is_refused(cli, db, tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps(EVA)))
    default = {"SALESCRM_MAX_INPUT_BYTES": 2147483648, "SALESCRM_MAX_LINE_BYTES": 1048576}[variable]
    assert (r.exit_code, r.stderr) == (2, f"{variable} must be a number of bytes (at least 1), such as {default}; "
                                          f"it is {value!r}.\n")
    assert counts(db) == nothing(db)


# --- Depth ------------------------------------------------------------------------------------

DEEP = '{"first_name": ' + "[" * 100_000 + "]" * 100_000 + "}"
TOO_DEEP = "json: JSON nested deeper than 64 levels; a record is one object of fields."


@pytest.mark.parametrize("text", [DEEP, "[" + DEEP + "]", "{" * 100_000, "[" * 100_000],
                         ids=["object", "in-array", "unclosed-object", "unclosed-array"])
def test_json_nested_100000_deep_is_refused_without_recursion(cli, db, tmp_path, text):
    r = cli("lead", "add", "--from-json", write(tmp_path, text))
    assert r.exit_code == 2
    if text.startswith("[["):  # an unclosed array: its first element is skipped unbuilt, then the array never ends
        assert r.stderr == ("line 1: not valid JSON (premature EOF). An array is read as one value, so nothing was taken "
                            "from it: fix it, or give one object per line (JSON lines).\n")
    else:
        assert r.stderr == ("1 of 1 leads are not valid, so none was registered:\n  line 1: " + TOO_DEEP + f"\n{FIX}\n")
    assert counts(db) == nothing(db)


def test_64_levels_are_read_and_65_are_not(cli, tmp_path):
    def nested(levels: int) -> str:  # the lead object is level 1
        return '{"first_name": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"

    for text in (nested(64), f"[{nested(64)}]"):
        r = cli("lead", "add", "--from-json", write(tmp_path, text))
        assert r.stderr.splitlines()[1].startswith("  line 1: first_name: must be text.;"), r.stderr
    for text in (nested(65), f"[{nested(65)}]"):
        r = cli("lead", "add", "--from-json", write(tmp_path, text))
        assert f"  line 1: {TOO_DEEP}" in r.stderr.splitlines(), r.stderr


def test_a_deep_line_is_skipped_like_any_invalid_one(cli, db, tmp_path):
    for text in ("\n".join([json.dumps(EVA), DEEP, json.dumps(RITA)]), f"[{json.dumps(EVA)}, {DEEP}, {json.dumps(RITA)}]"):
        r = cli("lead", "add", "--from-json", write(tmp_path, text), "--skip-invalid")
        assert (r.exit_code, r.stderr) == (1, f"Skipped line 2: {TOO_DEEP}\n")
    # Eva's email is known the second time (an inbound activity); Rita, with a phone only, is new again
    assert (db.count("contact"), db.count("activity")) == (3, 1)


# --- What is read -----------------------------------------------------------------------------


def test_closed_stdin_is_said(backend, tmp_path):
    p = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", sys.executable, "-m", "salescrm", "lead", "add", "--from-json", "-"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (p.returncode, p.stderr) == (
        2, "--from-json - reads standard input, which is closed: pipe the data in, or give a file name.\n")


def test_an_object_written_over_several_lines_is_one_lead(cli, db, tmp_path):
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps(EVA, indent=2)), "--json")
    assert r.exit_code == 0, r.stderr
    assert [(o["line"], o["contact"]["name"]) for o in json.loads(r.stdout)] == [(1, "Eva Gil")]


def test_a_broken_array_refuses_the_file(cli, db, tmp_path):
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps([EVA, RITA])[:-1] + ", {]"), "--skip-invalid")
    assert (r.exit_code, r.stderr) == (
        2, "line 3: not valid JSON (invalid object key (must be a string)). An array is read as one value, so nothing "
           "was taken from it: fix it, or give one object per line (JSON lines).\n")
    assert counts(db) == nothing(db)


def test_a_line_that_is_not_utf8_is_one_invalid_line(cli, db, tmp_path):
    text = json.dumps(EVA).encode() + b"\n" + json.dumps({**RITA, "first_name": "Jos\xe9"}, ensure_ascii=False).encode("latin-1") + b"\n"
    r = cli("lead", "add", "--from-json", write(tmp_path, text), "--skip-invalid")
    assert (r.exit_code, r.stderr) == (1, "Skipped line 2: json: not valid UTF-8 (byte 20 of the line).\n")
    assert db.count("contact") == 1


def test_blank_lines_and_a_byte_order_mark_are_ignored(cli, db, tmp_path):
    text = b"\xef\xbb\xbf\n\n" + json.dumps(EVA).encode() + b"\n\n" + json.dumps(RITA).encode() + b"\n"
    r = cli("lead", "add", "--from-json", write(tmp_path, text), "--json")
    assert r.exit_code == 0, r.stderr
    assert [o["line"] for o in json.loads(r.stdout)] == [3, 5]


# --- At most 20 shown, and --rejects ----------------------------------------------------------


def test_at_most_20_invalid_lines_are_shown_then_a_count(cli, db, tmp_path):
    path = write(tmp_path, "\n".join(json.dumps(invalid(n)) for n in range(1, 26)) + "\n" + json.dumps(EVA))
    r = cli("lead", "add", "--from-json", path)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "25 of 26 leads are not valid, so none was registered:",
        *(f"  line {n}: " + INVALID_REASON.format(n=n) for n in range(1, 21)),
        "  ... and 5 more (--rejects FILE writes every one with its reason).",
        FIX,
    ]
    r = cli("lead", "add", "--from-json", path, "--skip-invalid")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        *(f"Skipped line {n}: " + INVALID_REASON.format(n=n) for n in range(1, 21)),
        "Skipped 5 more lines (--rejects FILE writes every one with its reason).",
    ]
    assert r.stdout.splitlines()[-1] == "1 lead registered, 25 skipped."


def test_a_long_reason_is_shortened_on_stderr_only(cli, tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps({**EVA, "x" * 1000: "1"})), "--rejects", str(rejects))
    shown = r.stderr.splitlines()[1]
    assert len(shown) == len("  line 1: ") + 300 and shown.endswith("…")
    assert json.loads(rejects.read_text())["reason"].startswith("x" * 1000 + ": unknown field;")


def test_rejects_holds_every_rejected_line_with_its_reason(cli, db, tmp_path):
    lines = [json.dumps(EVA), *(json.dumps(invalid(n)) for n in range(2, 27)), '{"first_name": "Broken",',
             json.dumps({**RITA, "first_name": "Zoë", "owner": "Nobody"}), json.dumps(RITA)]
    rejects = tmp_path / "rejects.jsonl"
    r = cli("lead", "add", "--from-json", write(tmp_path, "\n".join(lines)), "--skip-invalid", "--rejects", str(rejects))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == f"Skipped 7 more lines ({rejects} lists every one with its reason)."
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    entries = [json.loads(line) for line in rejects.read_text(encoding="ascii").splitlines()]
    assert entries == [
        *({"line": n, "reason": INVALID_REASON.format(n=n), "record": invalid(n)} for n in range(2, 27)),
        {"line": 27, "reason": "json: not valid JSON (Expecting property name enclosed in double quotes at column 25).",
         "text": '{"first_name": "Broken",'},
        {"line": 28, "reason": "No team member named 'Nobody'. List them with `salescrm team list`.",
         "record": {**RITA, "first_name": "Zoë", "owner": "Nobody"}},
    ]
    assert "Zo\\u00eb" in rejects.read_text()  # ASCII: printing the file cannot drive a terminal
    assert sorted(db.query("SELECT first_name FROM contact")) == [("Eva",), ("Rita",)]


def test_rejects_without_skip_invalid_lists_them_and_registers_nothing(cli, db, tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    r = cli("lead", "add", "--from-json", write(tmp_path, "\n".join([json.dumps(EVA), json.dumps(invalid(2))])),
            "--rejects", str(rejects))
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-2:] == [f"  ({rejects} lists every one with its reason.)", FIX]
    assert [json.loads(line)["line"] for line in rejects.read_text().splitlines()] == [2]
    assert counts(db) == nothing(db)


@pytest.mark.parametrize("existing", ["file", "dangling-symlink", "empty-file"])
def test_an_existing_rejects_file_is_refused_before_anything_is_written(cli, db, tmp_path, existing):
    rejects = tmp_path / "rejects.jsonl"
    if existing == "dangling-symlink":
        rejects.symlink_to(tmp_path / "nowhere")
    else:
        rejects.write_text("" if existing == "empty-file" else "kept\n")
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps([EVA, invalid(2)])), "--skip-invalid", "--rejects", str(rejects))
    assert (r.exit_code, r.stderr) == (2, f"{rejects} already exists, and --rejects never overwrites a file: give a new file name.\n")
    assert counts(db) == nothing(db)
    if existing == "dangling-symlink":
        assert rejects.is_symlink() and not (tmp_path / "nowhere").exists()
    else:
        assert rejects.read_text() == ("" if existing == "empty-file" else "kept\n")


def test_a_command_that_stops_early_leaves_no_rejects_file(cli, db, tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCRM_MAX_LINE_BYTES", "300")
    rejects = tmp_path / "rejects.jsonl"
    text = "\n".join([json.dumps(invalid(1)), json.dumps({**RITA, "note": "x" * 400})])
    r = cli("lead", "add", "--from-json", write(tmp_path, text), "--skip-invalid", "--rejects", str(rejects))
    assert r.exit_code == 2 and r.stderr.startswith("line 2: longer than 300 bytes")
    assert not rejects.exists()


def test_rejects_goes_with_from_json(cli, db, tmp_path):
    r = cli("lead", "add", "--first-name", "Eva", "--last-name", "Gil", "--email", "eva@dkv.es", "--channel", "email",
            "--rejects", str(tmp_path / "r.jsonl"))
    assert (r.exit_code, r.stderr) == (2, "--rejects lists the leads a --from-json file had rejected: give it with --from-json.\n")
    assert counts(db) == nothing(db) and not (tmp_path / "r.jsonl").exists()


# --- The reader itself (what the import commands will use) -------------------------------------


@pytest.mark.no_database
@pytest.mark.parametrize("size", [100, 5000, 70000])
def test_the_reader_bounds_each_element_of_an_array_within_a_sixteenth(size):
    limits = Limits(line_bytes=4096)
    text = json.dumps([{"a": 1}, {"note": "x" * size}, {"b": 2}]).encode()
    records = read_records(io.BytesIO(text), limits, "the file")
    if size < 4096:
        assert [r.value for r in records][0] == {"a": 1}
        return
    assert next(records).value == {"a": 1}
    with pytest.raises(InvalidValue, match="^line 2: longer than 4096 bytes"):
        list(records)


@pytest.mark.no_database
def test_the_reader_streams_a_large_array_element_by_element():
    class Endless(io.RawIOBase):  # an array that never ends: the reader must hand out elements as it goes
        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = (b"[" if not hasattr(self, "started") else b"") + b'{"a": 1},' * (len(buffer) // 9 - 1)
            self.started = True
            buffer[: len(chunk)] = chunk
            return len(chunk)

    records = read_records(io.BufferedReader(Endless()), Limits(input_bytes=10 ** 7), "the stream")
    assert [next(records).line for _ in range(3)] == [1, 2, 3]
    with pytest.raises(InvalidValue, match="the input is longer than 10000000 bytes"):
        for _ in records:
            pass


def test_a_lead_the_database_refuses_is_in_the_rejects_file(cli, db, tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    nobody = {**RITA, "owner": "Nobody"}
    r = cli("lead", "add", "--from-json", write(tmp_path, json.dumps([EVA, nobody])), "--rejects", str(rejects))
    assert (r.exit_code, r.stderr) == (
        1, "Line 2: No team member named 'Nobody'. List them with `salescrm team list`. No lead was registered.\n")
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == [
        {"line": 2, "reason": "No team member named 'Nobody'. List them with `salescrm team list`.", "record": nobody}]
    assert counts(db) == nothing(db)


@pytest.mark.sqlite_only
def test_a_refused_file_opens_no_database_for_writing(cli, tmp_path, monkeypatch):
    """The leads are checked before the database is opened: a missing file is not even created."""
    monkeypatch.setenv("SALESCRM_MAX_LINE_BYTES", "300")
    target = tmp_path / "new.db"
    for text in (json.dumps([EVA, invalid(2)]), "\n".join([json.dumps(EVA), json.dumps({**RITA, "note": "x" * 400})])):
        r = cli("--db", str(target), "lead", "add", "--from-json", write(tmp_path, text))
        assert r.exit_code == 2, r.stderr
        assert not target.exists()
