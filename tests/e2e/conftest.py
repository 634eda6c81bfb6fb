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

import pytest

from core import worker
from core.db import Database
from tests.conftest import create_schema
from core.storage.photos import LocalPhotoStore, PhotoStore

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
                worker.configure(None, None)  # type: ignore[arg-type]
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
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("real-browser tests SKIPPED: /usr/bin/chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Waits until Streamlit has finished its rerun: until then the previous run's elements stay on
    the page (marked stale) beside the new ones, so a label can match twice."""
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"], [data-testid^=\"stStatusWidgetRunning\"]')"
    )
