from __future__ import annotations

import pytest

from core.domain.enums import SubmissionState as S
from core.domain.states import TRANSITIONS, Event, allowed_events, transition
from core.errors import IllegalTransition

HAPPY_PATH = [
    (S.CAPTURED, Event.STANDARDISE, S.STANDARDISED),
    (S.STANDARDISED, Event.SUBMIT, S.SUBMITTED),
    (S.SUBMITTED, Event.QUEUE_FOR_REVIEW, S.AWAITING_REVIEW),
    (S.AWAITING_REVIEW, Event.APPROVE, S.APPROVED),
    (S.APPROVED, Event.ADD_TO_BATCH, S.IN_BATCH),
    (S.IN_BATCH, Event.MARK_ON_CHSI, S.ON_CHSI),
]


@pytest.mark.parametrize(("state", "event", "expected"), HAPPY_PATH)
def test_happy_path(state, event, expected):
    assert transition(state, event) is expected


def test_below_threshold_is_blocked_after_submission():
    assert transition(S.SUBMITTED, Event.AUTO_BLOCK) is S.AUTO_BLOCKED
    with pytest.raises(IllegalTransition):
        transition(S.AUTO_BLOCKED, Event.QUEUE_FOR_REVIEW)


def test_failed_upload_can_go_into_a_new_batch():
    assert transition(S.IN_BATCH, Event.MARK_UPLOAD_FAILED) is S.UPLOAD_FAILED
    assert transition(S.UPLOAD_FAILED, Event.ADD_TO_BATCH) is S.IN_BATCH


def test_decision_can_be_undone_until_the_photo_is_in_a_batch():
    assert transition(S.APPROVED, Event.UNDO_DECISION) is S.AWAITING_REVIEW
    assert transition(S.REJECTED, Event.UNDO_DECISION) is S.AWAITING_REVIEW
    with pytest.raises(IllegalTransition) as refused:
        transition(S.IN_BATCH, Event.UNDO_DECISION)
    assert "待上网" in refused.value.message_zh


def test_temporary_code_photo_is_held_from_batches():
    with pytest.raises(IllegalTransition) as refused:
        transition(S.APPROVED, Event.ADD_TO_BATCH, on_temporary_code=True)
    assert "临时拍摄码" in refused.value.message_zh
    assert transition(S.APPROVED, Event.ADD_TO_BATCH, on_temporary_code=False) is S.IN_BATCH


@pytest.mark.parametrize("state", list(S))
def test_every_event_not_in_the_table_is_refused(state):
    for event in Event:
        if (state, event) in TRANSITIONS:
            assert transition(state, event) is TRANSITIONS[(state, event)]
        else:
            with pytest.raises(IllegalTransition):
                transition(state, event)


def test_terminal_states_allow_nothing():
    for state in (S.AUTO_BLOCKED, S.REPLACED, S.ON_CHSI):
        assert allowed_events(state) == []


def test_cannot_approve_twice():
    approved = transition(S.AWAITING_REVIEW, Event.APPROVE)
    with pytest.raises(IllegalTransition):
        transition(approved, Event.APPROVE)


def test_stage_is_how_far_the_photo_got():
    from core.domain.states import Stage, stage_of

    assert stage_of(S.STANDARDISED, submitted=False) is Stage.NONE
    assert {stage_of(s, submitted=True) for s in (S.SUBMITTED, S.AUTO_BLOCKED, S.AWAITING_REVIEW, S.REJECTED,
                                                   S.REPLACED)} == {Stage.SUBMITTED}
    assert {stage_of(s, submitted=True) for s in (S.APPROVED, S.IN_BATCH, S.UPLOAD_FAILED)} == {Stage.APPROVED}
    assert stage_of(S.ON_CHSI, submitted=True) is Stage.ON_CHSI
