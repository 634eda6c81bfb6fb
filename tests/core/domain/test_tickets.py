"""The ticket rules: due times per priority, overdue, numbers, allowed status changes; canned answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, UTC

import pytest

from core.domain.canned_answers import answers_for, canned_answers
from core.domain.enums import TicketCategory, TicketPriority, TicketStatus
from core.domain.policy import Policy
from core.domain.tickets import (
    SLA,
    check_open,
    check_status_change,
    due_at,
    is_overdue,
    ticket_id_from_number,
    ticket_number,
)
from core.errors import Conflict

OPENED = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def test_every_priority_has_a_due_time_and_more_urgent_is_sooner():
    assert set(SLA) == set(TicketPriority)
    order = [TicketPriority.URGENT, TicketPriority.HIGH, TicketPriority.NORMAL, TicketPriority.LOW]
    dues = [due_at(OPENED, p) for p in order]
    assert dues == sorted(dues) and len(set(dues)) == 4
    assert due_at(OPENED, TicketPriority.URGENT) == OPENED + timedelta(hours=2)


def test_overdue_only_while_open_and_past_due():
    due = due_at(OPENED, TicketPriority.URGENT)
    later = due + timedelta(minutes=1)
    assert not is_overdue(due, TicketStatus.OPEN, due - timedelta(minutes=1))
    for status in (TicketStatus.OPEN, TicketStatus.WAITING_STUDENT, TicketStatus.WAITING_SCHOOL):
        assert is_overdue(due, status, later)
    assert not is_overdue(due, TicketStatus.RESOLVED, later)


def test_ticket_number_round_trips_and_rejects_other_text():
    number = ticket_number(date(2026, 6, 1), 42)
    assert number == "T26060100042"
    assert ticket_id_from_number(number) == 42
    assert ticket_id_from_number(number.lower()) == 42
    assert ticket_id_from_number(ticket_number(date(2026, 6, 1), 1_234_567)) == 1_234_567
    for text in ("2110000001", "T2606", "丁白云", "0042", "X26060100042"):
        assert ticket_id_from_number(text) is None


def test_status_changes_resolved_is_closed_and_resolve_escalate_have_their_own_steps():
    check_status_change(TicketStatus.OPEN, TicketStatus.WAITING_STUDENT)
    check_status_change(TicketStatus.WAITING_SCHOOL, TicketStatus.OPEN)
    with pytest.raises(Conflict):
        check_status_change(TicketStatus.OPEN, TicketStatus.RESOLVED)
    with pytest.raises(Conflict):
        check_status_change(TicketStatus.OPEN, TicketStatus.WAITING_SCHOOL)
    with pytest.raises(Conflict) as refused:
        check_open(TicketStatus.RESOLVED)
    assert "重新打开" in refused.value.message_zh


def test_canned_answers_cover_the_seed_faq_and_follow_the_policy():
    answers = {a.key: a for a in canned_answers(Policy())}
    for key in ("live_capture", "album_blocked", "daily_limit", "free_submissions", "replacement",
                "chsi_timing", "temporary_code", "code_download", "hotline_hours"):
        assert answers[key].body_zh and answers[key].body_en
    assert "每日限 5 次" in answers["daily_limit"].body_zh
    assert "2 次照片免费提交审核" in answers["free_submissions"].body_zh
    assert "7-10 日" in answers["chsi_timing"].body_zh
    assert "027-87885551" in answers["hotline_hours"].body_zh and "8:30-12:00" in answers["hotline_hours"].body_zh
    assert "通过人工审核后将不允许更换照片" in answers["replacement"].body_zh
    tuned = {a.key: a for a in canned_answers(replace(Policy(), daily_standardisations=8, extra_service_price_fen=200))}
    assert "每日限 8 次" in tuned["daily_limit"].body_zh
    assert "2 元/次" in tuned["free_submissions"].body_zh


def test_answers_for_a_category_come_first():
    ordered = answers_for(Policy(), TicketCategory.QUOTA_EXCEEDED)
    assert TicketCategory.QUOTA_EXCEEDED in ordered[0].categories
    firsts = [a for a in ordered if TicketCategory.QUOTA_EXCEEDED in a.categories]
    assert ordered[: len(firsts)] == firsts
    assert len(answers_for(Policy(), None)) == len(canned_answers(Policy()))
