"""The later steps over HTTP: polling a capture the worker has not reached, the review result in the
inbox, the approved photo, the temporary shooting code and its code uploaded later, make-up points,
and numbers that follow the policy an admin sets."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from api.app import PREFIX
from core import worker
from core.domain.enums import Decision, JobStatus, Role
from core.models import ProcessingJob, School
from core.services import policy, processing, review, schools, student_flow
from tests import factories as f
from tests.api.conftest import (
    assert_error,
    identity_form,
    key,
    linked_and_paid,
    sign_in,
)
from tests.core.services.helpers import portrait


def photo(n: int = 1) -> dict[str, tuple[str, bytes, str]]:
    return {"photo": ("capture.jpg", portrait(n), "image/jpeg")}


def test_a_capture_is_polled_until_the_worker_has_standardised_it(env, client, roster):
    db, store = env
    worker.configure(db, store, immediate=False)  # the job waits in the queue, as with a busy worker
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    capture_id = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}).json()["id"]
    started = time.monotonic()
    waiting = client.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 1}, headers=auth).json()
    assert waiting["status"] == "processing" and time.monotonic() - started >= 1.0
    assert_error(client.get(f"{PREFIX}/captures/{capture_id}/photo", headers=auth), 404, "not_found")
    assert_error(client.post(f"{PREFIX}/captures/{capture_id}/submit", headers={**auth, **key()}), 409,
                 "illegal_transition")
    with db.session() as session:
        job_id = session.scalars(select(ProcessingJob.id).where(ProcessingJob.subject_id == capture_id)).one()
    processing.InlineQueue(db, store).send(job_id)
    assert client.get(f"{PREFIX}/captures/{capture_id}", headers=auth).json()["status"] == "ready"



def test_a_long_poll_returns_as_soon_as_the_worker_has_finished(env, client, roster):
    """Waiters share one check per tick (api.app.CaptureWatch): the worker finishing mid-wait ends
    the wait within a tick, not at the end of the requested ten seconds."""
    db, store = env
    worker.configure(db, store, immediate=False)
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    capture_id = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}).json()["id"]
    with db.session() as session:
        job_id = session.scalars(select(ProcessingJob.id).where(ProcessingJob.subject_id == capture_id)).one()
    later = threading.Timer(0.5, processing.InlineQueue(db, store).send, args=(job_id,))
    started = time.monotonic()
    later.start()
    try:
        done = client.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 10}, headers=auth).json()
    finally:
        later.join()
    assert done["status"] == "ready" and time.monotonic() - started < 8


def test_the_shared_check_names_only_the_callers_own_captures_as_waiting(env, client, roster):
    db, store = env
    worker.configure(db, store, immediate=False)
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    capture_id = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}).json()["id"]
    account_id = client.get(f"{PREFIX}/me", headers=auth).json()["id"]
    with db.session() as session:
        assert student_flow.still_waiting(session, [(account_id, capture_id)]) == {capture_id}
        assert student_flow.still_waiting(session, [(account_id + 1, capture_id)]) == set()
        job = session.scalars(select(ProcessingJob).where(ProcessingJob.subject_id == capture_id)).one()
        job.status = JobStatus.FAILED  # a job that gave up ends the wait: the view says what to do
    with db.session() as session:
        assert student_flow.still_waiting(session, [(account_id, capture_id)]) == set()
    assert client.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 5}, headers=auth).json()["status"] == "refused"

def test_the_review_result_reaches_the_inbox_and_the_approved_photo_downloads(env, client, roster):
    db, _ = env
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    capture_id = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}).json()["id"]
    client.post(f"{PREFIX}/captures/{capture_id}/submit", headers={**auth, **key()})
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER))
    with db.session() as session:
        review.decide(session, reviewer, capture_id, Decision.APPROVE)
    messages = client.get(f"{PREFIX}/messages", headers=auth).json()
    assert [(m["title"], m["read"]) for m in messages] == [("审核通过", False)]
    assert client.get(f"{PREFIX}/status", headers=auth).json()["status"]["unread"] == 1
    assert client.post(f"{PREFIX}/messages/read", headers=auth).status_code == 204
    assert client.get(f"{PREFIX}/messages", headers=auth).json()[0]["read"] is True
    status = client.get(f"{PREFIX}/status", headers=auth).json()["status"]
    assert status["state"] == "approved" and status["next_submission"] == "closed"
    download = client.get(f"{PREFIX}/photo", headers=auth)
    assert download.status_code == 200 and download.content[:3] == b"\xff\xd8\xff"
    assert download.headers["content-disposition"] == f'attachment; filename="{status["student_number"]}.jpg"'
    assert_error(client.post(f"{PREFIX}/captures", files=photo(2), headers={**auth, **key()}), 409, "quota_exceeded")


def test_a_temporary_shooting_code_then_the_real_code_uploaded_later(client, roster):
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, _ = identity_form(world, temporary="true")
    linked = client.post(f"{PREFIX}/links", data=data, headers={**auth, **key()})
    assert linked.status_code == 201 and linked.json()["temporary_code"] is True
    assert client.get(f"{PREFIX}/status", headers=auth).json()["status"]["on_temporary_code"] is True
    wrong = {"code_image": ("code.png", world.records[0]["code_png"][:100], "image/png")}
    assert_error(client.post(f"{PREFIX}/collection-code", files=wrong, headers=auth), 422, "invalid_input")
    code = {"code_image": ("code.png", world.records[0]["code_png"], "image/png")}
    uploaded = client.post(f"{PREFIX}/collection-code", files=code, headers=auth)
    assert uploaded.status_code == 200 and uploaded.json()["on_temporary_code"] is False
    assert_error(client.post(f"{PREFIX}/collection-code", files=code, headers=auth), 409, "conflict")


def test_without_a_code_or_the_temporary_option_the_check_asks_for_the_code(client, roster):
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, _ = identity_form(world)
    error = assert_error(client.post(f"{PREFIX}/identity-checks", data=data, headers=auth), 422, "invalid_input")
    assert "临时拍摄码" in error["message_zh"]


def test_make_up_points_of_the_school(env, client, roster):
    db, _ = env
    world = roster(1)
    with db.session() as session:
        school = session.get(School, world.school_id)
        schools.update_school(session, f.SYSTEM, school.id, code=school.code, name=school.name, short_name="",
                              registrar_contact="", makeup_points=[
                                  {"name": "图书馆一楼", "address": "武汉市武昌区八一路299号", "hours": "9:00-17:00"}])
    auth = sign_in(client, "小丁")
    points = client.get(f"{PREFIX}/schools/{world.school_id}/makeup-points", headers=auth).json()
    assert points == [{"name": "图书馆一楼", "address": "武汉市武昌区八一路299号", "hours": "9:00-17:00"}]


@pytest.mark.parametrize("setting, value, field", [
    ("daily_standardisations", 3, "daily_standardisations"),
    ("free_submissions", 4, "free_submissions"),
    ("extra_service_price_fen", 200, "extra_service_price_fen"),
])
def test_the_numbers_a_student_reads_follow_the_policy_an_admin_sets(env, client, setting, value, field):
    db, _ = env
    with db.session() as session:
        policy.set_policy_value(session, f.SYSTEM, setting, value)
    rules = client.get(f"{PREFIX}/rules").json()
    assert rules[field] == value
    shown = {"daily_standardisations": f"每日限 {value} 次", "free_submissions": f"提供 {value} 次免费提交",
             "extra_service_price_fen": f"¥{value / 100:.2f}/次"}[setting]
    assert shown in rules["allowances_zh"]
    assert rules["contacts"]["hotline"] == "027-87885551"


def test_the_daily_standardisations_left_follow_the_policy(env, client, roster):
    db, _ = env
    with db.session() as session:
        policy.set_policy_value(session, f.SYSTEM, "daily_standardisations", 2)
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    for expected in (1, 0):
        view = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}).json()
        assert (view["standardisations_left"], view["daily_standardisations"]) == (expected, 2)
    assert_error(client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()}), 409, "quota_exceeded")


def test_when_the_free_replacement_is_used_one_more_is_bought_and_then_used(env, client, roster):
    db, _ = env
    with db.session() as session:
        policy.set_policy_values(session, f.SYSTEM, {"free_replacements": 0, "extra_service_price_fen": 150})
    auth = linked_and_paid(client, roster(1), 0, "小丁")
    first = client.post(f"{PREFIX}/captures", files=photo(1), headers={**auth, **key()}).json()["id"]
    client.post(f"{PREFIX}/captures/{first}/submit", headers={**auth, **key()})
    status = client.get(f"{PREFIX}/status", headers=auth).json()["status"]
    assert (status["next_submission"], status["extra_price_fen"]) == ("buy_replacement", 150)
    assert_error(client.post(f"{PREFIX}/orders", json={"purpose": "extra_submission"}, headers={**auth, **key()}),
                 409, "conflict")
    second = client.post(f"{PREFIX}/captures", files=photo(2), headers={**auth, **key()}).json()["id"]
    refused = assert_error(client.post(f"{PREFIX}/captures/{second}/submit", headers={**auth, **key()}),
                           402, "payment_required")
    assert "1.5 元" in refused["message_zh"]
    order = client.post(f"{PREFIX}/orders", json={"purpose": "extra_replacement"}, headers={**auth, **key()}).json()
    assert order["amount_fen"] == 150
    client.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={}, headers=auth)
    assert client.get(f"{PREFIX}/status", headers=auth).json()["status"]["next_submission"] == "replacement"
    submitted = client.post(f"{PREFIX}/captures/{second}/submit", headers={**auth, **key()})
    assert submitted.status_code == 200 and submitted.json()["state"] == "awaiting_review"
    assert client.get(f"{PREFIX}/captures/{first}", headers=auth).json()["state"] == "replaced"
