"""The domain model as SQLAlchemy 2 typed ORM classes. Import models from here."""

from core.models.base import Base, utcnow
from core.models.api import ApiToken, IdempotencyRecord
from core.models.batches import BatchItem, UploadBatch
from core.models.guard import field
from core.models.login import LoginThrottle, StaffSession
from core.models.organisation import CollectionTask, School, StaffUser
from core.models.printing import PrintRecord
from core.models.progress import PhotoProgress, rebuild_progress, refresh_progress
from core.models.students import (
    AccountLink,
    Notification,
    Payment,
    RosterRecord,
    StudentAccount,
)
from core.models.submissions import QuotaEntry, ReviewDecision, ReviewSettlement, Submission
from core.models.support import SupportTicket, TicketNote
from core.models.system import AuditEvent, PolicyChange, PolicySetting, ProcessingJob
from core.models.system import OutboxMessage, WorkerHeartbeat

__all__ = [
    "AccountLink",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BatchItem",
    "CollectionTask",
    "IdempotencyRecord",
    "LoginThrottle",
    "Notification",
    "OutboxMessage",
    "Payment",
    "PhotoProgress",
    "PolicyChange",
    "PolicySetting",
    "PrintRecord",
    "ProcessingJob",
    "QuotaEntry",
    "ReviewDecision",
    "ReviewSettlement",
    "RosterRecord",
    "School",
    "StaffSession",
    "StaffUser",
    "StudentAccount",
    "Submission",
    "SupportTicket",
    "TicketNote",
    "UploadBatch",
    "WorkerHeartbeat",
    "field",
    "rebuild_progress",
    "refresh_progress",
    "utcnow",
]
