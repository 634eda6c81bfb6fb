"""Telling students what happened. Every notice lands in the in-app inbox (the ``notification``
table); it is also pushed as a WeChat subscription message, through the configured sender, only
when the student allowed it (微信通知授权).

The inbox row is written in the caller's transaction; sending it goes through the outbox, so a
decision that rolls back never messages the student, and a failed send is retried. The consent is
read at the moment of sending, here, the one place messages leave: callers never check it, and a
student who declines later gets no message that was still waiting."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import internal, own_data
from core.domain.enums import ConsentChannel, NotificationConsent
from core.models import AccountLink, Notification, OutboxMessage, StudentAccount, utcnow
from core.services import outbox

OUTBOX_KIND = "notification"
NO_CONSENT = "no_consent"
"""``Notification.withheld``: kept in the inbox only, the student had not allowed WeChat messages."""


class NotificationSender(Protocol):
    """Production: WeChat subscription messages (templates for 审核结果 and 上网结果). ``key`` is
    the same for every attempt at one message, so the far side can drop a repeat."""

    def send(self, notification: Notification, key: str) -> None: ...


class InboxOnly:
    """Development adapter: the inbox row is the delivery."""

    def send(self, notification: Notification, key: str) -> None:
        return None


sender: NotificationSender = InboxOnly()


def _deliver(session: Session, message: OutboxMessage) -> None:
    notification = session.get(Notification, message.payload["notification_id"])
    if notification is None:
        return
    account = session.get(StudentAccount, notification.account_id) if notification.account_id else None
    if account is None or account.notification_consent is not NotificationConsent.GRANTED:
        notification.withheld = NO_CONSENT
        return
    sender.send(notification, message.key)
    notification.withheld = None
    notification.delivered_at = utcnow()


outbox.register(OUTBOX_KIND, _deliver)


@internal
def notify(session: Session, roster_record_id: int, kind: str, title: str, body: str, **data: Any) -> Notification:
    link = session.scalar(
        select(AccountLink).where(AccountLink.roster_record_id == roster_record_id, AccountLink.active.is_(True))
    )
    notification = Notification(
        roster_record_id=roster_record_id,
        account_id=link.account_id if link else None,
        kind=kind,
        title=title,
        body=body,
        data=data,
    )
    session.add(notification)
    session.flush()
    outbox.add(session, OUTBOX_KIND, f"notification:{notification.id}", {"notification_id": notification.id})
    return notification


@own_data
def set_consent(session: Session, account: StudentAccount, consent: NotificationConsent, channel: ConsentChannel,
                now: datetime | None = None) -> bool:
    """Records the student's answer; returns whether it changed (the same answer again keeps its time)."""
    if account.notification_consent is consent:
        return False
    account.notification_consent = consent
    account.notification_consent_at = now or utcnow()
    account.notification_consent_channel = channel
    session.flush()
    return True


@own_data
def inbox(session: Session, account_id: int) -> list[Notification]:
    """The student's messages, newest first (the in-app stand-in for WeChat subscription messages)."""
    return list(session.scalars(
        select(Notification).where(Notification.account_id == account_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    ))


@own_data
def unread_count(session: Session, account_id: int) -> int:
    return len([n for n in inbox(session, account_id) if n.read_at is None])


@own_data
def mark_read(session: Session, account_id: int) -> None:
    moment = utcnow()
    for notification in inbox(session, account_id):
        if notification.read_at is None:
            notification.read_at = moment
    session.flush()
