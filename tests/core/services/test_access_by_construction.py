"""Authorisation by construction: every public service function states who may call it, and each
one is called here with every caller it does not name.

The functions are found by importing every module of ``core.services``, so a new function without
a declaration fails the first test, and a new staff function is called with every wrong role, with
a student, and (when a registrar may call it) with a registrar of another school, with arguments
taken from school A's real objects by parameter name. Each refusal must be ``AccessDenied`` with
nothing written.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import core.services
from core.domain.access import Access, Actor, Caller, access_of
from core.domain.enums import Decision, EducationCategory, PaymentPurpose, Role, TicketCategory
from core.errors import AccessDenied
from core.models import (
    AccountLink,
    Base,
    BatchItem,
    Notification,
    Payment,
    ProcessingJob,
    ReviewDecision,
    RosterRecord,
    UploadBatch,
)
from core.services import batches, payments, review, schools, submissions, tickets
from core.storage.photos import LocalPhotoStore, PhotoStore
from tests import factories as f
from tests.core.services.helpers import portrait
from tests.core.services.registrar_world import collection_code, linked_with_code

pytestmark = pytest.mark.usefixtures("quick_password_hashes")
PROJECT = Path(__file__).resolve().parents[3]
UI_FOLDERS = ("pages", "workbench", "student")


def service_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function defined in a public module of ``core.services``."""
    for info in pkgutil.iter_modules(core.services.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"core.services.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if inspect.unwrap(value).__module__ != module.__name__:
                continue
            yield f"{info.name}.{name}", value


def declared(kind: Caller) -> list[tuple[str, Callable[..., Any], Access]]:
    found = []
    for name, function in service_functions():
        access = access_of(function)
        if access is not None and access.caller is kind:
            found.append((name, function, access))
    return found


# ---------------------------------------------------------------- declarations


def test_every_public_service_function_declares_who_may_call_it():
    missing = [name for name, function in service_functions() if access_of(function) is None]
    assert len(list(service_functions())) > 150
    assert missing == [], f"declare who may call these (core.domain.access): {missing}"


def test_a_function_open_to_staff_roles_takes_the_actor_it_checks():
    for name, function, access in declared(Caller.ROLES):
        assert "actor" in inspect.signature(function).parameters, name
        assert access.roles or access.students, name


def test_pure_functions_take_no_database():
    for name, function, _ in declared(Caller.PURE):
        parameters = inspect.signature(function).parameters
        assert not {"session", "db", "database"} & set(parameters), name


def _ui_calls() -> Iterator[tuple[Path, str, str]]:
    """(file, service module, function) for every service function a UI file names."""
    for folder in UI_FOLDERS:
        for path in sorted((PROJECT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            modules: dict[str, str] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "core.services":
                    modules.update({alias.asname or alias.name: alias.name for alias in node.names})
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core.services."):
                    module = node.module.removeprefix("core.services.")
                    for alias in node.names:
                        yield path, module, alias.name
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                        and node.value.id in modules:
                    yield path, modules[node.value.id], node.attr


def test_no_screen_calls_a_building_block_meant_for_services_and_the_worker():
    offenders = []
    for path, module, name in _ui_calls():
        value = getattr(importlib.import_module(f"core.services.{module}"), name, None)
        access = access_of(value) if inspect.isfunction(value) else None
        if access is not None and access.caller is Caller.INTERNAL:
            offenders.append(f"{path.relative_to(PROJECT)}: {module}.{name}")
    assert offenders == []


def test_the_ui_scan_sees_the_service_calls_of_the_pages():
    """The scan above is only worth something if it finds the calls it should."""
    calls = {(module, name) for _, module, name in _ui_calls()}
    assert {("support", "search"), ("staff", "authenticate"), ("student_app", "submit_capture"),
            ("review_view", "student_history")} <= calls


# ---------------------------------------------------------------- the world of school A


@dataclass
class World:
    school_id: int
    other_school_id: int
    task_id: int
    record_id: int
    link_id: int
    account_id: int
    payment_id: int
    submission_id: int
    decision_id: int
    notification_id: int
    batch_id: int
    item_id: int
    ticket_id: int
    job_id: int
    staff: dict[str, Actor]
    student: Actor
    other_student: Actor


def build_world(db: Any, store: PhotoStore) -> World:
    """School A with one student through the whole flow (real photo, real pipeline, decision,
    batch, ticket), made through the services the app uses; school B with its own registrar."""
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, code="10487", name="华中科技大学")
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        people = {role.value: f.actor_of(f.make_staff(session, role, school=school if role is Role.REGISTRAR else None))
                  for role in Role}
        people["other_registrar"] = f.actor_of(f.make_staff(session, Role.REGISTRAR, "registrar_b", other))
        student = linked_with_code(session, task, record)
        classmate = f.make_linked_student(session, task, f.make_record(session, school, 2))
        link_id, account_id, student_actor, task_id = student.link.id, student.account.id, student.actor, task.id
        record_id = record.id
        submission = submissions.request_standardisation(session, student_actor, link_id, portrait(1), store)
        submission_id = submission.id
    with db.session() as session:
        submissions.submit(session, student_actor, submission_id)
    with db.session() as session:
        decision = review.decide(session, people["reviewer"], submission_id, Decision.APPROVE)
        decision_id = decision.decision_id
    with db.session() as session:
        batch = batches.build_batch(session, people["registrar"], task_id, store)
        ticket = tickets.open_ticket(session, people["support"], category=TicketCategory.OTHER, subject="来电",
                                     roster_record_id=record_id)
        tickets.escalate_to_school(session, people["support"], ticket.id, "请学校核实")
        world = World(
            school_id=school.id, other_school_id=other.id, task_id=task.id, record_id=record_id, link_id=link_id,
            account_id=account_id,
            payment_id=session.scalars(select(Payment.id).where(Payment.account_id == account_id)).one(),
            submission_id=submission_id, decision_id=decision_id,
            notification_id=session.scalars(select(Notification.id).where(
                Notification.roster_record_id == record_id)).first(),
            batch_id=batch.id,
            item_id=session.scalars(select(BatchItem.id).where(BatchItem.batch_id == batch.id)).one(),
            ticket_id=ticket.id,
            job_id=session.scalars(select(ProcessingJob.id)).first(),
            staff=people, student=student_actor, other_student=classmate.actor,
        )
    assert world.notification_id is not None and world.job_id is not None
    return world


SCOPED_IDS = {
    "school_id": "school_id", "task_id": "task_id", "record_id": "record_id", "roster_record_id": "record_id",
    "link_id": "link_id", "payment_id": "payment_id", "submission_id": "submission_id",
    "decision_id": "decision_id", "notification_id": "notification_id", "batch_id": "batch_id",
    "item_id": "item_id", "ticket_id": "ticket_id",
}
"""Parameter name → the world's object of school A it receives."""


def _plain(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return options[0] if options else annotation
    return annotation


def _value_for(annotation: Any, name: str) -> Any:
    kind = _plain(annotation)
    origin = typing.get_origin(kind) or kind
    if name == "fmt":
        return "csv"
    if name == "filename":
        return "result.csv"
    if name == "out":
        return io.BytesIO()
    if name == "purpose":
        return PaymentPurpose.TASK_FEE
    if kind is schools.TaskSettings:
        return schools.TaskSettings(category=EducationCategory.REGULAR, cohort="2025届", title="测试",
                                    opens_on=date.today(), closes_on=date.today(), price_fen=1)
    if dataclasses.is_dataclass(kind):
        return kind()  # the filters: every field has a default
    if isinstance(kind, type) and issubclass(kind, Enum):
        return next(iter(kind))
    if origin in (dict, typing.Mapping):
        return {}
    if origin in (list, tuple, frozenset, set):
        return origin()
    if kind is bool:
        return True
    if kind is int or kind is float:
        return 1
    if kind is str:
        return "测试"
    if kind is bytes or "bytes" in str(kind):
        return portrait(1)
    if kind is date:
        return date.today()
    if kind is datetime:
        return datetime.now().astimezone()
    raise LookupError(f"no test value for {name}: {annotation}")


def arguments(function: Callable[..., Any], session: Session, actor: Actor, world: World,
              store: LocalPhotoStore) -> dict[str, Any]:
    """School A's objects by parameter name; any other required parameter gets a plain value of its
    type. School-scoped ids are passed even when optional, so the school check is what is tested."""
    hints = typing.get_type_hints(inspect.unwrap(function))
    values: dict[str, Any] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "session":
            values[name] = session
        elif name == "actor":
            values[name] = actor
        elif name == "store":
            values[name] = store
        elif name == "folder":
            values[name] = store.root.parent / "exports"
        elif name in SCOPED_IDS:
            values[name] = getattr(world, SCOPED_IDS[name])
        elif name == "record":
            values[name] = session.get(RosterRecord, world.record_id)
        elif name == "link":
            values[name] = session.get(AccountLink, world.link_id)
        elif name == "payment":
            values[name] = session.get(Payment, world.payment_id)
        elif name == "code":
            values[name] = collection_code(session.get(RosterRecord, world.record_id))
        elif name == "provider":
            values[name] = payments.DevelopmentProvider()
        elif name == "user_id":
            values[name] = world.staff["registrar"].id
        elif name == "job_id":
            values[name] = world.job_id
        elif parameter.default is inspect.Parameter.empty:
            values[name] = _value_for(hints.get(name), name)
    return values


def snapshot(session: Session) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, to prove a refusal wrote nothing."""
    session.flush()
    return [(table.name, [tuple(row) for row in session.execute(
                select(table).order_by(*table.primary_key.columns))])
            for table in Base.metadata.sorted_tables]


def refusals(db: Any, store: PhotoStore, world: World, name: str, function: Callable[..., Any],
             callers: list[tuple[str, Actor]]) -> list[str]:
    """Calls ``function`` as each caller; returns what went wrong (a call not refused with
    AccessDenied, or anything written)."""
    problems = []
    with db.session() as session:
        before = snapshot(session)
        for label, actor in callers:
            try:
                function(**arguments(function, session, actor, world, store))
            except AccessDenied:
                continue
            except Exception as error:
                problems.append(f"{name} as {label}: {type(error).__name__}: {error}")
            else:
                problems.append(f"{name} as {label}: was not refused")
        if session.new or session.dirty or session.deleted:
            problems.append(f"{name}: refused calls left changes in the session")
        if snapshot(session) != before:
            problems.append(f"{name}: refused calls wrote to the database")
        session.rollback()
    return problems


@pytest.fixture
def world(env: tuple[Any, PhotoStore]) -> World:
    return build_world(*env)


def _staff_callers(world: World, access: Access) -> list[tuple[str, Actor]]:
    callers = [(role.value, world.staff[role.value]) for role in Role if role not in access.roles]
    if not access.students:
        callers.append(("student", world.student))
    return callers


def test_each_staff_service_refuses_every_role_it_does_not_name_and_writes_nothing(env, world):
    db, store = env
    problems: list[str] = []
    for name, function, access in declared(Caller.ROLES):
        problems += refusals(db, store, world, name, function, _staff_callers(world, access))
    assert problems == [], "\n".join(problems)


def _school_scoped(function: Callable[..., Any]) -> bool:
    parameters = inspect.signature(function).parameters
    return bool(set(parameters) & (set(SCOPED_IDS) | {"record", "link", "payment"}))


SCOPED_BY_ACTOR = {"dashboard.schools_for", "offline_shooting.tasks", "overview.state_counts", "staff.change_password",
                   "staff_sessions.start"}
"""Registrar functions with no argument that reaches a school: their queries are limited to the
registrar's own school or account (tested with the registrar test). A new one must be added here,
and its scope tested, on purpose."""


def test_a_registrar_of_another_school_is_refused_by_every_service_that_reaches_school_a(env, world):
    from core.models import CollectionTask
    from core.services import dashboard, offline_shooting, overview

    db, store = env
    other = world.staff["other_registrar"]
    problems: list[str] = []
    unscoped = []
    for name, function, access in declared(Caller.ROLES):
        if Role.REGISTRAR not in access.roles:
            continue
        if not _school_scoped(function):
            unscoped.append(name)
            continue
        problems += refusals(db, store, world, name, function, [("registrar of school B", other)])
    assert problems == [], "\n".join(problems)
    assert set(unscoped) == SCOPED_BY_ACTOR

    with db.session() as session:  # the functions scoped by the actor alone show only school B
        assert [s.id for s in dashboard.schools_for(session, other)] == [world.other_school_id]
        counts = overview.state_counts(session, other)
        assert (counts.roster_records, counts.linked, sum(counts.by_state.values())) == (0, 0, 0)
        mine = overview.state_counts(session, world.staff["registrar"])
        assert mine.roster_records == 2 and sum(mine.by_state.values()) == 1
        theirs = offline_shooting.tasks(session, other, offered_only=False)
        assert {session.get(CollectionTask, c.task_id).school_id for c in theirs} <= {world.other_school_id}
        assert offline_shooting.tasks(session, world.staff["registrar"], offered_only=False)


def test_a_student_acts_only_on_their_own_photo_link_and_payment_and_staff_never_shoot_for_them(env, world):
    """Another student is refused everywhere a student may act; live capture is the student's own
    act, so no staff role may standardise, discard or submit a photo for them either."""
    db, store = env
    problems: list[str] = []
    checked = []
    for name, function, access in declared(Caller.ROLES):
        if access.students and _school_scoped(function):
            checked.append(name)
            problems += refusals(db, store, world, name, function, [("another student", world.other_student)])
    assert problems == [], "\n".join(problems)
    assert {"submissions.request_standardisation", "submissions.discard_capture", "submissions.submit",
            "payments.pay", "linking.unbind", "linking.link_collection_code"} <= set(checked)

    with db.session() as session:
        for role in Role:
            actor = world.staff[role.value]
            with pytest.raises(AccessDenied):
                submissions.submit(session, actor, world.submission_id)
            with pytest.raises(AccessDenied):
                submissions.discard_capture(session, actor, world.submission_id)
            with pytest.raises(AccessDenied):
                submissions.request_standardisation(session, actor, world.link_id, portrait(1), store)
            # and the bodies refuse staff on their own, were the declaration ever widened
            with pytest.raises(AccessDenied):
                inspect.unwrap(submissions.submit)(session, actor, world.submission_id)
            with pytest.raises(AccessDenied):
                inspect.unwrap(submissions.discard_capture)(session, actor, world.submission_id)
            with pytest.raises(AccessDenied):
                inspect.unwrap(submissions.request_standardisation)(session, actor, world.link_id, portrait(1), store)
        assert not (session.new or session.dirty or session.deleted)
        # a wrong role learns nothing: an id that does not exist is refused the same way
        with pytest.raises(AccessDenied):
            tickets.detail(session, world.staff["reviewer"], 999_999)
        with pytest.raises(AccessDenied):
            batches.get_batch(session, world.staff["support"], 999_999)
        # the world is what the checks assume
        assert session.get(UploadBatch, world.batch_id).school_id == world.school_id
        assert session.get(ReviewDecision, world.decision_id).submission_id == world.submission_id
