"""The last line of defence for stored text: whatever path a value takes to the database, a string
longer than its column or holding a control character is refused, as ``InvalidInput`` naming the
field, before the database sees it. SQLite enforces no lengths and PostgreSQL refuses NUL bytes
with an error page; both now give the same clear refusal.

Services still clean every input once at their boundary (``core.domain.text.clean_text`` with a
``Field`` made here by :func:`field`, so the label the user knows and the column's length are
stated together); this check only catches what a service forgot.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, Text, event, inspect
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from core.domain.text import Field, check_fits, forbidden_character

_LABELS: dict[ColumnElement[Any], Field] = {}


def field(attribute: Any, label_zh: str, label_en: str, *, max_length: int | None = None) -> Field:
    """The input field that fills ``attribute`` (a mapped column): its length is the column's, or
    ``max_length`` for an unbounded TEXT column; TEXT columns keep line breaks."""
    column = attribute.property.columns[0]
    length = max_length if max_length is not None else column.type.length
    if length is None:
        raise TypeError(f"{column}: an unbounded column needs max_length")
    made = Field(label_zh, label_en, length, multiline=isinstance(column.type, Text))
    _LABELS.setdefault(column, made)
    return made


def _stored_field(column: ColumnElement[Any]) -> Field:
    known = _LABELS.get(column)
    length = column.type.length or 10**9  # type: ignore[attr-defined]  # text columns only; others have no length
    if known is not None:
        return Field(known.label_zh, known.label_en, length, known.multiline)
    name = f"{column.table.name}.{column.name}"
    return Field(name, name, length, multiline=isinstance(column.type, Text))


@cache
def _text_columns(mapper: Mapper[Any]) -> tuple[tuple[str, ColumnElement[Any], int | None, bool], ...]:
    """(attribute, column, length, multi-line) of each text column a model stores."""
    return tuple(
        (attribute.key, column, column.type.length, isinstance(column.type, Text))
        for attribute in mapper.column_attrs
        for column in attribute.columns[:1]
        if isinstance(column.type, String) and not isinstance(column.type, SAEnum)
    )


def _check(value: object, column: ColumnElement[Any], length: int | None, multiline: bool) -> None:
    if isinstance(value, str) and ((length is not None and len(value) > length)
                                   or forbidden_character(value, multiline=multiline) is not None):
        check_fits(value, _stored_field(column))


@event.listens_for(Session, "before_flush")
def _refuse_unfit_text(session: Session, _context: UOWTransaction, _instances: object) -> None:
    for instance in session.new:
        state = inspect(instance)
        values = state.dict
        for key, column, length, multiline in _text_columns(state.mapper):
            _check(values.get(key), column, length, multiline)
    for instance in session.dirty:
        state = inspect(instance)
        for key, column, length, multiline in _text_columns(state.mapper):
            if key in state.dict and state.attrs[key].history.has_changes():
                _check(state.dict[key], column, length, multiline)
