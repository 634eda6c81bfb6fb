"""Settling a disagreement between the first and the second review: who may settle it, and what
the settled decision does to the photo.

The photo follows the settled decision through the state machine (``Event.OVERTURN_*``), except
where that would be wrong for the student: a photo CHSI has or may already have (on CHSI, or in a
batch already exported) cannot be taken back from here, so the registrar is told to have it
replaced; and a rejected photo whose student already has a newer one in hand is left as it was
(the newer photo goes through review as usual). A photo in a batch not yet exported is taken out
of the batch first; one whose upload CHSI refused is never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import Decision, SettlementOutcome
from core.domain.enums import SubmissionState as S
from core.domain.states import APPROVED_OR_LATER, Event


@dataclass(frozen=True)
class Effect:
    outcome: SettlementOutcome
    events: tuple[Event, ...] = ()
    """The transitions to apply, in order, when the outcome is ``APPLIED``."""


def effect(state: S, settled: Decision, *, newer_photo_in_hand: bool, in_unsent_batch: bool) -> Effect:
    """What settling a photo in ``state`` to ``settled`` does. ``in_unsent_batch``: the photo's
    batch has not been exported (only meaningful in ``IN_BATCH``)."""
    if settled is Decision.APPROVE:
        if state in APPROVED_OR_LATER:
            return Effect(SettlementOutcome.UNCHANGED)
        if newer_photo_in_hand:
            return Effect(SettlementOutcome.SUPERSEDED)
        return Effect(SettlementOutcome.APPLIED, (Event.OVERTURN_REJECTION,))
    if state is S.REJECTED:
        return Effect(SettlementOutcome.UNCHANGED)
    if state is S.ON_CHSI or (state is S.IN_BATCH and not in_unsent_batch):
        return Effect(SettlementOutcome.REPLACE_ON_CHSI)
    if state is S.IN_BATCH:
        return Effect(SettlementOutcome.APPLIED, (Event.REMOVE_FROM_BATCH, Event.OVERTURN_APPROVAL))
    return Effect(SettlementOutcome.APPLIED, (Event.OVERTURN_APPROVAL,))


def may_adjudicate(settler_id: int | None, first_reviewer_id: int, second_reviewer_id: int) -> bool:
    """A third senior decides: neither reviewer judges their own disagreement. (Where the policy
    lets the second review stand, ``decide_second`` settles at once and nobody adjudicates.)"""
    return settler_id not in (first_reviewer_id, second_reviewer_id)
