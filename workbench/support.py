"""Pieces the support pages share: labels of ticket vocabularies, China-time display, and the
canned-answers panel."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.domain.canned_answers import answers_for
from core.domain.enums import TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.domain.tickets import CATEGORY_LABELS, CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS
from core.services.policy import get_policy
from uikit.clock import beijing
from workbench.context import database
from workbench.i18n import tr
from workbench.navigation import PAGES_DIR

LOOKUP_PAGE = str(PAGES_DIR / "support_lookup.py")
TICKETS_PAGE = str(PAGES_DIR / "tickets.py")


def label(value: TicketCategory | TicketPriority | TicketStatus | TicketChannel) -> str:
    table = {TicketCategory: CATEGORY_LABELS, TicketPriority: PRIORITY_LABELS, TicketStatus: STATUS_LABELS,
             TicketChannel: CHANNEL_LABELS}[type(value)]
    return tr(*table[value])  # type: ignore[index]  # the table picked by type(value) is keyed by that enum


def china_time(moment: datetime | None) -> str:
    return beijing(moment)


def canned_answers_panel(category: TicketCategory | None = None, *, key: str = "canned") -> None:
    """The seed FAQ as answers to copy into the QQ chat (the code block has a copy button)."""
    with database().session() as session:
        policy = get_policy(session)
    answers = answers_for(policy, category)
    titles = {a.key: tr(a.title_zh, a.title_en) for a in answers}
    chosen = st.selectbox(tr("常用答复", "Canned answer"), list(titles), format_func=titles.__getitem__, key=key)
    answer = next(a for a in answers if a.key == chosen)
    st.code(tr(answer.body_zh, answer.body_en), language=None, wrap_lines=True)
