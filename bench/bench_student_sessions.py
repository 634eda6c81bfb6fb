"""What one student Streamlit session costs the server, against the stateless API.

Run from the project root::

    .venv/bin/python -m bench.bench_student_sessions [--sessions 60]

Starts the student app (``streamlit run student/app.py``) on a free loopback port with a fresh
SQLite database, then opens ``--sessions`` real browser sessions over Streamlit's own websocket
protocol (what a phone's browser does): each renders the first page and, where the page offers
the development sign-in (a ``nickname`` field and a ``sign_in`` button), signs in. All sessions
stay open. Measured from /proc for the server process: resident memory added per open session,
CPU spent per new session and per sign-in, and the time one more page run takes with all of them
open. From those it states how many sessions one process holds (memory, and sign-ins per second
of CPU). No target: the figures go beside the API's in the README.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.api.test_real_server import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
POLL_SECONDS = 1.5
"""How often the student app's capture screen reruns while the photo is standardised (issue 15)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Session:
    """One browser tab: a websocket to ``/_stcore/stream`` that asks for page runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.widgets: dict[str, str] = {}

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                                           origin=self.url.replace("ws://", "http://").split("/_stcore")[0])

    async def run(self, widgets: Sequence[tuple[str, str | bool]] = ()) -> float:
        """One page run (first load, or after widgets changed); returns its wall-clock seconds."""
        ids = {key: self.widgets[key] for key, _ in widgets}
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = ""
        for key, value in widgets:
            state = message.rerun_script.widget_states.widgets.add()
            state.id = ids[key]
            if isinstance(value, bool):
                state.trigger_value = value
            else:
                state.string_value = value
        self.widgets = {}
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.ws.recv())
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                widget = element.WhichOneof("type")
                if widget in ("text_input", "button"):
                    ident = getattr(element, widget).id
                    self.widgets[ident.rsplit("-", 1)[-1]] = ident
            if kind == "script_finished":
                return time.perf_counter() - started

    async def sign_in(self, nickname: str) -> bool:
        if not {"nickname", "sign_in"} <= self.widgets.keys():
            return False
        await self.run([("nickname", nickname), ("sign_in", True)])
        await self.run()
        return "sign_in" not in self.widgets  # the next screen (the notice) is showing


async def measure(url: str, pid: int, count: int) -> dict[str, float]:
    warm = Session(url)
    await warm.open()
    await warm.run()
    await warm.sign_in("预热")
    await asyncio.sleep(1)
    sessions: list[Session] = []
    rss0, cpu0 = rss_mb(pid), cpu_seconds(pid)
    first_runs = []
    for _ in range(count):
        session = Session(url)
        await session.open()
        first_runs.append(await session.run())
        sessions.append(session)
    await asyncio.sleep(1)
    rss1, cpu1 = rss_mb(pid), cpu_seconds(pid)
    signed = 0
    for n, session in enumerate(sessions):
        signed += await session.sign_in(f"压测学生{n}")
    await asyncio.sleep(1)
    rss2, cpu2 = rss_mb(pid), cpu_seconds(pid)
    cpu3 = cpu_seconds(pid)
    held = [await session.run() for session in sessions[:20]]
    cpu_rerun = (cpu_seconds(pid) - cpu3) / len(held)
    for session in sessions + [warm]:
        await session.ws.close()
    return {"rss_before": rss0, "per_session_mb": (rss1 - rss0) / count,
            "per_signed_in_mb": (rss2 - rss0) / count, "cpu_per_session_s": (cpu1 - cpu0) / count,
            "cpu_per_sign_in_s": (cpu2 - cpu1) / max(signed, 1), "signed": signed,
            "first_run_p50_ms": statistics.median(first_runs) * 1000,
            "run_with_all_open_ms": statistics.median(held) * 1000, "rss_after": rss2,
            "cpu_per_rerun_s": cpu_rerun}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scale-sessions-") as work:
        env = dict(os.environ, WORKBENCH_DATA_DIR=work, WORKBENCH_DATABASE_URL=f"sqlite:///{work}/workbench.db",
                   WORKBENCH_PHOTO_STORE=f"{work}/photos", WORKBENCH_QUEUE="immediate")
        subprocess.run([sys.executable, "-m", "core", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "student/app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            found = asyncio.run(measure(f"ws://127.0.0.1:{port}/_stcore/stream", server.pid, args.sessions))
        finally:
            server.terminate()
            server.wait(timeout=30)
    available = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemAvailable")) / 1024
    per = max(found["per_signed_in_mb"], 0.01)
    print(f"student Streamlit process: {found['rss_before']:.0f} MB before the sessions, "
          f"{found['rss_after']:.0f} MB with {args.sessions} open")
    print(f"  per open session: {found['per_session_mb']:.2f} MB after the first page, "
          f"{found['per_signed_in_mb']:.2f} MB signed in ({found['signed']} signed in)")
    print(f"  CPU per new session (first page): {found['cpu_per_session_s'] * 1000:.0f} ms; "
          f"per sign-in: {found['cpu_per_sign_in_s'] * 1000:.0f} ms")
    print(f"  first page p50 {found['first_run_p50_ms']:.0f} ms; one page run with all open "
          f"{found['run_with_all_open_ms']:.0f} ms")
    print(f"  CPU per page run of a signed-in session (its notice screen): {found['cpu_per_rerun_s'] * 1000:.0f} ms, so one core keeps "
          f"≈ {POLL_SECONDS / max(found['cpu_per_rerun_s'], 1e-3):.0f} sessions polling every {POLL_SECONDS} s "
          "(the capture screen's rate)")
    print(f"  one process holds ≈ {2048 / per:,.0f} signed-in sessions per 2 GB "
          f"({available / per:,.0f} in the {available:,.0f} MB free now), and starts "
          f"≈ {1 / max(found['cpu_per_session_s'] + found['cpu_per_sign_in_s'], 1e-3):.1f} sign-ins a second per core")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
