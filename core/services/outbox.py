"""The outbox: side effects (messages to students, any call out) leave only after the transaction
that caused them committed.

A service writes an ``OutboxMessage`` in its own transaction, so a change that rolls back sends
nothing. Right after the commit the message is delivered once in the same process; whatever that
misses (a crash, an unreachable WeChat) the worker's heartbeat retries with growing delays. Each
delivery locks its row and marks it delivered in the same transaction, and hands the handler the
message's unique key, so the far side can drop a repeat after a crash between sending and commit.
Each send has its own savepoint, so one that fails holds back only itself.
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
_PENDING = "outbox_pending"

_handlers: dict[str, Handler] = {}


@internal
def register(kind: str, handler: Handler) -> None:
    """Names how messages of ``kind`` are delivered (``notifications`` registers its sender)."""
    _handlers[kind] = handler


@internal
def add(session: Session, kind: str, key: str, payload: dict[str, Any]) -> OutboxMessage:
    """Queues a side effect in the caller's transaction; it leaves after that transaction commits
    (all of one transaction's messages together, so a batch of thousands is not thousands of
    transactions)."""
    message = OutboxMessage(kind=kind, key=key[:128], payload=payload)
    session.add(message)
    session.flush()
    pending = session.info.setdefault(_PENDING, [])
    if not pending:
        event.listen(session, "after_commit", _deliver_after_commit, once=True)
        event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.append(message.id)
    return message


def _deliver_after_commit(committed: Session) -> None:
    ids = committed.info.pop(_PENDING, [])
    bind = committed.get_bind()
    if ids and isinstance(bind, Engine):
        try:
            _deliver_many(lambda: _session_on(bind), ids)
        except Exception:
            log.exception("outbox messages not delivered after commit; the worker retries them")


def _forget_pending(rolled_back: Session) -> None:
    """Rolled back: those messages never existed (a listener left behind finds nothing to send)."""
    rolled_back.info.pop(_PENDING, None)


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


def _deliver_many(open_session: Callable[[], Any], ids: list[int], now: datetime | None = None) -> int:
    """Delivers in chunks, one transaction each. Every send has its own savepoint: a send that
    fails is recorded on its row and retried later, without undoing the ones already sent."""
    moment = now or utcnow()
    delivered = 0
    for start in range(0, len(ids), DUE_BATCH):
        with open_session() as session:
            messages = list(session.scalars(select(OutboxMessage).where(
                OutboxMessage.id.in_(ids[start:start + DUE_BATCH]), OutboxMessage.delivered_at.is_(None))
                .order_by(OutboxMessage.id).with_for_update(skip_locked=True)))
            for message in messages:
                try:
                    with session.begin_nested():
                        handler = _handlers.get(message.kind)
                        if handler is None:
                            raise LookupError(f"no outbox handler for {message.kind!r}")
                        handler(session, message)
                        message.delivered_at = moment
                        message.last_error = None
                        message.attempts += 1
                    delivered += 1
                except Exception as exc:  # noqa: BLE001 - recorded on the row and retried later
                    message.attempts += 1
                    message.last_error = "".join(traceback.format_exception_only(exc)).strip()
                    message.next_attempt_at = moment + _backoff(message.attempts)
    return delivered


@internal
def deliver_due(db: Database, *, now: datetime | None = None) -> int:
    """The worker's retry loop: delivers the messages that are due; returns how many left now."""
    moment = now or utcnow()
    with db.session() as session:
        due = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= moment)
            .order_by(OutboxMessage.id).limit(DUE_BATCH)))
    return _deliver_many(db.session, due, moment)
