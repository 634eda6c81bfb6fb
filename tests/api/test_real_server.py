"""The API behind a real uvicorn server on a free loopback port: a journey over real HTTP, and
racing copies of one request (same Idempotency-Key) that must pay and submit once."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
import uvicorn
from sqlalchemy import func, select

from api.app import PREFIX, create_app
from api.limits import MemoryRateLimiter
from core.domain.enums import QuotaEntryType
from core.models import IdempotencyRecord, Payment, QuotaEntry, Submission
from tests.api.conftest import identity_form
from tests.core.services.helpers import portrait


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(env) -> Iterator[str]:
    db, store = env
    port = free_port()
    config = uvicorn.Config(create_app(db, store, limiter=MemoryRateLimiter()), host="127.0.0.1", port=port,
                            log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_a_declared_oversized_upload_is_refused_before_its_body_is_sent(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"POST {PREFIX}/captures HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer x\r\n"
                    "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000000\r\n\r\n".encode())
        answer = b""
        while b'"}}' not in answer:  # answered without a byte of the body being sent
            chunk = raw.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b'"payload_too_large"' in answer


def test_a_student_signs_in_links_pays_uploads_polls_and_submits_over_real_http(env, server, roster):
    db, _ = env
    world = roster(1)
    with httpx2.Client(base_url=server, timeout=60) as http:
        assert http.get(f"{PREFIX}/openapi.json").json()["info"]["version"] == "1.0.0"
        token = http.post(f"{PREFIX}/sessions", json={"code": "wx-1", "nickname": "小丁"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        data, files = identity_form(world)
        assert http.post(f"{PREFIX}/links", data=data, files=files,
                         headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).status_code == 201
        order = http.post(f"{PREFIX}/orders", json={}, headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()

        # the same order paid from several connections at once: one payment, one audit of it
        def pay(_: int) -> int:
            return http.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={},
                             headers=auth).status_code

        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(pay, range(4))) == {200}

        upload_key = {"Idempotency-Key": uuid.uuid4().hex}
        photo = {"photo": ("capture.jpg", portrait(3), "image/jpeg")}

        def upload(_: int) -> tuple[int, int]:
            response = http.post(f"{PREFIX}/captures", files=photo, headers={**auth, **upload_key})
            return response.status_code, response.json()["id"]

        with ThreadPoolExecutor(3) as pool:
            uploads = set(pool.map(upload, range(3)))
        assert len(uploads) == 1 and next(iter(uploads))[0] == 202
        capture_id = next(iter(uploads))[1]
        assert http.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 10},
                        headers=auth).json()["status"] == "ready"

        submit_key = {"Idempotency-Key": uuid.uuid4().hex}

        def submit(_: int) -> str:
            response = http.post(f"{PREFIX}/captures/{capture_id}/submit", headers={**auth, **submit_key})
            assert response.status_code == 200, response.text
            return response.text

        with ThreadPoolExecutor(3) as pool:
            assert len(set(pool.map(submit, range(3)))) == 1
        status = http.get(f"{PREFIX}/status", headers=auth).json()["status"]
        assert status["state"] == "awaiting_review" and status["free_submissions_left"] == 1
    with db.session() as session:
        assert session.scalar(select(func.count(Payment.id)).where(Payment.status == "paid")) == 1
        assert session.scalar(select(func.count(Submission.id))) == 1
        assert session.scalar(select(func.count(QuotaEntry.id)).where(QuotaEntry.entry_type == QuotaEntryType.USE)) == 2
        assert session.scalar(select(func.count(IdempotencyRecord.id))) == 4
