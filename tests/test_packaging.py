"""The project's metadata builds without deprecation warnings: the license is an SPDX expression (PEP 639),
which needs setuptools 77 or later, and no License classifier repeats it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database  # no test here opens a database

PYPROJECT = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "LicenseRef-Proprietary"
    assert not any(c.startswith("License ::") for c in PYPROJECT["project"].get("classifiers", []))


def test_build_requires_a_setuptools_that_reads_it():
    [setuptools] = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    assert setuptools == "setuptools>=77"
