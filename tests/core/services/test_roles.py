"""The role gate of every service, called with arguments it must never touch.

Every public function of ``core.services`` carries a declaration (``core.domain.access``); the ones
open to staff roles (``@allowed``) check the actor's role before the body runs. Here each of them
is called with every role it does not name, and with a student where students are not named,
while every other argument is an object that fails the test if anything reads it: the refusal
must be ``AccessDenied`` and must come before the body looks at a single argument. Each role it
does name must get past the gate into the body. No database is needed, so this runs in well under
a second; ``test_access_by_construction`` repeats the refusals against real rows of two schools.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any, NoReturn

import pytest

from core.domain.access import Access, Actor, Caller, access_of
from core.domain.enums import ActorKind, Role
from core.errors import AccessDenied
from tests.core.services.test_access_by_construction import service_functions

ACTOR_TAKING_BUILDING_BLOCKS = {
    "audit.record": "writes the audit event of whoever acted; every caller is a service that checked them",
    "quotas.add_entry": "books a quota entry on behalf of the service that granted it (quotas.grant, payments)",
    "review.send_override_to_second_review": "follows every quota override, wherever it was granted; "
                                             "the granting service checked the actor",
    "review_settle.apply_settlement": "moves the photo to the settled decision for review_settle.settle and "
                                      "review_second.decide_second, which checked the settling senior",
}
"""Functions that take an actor to *record* who acted, not to decide whether they may: declared
``@internal`` (never called by a screen; ``test_access_by_construction`` checks that), with why."""


class Touched(Exception):
    """A refused call read one of its arguments."""


def _touched(*_: object) -> NoReturn:
    raise Touched


class Untouchable:
    """Stands for every argument but the actor: any use of it raises ``Touched``."""

    def __getattr__(self, name: str) -> NoReturn:
        raise Touched(name)

    __bool__ = __len__ = __iter__ = __int__ = __index__ = __float__ = __str__ = _touched
    __getitem__ = __call__ = __contains__ = __eq__ = __ne__ = __lt__ = __gt__ = __hash__ = _touched  # every comparison is a read too


def staff(role: Role) -> Actor:
    return Actor(kind=ActorKind.STAFF, id=1, name=role.value, role=role, school_id=1)


STUDENT = Actor.student(1, "学生")


def gated() -> list[tuple[str, Callable[..., Any], Access]]:
    found = []
    for name, function in service_functions():
        access = access_of(function)
        if access is not None and access.caller is Caller.ROLES:
            found.append((name, function, access))
    return found


def call(function: Callable[..., Any], actor: Actor) -> None:
    """``function`` with ``actor`` and an ``Untouchable`` for every other parameter."""
    arguments = {name: actor if name == "actor" else Untouchable()
                 for name in inspect.signature(function).parameters
                 if name not in ("args", "kwargs")}
    function(**arguments)


def entered_body(function: Callable[..., Any], traceback: TracebackType | None) -> bool:
    """Whether the failure happened inside the function's own body (past the gate)."""
    body = inspect.unwrap(function).__code__
    while traceback is not None:
        if traceback.tb_frame.f_code is body:
            return True
        traceback = traceback.tb_next
    return False


def outsiders(access: Access) -> list[tuple[str, Actor]]:
    callers = [(role.value, staff(role)) for role in Role if role not in access.roles]
    if not access.students:
        callers.append(("student", STUDENT))
    return callers


def test_every_public_service_function_declares_its_callers_and_every_actor_taker_is_gated():
    functions = list(service_functions())
    assert len(functions) > 150
    assert [name for name, function in functions if access_of(function) is None] == []
    ungated = {name for name, function in functions
               if "actor" in inspect.signature(function).parameters
               and access_of(function).caller is not Caller.ROLES}
    assert ungated == set(ACTOR_TAKING_BUILDING_BLOCKS)


def test_the_gate_refuses_every_role_not_named_before_reading_any_argument():
    problems = []
    for name, function, access in gated():
        for label, actor in outsiders(access):
            try:
                call(function, actor)
            except AccessDenied as refusal:
                if entered_body(function, refusal.__traceback__):
                    problems.append(f"{name} as {label}: refused by the body, not the gate")
            except Touched:
                problems.append(f"{name} as {label}: read an argument before refusing")
            except Exception as error:
                problems.append(f"{name} as {label}: {type(error).__name__}: {error}")
            else:
                problems.append(f"{name} as {label}: was not refused")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_named_gets_past_the_gate(role):
    """The body is entered (and then trips over the dummy arguments); a refusal by role from the
    body would mean the declaration names a role the function never lets in."""
    problems = []
    checked = 0
    for name, function, access in gated():
        if role not in access.roles:
            continue
        checked += 1
        try:
            call(function, staff(role))
        except AccessDenied as refusal:
            problems.append(f"{name}: {role.value} was refused: {refusal.message_zh}")
        except Exception as error:
            if not entered_body(function, error.__traceback__):
                problems.append(f"{name}: {role.value} stopped before the body: {type(error).__name__}: {error}")
        else:
            pass  # ran to the end without reading an argument: past the gate
    assert checked > 0
    assert problems == [], "\n".join(problems)


def test_students_named_get_past_the_gate_and_the_system_always_does():
    problems = []
    for name, function, access in gated():
        callers = [("system", Actor.system("tests"))] + ([("student", STUDENT)] if access.students else [])
        for label, actor in callers:
            try:
                call(function, actor)
            except AccessDenied as refusal:
                if not entered_body(function, refusal.__traceback__):
                    problems.append(f"{name} as {label}: refused by the gate")
            except Exception as error:
                if not entered_body(function, error.__traceback__):
                    problems.append(f"{name} as {label}: stopped before the body: {type(error).__name__}")
    assert problems == [], "\n".join(problems)


def test_the_gate_is_checked_on_the_function_a_screen_calls():
    """The declaration sits on the public name itself (decorator directly above ``def``), so the
    object the UI imports is the gated one, not a bare function with a gated twin."""
    for name, function, _ in gated():
        assert function is not inspect.unwrap(function), f"{name}: the public name is not the gated wrapper"
