"""Staff sessions, and failed staff sign-ins counted per user name, per client address and per
both (see ``core.domain.sign_in``). Kept in the database so every server process sees the same
sessions and throttles alike; keys and tokens are hashes, so the tables name no user, address or
usable token in clear."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # name_address | address | name
    name_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in staff member's session, carried by a cookie. Only SHA-256 hashes of the token and
    of the one-time hand-off code are kept, so a copy of the table signs no one in."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[datetime | None]
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
