"""Config sections → dataclasses, refusing keys the dataclass does not know (one shared check)."""
from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

T = TypeVar("T")


def from_dict(cls: type[T], d: dict, what: str) -> T:
    """``cls(**d)``, but a key ``cls`` has no field for is an error naming ``what`` and the key."""
    unknown = set(d) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} settings: {sorted(unknown)}")
    return cls(**d)
