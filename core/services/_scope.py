"""Which school a service call's arguments belong to, so ``core.domain.access.allowed`` can refuse
a registrar of another school before the body runs, whatever the function.

An argument is recognised by its name (``task_id``, ``ticket_id``…) or by its type (a roster
record, a link…). A new service that takes one of these is school-checked without writing a line;
an id that names nothing is left to the body, which says "not found".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    AccountLink,
    BatchItem,
    CollectionTask,
    Notification,
    Payment,
    QuotaEntry,
    ReviewDecision,
    RosterRecord,
    Submission,
    SupportTicket,
    UploadBatch,
)


BY_NAME: dict[str, Any] = {
    "task_id": lambda v: select(CollectionTask.school_id).where(CollectionTask.id == v),
    "record_id": lambda v: select(RosterRecord.school_id).where(RosterRecord.id == v),
    "roster_record_id": lambda v: select(RosterRecord.school_id).where(RosterRecord.id == v),
    "submission_id": lambda v: select(RosterRecord.school_id).join(
        Submission, Submission.roster_record_id == RosterRecord.id).where(Submission.id == v),
    "link_id": lambda v: select(RosterRecord.school_id).join(
        AccountLink, AccountLink.roster_record_id == RosterRecord.id).where(AccountLink.id == v),
    "payment_id": lambda v: select(RosterRecord.school_id).join(
        Payment, Payment.roster_record_id == RosterRecord.id).where(Payment.id == v),
    "notification_id": lambda v: select(RosterRecord.school_id).join(
        Notification, Notification.roster_record_id == RosterRecord.id).where(Notification.id == v),
    "decision_id": lambda v: select(RosterRecord.school_id).join(
        Submission, Submission.roster_record_id == RosterRecord.id).join(
        ReviewDecision, ReviewDecision.submission_id == Submission.id).where(ReviewDecision.id == v),
    "batch_id": lambda v: select(UploadBatch.school_id).where(UploadBatch.id == v),
    "item_id": lambda v: select(UploadBatch.school_id).join(
        BatchItem, BatchItem.batch_id == UploadBatch.id).where(BatchItem.id == v),
    "ticket_id": lambda v: select(SupportTicket.school_id).where(SupportTicket.id == v),
}
"""Argument name → the query of its school."""

_SCHOOL_OWNED = (RosterRecord, CollectionTask, UploadBatch, SupportTicket)
_RECORD_OWNED = (AccountLink, Payment, Submission, QuotaEntry, Notification)


def schools_of(session: Session | None, arguments: Mapping[str, Any]) -> Iterator[int | None]:
    """The school of every argument that belongs to one (None: it exists but has no school)."""
    for name, value in arguments.items():
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, _SCHOOL_OWNED):
            yield value.school_id
        elif isinstance(value, _RECORD_OWNED):
            yield _first(session, BY_NAME["record_id"](value.roster_record_id))
        elif name in BY_NAME and isinstance(value, int) and session is not None:
            row = session.execute(BY_NAME[name](value)).first()
            if row is not None:
                yield row[0]


def _first(session: Session | None, query: Any) -> int | None:
    row = session.execute(query).first() if session is not None else None
    return row[0] if row is not None else None
