"""Reviewer throughput in a real browser on the demo data: photos decided per minute by keyboard
in single mode (审核队列: one key per photo) and in grid mode (宫格审核: a page of clear cases,
one exception marked with X + a reason digit, then Enter for the page). Target: grid ≥ 3× single.

Run from the project root::

    .venv/bin/python -m bench.bench_review_throughput [--students 300] [--single 24] [--pages 3]

A fresh demo (``core.services.demo``: real fixture portraits through the real pipeline, with one
worker process) is built in a temporary folder; then the staff workbench starts on it and Debian's
Chromium (Playwright, 1440×900) signs in as the demo reviewer. Each figure is the keyboard loop
alone: the time from a key until the next photo (single) or the next page (grid) is on screen and
loaded, summed; a reviewer's looking time is not included, so the figures are an upper bound for
both modes and their ratio is what the grid saves in keys and round trips.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from core.config import settings  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.enums import SubmissionState  # noqa: E402
from core.imaging.types import Verdict  # noqa: E402
from core.models import Submission  # noqa: E402
from core.services import demo  # noqa: E402
from core.storage.photos import LocalPhotoStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 900}
TARGET_RATIO = 3.0
READY = ("() => !document.querySelector('[data-stale=\"true\"], [data-testid^=\"stStatusWidgetRunning\"]')"
         " && [...document.images].every(i => i.complete)"
         " && [...document.querySelectorAll('iframe')].every(f => [...(f.contentDocument?.images || [])]"
         ".every(i => i.complete))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"workbench exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy")


def build(data: Path, students: int, env: dict[str, str]) -> Database:
    db = Database(env["WORKBENCH_DATABASE_URL"])
    db.migrate()
    worker = subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        demo.build_demo(database=db, store=LocalPhotoStore(data / "photos"), students=students, wait_seconds=900)
        print(f"demo built in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    return db


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        waiting = session.scalar(select(func.count(Submission.id)).where(
            Submission.state == SubmissionState.AWAITING_REVIEW)) or 0
        clear = session.scalar(select(func.count(Submission.id)).where(
            Submission.state == SubmissionState.AWAITING_REVIEW, Submission.quality_flags == "",
            Submission.face_verdict == Verdict.SAME.value)) or 0
    return int(waiting), int(clear)


def ready(page) -> None:
    page.wait_for_function(READY, timeout=60_000)


def single_mode(page, url: str, photos: int) -> tuple[int, float]:
    """One key per photo: A approves, and the next photo's name and both photos are on screen."""
    page.get_by_role("link", name="审核队列").click()
    status = page.locator(".st-key-review_status strong").first
    status.wait_for()
    ready(page)
    decided, elapsed = 0, 0.0
    for _ in range(photos):
        shown = status.inner_text()
        began = time.perf_counter()
        page.keyboard.press("a")
        page.wait_for_function(
            "name => { const s = document.querySelector('.st-key-review_status strong');"
            " return !s || s.innerText !== name; }", arg=shown, timeout=60_000)
        ready(page)
        elapsed += time.perf_counter() - began
        decided += 1
        if page.locator(".st-key-review_status strong").count() == 0:
            break  # the queue ran dry
    return decided, elapsed


def grid_mode(page, url: str, pages: int) -> tuple[int, float]:
    """Per page: → then X and 2 mark one exception (面部阴影), Enter decides the page."""
    page.get_by_role("link", name="宫格审核").first.click()
    page.locator(".st-key-gt_0").wait_for()
    ready(page)
    decided, elapsed = 0, 0.0
    for n in range(pages):
        tiles = page.locator("[class*='st-key-gt_']").count()
        if tiles == 0:
            break
        began = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => [...document.querySelectorAll('style')]"
                               ".some(s => s.textContent.includes('.st-key-gt_1{outline'))", timeout=60_000)
        ready(page)
        page.keyboard.press("x")
        page.get_by_text("请按 1–9、0 选择驳回原因").wait_for()
        ready(page)
        page.keyboard.press("2")
        page.locator(".st-key-gt_1").get_by_text("面部阴影").wait_for()
        page.keyboard.press("Enter")
        page.wait_for_function(  # the next page (or the empty message) replaced the decided one
            "() => { const t = document.querySelector('.st-key-gt_1');"
            " return !t || !t.innerText.includes('面部阴影'); }", timeout=60_000)
        ready(page)
        elapsed += time.perf_counter() - began
        decided += tiles
        print(f"  grid page {n + 1}: {tiles} photos", flush=True)
    return decided, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300, help="demo size (default 300, as make run)")
    parser.add_argument("--single", type=int, default=24, help="photos decided in single mode")
    parser.add_argument("--pages", type=int, default=3, help="grid pages decided")
    parser.add_argument("--data", type=Path, default=None,
                        help="a folder an earlier run built (its path is printed), to skip the ~10 min demo build")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    data = args.data or Path(tempfile.mkdtemp(prefix="bench_review_"))
    os.environ.update(WORKBENCH_DATA_DIR=str(data), WORKBENCH_DATABASE_URL=f"sqlite:///{data / 'workbench.db'}",
                      WORKBENCH_PHOTO_STORE=str(data / "photos"), WORKBENCH_QUEUE="sqlite")
    settings.cache_clear()  # the demo queues its jobs where the worker and the workbench look
    env = dict(os.environ)
    db = Database(env["WORKBENCH_DATABASE_URL"]) if args.data else build(data, args.students, env)
    print(f"demo data in {data}", flush=True)
    waiting, clear = counts(db)
    print(f"demo: {waiting} photos awaiting review, {clear} of them clear cases (all checks passed, 同一人)")
    port = free_port()
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "workbench/app.py", "--server.port", str(port),
                            "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_label("用户名").fill("reviewer")
            page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("button", name="退出登录").wait_for()
            grid_n, grid_s = grid_mode(page, url, args.pages)
            single_n, single_s = single_mode(page, url, args.single)
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=20)
    single_rate = single_n / single_s * 60 if single_s else 0.0
    grid_rate = grid_n / grid_s * 60 if grid_s else 0.0
    ratio = grid_rate / single_rate if single_rate else 0.0
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"single mode: {single_n} photos in {single_s:.1f} s = {single_rate:6.1f} photos/min "
          f"({single_s / max(single_n, 1) * 1000:.0f} ms a photo)")
    print(f"grid mode:   {grid_n} photos in {grid_s:.1f} s = {grid_rate:6.1f} photos/min "
          f"({grid_s / max(grid_n, 1) * 1000:.0f} ms a photo, one exception a page)")
    print(f"ratio grid/single: {ratio:.1f}× (target ≥ {TARGET_RATIO:.0f}×): {'met' if ratio >= TARGET_RATIO else 'NOT MET'}")


if __name__ == "__main__":
    main()
