"""Database URLs as they may be shown or journaled: never with a password.

`shown_url` is the one rendering of a database URL, used by every message, JSON output and journal row
that names a location (through `DatabaseLocation.display` and `shown_argv`). It does not rely on
SQLAlchemy's `render_as_string(hide_password=True)`, which shows the part of a password after an
unencoded `@` and never masks query parameters.

- A URL whose password cannot be told apart from its host is refused by `problem()` (exit 2): one with
  more than one `@` after its scheme (a password may hold `/`, `?` and `=`, so any second `@` may be
  part of it), or with an `@` that is neither the user's nor in the query (`postgresql://h/d@b`). The
  remedy is always `%40`: SQLAlchemy decodes the user, the password, the database and the query.
- A URL SQLAlchemy could not parse (a scheme outside `[A-Za-z0-9_+]`, a port that is not a number) is
  refused too, and never shown: its parts cannot be named, so any of them may be the password.
- Otherwise the password and the libpq secret parameters (`password`, `sslpassword`) are shown as `***`,
  whatever the user name (an empty one too), and the rest as typed.

`redact` removes the secrets of the locations this process was given from free text: a driver's error
message, a traceback for error.log, a `--reason` that quotes `$SALESCRM_DB`.

Standard library only: this runs before any command decides it needs SQLAlchemy.
"""

from __future__ import annotations

import os
import re
import shlex
from functools import lru_cache
from urllib.parse import unquote, unquote_plus

# The variable that may name the database. store/location.py resolves it; it is named here because
# redact() removes its value's secrets from the start, before anything has read it.
ENV_DB = "SALESCRM_DB"
MASK = "***"
SECRET_PARAMETERS = ("password", "sslpassword")  # libpq's connection parameters that hold a secret
UNSHOWN = "<the database URL>"  # in place of a URL that cannot be shown safely
MIN_REDACTED = 4  # shorter secrets are masked in URLs, but not searched for in free text

_SCHEME = re.compile(r"^[a-z][\w+.-]*://", re.IGNORECASE)
# SQLAlchemy's own pattern (sqlalchemy/engine/url.py, _parse_url), so that the parts named here are
# the parts the driver is given.
_SQLALCHEMY_URL = re.compile(
    r"""
    (?P<name>[\w\+]+)://
    (?:
        (?P<username>[^:/]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        (?:
            \[(?P<ipv6host>[^/\?]+)\] |
            (?P<ipv4host>[^/:\?]+)
        )?
        (?::(?P<port>[^/\?]*))?
    )?
    (?:/(?P<database>[^\?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.X,
)
# A URL inside a longer argument (`--reason "moved to postgresql://..."`).
_URL_IN_TEXT = re.compile(r"[a-z][\w+.-]*://[^\s'\"]*[^\s'\",.;:)]", re.IGNORECASE)
# A shell word as shlex.quote writes it: bare text, '...' and "..." runs, backslash escapes.
_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""")

AMBIGUOUS = "ambiguous"
UNPARSABLE = "unparsable"

_given: set[str] = set()  # database values this process was given (--db, SALESCRM_DB)


def is_url(value: str) -> bool:
    return bool(_SCHEME.match(value))


def is_sqlite_url(value: str) -> bool:
    return is_url(value) and value.lower().startswith("sqlite")


def problem(url: str) -> str | None:
    """Why a (non-SQLite) database URL cannot be shown safely: AMBIGUOUS, UNPARSABLE, or None."""
    rest = url.split("://", 1)[1]
    if rest.count("@") > 1:
        return AMBIGUOUS
    m = _SQLALCHEMY_URL.fullmatch(url)
    if m is None or (m["port"] and not m["port"].isdigit()):
        return UNPARSABLE
    if "@" in rest and m["username"] is None and "@" not in (m["query"] or ""):
        return AMBIGUOUS  # the @ is in the host or the database: a password holding / or ? ends there
    return None


def shown_url(url: str) -> str:
    """The URL as it may be shown or journaled: password and secret parameters as ***, the rest as typed;
    UNSHOWN when that cannot be done safely (see problem())."""
    if not is_url(url) or is_sqlite_url(url):
        return url
    if problem(url) is not None:
        return UNSHOWN
    m = _SQLALCHEMY_URL.fullmatch(url)
    shown = url
    if m["query"] is not None:
        start = m.start("query")
        shown = shown[:start] + _masked_query(m["query"])
    if m["password"]:
        shown = shown[: m.start("password")] + MASK + shown[m.end("password"):]
    return shown


def shown_value(value: str) -> str:
    """A database value (`--db`, SALESCRM_DB) as it may be shown: a path as is, a URL by shown_url."""
    return shown_url(value) if is_url(value) else value


def _masked_query(query: str) -> str:
    items = []
    for item in query.split("&"):
        key, eq, value = item.partition("=")
        if eq and value and unquote_plus(key).strip().lower() in SECRET_PARAMETERS:
            value = MASK
        items.append(key + eq + value)
    return "&".join(items)


def secrets_of(value: str) -> set[str]:
    """The secrets a database value holds, as typed and decoded; for a URL whose password cannot be told
    apart, what lies between the first `:` and the last `@` (or, without one, the next `/`), and its parts."""
    if not is_url(value) or is_sqlite_url(value):
        return set()
    found: set[str] = set()
    if problem(value) is not None:
        rest = value.split("://", 1)[1]
        _, colon, after = rest.partition(":")
        candidate = after.rsplit("@", 1)[0] if "@" in after else after.split("/", 1)[0]
        if colon:
            found.add(candidate)
            found.update(re.split(r"[@/?]", candidate))
    else:
        m = _SQLALCHEMY_URL.fullmatch(value)
        if m["password"]:
            found.update((m["password"], unquote(m["password"])))
        for item in (m["query"] or "").split("&"):
            key, _, secret = item.partition("=")
            if secret and unquote_plus(key).strip().lower() in SECRET_PARAMETERS:
                found.update((secret, unquote_plus(secret)))
    return {s for s in found if s and s != MASK}


def remember(value: str | None) -> None:
    """Note a database value this process was given, so that redact() removes its secrets anywhere."""
    if value:
        _given.add(value)


def redact(text: str) -> str:
    """`text` without the secrets of the database values given (remember()) or in SALESCRM_DB."""
    urls, secrets = _redactions(frozenset(_given | {os.environ.get(ENV_DB) or ""}))
    for value, shown in urls:
        text = text.replace(value, shown)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


@lru_cache(maxsize=8)
def _redactions(values: frozenset[str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(each URL given and how it is shown, each secret to remove, longest first)."""
    urls = tuple((v, shown_url(v)) for v in values if is_url(v) and not is_sqlite_url(v))
    secrets = {s for v in values for s in secrets_of(v) if len(s) >= MIN_REDACTED}
    return urls, tuple(sorted(secrets, key=len, reverse=True))


def shown_text(text: str) -> str:
    """Free text (a usage error quoting a misplaced argument) with every URL in it masked, and redacted."""
    return redact(_URL_IN_TEXT.sub(lambda m: _shown_other_url(m.group(0)), text) if "://" in text else text)


# --- Command lines ----------------------------------------------------------------------------------


def _shown_arg(arg: str, database: bool) -> str:
    """One argument: the value of --db entirely, and any URL inside another argument."""
    if database:
        return shown_value(arg)
    if arg.startswith("--db="):
        return "--db=" + shown_value(arg[len("--db="):])
    if is_url(arg):
        return _shown_other_url(arg)
    return _URL_IN_TEXT.sub(lambda m: _shown_other_url(m.group(0)), arg)


def _shown_other_url(url: str) -> str:
    """A URL given to another option: masked like a database URL, but a web address (`--website`) that
    SQLAlchemy could not parse is kept as typed (redact() still removes the database's secrets)."""
    if url.split(":", 1)[0].lower() in ("http", "https") and problem(url) is not None:
        return url
    return shown_url(url)


def shown_argv(argv: list[str]) -> list[str]:
    """A command's arguments as they may be journaled or echoed: the --db value and every URL masked,
    and the secrets of --db and SALESCRM_DB removed wherever else they appear."""
    shown, after_db = [], False
    for arg in argv:
        shown.append(redact(_shown_arg(arg, after_db)))
        after_db = arg == "--db"
    return shown


def shown_command(command: str | None) -> str | None:
    """A recorded command line (shell-quoted words) as it may be shown: every URL in it masked, and the
    secrets of --db and SALESCRM_DB removed; the rest as stored. Rows written before salescrm masked
    every form keep their text (the chain's hashes cover it): this is how they are shown."""
    if not command:
        return command
    return redact(_urls_masked(command) if "://" in command else command)


@lru_cache(maxsize=1024)  # a journal entry's command repeats on each of its changed fields
def _urls_masked(command: str) -> str:
    parts, last, after_db = [], 0, False
    for m in _WORD.finditer(command):
        word = m.group(0)
        if "://" not in word and not after_db:
            after_db = word == "--db"
            continue
        value = _unquoted(word)
        masked = _shown_arg(value, after_db)
        parts.append(command[last:m.start()])
        parts.append(word if masked == value else shlex.quote(masked))
        last = m.end()
        after_db = value == "--db"
    parts.append(command[last:])
    return "".join(parts)


def _unquoted(word: str) -> str:
    """A shell word's value: shlex.quote's own '...' form read directly, the rest by shlex."""
    if len(word) >= 2 and word[0] == word[-1] == "'" and "'" not in word[1:-1]:
        return word[1:-1]
    if not any(ch in word for ch in "'\\\""):
        return word
    try:
        values = shlex.split(word)
    except ValueError:  # a word cut short by the column's length
        return word
    return values[0] if len(values) == 1 else word


def holds_secret(command: str | None) -> bool:
    """Whether a recorded command line holds a password (one written before salescrm masked them all)."""
    return bool(command) and shown_command(command) != command
