"""微信通知授权: every notice lands in the inbox; a WeChat message leaves, after the commit, only while
the student allows it, whatever called ``notify``. The answer is the student's own, kept with when
and where it was given, and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.access import Actor
from core.domain.enums import ConsentChannel, NotificationConsent, Role
from core.errors import AccessDenied
from core.models import Notification, StudentAccount, utcnow
from core.services import audit, notifications, outbox, student_app, support
from tests import factories as f


class Recorder:
    """The WeChat sender: records what left, and can be told to fail once."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail_next = False

    def send(self, notification: Notification, key: str) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("WeChat unreachable")
        self.sent.append(notification.title)


@pytest.fixture
def wechat(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    sender = Recorder()
    monkeypatch.setattr(notifications, "sender", sender)
    return sender


def _student(db):
    with db.session() as session:
        school = f.make_school(session)
        student = f.make_linked_student(session, f.make_task(session, school), f.make_record(session, school))
        return student.actor, student.record.id


def _answer(db, actor: Actor, consent: NotificationConsent, channel: ConsentChannel = ConsentChannel.APP):
    with db.session() as session:
        return student_app.set_notification_consent(session, actor, consent, channel)


def _notify(db, record_id: int, title: str) -> None:
    with db.session() as session:
        notifications.notify(session, record_id, "review_result", title, f"{title}。")


def _inbox(db, actor: Actor) -> list[str]:
    with db.session() as session:
        return [m.title for m in student_app.inbox(session, actor)]


def test_without_an_answer_the_notice_is_in_the_inbox_and_nothing_goes_to_wechat(db, wechat):
    actor, record_id = _student(db)
    with db.session() as session:
        assert student_app.notification_consent(session, actor).consent is None
    _notify(db, record_id, "审核通过")
    assert wechat.sent == [] and _inbox(db, actor) == ["审核通过"]
    with db.session() as session:
        notice = session.scalars(select(Notification)).one()
        assert notice.delivered_at is None and notice.withheld == notifications.NO_CONSENT
    assert outbox.deliver_due(db, now=utcnow() + timedelta(days=1)) == 0 and wechat.sent == []


def test_declined_sends_nothing_to_wechat_but_keeps_every_notice_in_the_inbox(db, wechat):
    actor, record_id = _student(db)
    _answer(db, actor, NotificationConsent.DECLINED)
    _notify(db, record_id, "审核未通过")
    assert wechat.sent == [] and _inbox(db, actor) == ["审核未通过"]


def test_allowed_the_message_leaves_once_after_the_commit(db, wechat):
    actor, record_id = _student(db)
    _answer(db, actor, NotificationConsent.GRANTED)
    with db.session() as session:
        notifications.notify(session, record_id, "review_result", "审核通过", "您的照片已通过人工审核。")
        session.flush()
        assert wechat.sent == []  # nothing leaves inside the transaction
    assert wechat.sent == ["审核通过"]
    assert outbox.deliver_due(db, now=utcnow() + timedelta(days=1)) == 0 and wechat.sent == ["审核通过"]
    with db.session() as session:
        notice = session.scalars(select(Notification)).one()
        assert notice.delivered_at is not None and notice.withheld is None


def test_a_rolled_back_notice_never_leaves_even_with_consent(db, wechat):
    actor, record_id = _student(db)
    _answer(db, actor, NotificationConsent.GRANTED)
    with pytest.raises(RuntimeError), db.session() as session:
        notifications.notify(session, record_id, "review_result", "审核通过", "不会发送")
        raise RuntimeError("crash before the commit")
    assert wechat.sent == [] and _inbox(db, actor) == []


def test_declining_later_stops_new_messages_and_the_ones_still_waiting(db, wechat):
    actor, record_id = _student(db)
    _answer(db, actor, NotificationConsent.GRANTED)
    _notify(db, record_id, "审核通过")
    wechat.fail_next = True
    _notify(db, record_id, "已上网")  # WeChat was unreachable: waits for the retry
    assert wechat.sent == ["审核通过"]
    _answer(db, actor, NotificationConsent.DECLINED)
    _notify(db, record_id, "补充通知")
    assert outbox.deliver_due(db, now=utcnow() + timedelta(hours=1)) == 1  # handled: withheld, not sent
    assert wechat.sent == ["审核通过"]
    assert _inbox(db, actor) == ["补充通知", "已上网", "审核通过"]
    _answer(db, actor, NotificationConsent.GRANTED)  # allowed again: the next one goes
    _notify(db, record_id, "再次通知")
    assert wechat.sent == ["审核通过", "再次通知"]


def test_a_record_nobody_is_linked_to_gets_no_wechat_message(db, wechat):
    with db.session() as session:
        record_id = f.make_record(session, f.make_school(session)).id
    _notify(db, record_id, "审核通过")
    assert wechat.sent == []


def test_the_answer_keeps_when_and_where_and_each_change_is_audited_under_the_student(db):
    actor, record_id = _student(db)
    before = utcnow()
    allowed = _answer(db, actor, NotificationConsent.GRANTED, ConsentChannel.API)
    assert allowed.granted and allowed.channel is ConsentChannel.API and allowed.answered_at >= before
    again = _answer(db, actor, NotificationConsent.GRANTED, ConsentChannel.APP)
    assert again == allowed  # the same answer keeps its time and channel
    declined = _answer(db, actor, NotificationConsent.DECLINED)
    assert declined.consent is NotificationConsent.DECLINED and declined.channel is ConsentChannel.APP
    with db.session() as session:
        account = session.get(StudentAccount, actor.id)
        assert account.notification_consent is NotificationConsent.DECLINED
        events = audit.events_for(session, roster_record_id=record_id, entity_type="student_account")
        assert [(e.action, e.actor_kind.value, e.detail) for e in events] == [
            ("notification.consent_granted", "student", {"consent": "granted", "channel": "api"}),
            ("notification.consent_declined", "student", {"consent": "declined", "channel": "app"}),
        ]
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "wang.support"))
        view = support.student_view(session, agent, record_id)
        link = view.active_link
        assert link.notification_consent is NotificationConsent.DECLINED
        assert link.notification_consent_at == declined.answered_at
        assert link.notification_consent_channel is ConsentChannel.APP


def test_staff_cannot_answer_for_a_student(db):
    with db.session() as session:
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "wang.support"))
        with pytest.raises(AccessDenied):
            student_app.set_notification_consent(session, agent, NotificationConsent.GRANTED, ConsentChannel.APP)
