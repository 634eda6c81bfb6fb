"""Domain errors: every refusal a user can meet, each with a message in Chinese and English.

Services raise these; pages show ``message_zh`` (or ``message_en``) as they are, so the rule that
refused also words the refusal.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. Nothing was changed when this is raised."""

    code = "domain_error"

    def __init__(self, message_zh: str, message_en: str | None = None, **context: object) -> None:
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.context = context

    def message(self, lang: str = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en


class IllegalTransition(DomainError):
    code = "illegal_transition"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class PaymentRequired(DomainError):
    """The free allowance is used up; the service is available for a fee."""

    code = "payment_required"


class AccessDenied(DomainError):
    code = "access_denied"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the thing first (decided, claimed, exported)."""

    code = "conflict"


class LinkRefused(DomainError):
    code = "link_refused"


class InvalidInput(DomainError):
    code = "invalid_input"


class CaptureRefused(DomainError):
    """A photo that is not a live capture the task accepts (album, or the forbidden front camera)."""

    code = "capture_refused"


class PhotosUnavailable(DomainError):
    """Photos the database names are missing from the photo store or damaged there."""

    code = "photos_unavailable"
