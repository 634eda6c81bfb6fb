"""Tickets support escalates to a school show on that school's chase list, and only there."""

from __future__ import annotations

from core.domain.enums import Role, TicketCategory
from core.services import tickets
from tests import factories as f


def test_escalated_ticket_shows_for_its_school_registrar_only(db, app_for):
    with db.session() as session:
        whu = f.make_school(session, "10486", "武汉大学")
        hust = f.make_school(session, "10487", "华中科技大学")
        f.make_task(session, whu)
        f.make_task(session, hust, title="华科2025届采集")
        record = f.make_record(session, whu, 1, name="丁白云")
        support = f.actor_of(f.make_staff(session, Role.SUPPORT, "zhou.support"))
        ticket = tickets.open_ticket(session, support, category=TicketCategory.NOT_ON_ROSTER,
                                     subject="学籍照片无法比对，需学校处理", roster_record_id=record.id)
        tickets.escalate_to_school(session, support, ticket.id, "人像比对多次未通过，请学籍部门统一处理")
        number = ticket.number
        mine = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=whu).id
        theirs = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=hust).id

    at = app_for(mine, page="chase_list.py").run()
    assert not at.exception
    assert any("客服转交本校处理的问题（1）" in e.label for e in at.expander)
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == [number]
    assert list(table.iloc[:, 1]) == ["丁白云"]

    other = app_for(theirs, page="chase_list.py").run()
    assert not other.exception
    assert not any("客服转交" in e.label for e in other.expander)
