"""Refusals shown as a clear message in the user's language instead of a traceback, for the staff
app and the student app alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from core.errors import DomainError
from uikit.i18n import lang
from uikit.plain import plain

T = TypeVar("T")


def show_error(error: DomainError) -> None:
    """A refusal; its message may quote what the user typed, so it is shown as plain text."""
    st.error(plain(error.message(lang())))


@contextmanager
def refusals() -> Iterator[None]:
    """Shows a domain refusal as a clear message instead of a traceback."""
    try:
        yield
    except DomainError as error:
        show_error(error)


@contextmanager
def refusal_stops_page() -> Iterator[None]:
    """For a read the rest of the page depends on (a search, a filtered list): a refusal (text the
    service will not take) is shown as a clear message and the page stops there."""
    try:
        yield
    except DomainError as error:
        show_error(error)
        st.stop()


def attempt(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except DomainError as error:
        show_error(error)
        return None
