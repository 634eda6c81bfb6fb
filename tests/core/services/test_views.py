"""Screens receive frozen views, never ORM rows: read from the services' return annotations, so a
new function that hands a row to a page fails here before any page reads it through a lazy load
after its session has closed."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

from core.domain.access import Caller, access_of
from core.models import Base
from tests.core.services.test_access_by_construction import _ui_calls, service_functions

MODEL_NAMES = {mapper.class_.__name__ for mapper in Base.registry.mappers}

NOT_YET_CONVERTED: set[str] = set()
"""Modules whose conversion is under way elsewhere (issue 17); remove each as it lands."""

ROWS_BETWEEN_SERVICES = {
    "batches.get_batch": "the locked row every batch operation starts from; screens use batches.open_batch",
    "linking.unbind": "called by support.unbind (which returns a LinkView) and the student app's service",
    "offline_shooting.buy": "wrapped by student_app.buy_offline_shooting into an OrderView",
    "payments.open_order": "the order row is passed on to payments.pay by the student app's service",
    "payments.pay": "wrapped by student_app into an OrderView",
    "payments.retry_failed": "wrapped by student_app into an OrderView",
    "quotas.grant": "wrapped by support and review, which hand the row to send_override_to_second_review",
    "submissions.request_standardisation": "wrapped by student_app.submit_capture into a CaptureView",
    "submissions.discard_capture": "wrapped by student_app into a CaptureView",
    "submissions.submit": "wrapped by student_app into a CaptureView",
}
"""Staff- or student-gated functions that still return a row, because only other services call
them (no screen does: the first test proves it). Each is a candidate for a view of its own."""


def rows_in(annotation: Any, seen: set[int] | None = None) -> Iterator[str]:
    """The ORM classes an annotation can carry, also inside containers and dataclass fields."""
    seen = seen if seen is not None else set()
    if id(annotation) in seen:
        return
    seen.add(id(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Base):
        yield annotation.__name__
        return
    for argument in typing.get_args(annotation):
        yield from rows_in(argument, seen)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        for name, hint in typing.get_type_hints(annotation).items():
            yield from (f"{annotation.__name__}.{name}: {row}" for row in rows_in(hint, seen))


def returned_rows(function: Callable[..., Any]) -> list[str]:
    try:
        hints = typing.get_type_hints(inspect.unwrap(function))
    except NameError:  # a name imported for type checking only: read the annotation as written
        written = str(inspect.unwrap(function).__annotations__.get("return", ""))
        return [row for row in MODEL_NAMES if re.search(rf"\b{row}\b", written)]
    return list(rows_in(hints.get("return")))


def test_no_screen_is_handed_an_orm_row():
    offenders = set()
    for path, module, name in _ui_calls():
        if module in NOT_YET_CONVERTED:
            continue
        function = getattr(importlib.import_module(f"core.services.{module}"), name, None)
        if inspect.isfunction(function) and (rows := returned_rows(function)):
            offenders.add(f"{path.name}: {module}.{name} -> {rows}")
    assert offenders == set()


def test_the_gated_functions_that_still_return_rows_are_the_known_ones():
    returning_rows = {
        name for name, function in service_functions()
        if name.split(".")[0] not in NOT_YET_CONVERTED
        and (access := access_of(function)) is not None and access.caller is Caller.ROLES
        and returned_rows(function)
    }
    assert returning_rows == set(ROWS_BETWEEN_SERVICES)


def test_views_are_frozen():
    """A view a page holds cannot be written to by mistake (it would change nothing stored)."""
    for name, function in service_functions():
        try:
            hint = typing.get_type_hints(inspect.unwrap(function)).get("return")
        except NameError:
            continue
        for kind in (hint, *typing.get_args(hint)):
            if isinstance(kind, type) and kind.__name__.endswith("View") and dataclasses.is_dataclass(kind):
                assert kind.__dataclass_params__.frozen, f"{name} returns a mutable {kind.__name__}"  # type: ignore[attr-defined]  # set by @dataclass
