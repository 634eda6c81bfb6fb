"""Real-browser journeys: the real Streamlit app and worker as child processes on a temporary
database, driven by Debian's Chromium through Playwright. Screenshots go to test-output/screenshots/.

Skipped, with the reason printed, where /usr/bin/chromium is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
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

from core import worker
from core.db import Database
from tests.conftest import create_schema
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
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy")


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[Callable[..., LiveApp]]:
    """``live_app(seed, script="workbench/server.py")``: seed(session, store) fills a fresh SQLite
    database, then the app and one worker start on it."""
    procs: list[subprocess.Popen] = []

    def start(seed: Callable[..., object] | None = None, script: str = "workbench/server.py") -> LiveApp:
        data_dir = tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        db = Database(f"sqlite:///{data_dir / 'workbench.db'}")
        create_schema(db)
        store = LocalPhotoStore(data_dir / "photos")
        env = dict(os.environ, WORKBENCH_DATA_DIR=str(data_dir), WORKBENCH_DATABASE_URL=db.url,
                   WORKBENCH_PHOTO_STORE=str(store.root), WORKBENCH_QUEUE="sqlite")
        if seed is not None:
            worker.configure(db, store, immediate=True)
            try:
                with db.session() as session:
                    seed(session, store)
            finally:
                worker.configure(None, None)
        port = _free_port()
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(app)
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
