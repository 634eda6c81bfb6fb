"""Side effects leave after commit: a reviewer's decision that rolls back messages nobody; one that
commits is sent once, after the commit, and a failed send is retried until it goes, once. The
students here allowed WeChat notifications (test_notification_consent covers those who did not)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, Role
from core.models import Notification, OutboxMessage, utcnow
from core.services import notifications, outbox, review
from tests import factories as f
from tests.core.services.helpers import submitted_photo


class Recorder:
    """A sender that records what left (and can be told to fail, as WeChat sometimes does)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures = 0

    def send(self, notification: Notification, key: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("WeChat unreachable")
        self.sent.append((key, notification.title))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    sender = Recorder()
    monkeypatch.setattr(notifications, "sender", sender)
    return sender


def _reviewer(db):
    with db.session() as session:
        return f.actor_of(f.make_staff(session, Role.REVIEWER, "reviewer"))


def test_a_decision_that_rolls_back_sends_nothing(env, recorder):
    db, store = env
    submission_id = submitted_photo(db, store, wechat_messages=True)
    reviewer = _reviewer(db)
    with pytest.raises(RuntimeError), db.session() as session:
        review.claim(session, reviewer, submission_id)
        review.decide(session, reviewer, submission_id, Decision.APPROVE)
        session.flush()
        assert recorder.sent == []  # nothing leaves inside the transaction
        raise RuntimeError("the page crashed before the commit")
    assert outbox.deliver_due(db) == 0
    with db.session() as session:
        assert session.scalars(select(Notification)).all() == []
        assert session.scalars(select(OutboxMessage)).all() == []
    assert recorder.sent == []


def test_a_committed_decision_is_sent_once_after_the_commit(env, recorder):
    db, store = env
    submission_id = submitted_photo(db, store, wechat_messages=True)
    reviewer = _reviewer(db)
    with db.session() as session:
        review.claim(session, reviewer, submission_id)
        review.decide(session, reviewer, submission_id, Decision.APPROVE)
        session.flush()
        assert recorder.sent == []
    [(key, title)] = recorder.sent
    assert title == "审核通过" and key.startswith("notification:")
    assert outbox.deliver_due(db, now=utcnow() + timedelta(days=1)) == 0  # the retry loop sends it no second time
    assert len(recorder.sent) == 1
    with db.session() as session:
        [message] = session.scalars(select(OutboxMessage)).all()
        assert message.delivered_at is not None and message.attempts == 1
        assert session.scalars(select(Notification)).one().delivered_at is not None


def test_a_failed_send_is_retried_with_a_growing_delay_until_it_goes(db, recorder):
    recorder.failures = 2
    with db.session() as session:
        school = f.make_school(session)
        record = f.make_record(session, school)
        f.make_linked_student(session, f.make_task(session, school), record, paid=False, wechat_messages=True)
        notifications.notify(session, record.id, "on_chsi", "照片已上传学信网", "您的照片已上传学信网。")
    assert recorder.sent == []  # the send after commit failed; the row remembers
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.attempts == 1 and "WeChat unreachable" in message.last_error
        first_due = message.next_attempt_at
    assert outbox.deliver_due(db) == 0  # not due yet
    assert outbox.deliver_due(db, now=first_due) == 0  # the second attempt fails too
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.attempts == 2 and message.next_attempt_at - first_due > first_due - message.created_at
        second_due = message.next_attempt_at
    assert outbox.deliver_due(db, now=second_due) == 1
    assert outbox.deliver_due(db, now=second_due + timedelta(hours=1)) == 0
    assert [title for _, title in recorder.sent] == ["照片已上传学信网"]
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.delivered_at is not None and message.last_error is None


def test_a_batch_of_messages_leaves_after_its_commit_and_one_failure_holds_back_only_itself(db, recorder,
                                                                                            monkeypatch):
    """A CHSI result file tells hundreds of students at once: delivered in chunks after the commit;
    a send that fails is retried later on its own, the others are delivered now, each once."""
    original = recorder.send

    def send(notification: Notification, key: str) -> None:
        if notification.body == "第 7 位":
            raise ConnectionError("WeChat refused this one")
        original(notification, key)

    monkeypatch.setattr(recorder, "send", send)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        records = [f.make_record(session, school, seed) for seed in range(1, 251)]
        for record in records:
            f.make_linked_student(session, task, record, paid=False, wechat_messages=True)
        for n, record in enumerate(records):
            notifications.notify(session, record.id, "on_chsi", "照片已上传学信网", f"第 {n} 位")
        assert recorder.sent == []
    assert len(recorder.sent) == 249 and len({key for key, _ in recorder.sent}) == 249
    with db.session() as session:
        [waiting] = session.scalars(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))).all()
        assert "refused this one" in waiting.last_error
    monkeypatch.setattr(recorder, "send", original)
    assert outbox.deliver_due(db, now=utcnow() + timedelta(hours=1)) == 1
    assert len(recorder.sent) == 250 and len({key for key, _ in recorder.sent}) == 250


def test_a_savepoint_that_commits_inside_the_transaction_sends_nothing_yet(env, recorder):
    """Decisions made one by one in savepoints (the grid page) leave when the whole transaction
    commits: a savepoint's commit is not the commit, and a savepoint rolled back drops only its own."""
    db, store = env
    first, second = submitted_photo(db, store, seed=1, wechat_messages=True), submitted_photo(db, store, seed=2, wechat_messages=True)
    reviewer = _reviewer(db)
    with db.session() as session:
        for submission_id in (first, second):
            savepoint = session.begin_nested()
            review.claim(session, reviewer, submission_id)
            review.decide(session, reviewer, submission_id, Decision.APPROVE)
            savepoint.commit()
            assert recorder.sent == []  # still inside the outer transaction
        rolled_back = session.begin_nested()
        notifications.notify(session, 1, "test", "撤回", "不会发送")
        rolled_back.rollback()
    assert sorted(title for _, title in recorder.sent) == ["审核通过", "审核通过"]
    with db.session() as session:
        assert all(m.delivered_at is not None for m in session.scalars(select(OutboxMessage)))
