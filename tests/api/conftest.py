"""The student API over HTTP (FastAPI's TestClient) on the test database and photo store, with
jobs running inline, and the real pieces a journey needs: a school with an open task, roster
records with their demo collection-code images, real portraits as the camera's photos."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import PREFIX, create_app
from api.limits import MemoryRateLimiter
from core.config import settings
from core.db import Database
from core.storage.photos import PhotoStore
from tests import factories as f
from tests.student.conftest import code_png


@dataclass
class Roster:
    school_id: int
    task_id: int
    records: list[dict[str, Any]]


@pytest.fixture
def roster(env: tuple[Database, PhotoStore]) -> Callable[..., Roster]:
    """武汉大学 with one open task and ``n`` roster records (name, number, last 4, code image)."""
    db, _ = env

    def make(n: int = 2, **task: object) -> Roster:
        with db.session() as session:
            school = f.make_school(session, "10486", "武汉大学")
            made = f.make_task(session, school, **task)
            records = []
            for seed in range(1, n + 1):
                record = f.make_record(session, school, seed, name=["丁白云", "李小明", "王芳"][seed - 1])
                records.append({"name": record.name, "student_number": record.student_number,
                                "id_last4": record.id_last4, "code_png": code_png(record, school.code)})
            return Roster(school.id, made.id, records)

    return make


@pytest.fixture
def make_client(env: tuple[Database, PhotoStore]) -> Iterator[Callable[..., TestClient]]:
    db, store = env
    clients: list[TestClient] = []

    def make(trusted_proxies: str = "", **limits: int) -> TestClient:
        config = dataclasses.replace(settings(), api_trusted_proxies=trusted_proxies,
                                     **{f"api_rate_{k}": v for k, v in limits.items()})
        client = TestClient(create_app(db, store, config=config, limiter=MemoryRateLimiter()),
                            raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def sign_in(client: TestClient, nickname: str) -> dict[str, str]:
    """Signs in with the development WeChat adapter; returns the Authorization header."""
    response = client.post(f"{PREFIX}/sessions", json={"code": f"wx-code-{nickname}", "nickname": nickname})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def identity_form(roster: Roster, index: int = 0, **overrides: object) -> tuple[dict[str, Any], dict[str, Any]]:
    record = roster.records[index]
    data = {"task_id": str(roster.task_id), "name": record["name"], "student_number": record["student_number"],
            "id_last4": record["id_last4"]}
    data.update({k: str(v) for k, v in overrides.items()})
    return data, {"code_image": ("code.png", record["code_png"], "image/png")}


def linked_and_paid(client: TestClient, roster: Roster, index: int, nickname: str) -> dict[str, str]:
    """Signed in, notice read, linked with the real code image and paid through a signed notification."""
    auth = sign_in(client, nickname)
    assert client.post(f"{PREFIX}/notice/acknowledge", headers=auth).status_code == 200
    data, files = identity_form(roster, index)
    linked = client.post(f"{PREFIX}/links", data=data, files=files, headers={**auth, **key()})
    assert linked.status_code == 201, linked.text
    order = client.post(f"{PREFIX}/orders", json={"purpose": "task_fee"}, headers={**auth, **key()}).json()
    paid = client.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={}, headers=auth)
    assert paid.json()["status"] == "paid", paid.text
    return auth


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The one error shape, with a Chinese and an English message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"], error
    assert error["message_zh"] != error["message_en"]
    return error
