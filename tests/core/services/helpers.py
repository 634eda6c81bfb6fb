"""Shared steps for service tests: real photos through the real services."""

from __future__ import annotations

from core.db import Database
from core.models import Submission
from core.services import submissions
from core.storage.photos import PhotoStore
from tests import factories as f

from tests.photos import portrait

__all__ = ["portrait", "submitted_photo"]


def submitted_photo(db: Database, store: PhotoStore, *, seed: int = 1, wechat_messages: bool = False) -> int:
    """A linked, paid student whose real capture went through the worker and waits for review
    (``wechat_messages``: who allowed WeChat notifications)."""
    with db.session() as session:
        school = f.make_school(session, code=f"1{seed:04d}", name=f"测试大学{seed}")
        task = f.make_task(session, school)
        record = f.make_record(session, school, seed)
        student = f.make_linked_student(session, task, record, wechat_messages=wechat_messages)
        submission = submissions.request_standardisation(session, student.actor, student.link.id, portrait(seed), store)
        submission_id, actor = submission.id, student.actor
    with db.session() as session:
        submissions.submit(session, actor, submission_id)
        assert session.get(Submission, submission_id).state.value == "awaiting_review"
    return submission_id
