"""微信通知授权 in the student app: asked once the photo is submitted (the seed guide's place, after
第十三步), answered with one tap, changeable on the message screen; and a failed identity check
through the app leaves its audit entry."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import ConsentChannel, NotificationConsent
from core.models import AuditEvent, StudentAccount
from tests.student.conftest import at_identity_check, fill_identity, linked_and_paid, signed_in, texts
from tests.student.test_status import submitted

QUESTION = "允许微信通知授权后，您将可以收到人工审核结果、上网（上传学信网）结果等微信推送的通知信息。"


def _keys(at) -> set[str]:
    return {b.key for b in at.button}


def _account(db) -> StudentAccount:
    """The one account, loaded and taken out of the session so the test can read it afterwards."""
    with db.session() as session:
        account = session.scalars(select(StudentAccount)).one()
        session.expunge(account)
        return account


def test_not_asked_before_the_photo_is_submitted(db, student_app, seeded):
    at = linked_and_paid(student_app(), seeded())
    assert QUESTION not in texts(at) and "consent_allow" not in _keys(at)
    at.session_state["student_view"] = "status"
    at.run()
    assert not at.exception and QUESTION not in texts(at)


def test_asked_after_submitting_then_allowed_and_changed_on_the_message_screen(db, student_app, seeded,
                                                                               fixtures_dir):
    at = submitted(linked_and_paid(student_app(), seeded()), fixtures_dir)
    assert not at.exception
    assert QUESTION in texts(at) and {"consent_allow", "consent_decline"} <= _keys(at)
    at.button(key="consent_allow").click().run()
    assert not at.exception and QUESTION not in texts(at) and "consent_allow" not in _keys(at)
    account = _account(db)
    assert account.notification_consent is NotificationConsent.GRANTED
    assert account.notification_consent_channel is ConsentChannel.APP and account.notification_consent_at
    at.button(key="status_inbox").click().run()
    assert "已允许" in texts(at) and "会同时推送到微信" in texts(at)
    at.button(key="consent_off").click().run()
    assert not at.exception and "未允许" in texts(at) and "consent_on" in _keys(at)
    assert _account(db).notification_consent is NotificationConsent.DECLINED
    with db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith("notification.consent")).order_by(AuditEvent.id))]
    assert actions == ["notification.consent_granted", "notification.consent_declined"]


def test_declining_is_an_answer_the_question_is_not_asked_again(db, student_app, seeded, fixtures_dir):
    at = submitted(linked_and_paid(student_app(), seeded()), fixtures_dir)
    at.button(key="consent_decline").click().run()
    assert not at.exception and QUESTION not in texts(at)
    assert _account(db).notification_consent is NotificationConsent.DECLINED
    at.run()
    assert "consent_allow" not in _keys(at)
    at.button(key="status_inbox").click().run()
    assert "不会推送到微信" in texts(at)
    at.button(key="consent_on").click().run()
    assert _account(db).notification_consent is NotificationConsent.GRANTED


def test_the_question_in_english(db, student_app, seeded, fixtures_dir):
    at = submitted(linked_and_paid(student_app(), seeded()), fixtures_dir)
    at.session_state["lang"] = "en"
    at.run()
    page = texts(at)
    assert "Allow WeChat notifications" in page and QUESTION not in page


def test_a_failed_check_in_the_app_is_audited_with_the_last_4_only(db, student_app, seeded):
    s = seeded()
    at = at_identity_check(signed_in(student_app()), s)
    wrong = "0000" if s.id_last4 != "0000" else "1111"
    fill_identity(at, s.name, s.student_number, wrong, s.code_png)
    assert not at.exception and at.error
    with db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.check_failed")).all()
        assert event.detail["id_last4"] == wrong and event.detail["mismatch"] == ["id_last4"]
        assert event.actor_kind.value == "student" and event.detail["locked"] is False
