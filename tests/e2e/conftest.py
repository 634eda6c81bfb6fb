"""Real-browser journeys: the real Streamlit app and worker as child processes on a temporary
database, driven by Debian's Chromium through Playwright. Screenshots go to test-output/screenshots/.

Skipped, with the reason printed, where /usr/bin/chromium is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from core import worker as jobs_worker
from core.db import Database
from core.domain.enums import JobStatus
from core.models import ProcessingJob
from core.storage.photos import LocalPhotoStore, PhotoStore
from workbench.links import COOKIE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    db: Database
    store: PhotoStore
    data_dir: Path


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy")


STREAMLIT_OPTIONS = ["--server.headless", "true", "--browser.gatherUsageStats", "false",
                     "--server.fileWatcherType", "none", "--server.runOnSave", "false", "--runner.postScriptGC", "false"]
"""No file watcher: nothing edits the sources during a journey, and a watcher re-scans every loaded
module after each run of each session. No full garbage collection after each run (~0.2 s of CPU
each): a server lives for one test."""


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path) -> Iterator[Callable[..., LiveApp]]:
    """``live_app(seed, script="workbench/server.py", worker=True)``: seed(session, store) fills a
    fresh SQLite database (a copy of the session's migrated template), then the app starts on it,
    with one worker unless ``worker=False``. A second app in the same test shares the first one's
    database. ``worker=False`` is for journeys that enqueue no job once seeded (the seed runs its
    jobs inline): a worker loads the imaging models at start, seconds of a busy machine's CPU. Such
    a journey fails at teardown if a job was left waiting for a worker that never ran."""
    procs: list[subprocess.Popen] = []
    workerless: dict[str, Database] = {}
    served: set[str] = set()

    def start(seed: Callable[..., object] | None = None, script: str = "workbench/server.py", *,
              worker: bool = True) -> LiveApp:
        data_dir = tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        path = data_dir / "workbench.db"
        if not path.exists():
            shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
        if worker:
            served.add(db.url)
        else:
            workerless[db.url] = db
        store = LocalPhotoStore(data_dir / "photos")
        env = dict(os.environ, WORKBENCH_DATA_DIR=str(data_dir), WORKBENCH_DATABASE_URL=db.url,
                   WORKBENCH_PHOTO_STORE=str(store.root), WORKBENCH_QUEUE="sqlite")
        if seed is not None:
            jobs_worker.configure(db, store, immediate=True)
            try:
                with db.session() as session:
                    seed(session, store)
            finally:
                jobs_worker.configure(None, None)
        port = _free_port()
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), *STREAMLIT_OPTIONS],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(app)
        if worker:
            procs.append(subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, app)
        return LiveApp(url=url, db=db, store=store, data_dir=data_dir)

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for url, db in workerless.items():
        if url not in served:
            _assert_no_job_waits(db)


def _assert_no_job_waits(db: Database) -> None:
    """A journey started without a worker must not have needed one."""
    with db.session() as session:
        waiting = session.scalars(select(ProcessingJob.kind).where(
            ProcessingJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))).all()
    assert not waiting, f"jobs {waiting} waited for a worker: start this app with live_app(..., worker=True)"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("real-browser tests SKIPPED: /usr/bin/chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def sign_out(page) -> None:
    """Signs out and waits until the browser has dropped the session cookie: the app clears it
    through the cookie route in the background, so a page opened before that is still signed in."""
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录", exact=True).wait_for()
    deadline = time.monotonic() + 20
    while any(c["name"] == COOKIE for c in page.context.cookies()):
        assert time.monotonic() < deadline, "the session cookie was never cleared"
        page.wait_for_timeout(100)


def settled(page) -> None:
    """Waits until Streamlit has finished its rerun (until then the previous run's elements stay on
    the page, marked stale, beside the new ones, so a label can match twice) and its images have
    arrived. Not "networkidle": a Streamlit page may keep a request open past any timeout."""
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"], [data-testid^=\"stStatusWidgetRunning\"]')",
        timeout=60_000)
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)", timeout=60_000)


PHONE = {"width": 390, "height": 844}
FRAME_W, FRAME_H = 1920, 1080


def fake_camera_y4m(portrait: Path, out: Path) -> Path:
    """A one-frame Y4M video (what Chromium's fake camera plays in a loop): the portrait scaled to the
    frame height, centred on a grey wall."""
    face = cv2.imread(str(portrait))
    side = FRAME_H
    face = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    frame = np.full((FRAME_H, FRAME_W, 3), 170, np.uint8)
    left = (FRAME_W - side) // 2
    frame[:, left:left + side] = face
    i420 = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    with out.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{FRAME_W} H{FRAME_H} F30:1 Ip A1:1 C420jpeg\n".encode())
        fh.write(b"FRAME\n" + i420.tobytes())
    return out


@pytest.fixture
def phone(browser, tmp_path, fixtures_dir):
    """A phone-sized page in a second Chromium whose camera plays the fixture portrait."""
    video = fake_camera_y4m(fixtures_dir / "london" / "001_neutral.jpg", tmp_path / "camera.y4m")
    camera_browser = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = camera_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                         locale="zh-CN")
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
    camera_browser.close()


def take_photo(phone) -> None:
    """Presses the camera's 拍照 once its video plays: on a busy machine the fake camera can take
    seconds to deliver its first frame, and a press before that takes no photo."""
    phone.wait_for_function(
        "() => [...document.querySelectorAll('video')].some(v => v.readyState >= 2 && v.videoWidth > 0)",
        timeout=60_000)
    phone.get_by_role("button", name="拍照", exact=True).click()
