"""Reading and changing the operating policy. Values live in the database, so a change made by an
admin applies to new work in every process without a restart."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import Actor
from core.domain.enums import Role
from core.domain.access import require_role
from core.domain.policy import RANGES, Policy
from core.errors import InvalidInput
from core.models import PolicyChange, PolicySetting
from core.services import audit


def get_policy(session: Session) -> Policy:
    stored = {row.key: row.value for row in session.scalars(select(PolicySetting))}
    known = {k: v for k, v in stored.items() if k in Policy.field_names()}
    return replace(Policy(), **known)


def set_policy_value(session: Session, actor: Actor, key: str, value: float | int) -> Policy:
    require_role(actor, Role.ADMIN)
    if key not in RANGES:
        raise InvalidInput(f"未知的设置项：{key}", f"Unknown setting: {key}")
    low, high = RANGES[key]
    default = getattr(Policy(), key)
    if isinstance(default, int) and not isinstance(default, bool):
        if float(value) != int(value):
            raise InvalidInput(f"{key} 必须是整数。", f"{key} must be a whole number.")
        value = int(value)
    if not low <= value <= high:
        raise InvalidInput(
            f"{key} 的取值范围是 {low}–{high}。", f"{key} must be between {low} and {high}."
        )
    row = session.get(PolicySetting, key)
    old = row.value if row else default
    if row is None:
        session.add(PolicySetting(key=key, value=value, updated_by=actor.name))
    else:
        row.value = value
        row.updated_by = actor.name
    session.add(PolicyChange(key=key, old_value=old, new_value=value, changed_by=actor.name))
    audit.record(session, actor, "policy.change", "policy", None, key=key, old=old, new=value)
    session.flush()
    return get_policy(session)


def face_thresholds(session: Session):  # type: ignore[no-untyped-def]
    """The imaging thresholds with the face bands as the admin set them."""
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    policy = get_policy(session)
    return replace(
        DEFAULT_THRESHOLDS,
        face_same_distance=policy.face_same_distance,
        face_different_distance=policy.face_different_distance,
    )
