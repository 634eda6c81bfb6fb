"""Reading and changing the operating policy. Values live in the database, so a change made by an
admin applies to new work in every process without a restart.

The face-comparison bands default to the imaging calibration (``core.imaging.thresholds``); it is
imported only where the bands are needed, so reading the policy never loads the face models.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import Actor, allowed, internal, public, pure, require_role
from core.domain.enums import Role
from core.domain.policy import CHOICES, RANGES, SHOWN, Policy
from core.errors import InvalidInput
from core.models import PolicyChange, PolicySetting, utcnow
from core.services import audit
from core.services._views import view_of

if TYPE_CHECKING:
    from core.imaging.thresholds import ImagingThresholds


def _stored(session: Session) -> dict[str, Any]:
    rows = {row.key: row.value for row in session.scalars(select(PolicySetting))}
    return {k: CHOICES[k](v) if k in CHOICES else v for k, v in rows.items() if k in Policy.field_names()}


@public
def get_policy(session: Session) -> Policy:
    return replace(Policy(), **_stored(session))


@pure
def defaults() -> Policy:
    """Every default filled in, the face bands from the calibration."""
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    return replace(Policy(), face_same_distance=DEFAULT_THRESHOLDS.same_max_distance,
                   face_different_distance=DEFAULT_THRESHOLDS.different_min_distance)


@public
def effective_policy(session: Session) -> Policy:
    """The values in force, with no setting left to a default of None."""
    return replace(defaults(), **_stored(session))


@dataclass(frozen=True)
class SettingView:
    """One tunable setting as the thresholds page shows it."""

    key: str
    default: float | int
    current: float | int
    low: float | int
    high: float | int
    whole_number: bool
    updated_by: str | None
    updated_at: datetime | None

    @property
    def changed(self) -> bool:
        return self.current != self.default


def _whole_number(key: str) -> bool:
    default = getattr(Policy(), key)
    return isinstance(default, int) and not isinstance(default, bool)


@allowed(Role.ADMIN)
def list_settings(session: Session, actor: Actor) -> list[SettingView]:
    require_role(actor, Role.ADMIN)
    standard, policy = defaults(), effective_policy(session)
    rows = {row.key: row for row in session.scalars(select(PolicySetting))}
    views = []
    for key, (low, high) in RANGES.items():
        row = rows.get(key)
        views.append(SettingView(
            key=key, default=getattr(standard, key), current=getattr(policy, key), low=low, high=high,
            whole_number=_whole_number(key), updated_by=row.updated_by if row else None,
            updated_at=row.updated_at if row else None,
        ))
    return views


@dataclass(frozen=True)
class PolicyChangeView:
    """One change of a setting, as the policy page lists it."""

    id: int
    key: str
    old_value: Any
    new_value: Any
    changed_by: str
    changed_at: datetime


@allowed(Role.ADMIN)
def history(session: Session, actor: Actor, key: str | None = None, limit: int = 200) -> list[PolicyChangeView]:
    """Who changed what when, newest first."""
    require_role(actor, Role.ADMIN)
    query = select(PolicyChange).order_by(PolicyChange.changed_at.desc(), PolicyChange.id.desc()).limit(limit)
    if key is not None:
        query = query.where(PolicyChange.key == key)
    return [view_of(PolicyChangeView, change) for change in session.scalars(query)]


def _validated(key: str, value: float | int) -> float | int:
    """A setting's value, or a refusal that names the setting and its range in the unit staff use."""
    if key not in RANGES:
        raise InvalidInput("未知的设置项。", f"Unknown setting: {key}")
    low, high = RANGES[key]
    shown = SHOWN[key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{shown.name_zh}必须是数字。", f"{shown.name_en} must be a number.") from None
    if _whole_number(key):
        if not number.is_integer():
            raise InvalidInput(f"{shown.name_zh}必须是整数。", f"{shown.name_en} must be a whole number.")
        value = int(number)
    else:
        value = number
    if not low <= value <= high:
        raise InvalidInput(
            f"{shown.name_zh}的取值范围是 {shown.text(low, 'zh')} 至 {shown.text(high, 'zh')}。",
            f"{shown.name_en} must be between {shown.text(low, 'en')} and {shown.text(high, 'en')}.",
        )
    return value


@allowed(Role.ADMIN)
def set_policy_values(session: Session, actor: Actor, values: dict[str, float | int]) -> Policy:
    """Changes several settings at once, so related ones (the two face bands) move together and
    the result is checked as a whole. Unchanged values leave no history."""
    require_role(actor, Role.ADMIN)
    current = effective_policy(session)
    wanted: dict[str, Any] = {key: _validated(key, value) for key, value in values.items()}
    proposed = replace(current, **wanted)
    same, different = _face_bands(proposed)
    if same > different:
        raise InvalidInput(
            "“同一人”阈值不能大于“非同一人”阈值。",
            "The same-person distance cannot be above the different-person distance.",
        )
    for key, value in wanted.items():
        old = getattr(current, key)
        if value == old:
            continue
        row = session.get(PolicySetting, key)
        if row is None:
            session.add(PolicySetting(key=key, value=value, updated_by=actor.name))
        else:
            row.value = value
            row.updated_by = actor.name
            row.updated_at = utcnow()
        session.add(PolicyChange(key=key, old_value=old, new_value=value, changed_by=actor.name))
        audit.record(session, actor, "policy.change", "policy", None, key=key, old=old, new=value)
    session.flush()
    return effective_policy(session)


@dataclass(frozen=True)
class ChoiceView:
    """A setting that takes one of a few words (``core.domain.policy.CHOICES``)."""

    key: str
    default: str
    current: str
    options: tuple[str, ...]
    updated_by: str | None
    updated_at: datetime | None


@allowed(Role.ADMIN)
def list_choices(session: Session, actor: Actor) -> list[ChoiceView]:
    require_role(actor, Role.ADMIN)
    policy = get_policy(session)
    rows = {row.key: row for row in session.scalars(select(PolicySetting).where(PolicySetting.key.in_(CHOICES)))}
    return [
        ChoiceView(key=key, default=getattr(Policy(), key).value, current=getattr(policy, key).value,
                   options=tuple(option.value for option in words),
                   updated_by=rows[key].updated_by if key in rows else None,
                   updated_at=rows[key].updated_at if key in rows else None)
        for key, words in CHOICES.items()
    ]


@allowed(Role.ADMIN)
def set_policy_choice(session: Session, actor: Actor, key: str, value: str) -> Policy:
    """Sets a word-valued setting; history and audit as for the numbers."""
    require_role(actor, Role.ADMIN)
    if key not in CHOICES:
        raise InvalidInput("未知的设置项。", f"Unknown setting: {key}")
    try:
        word = CHOICES[key](value).value
    except ValueError:
        raise InvalidInput(f"{SHOWN[key].name_zh}：无效的选项。", f"{SHOWN[key].name_en}: not one of the options.") from None
    old = getattr(get_policy(session), key).value
    if word != old:
        row = session.get(PolicySetting, key)
        if row is None:
            session.add(PolicySetting(key=key, value=word, updated_by=actor.name))
        else:
            row.value, row.updated_by, row.updated_at = word, actor.name, utcnow()
        session.add(PolicyChange(key=key, old_value=old, new_value=word, changed_by=actor.name))
        audit.record(session, actor, "policy.change", "policy", None, key=key, old=old, new=word)
        session.flush()
    return get_policy(session)


@allowed(Role.ADMIN)
def set_policy_value(session: Session, actor: Actor, key: str, value: float | int) -> Policy:
    return set_policy_values(session, actor, {key: value})


@internal
def face_thresholds(session: Session) -> ImagingThresholds:
    """The imaging thresholds with the face bands as the admin set them, read per job, so a
    change applies to the next photo processed."""
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    same, different = _face_bands(effective_policy(session))
    return replace(DEFAULT_THRESHOLDS, same_max_distance=same, different_min_distance=different)


def _face_bands(policy: Policy) -> tuple[float, float]:
    """The two face bands of an effective policy, which ``defaults()`` always fills in."""
    same, different = policy.face_same_distance, policy.face_different_distance
    if same is None or different is None:
        raise RuntimeError("an effective policy has both face bands set")
    return same, different
