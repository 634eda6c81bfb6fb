"""Small building blocks shared by pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from core.errors import DomainError
from workbench.i18n import lang

T = TypeVar("T")


def show_error(error: DomainError) -> None:
    st.error(error.message(lang()))


@contextmanager
def refusals() -> Iterator[None]:
    """Shows a domain refusal as a clear message instead of a traceback."""
    try:
        yield
    except DomainError as error:
        show_error(error)


def attempt(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except DomainError as error:
        show_error(error)
        return None


def yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"
