"""What a settled disagreement does to the photo, in every decided state, and who may settle it."""

from __future__ import annotations

import pytest

from core.domain.enums import Decision, SettlementOutcome as O
from core.domain.enums import SubmissionState as S
from core.domain.settlement import effect, may_adjudicate
from core.domain.states import Event, transition

CASES = [
    # state, settled, newer photo in hand, in an unexported batch → outcome, events
    (S.APPROVED, Decision.REJECT, False, False, O.APPLIED, (Event.OVERTURN_APPROVAL,)),
    (S.IN_BATCH, Decision.REJECT, False, True, O.APPLIED, (Event.REMOVE_FROM_BATCH, Event.OVERTURN_APPROVAL)),
    (S.IN_BATCH, Decision.REJECT, False, False, O.REPLACE_ON_CHSI, ()),
    (S.ON_CHSI, Decision.REJECT, False, False, O.REPLACE_ON_CHSI, ()),
    (S.UPLOAD_FAILED, Decision.REJECT, False, False, O.APPLIED, (Event.OVERTURN_APPROVAL,)),
    (S.REJECTED, Decision.REJECT, False, False, O.UNCHANGED, ()),
    (S.REJECTED, Decision.APPROVE, False, False, O.APPLIED, (Event.OVERTURN_REJECTION,)),
    (S.REJECTED, Decision.APPROVE, True, False, O.SUPERSEDED, ()),
    (S.APPROVED, Decision.APPROVE, False, False, O.UNCHANGED, ()),
    (S.ON_CHSI, Decision.APPROVE, False, False, O.UNCHANGED, ()),
]


@pytest.mark.parametrize(("state", "settled", "newer", "unsent", "outcome", "events"), CASES)
def test_the_photo_follows_the_settled_decision_unless_chsi_may_have_it(state, settled, newer, unsent, outcome,
                                                                        events):
    result = effect(state, settled, newer_photo_in_hand=newer, in_unsent_batch=unsent)
    assert (result.outcome, result.events) == (outcome, events)
    final = state
    for event in result.events:
        final = transition(final, event)  # every planned step is a legal transition
    if outcome is O.APPLIED:
        assert final is (S.REJECTED if settled is Decision.REJECT else S.APPROVED)


def test_neither_reviewer_settles_their_own_disagreement():
    assert may_adjudicate(3, first_reviewer_id=1, second_reviewer_id=2)
    assert not may_adjudicate(1, first_reviewer_id=1, second_reviewer_id=2)
    assert not may_adjudicate(2, first_reviewer_id=1, second_reviewer_id=2)
