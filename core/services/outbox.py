"""The outbox: side effects (messages to students, any call out) leave only after the transaction
that caused them committed.

A service writes an ``OutboxMessage`` in its own transaction, so a change that rolls back sends
nothing. Right after the commit the message is delivered once in the same process; whatever that
misses (a crash, an unreachable WeChat) the worker's heartbeat retries with growing delays. Each
delivery locks its row and marks it delivered in the same transaction, and hands the handler the
message's unique key, so the far side can drop a repeat after a crash between sending and commit.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from core.db import Database
from core.domain.access import internal
from core.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
Handler = Callable[[Session, OutboxMessage], None]
MAX_BACKOFF = timedelta(minutes=30)
DUE_BATCH = 200

_handlers: dict[str, Handler] = {}


@internal
def register(kind: str, handler: Handler) -> None:
    """Names how messages of ``kind`` are delivered (``notifications`` registers its sender)."""
    _handlers[kind] = handler


@internal
def add(session: Session, kind: str, key: str, payload: dict[str, Any]) -> OutboxMessage:
    """Queues a side effect in the caller's transaction; it leaves after that transaction commits."""
    message = OutboxMessage(kind=kind, key=key[:128], payload=payload)
    session.add(message)
    session.flush()
    message_id = message.id

    @event.listens_for(session, "after_commit", once=True)
    def _deliver_now(committed: Session) -> None:
        bind = committed.get_bind()
        if isinstance(bind, Engine):
            try:
                _deliver(lambda: _session_on(bind), message_id)
            except Exception:
                log.exception("outbox message %s not delivered after commit", message_id)

    return message


@contextmanager
def _session_on(bind: Engine) -> Iterator[Session]:
    session = Session(bind=bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** min(attempts - 1, 10)), MAX_BACKOFF)


def _deliver(open_session: Callable[[], Any], message_id: int, now: datetime | None = None) -> bool:
    """One delivery attempt; True when this call delivered it."""
    try:
        with open_session() as session:
            message = session.scalars(select(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
                .with_for_update(skip_locked=True)).first()
            if message is None:
                return False
            handler = _handlers.get(message.kind)
            if handler is None:
                raise LookupError(f"no outbox handler for {message.kind!r}")
            handler(session, message)
            message.attempts += 1
            message.delivered_at = now or utcnow()
            message.last_error = None
        return True
    except Exception as exc:  # noqa: BLE001 - recorded on the row and retried later
        moment = now or utcnow()
        with open_session() as session:
            message = session.get(OutboxMessage, message_id)
            if message is not None and message.delivered_at is None:
                message.attempts += 1
                message.last_error = "".join(traceback.format_exception_only(exc)).strip()
                message.next_attempt_at = moment + _backoff(message.attempts)
        return False


@internal
def deliver_due(db: Database, *, now: datetime | None = None) -> int:
    """The worker's retry loop: delivers every message that is due; returns how many left now."""
    moment = now or utcnow()
    with db.session() as session:
        due = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= moment)
            .order_by(OutboxMessage.id).limit(DUE_BATCH)))
    return sum(_deliver(db.session, message_id, moment) for message_id in due)
