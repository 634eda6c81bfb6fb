"""Peak season through the student API: N simulated students, each the whole journey, against the
real server (uvicorn, ``python -m core api``) with PostgreSQL, Redis and 2 worker processes.

Run from the project root::

    .venv/bin/python -m bench.bench_student_api [--students 500] [--concurrency 64] [--arrivals 6] [--url postgresql+psycopg://…]

Students open the mini-program as independent phones do, a Poisson stream of ``--arrivals`` a
second (6 by default: more than this machine finishes, about 5 a second, so the crowd builds up to
``--concurrency`` in flight and the photo queue never empties: a saturation test, not a trickle;
``--arrivals 0`` starts them all in the same instant, and the p95 by time shows that first wave's
tail apart from the steady load). The API runs as ``--api-processes`` uvicorn processes (one per
core by default, as ``python -m core serve`` does with Redis).

Each student (at most ``--concurrency`` at once, all on loopback) signs in with a WeChat code,
acknowledges the notice, searches the school by its pinyin initials, lists its tasks, passes the
identity check with the real collection-code image (the PNG CHSI gives, decoded by the server),
opens the order and pays it through the development WeChat Pay platform (signed notification,
verified), uploads a real portrait (a London fixture) as the camera's photo, polls until the
worker has standardised it, submits it, and reads the status. Like a phone on a bad network it
retries: the order is opened twice with one Idempotency-Key and paid twice at once, and the
upload and the submit are each sent twice with one key. Afterwards the database is checked:
every student has exactly one submitted photo (``lost`` counts those who do not, ``duplicate``
those with more than one) and one paid task fee (``duplicate_payments``).

Printed: p50/p95 per endpoint (the long poll that waits for the photo listed apart), photos
processed per second while students kept arriving, and the same workers' rate without the API in
front (``bench_workers``' measurement on the same portraits), then one line::

    students=N submitted=N lost=0 duplicate_payments=0 api_p95_ms=… photos_per_s=…

Targets (issue 15): lost 0, duplicate payments 0, p95 ≤ 300 ms for every endpoint that does not
wait for a photo, photo throughput ≥ 90 % of the workers' rate without the API. The per-address
student connects from its own loopback address (127.x.y.z), so the per-address rate limits
count as they would for phones on many networks; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench import scale_world as sw  # noqa: E402
from core.config import settings  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.enums import PaymentStatus, SubmissionState  # noqa: E402
from core.models import Payment, ProcessingJob, Submission  # noqa: E402

PREFIX = "/api/v1"
P95_TARGET_MS = 300.0
THROUGHPUT_TARGET = 0.90
ARRIVALS_PER_SECOND = 6.0
WAITS_FOR_PHOTO = {"GET /captures/{id}?wait"}
SUBMITTED = (SubmissionState.SUBMITTED, SubmissionState.AWAITING_REVIEW, SubmissionState.AUTO_BLOCKED)


class Timings:
    def __init__(self) -> None:
        self.errors: dict[str, int] = defaultdict(int)
        self.calls: list[tuple[float, str, float]] = []
        """(when the call was sent, endpoint, ms), in the order they ended"""

    @property
    def by_endpoint(self) -> dict[str, list[float]]:
        """Each endpoint's times, endpoints in the order first seen (the journey's order)."""
        grouped: dict[str, list[float]] = defaultdict(list)
        for _, label, ms in self.calls:
            grouped[label].append(ms)
        return grouped

    async def call(self, http: httpx2.AsyncClient, label: str, method: str, url: str, expect: set[int],
                   **kwargs: object) -> httpx2.Response:
        started = time.perf_counter()
        response = await http.request(method, url, **kwargs)
        self.calls.append((started, label, (time.perf_counter() - started) * 1000))
        if response.status_code not in expect:
            self.errors[f"{label} → {response.status_code} {response.text[:120]}"] += 1
            raise JourneyFailed(label)
        return response


class JourneyFailed(Exception):
    pass


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def journey(http: httpx2.AsyncClient, t: Timings, world: sw.World, student: sw.Student,
                  code_png: bytes, photo: bytes, ready_at: list[float]) -> bool:
    signed = await t.call(http, "POST /sessions", "POST", f"{PREFIX}/sessions", {201},
                          json={"code": f"wx-bench-{student.record_id}", "nickname": f"同学{student.record_id}"})
    auth = {"Authorization": f"Bearer {signed.json()['token']}"}
    await t.call(http, "POST /notice/acknowledge", "POST", f"{PREFIX}/notice/acknowledge", {200}, headers=auth)
    hits = await t.call(http, "GET /schools?q", "GET", f"{PREFIX}/schools", {200}, params={"q": "whdx"}, headers=auth)
    school_id = next(h["id"] for h in hits.json() if h["code"] == world.school_code)
    await t.call(http, "GET /schools/{id}/tasks", "GET", f"{PREFIX}/schools/{school_id}/tasks", {200}, headers=auth)
    await t.call(http, "POST /links (identity check)", "POST", f"{PREFIX}/links", {201}, headers={**auth, **key()},
                 data={"task_id": str(world.task_id), "name": student.name, "student_number": student.student_number,
                       "id_last4": student.id_last4},
                 files={"code_image": ("code.png", code_png, "image/png")})
    order_key = key()
    first, again = await asyncio.gather(*(t.call(http, "POST /orders", "POST", f"{PREFIX}/orders", {201},
                                                 json={"purpose": "task_fee"}, headers={**auth, **order_key})
                                          for _ in range(2)))
    order_no = first.json()["order_no"]
    assert again.json()["order_no"] == order_no
    await asyncio.gather(*(t.call(http, "POST /orders/{no}/development-payment", "POST",
                                  f"{PREFIX}/orders/{order_no}/development-payment", {200}, json={}, headers=auth)
                           for _ in range(2)))
    upload_key = key()
    uploads = await asyncio.gather(*(t.call(http, "POST /captures", "POST", f"{PREFIX}/captures", {202},
                                            files={"photo": ("capture.jpg", photo, "image/jpeg")},
                                            data={"source": "camera", "camera": "back"}, headers={**auth, **upload_key})
                                     for _ in range(2)))
    capture_id = uploads[0].json()["id"]
    assert uploads[1].json()["id"] == capture_id
    while True:
        view = (await t.call(http, "GET /captures/{id}?wait", "GET", f"{PREFIX}/captures/{capture_id}", {200},
                             params={"wait": 10}, headers=auth)).json()
        if view["status"] != "processing":
            break
    ready_at.append(time.monotonic())
    if view["status"] != "ready":
        t.errors[f"capture {view['status']}: {view.get('error_en')}"] += 1
        return False
    submit_key = key()
    await asyncio.gather(*(t.call(http, "POST /captures/{id}/submit", "POST", f"{PREFIX}/captures/{capture_id}/submit",
                                  {200}, headers={**auth, **submit_key}) for _ in range(2)))
    status = await t.call(http, "GET /status", "GET", f"{PREFIX}/status", {200}, headers=auth)
    return status.json()["status"]["state"] in {s.value for s in SUBMITTED}


def arrivals(count: int, per_second: float, seed: int = 15) -> list[float]:
    """When each student opens the mini-program, in seconds from the start: a Poisson process at
    ``per_second`` (independent phones; the same seed gives the same crowd), or all at once for 0."""
    if per_second <= 0:
        return [0.0] * count
    rng, moment, times = random.Random(seed), 0.0, []
    for _ in range(count):
        times.append(moment)
        moment += rng.expovariate(per_second)
    return times


async def crowd(base: str, world: sw.World, codes: dict[int, bytes], portraits: list[bytes], concurrency: int,
                t: Timings, per_second: float) -> tuple[int, list[float], float]:
    gate = asyncio.Semaphore(concurrency)
    ready_at: list[float] = []
    opens = arrivals(len(world.students), per_second)

    async def one(n: int, student: sw.Student) -> bool:
        await asyncio.sleep(opens[n] - (time.monotonic() - started))
        async with gate:
            transport = httpx2.AsyncHTTPTransport(local_address=phone_address(n))
            async with httpx2.AsyncClient(base_url=base, timeout=120, transport=transport) as http:
                try:
                    return await journey(http, t, world, student, codes[student.record_id],
                                         portraits[student.person], ready_at)
                except (JourneyFailed, httpx2.HTTPError, AssertionError, KeyError, StopIteration) as failure:
                    if not isinstance(failure, JourneyFailed):
                        t.errors[f"{type(failure).__name__}: {failure}"[:160]] += 1
                    return False

    started = time.monotonic()
    finished = await asyncio.gather(*(one(n, s) for n, s in enumerate(world.students)))
    return sum(finished), ready_at, started


def phone_address(n: int) -> str:
    """Each student's own source address inside 127.0.0.0/8 (all loopback on Linux), so the API's
    per-address limits see many phones, as they would, and not one machine."""
    return f"127.{10 + n // 62500}.{n // 250 % 250}.{n % 250 + 1}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def audit(database_url: str, world: sw.World) -> tuple[int, int, int, float]:
    """From the database: students with one submitted photo, with more than one, duplicate task-fee
    payments, and the photos standardised per second (first job queued → last job finished)."""
    db = Database(database_url)
    try:
        with db.session() as session:
            per_record = {record: count for record, count in session.execute(
                select(Submission.roster_record_id, func.count(Submission.id))
                .where(Submission.state.in_(SUBMITTED)).group_by(Submission.roster_record_id))}
            paid = session.execute(select(Payment.roster_record_id, func.count(Payment.id))
                                   .where(Payment.status == PaymentStatus.PAID)
                                   .group_by(Payment.roster_record_id).having(func.count(Payment.id) > 1)).all()
            first, last, done = session.execute(
                select(func.min(ProcessingJob.created_at), func.max(ProcessingJob.updated_at), func.count(ProcessingJob.id))
                .where(ProcessingJob.kind == "process_submission")).one()
    finally:
        db.dispose()
    once = sum(per_record.get(s.record_id) == 1 for s in world.students)
    more = sum(per_record.get(s.record_id, 0) > 1 for s in world.students)
    rate = done / max((last - first).total_seconds(), 1e-9) if first and last else 0.0
    return once, more, len(paid), rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64, help="students in flight at once")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--arrivals", type=float, default=ARRIVALS_PER_SECOND,
                        help="students opening the mini-program per second (Poisson); 0: all at once")
    parser.add_argument("--api-processes", type=int, default=os.cpu_count() or 1,
                        help="uvicorn processes serving the API (python -m core serve's default with Redis: one per core)")
    parser.add_argument("--url", default=sw.PG_URL, help="PostgreSQL server (a fresh database is made on it)")
    parser.add_argument("--baseline-photos", type=int, default=60,
                        help="photos for the workers-alone rate (0: skip that measurement)")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 5000 or not 1 <= args.concurrency <= 512:
        parser.error("--students 1…5000, --concurrency 1…512")
    from bench.bench_workers import measure as workers_alone
    from tests.api.test_real_server import free_port
    from tests.student.conftest import code_png

    people = sw.people(12)
    nice = settings().worker_nice
    baseline = (workers_alone(args.workers, args.baseline_photos, args.url, people, nice=nice)
                if args.baseline_photos else None)
    database_url, name = sw.fresh_database(args.url, "api")
    queue_name = f"scale-bench-{uuid.uuid4().hex[:8]}"
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="scale-api-") as work:
        data_dir = Path(work)
        try:
            world = sw.seed(database_url, data_dir / "photos", args.students, people)
            codes = _codes(database_url, world, code_png)
            port = free_port()
            env = sw.environment(database_url, data_dir, queue_name, WORKBENCH_API_PORT=str(port),
                                 WORKBENCH_API_PROCESSES=str(args.api_processes),
                                 WORKBENCH_API_HOST="127.0.0.1")
            procs = sw.start_workers(args.workers, env, data_dir / "logs")
            sw.wait_ready(data_dir / "logs", args.workers)
            api_log = (data_dir / "logs" / "api.log").open("wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "core", "api"], cwd=ROOT, env=env, stdout=api_log,
                                          stderr=subprocess.STDOUT, start_new_session=True))
            base = f"http://127.0.0.1:{port}"
            if not sw.wait_until(lambda: _up(base), 90, 0.3):
                raise SystemExit("the API did not start: " + (data_dir / "logs" / "api.log").read_text()[-2000:])
            timings = Timings()
            began, client_cpu = time.monotonic(), time.process_time()
            completed, _, _ = asyncio.run(crowd(base, world, codes, [p.capture for p in people],
                                                       args.concurrency, timings, args.arrivals))
            elapsed = time.monotonic() - began
            family = {p.pid: sw.with_children(p.pid) for p in procs}  # the API: uvicorn's supervisor and its processes
            rss = {p.pid: max(sw.peak_rss_mb(pid) for pid in family[p.pid]) for p in procs}
            cpu = {p.pid: sum(sw.cpu_seconds(pid) for pid in family[p.pid]) for p in procs}

            cpu[0] = time.process_time() - client_cpu  # the load generator itself, on the same cores
            load = sw.load_average()
            once, more, duplicate_payments, rate = audit(database_url, world)
        finally:
            sw.stop(procs)
            sw.forget_queue(queue_name)
            sw.drop_database(args.url, name)
    report(args, timings, completed, elapsed, rss, cpu, procs, load, once, more, duplicate_payments, rate, baseline,
           args.api_processes)
    return 0


def _codes(database_url: str, world: sw.World, render) -> dict[int, bytes]:
    """Each student's collection-code PNG, rendered from the roster as CHSI renders it."""
    from core.models import RosterRecord

    db = Database(database_url)
    try:
        with db.session() as session:
            return {s.record_id: render(session.get(RosterRecord, s.record_id), world.school_code)
                    for s in world.students}
    finally:
        db.dispose()


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}{PREFIX}/openapi.json", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def report(args, t: Timings, completed, elapsed, rss, cpu, procs, load, once, more, duplicate_payments, rate,
           baseline, api_processes) -> None:
    print(f"{args.students} students, {args.concurrency} at once, {args.workers} workers, "
          f"{api_processes} API process{'es' if api_processes > 1 else ''}, "
          f"{elapsed:.1f} s; load average {load}")
    print(f"{'endpoint':<42} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for label, values in t.by_endpoint.items():  # in journey order
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        waits = label in WAITS_FOR_PHOTO
        if not waits:
            worst = max(worst, p95)
        flag = "  (waits for the photo: no target)" if waits else ("" if p95 <= P95_TARGET_MS else "  OVER TARGET")
        print(f"{label:<42} {len(values):>6} {p50:>8.0f} {p95:>8.0f}{flag}")
    if t.calls:  # a tail at the start only is the crowd arriving at once, not the steady load
        first = min(when for when, _, _ in t.calls)
        windows = defaultdict(list)
        for when, label, ms in t.calls:
            if label not in WAITS_FOR_PHOTO:
                windows[int((when - first) // 10)].append(ms)
        print("p95 of the calls that do not wait for a photo, by when they were sent: " + ", ".join(
            f"{10 * w}–{10 * w + 10} s {percentile(v, 0.95):.0f} ms" for w, v in sorted(windows.items())))
    for what, count in sorted(t.errors.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  error ×{count}: {what}")
    workers = [p for p in procs if p.args[-1] == "worker"]
    print("peak RSS: " + ", ".join(f"worker {n + 1} {rss[p.pid]:.0f} MB" for n, p in enumerate(workers))
          + ", " + ", ".join(f"API {rss[p.pid]:.0f} MB per process" for p in procs if p.args[-1] == "api"))
    api_cpu = sum(cpu[p.pid] for p in procs if p.args[-1] == "api")
    worker_cpu = sum(cpu[p.pid] for p in workers)
    print(f"CPU used: API {api_cpu:.0f} s ({api_cpu / args.students * 1000:.0f} ms per student), "
          f"load generator {cpu[0]:.0f} s ({cpu[0] / args.students * 1000:.0f} ms per student), "
          f"workers {worker_cpu:.0f} s ({worker_cpu / max(once + more, 1) * 1000:.0f} ms per photo)")
    lost = args.students - once - more
    print(f"photos standardised per second with the API in front: {rate:.2f}"
          + (f"; the same {args.workers} workers alone: {baseline.photos_per_s:.2f} "
             f"({rate / baseline.photos_per_s:.0%}, target ≥ {THROUGHPUT_TARGET:.0%})" if baseline else ""))
    print(f"targets: lost 0 ({lost}), duplicate payments 0 ({duplicate_payments}), duplicate submissions 0 ({more}), "
          f"p95 ≤ {P95_TARGET_MS:.0f} ms for every endpoint that does not wait for a photo ({worst:.0f} ms)")
    print(f"students={args.students} submitted={once} lost={lost} duplicate_payments={duplicate_payments} "
          f"api_p95_ms={worst:.0f} photos_per_s={rate:.2f}")


if __name__ == "__main__":
    sys.exit(main())
