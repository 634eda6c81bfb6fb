"""The API process sends standardisation jobs to the real queue: ``python -m core api`` as a child
process on a fresh database, a photo uploaded over HTTP, the wake-up message found on the queue
(SQLite Huey, and Huey on Redis at 127.0.0.1:6379 when it answers), then a real ``python -m core
worker`` consumes it and the student's poll sees the standardised photo. Nothing is mocked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import select

from api.app import PREFIX
from core import worker
from core.db import Database
from core.domain.enums import JobStatus
from core.models import ProcessingJob
from tests import factories as f
from tests.api.conftest import Roster, identity_form
from tests.conftest import create_schema
from tests.core.services.helpers import portrait
from tests.student.conftest import code_png

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(params=["sqlite", "redis"])
def queue_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], Huey, Database]]:
    """The environment of the API and worker processes, the same Huey queue seen from the test, and
    the database both use (a fresh SQLite file: two processes share it)."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip("Redis is not answering on 127.0.0.1:6379")
        url = "redis://127.0.0.1:6379/0"
        huey: Huey = RedisHuey(name, url=url)
    else:
        url = "sqlite"
        huey = SqliteHuey(name, filename=str(data_dir / "queue.db"))
    db = Database(f"sqlite:///{data_dir / 'workbench.db'}")
    create_schema(db)
    env = dict(os.environ, WORKBENCH_DATA_DIR=str(data_dir), WORKBENCH_DATABASE_URL=db.url,
               WORKBENCH_PHOTO_STORE=str(data_dir / "photos"), WORKBENCH_QUEUE=url, WORKBENCH_QUEUE_NAME=name,
               WORKBENCH_API_PORT=str(_free_port()), WORKBENCH_WORKERS="1",
               WORKBENCH_API_PROCESSES="2" if request.param == "redis" else "1")  # with Redis: two sharing the port
    yield env, huey, db
    huey.flush()


def _seed(db: Database) -> Roster:
    with db.session() as session:
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name="丁白云")
        return Roster(school.id, task.id, [{"name": record.name, "student_number": record.student_number,
                                            "id_last4": record.id_last4, "code_png": code_png(record, school.code)}])


def _start(env: dict[str, str], command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "core", command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API exited with {proc.returncode}"
        try:
            if httpx2.get(f"{base}{PREFIX}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("the API did not start")


@pytest.mark.slow
def test_an_upload_through_the_api_puts_a_job_on_the_queue_that_a_worker_consumes(queue_env):
    env, huey, db = queue_env
    world = _seed(db)
    seen = worker.HueyQueue(huey)  # registers the wake-up task, so the test can read the message's job id
    api = _start(env, "api")
    worker_proc: subprocess.Popen[bytes] | None = None
    base = f"http://127.0.0.1:{env['WORKBENCH_API_PORT']}"
    try:
        _wait_up(base, api)
        with httpx2.Client(base_url=base, timeout=60) as http:
            signed = http.post(f"{PREFIX}/sessions", json={"code": "wx-1", "nickname": "小丁"})
            auth = {"Authorization": f"Bearer {signed.json()['token']}"}
            data, files = identity_form(world)
            linked = http.post(f"{PREFIX}/links", data=data, files=files,
                               headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
            assert linked.status_code == 201, linked.text
            order = http.post(f"{PREFIX}/orders", json={},
                              headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()
            paid = http.post(f"{PREFIX}/orders/{order['order_no']}/development-payment", json={}, headers=auth)
            assert paid.json()["status"] == "paid", paid.text
            assert seen.backlog() == 0

            uploaded = http.post(f"{PREFIX}/captures", files={"photo": ("capture.jpg", portrait(3), "image/jpeg")},
                                 headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
            assert uploaded.status_code == 202, uploaded.text
            capture_id = uploaded.json()["id"]

            # no worker runs yet: the job waits as a row, and its wake-up waits on the queue
            with db.session() as session:
                job = session.scalar(select(ProcessingJob).where(ProcessingJob.kind == "process_submission",
                                                                  ProcessingJob.subject_id == capture_id))
                assert job is not None and job.status is JobStatus.QUEUED
                job_id = job.id
            assert seen.backlog() == 1
            assert [task.args for task in huey.pending()] == [(job_id,)]
            assert http.get(f"{PREFIX}/captures/{capture_id}", headers=auth).json()["status"] == "processing"

            worker_proc = _start(env, "worker")
            deadline = time.monotonic() + 240
            status = "processing"
            while status == "processing" and time.monotonic() < deadline:
                assert worker_proc.poll() is None, f"the worker exited with {worker_proc.returncode}"
                status = http.get(f"{PREFIX}/captures/{capture_id}", params={"wait": 10}, headers=auth).json()["status"]
            assert status == "ready"
        assert seen.backlog() == 0
        with db.session() as session:
            assert session.get(ProcessingJob, job_id).status is JobStatus.DONE
    finally:
        _stop(api)
        if worker_proc is not None:
            _stop(worker_proc)
