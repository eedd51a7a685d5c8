"""A pause for tests, and for tests only: `SALESCRM_TEST_PAUSE=POINT:FILE`.

When a command reaches POINT, it creates FILE and waits as long as FILE exists (at most two minutes), so
that a test can start another command meanwhile, or send a signal, at a known moment. The points:

- `commit`: a write transaction on a SQLite file, after its last statement and before its COMMIT;
- `backup`: `db backup`, with the copy in its temporary file, before it is checked and given its name.

This variable is read here and nowhere else. Never set it outside tests.
"""

from __future__ import annotations

import os
import time

VARIABLE = "SALESCRM_TEST_PAUSE"
_LONGEST = 120.0


def pause(point: str) -> None:
    value = os.environ.get(VARIABLE)
    if not value:
        return
    name, _, file = value.partition(":")
    if name != point or not file:
        return
    with open(file, "w") as f:
        f.write(str(os.getpid()))
    deadline = time.monotonic() + _LONGEST
    while os.path.exists(file) and time.monotonic() < deadline:
        time.sleep(0.02)
