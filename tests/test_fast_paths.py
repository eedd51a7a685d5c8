"""The fast paths an import takes give what the code they stand in for gives: an email read by the plain-address
pattern as email_validator reads it (domain/values.py), a journal value sealed as `json.dumps` seals it
(store/journal_chain.py). No database."""

from __future__ import annotations

import hashlib
import json

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from salescrm.domain.values import _plain_email
from salescrm.store.journal_chain import seal

# Mostly well-formed parts, so that many addresses take the fast path, with the edges it must leave alone.
ATOM = st.one_of(st.lists(st.text(alphabet="abcXYZ019-_+'!#~`{}|=?^$%&*/", min_size=1, max_size=22), min_size=1,
                          max_size=4).map(".".join), st.text(alphabet="abcXYZ019.-_+'!#~`{}|=?^$%&*/", max_size=70),
                 st.sampled_from(["info", "Sales", "postmaster", "a" * 64, "a" * 65]))
LABEL = st.one_of(st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True),
                  st.text(alphabet="abzAZ09-", max_size=66), st.sampled_from(["local", "test", "xn--bcher-kva", "ab--c"]))
ODD = st.text(alphabet="aZ9.-@ _\"\\()[]<>,;:é\u00a0\u200b", min_size=0, max_size=12)


def library(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("text", [
    "Ana.Ruiz@Clinica.ES", "a@b.co", "a+tag@x-y.example", "info@x.com", "Info@X.com", "a@localhost", "a@x.local",
    "a@x.test", "a@host.invalid", "a@1.2", "a@x.c0m", "a..b@x.com", ".a@x.com", "a.@x.com", "a@-x.com", "a@x-.com",
    "ab--c@x.com", "a@ab--cd.com", "a@xn--bcher-kva.com", "a@" + "x" * 64 + ".com", "a" * 65 + "@x.com",
    "a@" + ("x" * 60 + ".") * 5 + "com", "a@x.com.", "a@x..com", "a@x.c", "ana@clinica0001.es", "postmaster@x.org",
])
def test_a_plain_address_reads_as_the_library_reads_it(text):
    assert _plain_email(text) in (None, library(text))
    if _plain_email(text) is not None:
        assert library(text) is not None


@settings(max_examples=3000, deadline=None)
@given(local=ATOM, labels=st.lists(LABEL, min_size=1, max_size=4), tld=st.one_of(st.from_regex(r"[a-zA-Z]{2,6}", fullmatch=True), st.text(alphabet="abcZ09-", max_size=5),
                                                      st.sampled_from(["local", "test", "onion", "arpa", "invalid"])), odd=ODD)
def test_any_address_the_pattern_takes_the_library_takes_the_same(local, labels, tld, odd):
    for text in (f"{local}@{'.'.join(labels)}.{tld}", f"{local}@{'.'.join(labels)}", f"{local}{odd}@{labels[0]}.{tld}"):
        fast = _plain_email(text)
        if fast is not None:
            assert fast == library(text), text


def test_the_plain_pattern_takes_the_common_address():
    assert _plain_email("Marta.Ruiz@Sanitas.ES") == "Marta.Ruiz@sanitas.es"
    assert _plain_email("info@sanitas.es") is None  # the library lower-cases such mailboxes: it decides


@given(value=st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                       st.lists(st.text(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=3)))
def test_a_value_is_sealed_as_json_dumps_seals_it(value):
    salt = "0123456789abcdef"
    stored = json.dumps([salt, value], ensure_ascii=False)
    digest = hashlib.sha256((salt + json.dumps(value, ensure_ascii=False, sort_keys=True)).encode()).hexdigest()
    assert seal(value, salt) == (stored, digest)
