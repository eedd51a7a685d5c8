"""The journal's hash chain: how a value is sealed, and what each entry's hash covers (v1 and v2).

Chain v1 (rows written before schema revision 0005) covers `command` and `reason` as plain text.
Chain v2 covers them through salted digests, as values already are: each v2 row has a random `salt`,
and `command_digest` and `reason_digest` are computed from it. An erasure can then blank a
command (to '') or a reason (to NULL), as it blanks a value, and the chain still verifies.
A v2 row's value salts are derived from the row's salt, so that an erased value can still be
compared, by digest, with the live record it describes (store/reconcile.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone
from functools import lru_cache

GENESIS = "0" * 64
CHAIN_VERSION = 2

# json.dumps builds an encoder on each call that passes options; these give the same text, built once.
_VALUE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_STORED_JSON = json.JSONEncoder(ensure_ascii=False)
_CONTENT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SCALARS = frozenset({str, int, float, bool})  # JSON the same with sorted keys or not (a salt is hex: no escapes)


def value_digest(salt: str, value) -> str:
    return hashlib.sha256((salt + _VALUE_JSON.encode(value)).encode()).hexdigest()


def seal(value, salt: str | None = None) -> tuple[str | None, str | None]:
    """A value as stored (`[salt, value]` JSON) and its digest; (None, None) for no value."""
    if value is None:
        return None, None
    salt = salt or secrets.token_hex(8)
    if type(value) in _SCALARS:  # the value's JSON once: the stored pair's text is `["salt", value]`
        text = _VALUE_JSON.encode(value)
        return f'["{salt}", {text}]', hashlib.sha256((salt + text).encode()).hexdigest()
    return _STORED_JSON.encode([salt, value]), value_digest(salt, value)


def unseal(stored: str | None):
    """The value of a stored field (None when there is none or it was erased)."""
    return None if stored is None else json.loads(stored)[1]


def new_row_salt() -> str:
    return secrets.token_hex(8)


def new_row_salts(count: int) -> list[str]:
    """`count` row salts, as `new_row_salt` gives them, from one draw of random bytes."""
    block = secrets.token_hex(8 * count)
    return [block[16 * i:16 * i + 16] for i in range(count)]


def field_salt(row_salt: str, field: str, side: str) -> str:
    """The salt of one value of a v2 row, derived from the row's salt (`side` is old or new)."""
    return hashlib.sha256(f"{row_salt}:{side}:{field}".encode()).hexdigest()[:16]


def text_digest(row_salt: str, name: str, text: str | None) -> str | None:
    """The digest of a v2 row's `command` or `reason` (None for no reason)."""
    return None if text is None else value_digest(f"{row_salt}:{name}", text)


def text_digester(name: str, text: str | None):
    """`text_digest(row_salt, name, text)` as a function of the row's salt, the text's JSON built once (an
    append gives one command and one reason to all its rows)."""
    if text is None:
        return lambda _row_salt: None
    encoded = _VALUE_JSON.encode(text)
    return lambda row_salt: hashlib.sha256(f"{row_salt}:{name}{encoded}".encode()).hexdigest()


@lru_cache(maxsize=64)  # an append's entries share one time
def canonical_time(at: datetime) -> str:
    """One text for a time, whatever the backend hands back (SQLite: naive UTC; PostgreSQL: aware)."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, entry: dict, digests: list[tuple[str, str | None, str | None]]) -> str:
    """The hash of an entry: its content and the previous entry's hash. `entry["version"]` (1 when
    absent) says which content: v1 the command and reason themselves, v2 their digests and the salt."""
    if (entry.get("version") or 1) >= 2:
        content = [
            2, entry["seq"], canonical_time(entry["at"]), entry["actor"], entry["salt"], entry["command_digest"],
            entry["reason_digest"], entry["record_type"], entry["record_id"], entry["action"], sorted(digests),
        ]
    else:
        content = [
            entry["seq"], canonical_time(entry["at"]), entry["actor"], entry["command"], entry["reason"],
            entry["record_type"], entry["record_id"], entry["action"], sorted(digests),
        ]
    payload = prev_hash + _CONTENT_JSON.encode(content)
    return hashlib.sha256(payload.encode()).hexdigest()


def text_problem(entry: dict) -> str | None:
    """What is wrong with a v2 row's command or reason (an erased one is fine), in words; None if nothing."""
    if (entry.get("version") or 1) < 2:
        return None
    command = entry["command"]
    if command != "" and text_digest(entry["salt"], "command", command) != entry["command_digest"]:
        return "its command does not match its digest: it was changed after it was written"
    reason = entry["reason"]
    if reason is not None and text_digest(entry["salt"], "reason", reason) != entry["reason_digest"]:
        return "its reason does not match its digest: it was changed after it was written"
    return None
