"""Who may do what. Every service call carries an ``Actor``; every public service function states
who may call it with one of the declarations below, checked before its body runs.

A registrar sees only their own school: the check is here, in the services' path, not only in
which pages a role is shown. Services that reach a school through their arguments (a task id, a
submission, a ticket…) are also checked by construction: ``allowed`` resolves the school of each
such argument through the resolver the service layer registers (``register_scope``) and refuses a
registrar of another school before the body runs. ``require_role``/``require_school`` stay for
checks that depend on data the body loads.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ParamSpec, TypeVar

from core.domain.enums import ActorKind, Role
from core.errors import AccessDenied

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Actor:
    """The person (or the system) on whose behalf a service runs."""

    kind: ActorKind
    id: int | None
    name: str
    role: Role | None = None
    school_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActorKind(self.kind))  # a caller's bare "staff" is the word too

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, id=None, name=name)

    @classmethod
    def student(cls, account_id: int, nickname: str) -> Actor:
        return cls(kind=ActorKind.STUDENT, id=account_id, name=nickname)

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def is_student(self) -> bool:
        return self.kind is ActorKind.STUDENT

    @property
    def is_system(self) -> bool:
        return self.kind is ActorKind.SYSTEM


REVIEW_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMIN)
SENIOR_ROLES = (Role.SENIOR_REVIEWER, Role.ADMIN)
SCHOOL_DATA_ROLES = (Role.REGISTRAR, Role.ADMIN)
SUPPORT_ROLES = (Role.SUPPORT, Role.ADMIN)
OVERRIDE_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SUPPORT, Role.ADMIN)
"""Who may grant a quota override (every override also goes to a senior reviewer)."""
ALL_STAFF = tuple(Role)


def _refused(actor: Actor) -> AccessDenied:
    if actor.is_student:
        return AccessDenied("学生账号不能执行此操作。", "A student account cannot do this.")
    return AccessDenied(
        "您的账号没有此操作的权限。",
        "Your account is not allowed to do this.",
        role=actor.role.value if actor.role else None,
    )


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.is_system:
        return
    if not actor.is_staff or actor.role not in roles:
        raise _refused(actor)


def require_own(actor: Actor, account_id: int | None, message_zh: str, message_en: str) -> None:
    """A student's own data: the student whose account it is, or the system acting for them.
    Staff are refused here too, not only by ``@students_only``, so widening a declaration by
    mistake never lets a reviewer shoot, discard, submit or pay for a student."""
    if actor.is_system:
        return
    if not actor.is_student or actor.id != account_id:
        raise AccessDenied(message_zh, message_en)


def require_school(actor: Actor, school_id: int) -> None:
    """Registrars only touch their own school; other staff roles are not school-scoped."""
    if actor.is_staff and actor.role is Role.REGISTRAR and actor.school_id != school_id:
        raise AccessDenied(
            "学籍管理员只能查看和操作本校的数据。",
            "A registrar can only see and change their own school's data.",
            school_id=school_id,
        )


def school_scope(actor: Actor) -> int | None:
    """The one school a query must be limited to, or None for all schools."""
    if actor.is_staff and actor.role is Role.REGISTRAR:
        return actor.school_id
    return None


# ---------------------------------------------------------------- declarations


class Caller(str, Enum):
    """The kinds of declaration a public service function carries."""

    ROLES = "roles"
    """Staff of the listed roles (and, where stated, the student acting on their own data)."""
    OWN_DATA = "own_data"
    """The signed-in person's own data: the account or staff id the UI holds *is* the identity."""
    PUBLIC = "public"
    """Anyone, before any sign-in: staff login, student sign-in, the schools with an open task."""
    PURE = "pure"
    """Reads and writes nothing stored: parsing, formatting, pure rules."""
    INTERNAL = "internal"
    """A building block for other services, the worker and the command line; never called by a UI."""


@dataclass(frozen=True)
class Access:
    """A function's declaration, kept on it as ``__access__`` for the decorator and the tests."""

    caller: Caller
    roles: frozenset[Role] = frozenset()
    students: bool = False

    def admits(self, actor: Actor) -> bool:
        if actor.is_system:
            return True
        if actor.is_student:
            return self.students
        return actor.is_staff and actor.role in self.roles


ScopeResolver = Callable[[Any, Mapping[str, Any]], Iterable[int | None]]
"""Given the session and a call's arguments, the schools its arguments belong to (None for an
existing object that belongs to no school)."""

_scope_resolver: ScopeResolver | None = None


def register_scope(resolver: ScopeResolver) -> None:
    """The service layer names how an argument (a task id, a ticket…) leads to its school."""
    global _scope_resolver
    _scope_resolver = resolver


def access_of(function: Callable[..., Any]) -> Access | None:
    return getattr(function, "__access__", None)


def _declare(function: Callable[P, R], access: Access) -> Callable[P, R]:
    function.__access__ = access  # type: ignore[attr-defined]  # a plain attribute on the function
    return function


def allowed(*roles: Role, students: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Only staff of ``roles`` (and with ``students`` a student actor, whose ownership the body
    checks) may call this; the system actor (worker, demo, command line) always may. A registrar is
    also refused, before the body runs, when an argument belongs to another school."""
    access = Access(Caller.ROLES, frozenset(roles), students)

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)
        names = list(signature.parameters)
        if "actor" not in names:
            raise TypeError(f"{function.__qualname__}: @allowed needs an 'actor' parameter")
        position = names.index("actor")

        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs["actor"] if "actor" in kwargs else args[position]
            if not isinstance(actor, Actor):
                raise TypeError(f"{function.__qualname__}: 'actor' must be an Actor")
            if not access.admits(actor):
                raise _refused(actor)
            if actor.is_staff and actor.role is Role.REGISTRAR and _scope_resolver is not None:
                arguments = signature.bind_partial(*args, **kwargs).arguments
                for school_id in _scope_resolver(arguments.get("session"), arguments):
                    if school_id is None:
                        raise AccessDenied("学籍管理员只能查看和操作本校的数据。",
                                           "A registrar can only see and change their own school's data.")
                    require_school(actor, school_id)
            return function(*args, **kwargs)

        return _declare(checked, access)

    return decorate


def students_only(function: Callable[P, R]) -> Callable[P, R]:
    """A student acting on their own data (the body checks ownership); no staff role may."""
    return allowed(students=True)(function)


def own_data(function: Callable[P, R]) -> Callable[P, R]:
    """See ``Caller.OWN_DATA``."""
    return _declare(function, Access(Caller.OWN_DATA))


def public(function: Callable[P, R]) -> Callable[P, R]:
    """See ``Caller.PUBLIC``."""
    return _declare(function, Access(Caller.PUBLIC))


def pure(function: Callable[P, R]) -> Callable[P, R]:
    """See ``Caller.PURE``."""
    return _declare(function, Access(Caller.PURE))


def internal(function: Callable[P, R]) -> Callable[P, R]:
    """See ``Caller.INTERNAL``."""
    return _declare(function, Access(Caller.INTERNAL))
