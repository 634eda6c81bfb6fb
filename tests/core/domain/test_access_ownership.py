"""A student's own data is theirs alone: the ownership check refuses staff of every role and other
students by itself, not only through the ``@students_only`` declaration in front of it."""

from __future__ import annotations

import pytest

from core.domain.access import Actor, require_own
from core.domain.enums import ActorKind, Role
from core.errors import AccessDenied


def test_the_owner_and_the_system_pass():
    require_own(Actor.student(7, "小明"), 7, "只能操作本人的照片。", "Own photo only.")
    require_own(Actor.system("worker"), 7, "只能操作本人的照片。", "Own photo only.")


@pytest.mark.parametrize("role", list(Role))
def test_staff_of_every_role_are_refused_with_the_message_given(role):
    staff = Actor(kind=ActorKind.STAFF, id=7, name="同号员工", role=role, school_id=1)  # same id as the owner
    with pytest.raises(AccessDenied) as refused:
        require_own(staff, 7, "只能操作本人的照片。", "Own photo only.")
    assert refused.value.message_zh == "只能操作本人的照片。"


def test_another_student_and_a_record_with_no_account_are_refused():
    with pytest.raises(AccessDenied):
        require_own(Actor.student(8, "小红"), 7, "只能操作本人的照片。", "Own photo only.")
    with pytest.raises(AccessDenied):
        require_own(Actor.student(8, "小红"), None, "只能操作本人的照片。", "Own photo only.")


def test_a_bare_kind_string_is_read_as_the_shared_word():
    assert Actor(kind="staff", id=1, name="x", role=Role.ADMIN).kind is ActorKind.STAFF
