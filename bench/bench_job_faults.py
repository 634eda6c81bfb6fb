"""Jobs that cannot be lost: real workers killed with SIGKILL in the middle of their jobs.

The workers (forked by ``python -m core worker --processes 3``, as ``make run`` starts them) are
killed while hundreds of standardisations run, on the SQLite queue and on Redis.

Run from the project root::

    .venv/bin/python -m bench.bench_job_faults [--queue sqlite|redis|both] [--jobs 300] [--kills 15] [--url postgresql+psycopg://…]
        [--up-front N]

Each student of a fresh database (SQLite, or PostgreSQL with ``--url``) requests one standardisation
of the same real portrait (London 003, 960×960) through the services, so every job runs the real
pipeline. Three workers start under one parent; as soon as one holds a job while another one is up,
it is killed with SIGKILL at a random moment of that job, and the parent forks its replacement at
once (``core/worker_pool.py``). A kill counts when it left its
job behind (the job was still running under the dead worker's lease). Leases last 3 s, heartbeats
every 0.5 s. Afterwards every job must end done (or failed with its reason) exactly once: no submission
half-processed, each finished standardisation charged once and each failed one given back.
Printed: jobs, kills survived, lost (must be 0), duplicated (must be 0), and the recovery time
after the last kill (from the kill to the moment the job the dead worker held was finished by
another). ``tests/core/test_job_faults.py`` runs the same scenario, smaller: its students request
their standardisations as the kills need them rather than all at once.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from core.config import PROJECT_ROOT as ROOT
from core.config import fixtures_dir
from core.db import Database
from core.domain.enums import JobStatus, QuotaEntryType, QuotaKind, SubmissionState
from core.domain.access import Actor
from core.models import ProcessingJob, QuotaEntry, Submission, WorkerHeartbeat
from core.storage.photos import LocalPhotoStore, PhotoStore

PORTRAIT = fixtures_dir("london", "003_smiling.jpg")
REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_SECONDS = 3.0
HEARTBEAT_SECONDS = 0.5
DONE_LINE = re.compile(r"job (\d+) done")


@dataclass
class Outcome:
    queue: str
    jobs: int
    kills: int
    missed: int = 0
    done: int = 0
    failed: int = 0
    lost: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    half_processed: list[int] = field(default_factory=list)
    wrong_charge: list[int] = field(default_factory=list)
    failed_without_reason: list[int] = field(default_factory=list)
    recovery_seconds: float | None = None
    total_seconds: float = 0.0
    failed_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.half_processed or self.wrong_charge
                    or self.failed_without_reason)

    def lines(self) -> list[str]:
        recovery = "n/a" if self.recovery_seconds is None else f"{self.recovery_seconds:.1f} s"
        return [
            (f"queue {self.queue}: {self.jobs} jobs, {self.kills} kills mid-job survived (SIGKILL; "
             f"{self.missed} more landed after the job ended), {self.done} done, {self.failed} failed with a reason, in {self.total_seconds:.1f} s"),
            (f"  lost {len(self.lost)} (target 0), duplicated {len(self.duplicated)} (target 0), "
             f"half-processed {len(self.half_processed)} (target 0), wrong charge {len(self.wrong_charge)} (target 0)"),
            f"  recovery after the last kill: {recovery}",
        ]


def enrol(db: Database, count: int) -> list[tuple[Actor, int]]:
    """``count`` paid students linked to one open task, each ready to request a standardisation
    (its actor and link id)."""
    from tests import factories as f

    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        students = [f.make_linked_student(session, task, f.make_record(session, school, seed, name=f"学生{seed}"))
                    for seed in range(1, count + 1)]
        return [(student.actor, student.link.id) for student in students]


def request(db: Database, store: PhotoStore, students: list[tuple[Actor, int]]) -> list[int]:
    """Each student requests one standardisation of the same real portrait through the services;
    the jobs wait as rows (no queue in this process): the workers' sweep finds them, the same way
    it finds a lost message. Returns the submission ids."""
    from core import worker
    from core.services import submissions

    photo = PORTRAIT.read_bytes()
    worker.configure(db, store, immediate=False)
    try:
        with db.session() as session:
            return [submissions.request_standardisation(session, actor, link_id, photo, store).id
                    for actor, link_id in students]
    finally:
        worker.configure(None, None)


def prepare(db: Database, store: PhotoStore, count: int) -> list[int]:
    """``count`` students each request one standardisation; the jobs wait for a worker."""
    return request(db, store, enrol(db, count))


class Workers:
    """The worker processes of one run, with their logs (which name each job they finished)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log_of: dict[int, Path] = {}
        self.started = 0

    def start(self, processes: int | None = None) -> subprocess.Popen[bytes]:
        """One ``python -m core worker``; with ``processes``, a parent forking that many workers."""
        self.started += 1
        path = self.logs / f"worker-{self.started}.log"
        log = open(path, "wb")  # noqa: SIM115 - the child holds it
        command = [sys.executable, "-m", "core", "worker", *(["--processes", str(processes)] if processes else [])]
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        self.log_of[proc.pid] = path
        return proc

    def working(self, proc: subprocess.Popen[bytes]) -> bool:
        """Started up and finished a job already (the SIGTERM test stops a worker only then)."""
        return " done (" in self.log_of[proc.pid].read_text(errors="replace")

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    @staticmethod
    def forked(parent: subprocess.Popen[bytes]) -> list[int]:
        """The worker processes a ``--processes`` parent runs now (a dead one until it is reaped)."""
        try:
            return [int(pid) for pid in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def kill_forked(self, parent: subprocess.Popen[bytes], pid: int, timeout: float = 30.0) -> None:
        """SIGKILL to one of the parent's workers, returning once the parent has reaped it."""
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while pid in self.forked(parent):
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker process {pid} was not reaped by its parent {parent.pid}")
            time.sleep(0.01)

    def stop_all(self) -> None:
        for proc in self.alive():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def done_lines(self) -> Counter[int]:
        counts: Counter[int] = Counter()
        for path in self.logs.glob("worker-*.log"):
            counts.update(int(m.group(1)) for m in DONE_LINE.finditer(path.read_text(errors="replace")))
        return counts


def worker_env(queue: str, database_url: str, data_dir: Path, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "WORKBENCH_DATABASE_URL": database_url,
        "WORKBENCH_DATA_DIR": str(data_dir),
        "WORKBENCH_PHOTO_STORE": str(data_dir / "photos"),
        "WORKBENCH_QUEUE": REDIS_URL if queue == "redis" else "sqlite",
        "WORKBENCH_QUEUE_NAME": name,
        "WORKBENCH_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKBENCH_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "WORKBENCH_WORKER_GRACE_SECONDS": "10",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
    })
    return env


def holders(db: Database) -> dict[int, list[int]]:
    """pid → the jobs it holds under a live lease (worker ids are host:pid:nonce)."""
    with db.session() as session:
        rows = session.execute(select(ProcessingJob.id, ProcessingJob.lease_owner)
                               .where(ProcessingJob.status == JobStatus.RUNNING)).all()
    held: dict[int, list[int]] = {}
    for job_id, owner in rows:
        if owner and owner.count(":") >= 2:
            held.setdefault(int(owner.split(":")[-2]), []).append(job_id)
    return held


def _up(db: Database, pids: list[int]) -> set[int]:
    """The ``pids`` that take jobs: their heartbeat row says so (a killed worker's row stays, hence
    only live processes are asked about)."""
    with db.session() as session:
        return set(session.scalars(select(WorkerHeartbeat.pid).where(WorkerHeartbeat.pid.in_(pids))))


def _waiting(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(ProcessingJob.id))
                                  .where(ProcessingJob.status == JobStatus.QUEUED)) or 0)


def _terminal(db: Database, job_ids: list[int]) -> bool:
    with db.session() as session:
        return not session.scalar(select(func.count(ProcessingJob.id)).where(
            ProcessingJob.id.in_(job_ids), ProcessingJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))))


def unfinished(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(ProcessingJob.id)).where(
            ProcessingJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))) or 0)


def run_scenario(queue: str, db: Database, data_dir: Path, *, jobs: int, kills: int, workers: int = 3,
                 seed: int = 1, timeout: float = 300.0, up_front: int | None = None) -> Outcome:
    """Enrol ``jobs`` students, ``up_front`` of whom (default: all) request a standardisation at
    once, and run ``workers`` workers under one parent. Whenever no job waits and no live worker
    holds one, while two workers are up, as many more students request theirs as workers are up. A
    worker holding a job, while another one is up, is killed with SIGKILL at a random moment of that
    job (its parent replaces it), until ``kills`` kills have landed mid-job (left their job behind); then the
    remaining students request theirs, and everything is waited for and checked. With few up front
    the run costs its kills and worker start-ups, not a backlog processed between them. Recovery
    is measured from the last kill to the moment the job it left behind finished."""
    rng = random.Random(seed)
    store = LocalPhotoStore(data_dir / "photos")
    students = enrol(db, jobs)
    first = len(students) if up_front is None else up_front
    submission_ids = request(db, store, students[:first])
    students = students[first:]
    name = f"jobs-fault-{uuid.uuid4().hex[:8]}"
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    pool = Workers(worker_env(queue, db.url, data_dir, name), logs)
    outcome = Outcome(queue, jobs, 0)
    began = time.monotonic()
    deadline = began + timeout
    last_kill: tuple[float, list[int]] | None = None
    try:
        parent = pool.start(processes=workers)
        while outcome.kills < kills and time.monotonic() < deadline:
            if parent.poll() is not None:
                raise RuntimeError(f"the worker pool's parent exited with {parent.returncode}")
            alive = pool.forked(parent)
            up = _up(db, alive)
            held = holders(db)
            victims = [pid for pid in alive if held.get(pid) and (workers == 1 or up - {pid})]
            if not victims:
                if not students and not unfinished(db):
                    break  # every job is done: fewer kills than asked, reported
                kill_could_land = len(up) >= min(2, workers)
                idle = not any(held.get(pid) for pid in alive) and not _waiting(db)
                if idle and students and kill_could_land:  # a job for each worker up
                    batch, students = students[:len(up)], students[len(up):]
                    submission_ids += request(db, store, batch)
                time.sleep(0.05 if kill_could_land else 0.25)  # closely only while a kill could land
                continue
            victim = rng.choice(victims)
            time.sleep(rng.uniform(0.0, 0.15))  # a random moment inside the job
            pool.kill_forked(parent, victim)  # the parent forks its replacement
            orphans = holders(db).get(victim, [])
            if orphans:
                outcome.kills += 1
                last_kill = (time.monotonic(), orphans)
            else:
                outcome.missed += 1  # the job ended first: a kill, but not one mid-job
        submission_ids += request(db, store, students)
        recovered_at = None
        while time.monotonic() < deadline:
            if last_kill is not None and recovered_at is None and _terminal(db, last_kill[1]):
                recovered_at = time.monotonic()
            if not unfinished(db):
                break
            time.sleep(0.1)
        if last_kill is not None:
            recovered_at = recovered_at or (time.monotonic() if _terminal(db, last_kill[1]) else None)
            outcome.recovery_seconds = None if recovered_at is None else recovered_at - last_kill[0]
    finally:
        pool.stop_all()
        if queue == "redis":
            _forget_redis(name)
    outcome.total_seconds = time.monotonic() - began
    check(db, submission_ids, pool.done_lines(), outcome)
    return outcome


def check(db: Database, submission_ids: list[int], done_lines: Counter[int], outcome: Outcome) -> None:
    """Every job terminal, each finished once, each submission whole, each charge settled once."""
    with db.session() as session:
        job_rows = session.scalars(select(ProcessingJob).order_by(ProcessingJob.id)).all()
        by_subject = Counter(job.subject_id for job in job_rows)
        charges: dict[int, int] = dict(session.execute(
            select(QuotaEntry.submission_id, func.sum(QuotaEntry.amount))
            .where(QuotaEntry.kind == QuotaKind.STANDARDISATION, QuotaEntry.entry_type == QuotaEntryType.USE)
            .group_by(QuotaEntry.submission_id)).all())
        for job in job_rows:
            submission = session.get(Submission, job.subject_id)
            if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) or by_subject[job.subject_id] != 1:
                outcome.lost.append(job.id)
                continue
            if done_lines[job.id] > 1:
                outcome.duplicated.append(job.id)
            finished = submission.state is SubmissionState.STANDARDISED
            whole = (finished and submission.standardised_sha and submission.thumbnail_sha
                     and submission.quality_report and submission.standardised_at) or \
                (submission.state is SubmissionState.CAPTURED and submission.standardised_sha is None
                 and (submission.processing_error is not None) == bool(submission.quality_report))
            if not whole:
                outcome.half_processed.append(submission.id)
            if job.status is JobStatus.DONE:
                outcome.done += 1
                if charges.get(submission.id) != 1 or not (finished or submission.processing_error):
                    outcome.wrong_charge.append(submission.id)
            else:
                outcome.failed += 1
                outcome.failed_reasons.append(job.error or "")
                if not job.error:
                    outcome.failed_without_reason.append(job.id)
                if charges.get(submission.id) != 0 or finished:
                    outcome.wrong_charge.append(submission.id)
        missing = set(submission_ids) - set(by_subject)
        outcome.lost.extend(sorted(missing))


def _forget_redis(name: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)


def fresh_database(url: str | None, data_dir: Path) -> tuple[Database, str | None]:
    """SQLite in ``data_dir``, or a new database on the PostgreSQL server of ``url`` (dropped after)."""
    if url is None:
        db = Database(f"sqlite:///{data_dir / 'workbench.db'}")
        db.migrate()
        return db, None
    from sqlalchemy import create_engine, text

    name = f"jobs_fault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(Database(url).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = Database(Database(url).engine.url.set(database=name).render_as_string(hide_password=False))
    db.migrate()
    return db, name


def drop_database(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(Database(url).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", choices=["sqlite", "redis", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--up-front", type=int, default=None,
                        help="students who request at once (default: all); the others as the kills need them")
    args = parser.parse_args()
    ok = True
    for queue in (["sqlite", "redis"] if args.queue == "both" else [args.queue]):
        with tempfile.TemporaryDirectory(prefix="jobs-fault-") as tmp:
            db, created = fresh_database(args.url, Path(tmp))
            try:
                outcome = run_scenario(queue, db, Path(tmp), jobs=args.jobs, kills=args.kills,
                                       workers=args.workers, timeout=900, up_front=args.up_front)
            finally:
                db.dispose()
                if created:
                    drop_database(args.url, created)
        print("\n".join(outcome.lines()), flush=True)
        for reason in Counter(outcome.failed_reasons).most_common(3):
            print(f"  failed: {reason[1]}× {reason[0][:160]}")
        ok = ok and outcome.ok and outcome.kills >= min(args.kills, 10)
    print(f"targets: 0 lost, 0 duplicated over ≥ 10 kills per queue — {'met' if ok else 'NOT MET'}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
