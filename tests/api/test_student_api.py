"""The student API over HTTP: sign-in and tokens, the journey, scoping, idempotency, rate limits,
uploads, WeChat Pay notifications and the error shape, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import time

import pytest
from fastapi.testclient import TestClient
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from api.app import PREFIX, create_app, router
from api.limits import MemoryRateLimiter
from api.wechatpay import DevelopmentPlatform
from core.config import settings
from core.domain.enums import PaymentStatus, QuotaEntryType, QuotaKind, SubmissionState
from core.models import (
    AccountLink,
    ApiToken,
    Payment,
    QuotaEntry,
    StudentAccount,
    Submission,
)
from core.services import policy
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


# ---- documents ---------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_endpoint_and_the_docs_page_lists_them(client):
    document = client.get(f"{PREFIX}/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    served = {(route.path, method.lower()) for route in router.routes if isinstance(route, APIRoute)
              for method in route.methods}
    described = {(path, method) for path, operations in paths.items() for method in operations}
    assert served == described and len(described) >= 25
    assert "Idempotency-Key" in {p["name"] for p in paths[f"{PREFIX}/captures"]["post"]["parameters"]}
    docs = client.get(f"{PREFIX}/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert f"{PREFIX}/captures/{{capture_id}}/submit" in docs.text and "<script" not in docs.text


# ---- sign-in -----------------------------------------------------------------------------------


def test_sign_in_gives_an_expiring_bearer_token_stored_only_as_its_hash(env, client):
    db, _ = env
    response = client.post(f"{PREFIX}/sessions", json={"code": "wx-code", "nickname": "小丁"})
    assert response.status_code == 201
    token = response.json()["token"]
    assert response.json()["account"]["nickname"] == "小丁" and not response.json()["account"]["notice_acknowledged"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{PREFIX}/me", headers=auth).json()["nickname"] == "小丁"
    with db.session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
        row.expires_at = row.created_at  # expired
    assert_error(client.get(f"{PREFIX}/me", headers=auth), 401, "unauthorised")
    assert_error(client.get(f"{PREFIX}/me"), 401, "unauthorised")
    assert_error(client.get(f"{PREFIX}/me", headers={"Authorization": "Bearer forged"}), 401, "unauthorised")


def test_signing_out_ends_the_token_and_the_same_nickname_is_the_same_account_in_development(client):
    first = sign_in(client, "小丁")
    second = sign_in(client, "小丁")
    assert client.get(f"{PREFIX}/me", headers=first).json()["id"] == client.get(f"{PREFIX}/me", headers=second).json()["id"]
    assert client.delete(f"{PREFIX}/sessions/current", headers=first).status_code == 204
    assert_error(client.get(f"{PREFIX}/me", headers=first), 401, "unauthorised")
    assert client.get(f"{PREFIX}/me", headers=second).status_code == 200


def test_a_json_body_is_bounded_before_it_is_read(client):
    assert_error(client.post(f"{PREFIX}/sessions", json={"code": "c" * 70_000, "nickname": "小丁"}),
                 413, "payload_too_large")


def test_a_bad_nickname_is_refused_in_the_error_shape(client):
    assert_error(client.post(f"{PREFIX}/sessions", json={"code": "c", "nickname": "   "}), 422, "invalid_input")
    error = assert_error(client.post(f"{PREFIX}/sessions", json={"code": "c"}), 422, "invalid_input")
    assert "nickname" in error["message_en"]


# ---- the journey -------------------------------------------------------------------------------


def test_the_whole_journey_over_http(env, client, roster):
    db, _ = env
    world = roster(1)
    auth = sign_in(client, "小丁")
    notice = client.get(f"{PREFIX}/notice", headers=auth).json()
    assert notice["rules"]["daily_standardisations"] == 5 and notice["rules"]["contacts"]["hotline"]
    assert client.post(f"{PREFIX}/notice/acknowledge", headers=auth).json()["notice_acknowledged"] is True

    hits = client.get(f"{PREFIX}/schools", params={"q": "whdx"}, headers=auth).json()
    assert [h["name"] for h in hits] == ["武汉大学"]
    tasks = client.get(f"{PREFIX}/schools/{hits[0]['id']}/tasks", headers=auth).json()
    assert [t["id"] for t in tasks] == [world.task_id] and tasks[0]["album_allowed"] is False

    data, files = identity_form(world)
    check = client.post(f"{PREFIX}/identity-checks", data=data, files=files, headers=auth)
    assert check.status_code == 200, check.text
    assert check.json()["masked_name"] == "丁*云" and check.json()["link_id"] is None
    linked = client.post(f"{PREFIX}/links", data=data, files=files, headers={**auth, **key()})
    assert linked.status_code == 201 and linked.json()["link_id"]

    order = client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()})
    assert order.status_code == 201 and order.json()["amount_fen"] == 2500 and order.json()["status"] == "pending"
    paid = client.post(f"{PREFIX}/orders/{order.json()['order_no']}/development-payment", json={}, headers=auth)
    assert paid.json()["status"] == "paid"
    assert client.get(f"{PREFIX}/status", headers=auth).json()["status"]["paid"] is True

    upload = client.post(f"{PREFIX}/captures", files=photo(), headers={**auth, **key()})
    assert upload.status_code == 202, upload.text
    capture_id = upload.json()["id"]
    assert upload.headers["Location"] == f"{PREFIX}/captures/{capture_id}"
    polled = client.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 5}, headers=auth).json()
    assert polled["status"] == "ready", polled
    assert polled["checks"] and polled["standardisations_left"] == 4
    jpeg = client.get(f"{PREFIX}/captures/{capture_id}/photo", headers=auth)
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content[:3] == b"\xff\xd8\xff"

    submitted = client.post(f"{PREFIX}/captures/{capture_id}/submit", headers={**auth, **key()})
    assert submitted.status_code == 200 and submitted.json()["state"] == "awaiting_review"
    status = client.get(f"{PREFIX}/status", headers=auth).json()["status"]
    assert status["state"] == "awaiting_review" and status["free_submissions_left"] == 1
    assert status["next_submission"] == "replacement"
    assert client.get(f"{PREFIX}/messages", headers=auth).json() == []
    assert_error(client.get(f"{PREFIX}/photo", headers=auth), 404, "not_found")  # not approved yet
    with db.session() as session:
        assert session.scalars(select(Submission.state)).all() == [SubmissionState.AWAITING_REVIEW]


def test_a_failed_identity_check_counts_and_locks_as_the_policy_says(env, client, roster):
    db, _ = env
    world = roster(1)
    with db.session() as session:
        policy.set_policy_value(session, f.SYSTEM, "verification_attempts", 3)
    auth = sign_in(client, "小丁")
    data, files = identity_form(world, student_number="2110999999")
    lefts = []
    for _ in range(2):
        error = assert_error(client.post(f"{PREFIX}/identity-checks", data=data, files=files, headers=auth),
                             409, "link_refused")
        lefts.append(error["attempts_left"])
    assert lefts == [2, 1]
    locked = assert_error(client.post(f"{PREFIX}/identity-checks", data=data, files=files, headers=auth),
                          409, "link_refused")
    assert "24" in locked["message_zh"] and locked["locked_until"]
    right, files = identity_form(world)
    still = assert_error(client.post(f"{PREFIX}/identity-checks", data=right, files=files, headers=auth),
                         409, "link_refused")
    assert "锁定" in still["message_zh"]
    with db.session() as session:
        assert session.scalars(select(StudentAccount.verification_locked_until)).one() is not None


def test_an_image_that_holds_no_code_is_refused_without_counting_a_failure(env, client, roster):
    db, _ = env
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, _ = identity_form(world)
    files = {"code_image": ("code.jpg", portrait(2), "image/jpeg")}
    assert_error(client.post(f"{PREFIX}/identity-checks", data=data, files=files, headers=auth), 422, "invalid_input")
    with db.session() as session:
        assert session.scalars(select(StudentAccount.failed_verifications)).one() == 0


def test_unbinding_before_paying_and_not_after(client, roster):
    world = roster(2)
    auth = sign_in(client, "小丁")
    data, files = identity_form(world)
    assert client.post(f"{PREFIX}/links", data=data, files=files, headers={**auth, **key()}).status_code == 201
    assert client.delete(f"{PREFIX}/links/current", headers=auth).status_code == 204
    assert client.get(f"{PREFIX}/status", headers=auth).json() == {"linked": False, "status": None}
    paid = linked_and_paid(client, world, 1, "小李")
    assert_error(client.delete(f"{PREFIX}/links/current", headers=paid), 409, "link_refused")


# ---- scoping -----------------------------------------------------------------------------------


def test_student_b_cannot_read_or_act_on_student_a_s_capture_or_order(env, client, roster):
    db, _ = env
    world = roster(2)
    alice = linked_and_paid(client, world, 0, "小丁")
    bob = linked_and_paid(client, world, 1, "小李")
    capture_id = client.post(f"{PREFIX}/captures", files=photo(), headers={**alice, **key()}).json()["id"]
    for response in (
        client.get(f"{PREFIX}/captures/{capture_id}", headers=bob),
        client.get(f"{PREFIX}/captures/{capture_id}/photo", headers=bob),
        client.post(f"{PREFIX}/captures/{capture_id}/submit", headers={**bob, **key()}),
        client.post(f"{PREFIX}/captures/{capture_id}/discard", headers=bob),
    ):
        assert_error(response, 403, "access_denied")
    with db.session() as session:
        alice_order = session.scalars(select(Payment.order_no).join(
            AccountLink, AccountLink.roster_record_id == Payment.roster_record_id)
            .join(StudentAccount, StudentAccount.id == AccountLink.account_id)
            .where(StudentAccount.nickname == "小丁")).one()
        assert session.get(Submission, capture_id).state is SubmissionState.STANDARDISED
    assert_error(client.get(f"{PREFIX}/orders/{alice_order}", headers=bob), 403, "access_denied")
    assert_error(client.post(f"{PREFIX}/orders/{alice_order}/development-payment", json={}, headers=bob),
                 403, "access_denied")
    bob_status = client.get(f"{PREFIX}/status", headers=bob).json()["status"]
    assert bob_status["masked_name"] == "李*明" and bob_status["submission_id"] is None


# ---- idempotency -------------------------------------------------------------------------------


def test_a_retried_submission_is_answered_again_and_uses_one_submission(env, client, roster):
    db, _ = env
    world = roster(1)
    auth = linked_and_paid(client, world, 0, "小丁")
    same = {**auth, **key()}
    first = client.post(f"{PREFIX}/captures", files=photo(), headers=same)
    again = client.post(f"{PREFIX}/captures", files=photo(), headers=same)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    capture_id = first.json()["id"]
    submit = {**auth, **key()}
    answers = [client.post(f"{PREFIX}/captures/{capture_id}/submit", headers=submit) for _ in range(3)]
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    with db.session() as session:
        assert session.scalar(select(func.count(Submission.id))) == 1
        uses = session.execute(select(QuotaEntry.kind, func.count()).where(QuotaEntry.entry_type == QuotaEntryType.USE)
                               .group_by(QuotaEntry.kind)).all()
        assert dict(uses) == {QuotaKind.STANDARDISATION: 1, QuotaKind.SUBMISSION: 1}
    # the same key for another request is refused; no key at all is refused
    assert_error(client.post(f"{PREFIX}/captures", files=photo(2), headers=same), 409, "conflict")
    assert_error(client.post(f"{PREFIX}/captures", files=photo(2), headers=auth), 422, "invalid_input")


def test_a_retried_order_and_payment_charge_once(env, client, roster):
    db, _ = env
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, files = identity_form(world)
    client.post(f"{PREFIX}/links", data=data, files=files, headers={**auth, **key()})
    same = {**auth, **key()}
    orders = [client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers=same).json() for _ in range(2)]
    fresh = client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}).json()
    assert orders[0] == orders[1] and fresh["order_no"] == orders[0]["order_no"]  # one open order per intent
    for _ in range(2):
        client.post(f"{PREFIX}/orders/{fresh['order_no']}/development-payment", json={}, headers=auth)
    assert_error(client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}),
                 409, "conflict")
    with db.session() as session:
        assert session.scalars(select(Payment.status)).all() == [PaymentStatus.PAID]


def test_a_retried_link_links_once(env, client, roster):
    db, _ = env
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, files = identity_form(world)
    same = {**auth, **key()}
    answers = [client.post(f"{PREFIX}/links", data=data, files=files, headers=same) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()
    with db.session() as session:
        assert session.scalar(select(func.count(AccountLink.id))) == 1


# ---- rate limits -------------------------------------------------------------------------------


def test_a_student_over_their_limit_is_told_when_to_come_back(make_client):
    client = make_client(student=3)
    auth = sign_in(client, "小丁")
    other = sign_in(client, "小李")
    assert [client.get(f"{PREFIX}/me", headers=auth).status_code for _ in range(3)] == [200] * 3
    refused = client.get(f"{PREFIX}/me", headers=auth)
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get(f"{PREFIX}/me", headers=other).status_code == 200  # another student is not affected


def test_an_address_over_its_limit_is_refused_whoever_it_signs_in_as(make_client):
    client = make_client(address=4)
    for name in ("甲", "乙"):
        sign_in(client, name)
    assert client.get(f"{PREFIX}/rules").status_code == 200
    assert client.get(f"{PREFIX}/rules").status_code == 200
    assert_error(client.get(f"{PREFIX}/rules"), 429, "rate_limited")
    assert_error(client.post(f"{PREFIX}/sessions", json={"code": "c", "nickname": "丙"}), 429, "rate_limited")


@pytest.mark.parametrize("trusted", ["testclient", "testclient, 10.0.0.0/8"])
def test_behind_a_trusted_load_balancer_each_phone_has_its_own_address_limit(make_client, trusted):
    client = make_client(trusted_proxies=trusted, address=2)  # TestClient connects from "testclient"
    phone = {"X-Forwarded-For": "203.0.113.7"}
    via_two_proxies = {"X-Forwarded-For": "198.51.100.4, 10.1.2.3"} if "10.0.0.0/8" in trusted else {
        "X-Forwarded-For": "198.51.100.4"}
    assert [client.get(f"{PREFIX}/rules", headers=phone).status_code for _ in range(2)] == [200, 200]
    assert_error(client.get(f"{PREFIX}/rules", headers=phone), 429, "rate_limited")
    assert client.get(f"{PREFIX}/rules", headers=via_two_proxies).status_code == 200  # another phone


def test_a_phone_cannot_claim_another_address_when_no_proxy_is_trusted(make_client):
    client = make_client(address=2)
    assert client.get(f"{PREFIX}/rules", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert client.get(f"{PREFIX}/rules", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
    assert_error(client.get(f"{PREFIX}/rules", headers={"X-Forwarded-For": "203.0.113.9"}), 429, "rate_limited")


# ---- uploads -----------------------------------------------------------------------------------


def _standardisations_left(client, auth) -> int:
    return client.get(f"{PREFIX}/status", headers=auth).json()["status"]["standardisations_left"]


def test_uploads_are_sniffed_and_bounded_and_refusals_use_no_standardisation(client, roster):
    world = roster(1)
    auth = linked_and_paid(client, world, 0, "小丁")
    text = {"photo": ("capture.jpg", b"<html>not a photo</html>" * 10, "image/jpeg")}
    assert_error(client.post(f"{PREFIX}/captures", files=text, headers={**auth, **key()}), 415, "unsupported_media_type")
    truncated = {"photo": ("capture.jpg", portrait(1)[:2000], "image/jpeg")}
    assert_error(client.post(f"{PREFIX}/captures", files=truncated, headers={**auth, **key()}), 422, "invalid_input")
    just_over = {"photo": ("capture.jpg", b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), "image/jpeg")}
    assert_error(client.post(f"{PREFIX}/captures", files=just_over, headers={**auth, **key()}), 413, "payload_too_large")
    huge = {"photo": ("capture.jpg", b"\xff\xd8\xff" + b"\0" * (21 * 1024 * 1024), "image/jpeg")}
    assert_error(client.post(f"{PREFIX}/captures", files=huge, headers={**auth, **key()}), 413, "payload_too_large")
    chunked = client.post(f"{PREFIX}/captures", content=iter([portrait(1)]),
                          headers={**auth, **key(), "Content-Type": "multipart/form-data; boundary=x"})
    assert_error(chunked, 411, "length_required")
    assert _standardisations_left(client, auth) == 5


def test_album_photos_and_the_front_camera_are_refused_where_the_task_forbids_them(client, roster):
    world = roster(1, front_camera_allowed=False)
    auth = linked_and_paid(client, world, 0, "小丁")
    album = client.post(f"{PREFIX}/captures", files=photo(), data={"source": "album"}, headers={**auth, **key()})
    assert "相册" in assert_error(album, 422, "capture_refused")["message_zh"]
    selfie = client.post(f"{PREFIX}/captures", files=photo(), data={"camera": "front"}, headers={**auth, **key()})
    assert "前置" in assert_error(selfie, 422, "capture_refused")["message_zh"]
    assert _standardisations_left(client, auth) == 5
    rear = client.post(f"{PREFIX}/captures", files=photo(), data={"source": "camera", "camera": "back"},
                       headers={**auth, **key()})
    assert rear.status_code == 202 and _standardisations_left(client, auth) == 4


def test_a_task_that_allows_the_album_accepts_an_album_photo(client, roster):
    world = roster(1, album_allowed=True)
    auth = linked_and_paid(client, world, 0, "小丁")
    assert client.post(f"{PREFIX}/captures", files=photo(), data={"source": "album"},
                       headers={**auth, **key()}).status_code == 202


# ---- WeChat Pay notifications ------------------------------------------------------------------


def _pending_order(client, roster) -> tuple[dict[str, str], dict]:
    world = roster(1)
    auth = sign_in(client, "小丁")
    data, files = identity_form(world)
    client.post(f"{PREFIX}/links", data=data, files=files, headers={**auth, **key()})
    return auth, client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}).json()


def test_a_signed_notification_pays_the_order_once_however_often_it_arrives(env, client, roster):
    db, _ = env
    auth, order = _pending_order(client, roster)
    platform = client.app.state.services.platform
    headers, body = platform.notification(order["order_no"], order["amount_fen"])
    for _ in range(2):
        response = client.post(f"{PREFIX}/payments/wechat/notify", content=body, headers=headers)
        assert response.status_code == 204, response.text
    assert client.get(f"{PREFIX}/orders/{order['order_no']}", headers=auth).json()["status"] == "paid"
    with db.session() as session:
        assert session.scalars(select(Payment.status)).all() == [PaymentStatus.PAID]


def test_a_forged_stale_or_wrong_amount_notification_pays_nothing(env, client, roster):
    db, _ = env
    auth, order = _pending_order(client, roster)
    platform = client.app.state.services.platform
    headers, body = platform.notification(order["order_no"], order["amount_fen"])
    tampered = body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS "')
    refused = client.post(f"{PREFIX}/payments/wechat/notify", content=tampered, headers=headers)
    assert_error(refused, 401, "signature_invalid")
    assert refused.json()["code"] == "FAIL"  # what WeChat Pay reads
    unsigned = {k: v for k, v in headers.items() if k != "Wechatpay-Signature"}
    assert_error(client.post(f"{PREFIX}/payments/wechat/notify", content=body, headers=unsigned), 401, "signature_invalid")
    stale_headers, stale_body = platform.notification(order["order_no"], order["amount_fen"],
                                                      timestamp=int(time.time()) - 600)
    assert_error(client.post(f"{PREFIX}/payments/wechat/notify", content=stale_body, headers=stale_headers),
                 401, "signature_invalid")
    short_headers, short_body = platform.notification(order["order_no"], 1)
    assert_error(client.post(f"{PREFIX}/payments/wechat/notify", content=short_body, headers=short_headers),
                 422, "invalid_input")
    from api.wechatpay import (
        DevelopmentPlatform,  # another platform's key: a forgery that verifies nowhere
    )

    # another platform's key: a forgery that verifies nowhere
    forged_headers, forged_body = DevelopmentPlatform().notification(order["order_no"], order["amount_fen"])
    assert_error(client.post(f"{PREFIX}/payments/wechat/notify", content=forged_body, headers=forged_headers),
                 401, "signature_invalid")
    assert client.get(f"{PREFIX}/orders/{order['order_no']}", headers=auth).json()["status"] == "pending"
    with db.session() as session:
        assert session.scalars(select(Payment.status)).all() == [PaymentStatus.PENDING]


def test_a_failed_payment_can_be_paid_again_on_the_same_order(client, roster):
    auth, order = _pending_order(client, roster)
    failed = client.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={"fail": True}, headers=auth)
    assert failed.json()["status"] == "failed"
    again = client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}).json()
    assert again["order_no"] == order["order_no"]
    paid = client.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={}, headers=auth)
    assert paid.json()["status"] == "paid"


# ---- error shape -------------------------------------------------------------------------------


def test_every_refusal_has_the_one_error_shape(client):
    auth = sign_in(client, "小丁")
    assert_error(client.get(f"{PREFIX}/no-such-thing", headers=auth), 404, "not_found")
    assert_error(client.get(f"{PREFIX}/captures/999999", headers=auth), 404, "not_found")
    assert_error(client.get(f"{PREFIX}/captures/abc", headers=auth), 422, "invalid_input")
    assert_error(client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}),
                 404, "not_found")  # no linked task yet
    assert_error(client.get(f"{PREFIX}/schools/999999/makeup-points", headers=auth), 404, "not_found")


def test_with_production_keys_configured_notifications_verify_against_them_and_development_payment_is_gone(
        env, roster, tmp_path):
    db, store = env
    wechat = DevelopmentPlatform()  # stands in for WeChat Pay's side; we only get its public key
    (tmp_path / "platform.pem").write_bytes(wechat.public_key_pem())
    config = dataclasses.replace(settings(), wechatpay_platform_key=tmp_path / "platform.pem",
                                 wechatpay_apiv3_key=wechat.apiv3_key.decode(), wechatpay_platform_serial=wechat.serial)
    with TestClient(create_app(db, store, config=config, limiter=MemoryRateLimiter())) as client:
        assert client.app.state.services.platform is None  # type: ignore[attr-defined]  # TestClient types its app as a bare ASGI callable
        auth, order = _pending_order(client, roster)
        assert_error(client.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={}, headers=auth),
                     404, "not_found")
        forged_headers, forged_body = DevelopmentPlatform().notification(order["order_no"], order["amount_fen"])
        assert_error(client.post(f"{PREFIX}/payments/wechat/notify", content=forged_body, headers=forged_headers),
                     401, "signature_invalid")
        headers, body = wechat.notification(order["order_no"], order["amount_fen"])
        assert client.post(f"{PREFIX}/payments/wechat/notify", content=body, headers=headers).status_code == 204
        assert client.get(f"{PREFIX}/orders/{order['order_no']}", headers=auth).json()["status"] == "paid"
