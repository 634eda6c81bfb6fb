"""The submission lifecycle as an explicit state machine.

captured → standardised → submitted → auto_blocked | awaiting_review → approved | rejected;
approved → in_batch → on_chsi | upload_failed. A decision can be undone back to awaiting_review
until the photo is in a CHSI batch, and overturned (approved ⇄ rejected) when a disagreement
between first and second review is settled the other way, while the photo is not on CHSI; a photo on a temporary shooting code is held back from batches
until the real collection code is linked. Every change of ``Submission.state`` goes through
``transition()``, which either returns the new state or raises, so a refused change never
half-applies.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from core.domain.enums import SubmissionState as S
from core.errors import IllegalTransition


class Event(str, Enum):
    STANDARDISE = "standardise"
    SUBMIT = "submit"
    AUTO_BLOCK = "auto_block"
    QUEUE_FOR_REVIEW = "queue_for_review"
    APPROVE = "approve"
    REJECT = "reject"
    UNDO_DECISION = "undo_decision"
    OVERTURN_APPROVAL = "overturn_approval"
    OVERTURN_REJECTION = "overturn_rejection"
    REPLACE = "replace"
    ADD_TO_BATCH = "add_to_batch"
    REMOVE_FROM_BATCH = "remove_from_batch"
    MARK_ON_CHSI = "mark_on_chsi"
    MARK_UPLOAD_FAILED = "mark_upload_failed"


TRANSITIONS: dict[tuple[S, Event], S] = {
    (S.CAPTURED, Event.STANDARDISE): S.STANDARDISED,
    (S.CAPTURED, Event.REPLACE): S.REPLACED,
    (S.STANDARDISED, Event.SUBMIT): S.SUBMITTED,
    (S.STANDARDISED, Event.REPLACE): S.REPLACED,
    (S.SUBMITTED, Event.AUTO_BLOCK): S.AUTO_BLOCKED,
    (S.SUBMITTED, Event.QUEUE_FOR_REVIEW): S.AWAITING_REVIEW,
    (S.AWAITING_REVIEW, Event.APPROVE): S.APPROVED,
    (S.AWAITING_REVIEW, Event.REJECT): S.REJECTED,
    (S.AWAITING_REVIEW, Event.REPLACE): S.REPLACED,
    (S.APPROVED, Event.UNDO_DECISION): S.AWAITING_REVIEW,
    (S.REJECTED, Event.UNDO_DECISION): S.AWAITING_REVIEW,
    # a disagreement between first and second review settled the other way (core.domain.settlement)
    (S.APPROVED, Event.OVERTURN_APPROVAL): S.REJECTED,
    (S.UPLOAD_FAILED, Event.OVERTURN_APPROVAL): S.REJECTED,
    (S.REJECTED, Event.OVERTURN_REJECTION): S.APPROVED,
    (S.APPROVED, Event.ADD_TO_BATCH): S.IN_BATCH,
    (S.UPLOAD_FAILED, Event.ADD_TO_BATCH): S.IN_BATCH,
    (S.IN_BATCH, Event.REMOVE_FROM_BATCH): S.APPROVED,
    (S.IN_BATCH, Event.MARK_ON_CHSI): S.ON_CHSI,
    (S.IN_BATCH, Event.MARK_UPLOAD_FAILED): S.UPLOAD_FAILED,
}

STATE_LABELS_ZH: dict[S, str] = {
    S.CAPTURED: "已拍摄",
    S.STANDARDISED: "已标准化",
    S.SUBMITTED: "已上传",
    S.AUTO_BLOCKED: "人像比对未通过",
    S.AWAITING_REVIEW: "待审核",
    S.APPROVED: "审核通过",
    S.REJECTED: "审核未通过",
    S.REPLACED: "已更换",
    S.IN_BATCH: "待上网",
    S.ON_CHSI: "已上网",
    S.UPLOAD_FAILED: "上网失败",
}

STATE_LABELS_EN: dict[S, str] = {
    S.CAPTURED: "Captured",
    S.STANDARDISED: "Standardised",
    S.SUBMITTED: "Uploaded",
    S.AUTO_BLOCKED: "Blocked by face comparison",
    S.AWAITING_REVIEW: "Awaiting review",
    S.APPROVED: "Approved",
    S.REJECTED: "Rejected",
    S.REPLACED: "Replaced",
    S.IN_BATCH: "Waiting for CHSI upload",
    S.ON_CHSI: "On CHSI",
    S.UPLOAD_FAILED: "CHSI upload failed",
}

DECIDED = frozenset({S.APPROVED, S.REJECTED})
LIVE = frozenset({S.SUBMITTED, S.AWAITING_REVIEW, S.APPROVED, S.IN_BATCH, S.ON_CHSI, S.UPLOAD_FAILED})
"""States in which a submission is the student's current photo (not superseded or refused)."""
APPROVED_OR_LATER = frozenset({S.APPROVED, S.IN_BATCH, S.ON_CHSI, S.UPLOAD_FAILED})


class Stage(IntEnum):
    """How far a student got in a task, for the progress funnel: the furthest stage any of their
    submissions reached (a rejected or replaced photo still counts as submitted)."""

    NONE = 0
    SUBMITTED = 1
    APPROVED = 2
    ON_CHSI = 3


def stage_of(state: S, submitted: bool) -> Stage:
    if state is S.ON_CHSI:
        return Stage.ON_CHSI
    if state in APPROVED_OR_LATER:
        return Stage.APPROVED
    return Stage.SUBMITTED if submitted else Stage.NONE


def transition(current: S, event: Event, *, on_temporary_code: bool = False) -> S:
    """The state after ``event``, or IllegalTransition. Pure: the caller assigns the result."""
    if event is Event.ADD_TO_BATCH and on_temporary_code:
        raise IllegalTransition(
            "该照片使用临时拍摄码采集，须先上传学信网图像采集码，才能上传学信网。",
            "This photo was taken on a temporary shooting code; it is held until the real CHSI "
            "collection code is linked.",
            state=current.value,
            event=event.value,
        )
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(
            f"当前状态“{STATE_LABELS_ZH[current]}”不允许此操作（{event.value}）。",
            f"'{event.value}' is not allowed in state '{STATE_LABELS_EN[current]}'.",
            state=current.value,
            event=event.value,
        ) from None


def allowed_events(current: S) -> list[Event]:
    return [event for (state, event) in TRANSITIONS if state is current]
