"""What a domain operation returns: the record, and warnings for the person (never printed here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    record: T
    warnings: list[str] = field(default_factory=list)
