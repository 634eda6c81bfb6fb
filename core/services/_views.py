"""Rows to frozen views: what a service hands the UI is a snapshot, never a live ORM row, so no
page reads through a lazy load after the session that loaded it has closed."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

V = TypeVar("V")


def view_of(cls: type[V], row: object, **extra: Any) -> V:
    """``cls`` filled from the attributes of ``row`` that share its field names; ``extra`` supplies
    the fields the row does not carry under that name (a school's name on a task, for example)."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in extra}  # type: ignore[arg-type]  # cls is a dataclass
    return cls(**values, **extra)
