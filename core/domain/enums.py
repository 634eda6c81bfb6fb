"""The closed vocabularies of the domain. Values are stored in the database as these strings."""

from __future__ import annotations

from enum import Enum


class EducationCategory(str, Enum):
    REGULAR = "regular"  # 普通本专科
    GRADUATE = "graduate"  # 研究生
    ADULT = "adult"  # 成人教育

    @property
    def label_zh(self) -> str:
        return {"regular": "普通本专科", "graduate": "研究生", "adult": "成人教育"}[self.value]

    @classmethod
    def from_label(cls, text: str) -> EducationCategory:
        """Accepts the Chinese label, the English value or common short forms."""
        cleaned = text.strip().lower()
        for member in cls:
            if cleaned in (member.value, member.label_zh, member.name.lower()):
                return member
        aliases = {"本专科": cls.REGULAR, "本科": cls.REGULAR, "专科": cls.REGULAR, "成教": cls.ADULT}
        if cleaned in aliases:
            return aliases[cleaned]
        raise ValueError(text)


class TaskStatus(str, Enum):
    DRAFT = "draft"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class MailingMode(str, Enum):
    TO_SCHOOL = "to_school"  # 默认邮寄学校或站点
    TO_STUDENT = "to_student"  # 学生必须填写真实地址


class Role(str, Enum):
    REVIEWER = "reviewer"
    SENIOR_REVIEWER = "senior_reviewer"
    REGISTRAR = "registrar"
    SUPPORT = "support"
    ADMIN = "admin"

    @property
    def label_zh(self) -> str:
        return {
            "reviewer": "审核员",
            "senior_reviewer": "复核员",
            "registrar": "学籍管理员",
            "support": "客服",
            "admin": "管理员",
        }[self.value]


class SubmissionState(str, Enum):
    CAPTURED = "captured"
    STANDARDISED = "standardised"
    SUBMITTED = "submitted"
    AUTO_BLOCKED = "auto_blocked"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPLACED = "replaced"  # superseded by the free replacement before review
    IN_BATCH = "in_batch"
    ON_CHSI = "on_chsi"
    UPLOAD_FAILED = "upload_failed"


class Decision(str, Enum):
    APPROVE = "approve"
    REJECT = "reject"


class PaymentStatus(str, Enum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentPurpose(str, Enum):
    TASK_FEE = "task_fee"
    EXTRA_SUBMISSION = "extra_submission"
    EXTRA_REPLACEMENT = "extra_replacement"
    OFFLINE_SHOOTING = "offline_shooting"


class QuotaKind(str, Enum):
    STANDARDISATION = "standardisation"
    SUBMISSION = "submission"
    REPLACEMENT = "replacement"


class BatchStatus(str, Enum):
    DRAFT = "draft"
    EXPORTED = "exported"
    RESULT_IMPORTED = "result_imported"


class BatchItemResult(str, Enum):
    PENDING = "pending"
    ON_CHSI = "on_chsi"
    FAILED = "failed"


class TicketStatus(str, Enum):
    OPEN = "open"
    WAITING_STUDENT = "waiting_student"
    WAITING_SCHOOL = "waiting_school"
    SCHOOL_REPLIED = "school_replied"
    RESOLVED = "resolved"


class SchoolAnswer(str, Enum):
    """How a school's registrar answers a ticket support escalated to it."""

    REPLY = "reply"
    SOLVED_BY_SCHOOL = "solved_by_school"
    NEEDS_STUDENT = "needs_student"


class TicketCategory(str, Enum):
    PAYMENT = "payment"
    CODE_UNREADABLE = "code_unreadable"
    SCHOOL_NOT_FOUND = "school_not_found"
    NOT_ON_ROSTER = "not_on_roster"
    ACCOUNT_BINDING = "account_binding"
    QUOTA_EXCEEDED = "quota_exceeded"
    REVIEW_DISPUTE = "review_dispute"
    CHSI_STATUS = "chsi_status"
    OTHER = "other"


class TicketPriority(str, Enum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class TicketChannel(str, Enum):
    HOTLINE = "hotline"
    QQ = "qq"
    LOOKUP = "lookup"
    SCHOOL = "school"


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Verdict(str, Enum):
    """Face-comparison verdict shown to reviewers as 同一人 / 存疑 / 非同一人 (shared by imaging,
    the review rules and the models, so it lives in the domain)."""

    SAME = "same"
    UNCERTAIN = "uncertain"
    DIFFERENT = "different"


class Background(str, Enum):
    """Background colours a collection task may ask for; blue is the reference. The task, the
    imaging steps and the models share it, so it lives in the domain."""

    BLUE = "blue"
    WHITE = "white"
    GREY = "grey"

    @property
    def rgb(self) -> tuple[int, int, int]:
        return {"blue": (100, 197, 255), "white": (255, 255, 255), "grey": (240, 240, 240)}[self.value]


class SecondReviewReason(str, Enum):
    """Why a photo went to a senior reviewer (``Submission.second_review_reason``)."""

    SAMPLED = "sampled"
    FACE_NOT_SAME = "face_not_same"
    QUOTA_OVERRIDE = "quota_override"


class SettlementMode(str, Enum):
    """How a disagreement between the first and the second review is settled (policy)."""

    ADJUDICATION = "adjudication"
    """A third senior, neither of the two reviewers, decides which way (default)."""
    SECOND_STANDS = "second_stands"
    """The senior's second decision stands at once."""

    @property
    def label_zh(self) -> str:
        return {"adjudication": "由另一名复核员裁定", "second_stands": "以复核结论为准（自动生效）"}[self.value]

    @property
    def label_en(self) -> str:
        return {"adjudication": "Adjudicated by another senior",
                "second_stands": "The second review stands (automatic)"}[self.value]


class SettlementOutcome(str, Enum):
    """What settling a disagreement did to the photo."""

    APPLIED = "applied"
    """The photo's state changed to the settled decision."""
    UNCHANGED = "unchanged"
    """The settled decision is the one the photo already had."""
    SUPERSEDED = "superseded"
    """The student already has a newer photo in hand; the old one stays as it was."""
    REPLACE_ON_CHSI = "replace_on_chsi"
    """The photo was already sent to CHSI: the registrar is told to have it replaced there."""


class QuotaEntryType(str, Enum):
    """What a quota ledger line records: an attempt used, granted by staff or bought."""

    USE = "use"
    GRANT = "grant"
    PURCHASE = "purchase"


class ActorKind(str, Enum):
    """On whose behalf a service runs (``Actor.kind``, ``AuditEvent.actor_kind``)."""

    STAFF = "staff"
    STUDENT = "student"
    SYSTEM = "system"


class NotificationConsent(str, Enum):
    """The student's answer to 微信通知授权: whether results may be pushed as WeChat subscription
    messages (the in-app inbox shows every notice either way)."""

    GRANTED = "granted"
    DECLINED = "declined"


class ConsentChannel(str, Enum):
    """Where the student gave or changed the answer."""

    APP = "app"
    API = "api"
