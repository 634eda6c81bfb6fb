"""The student API's 微信通知授权 (GET/PUT /notification-consent) and the audit of failed identity
checks, over HTTP: the refusal is a 409, yet its audit entry and failure count are committed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.app import PREFIX
from core.models import AuditEvent, Notification, RosterRecord, StudentAccount
from core.services import notifications
from tests.api.conftest import assert_error, identity_form, key, linked_and_paid, sign_in


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, notification: Notification, key: str) -> None:
        self.sent.append(notification.title)


@pytest.fixture
def wechat(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    sender = Recorder()
    monkeypatch.setattr(notifications, "sender", sender)
    return sender


def test_consent_is_read_and_changed_through_the_api_and_documented(client):
    auth = sign_in(client, "小丁")
    assert client.get(f"{PREFIX}/notification-consent", headers=auth).json() == \
        {"consent": None, "answered_at": None, "channel": None}
    allowed = client.put(f"{PREFIX}/notification-consent", json={"consent": "granted"}, headers=auth)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["consent"] == "granted" and allowed.json()["channel"] == "api"
    assert allowed.json()["answered_at"]
    assert client.get(f"{PREFIX}/notification-consent", headers=auth).json() == allowed.json()
    declined = client.put(f"{PREFIX}/notification-consent", json={"consent": "declined"}, headers=auth).json()
    assert declined["consent"] == "declined"
    assert_error(client.put(f"{PREFIX}/notification-consent", json={"consent": "maybe"}, headers=auth),
                 422, "invalid_input")
    assert_error(client.get(f"{PREFIX}/notification-consent"), 401, "unauthorised")
    paths = client.get(f"{PREFIX}/openapi.json").json()["paths"][f"{PREFIX}/notification-consent"]
    assert set(paths) == {"get", "put"} and "WeChat" in paths["put"]["description"]


def test_wechat_messages_follow_the_answer_given_through_the_api(env, client, roster, wechat):
    db, _ = env
    world = roster(1)
    auth = linked_and_paid(client, world, 0, "小丁")

    def notify(title: str) -> None:
        with db.session() as session:
            record = session.scalars(select(RosterRecord)).one()
            notifications.notify(session, record.id, "review_result", title, f"{title}。")

    notify("第一条")
    client.put(f"{PREFIX}/notification-consent", json={"consent": "granted"}, headers=auth)
    notify("第二条")
    client.put(f"{PREFIX}/notification-consent", json={"consent": "declined"}, headers=auth)
    notify("第三条")
    assert wechat.sent == ["第二条"]
    assert [m["title"] for m in client.get(f"{PREFIX}/messages", headers=auth).json()] == ["第三条", "第二条", "第一条"]


@pytest.mark.parametrize("path, headers", [("identity-checks", {}), ("links", "key")])
def test_a_refused_check_is_a_409_and_its_audit_entry_is_committed(env, client, roster, path, headers):
    db, _ = env
    world = roster(1)
    auth = sign_in(client, "小丁")
    real = world.records[0]["id_last4"]
    wrong = "0000" if real != "0000" else "1111"
    data, files = identity_form(world, id_last4=wrong)
    extra = key() if headers == "key" else {}
    error = assert_error(client.post(f"{PREFIX}/{path}", data=data, files=files, headers={**auth, **extra}),
                         409, "link_refused")
    assert error["attempts_left"] == 4 and "mismatch" not in error  # the student is not told which field
    with db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.check_failed")).all()
        record = session.scalars(select(RosterRecord)).one()
        assert event.detail["id_last4"] == wrong and event.detail["mismatch"] == ["id_last4"]
        assert event.roster_record_id == record.id and record.id_number not in str(event.detail)
        assert session.scalars(select(StudentAccount.failed_verifications)).one() == 1
