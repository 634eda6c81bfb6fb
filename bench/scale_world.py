"""What the scale benchmarks share: a fresh PostgreSQL database, students with real enrolment
photos, worker processes started as ``make run`` starts them, and their memory from /proc.

Portraits are London fixtures: the enrolment photo is the person's smiling portrait and the
capture their neutral one (a neutral capture passes the expression check; a capture that is the
enrolment photo itself would be flagged as derived from it). People whose capture the real
pipeline would refuse are left out once, at start, so every simulated student can submit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("WORKBENCH_FIXTURES", ROOT.parent / "shared" / "fixtures")) / "london"
PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/11"
"""A Redis database of its own, so other work on this Redis never sees the benchmarks' queues."""


@dataclass(frozen=True)
class Person:
    enrolment: bytes
    capture: bytes


def people(limit: int) -> list[Person]:
    """Up to ``limit`` London people whose neutral capture the pipeline accepts against their smile."""
    from core.imaging.pipeline import process_capture, process_enrolment

    found = []
    for neutral in sorted(FIXTURES.glob("*_neutral.jpg")):
        smiling = neutral.with_name(neutral.name.replace("_neutral", "_smiling"))
        if not smiling.exists():
            continue
        person = Person(smiling.read_bytes(), neutral.read_bytes())
        if process_capture(person.capture, enrolment=process_enrolment(person.enrolment)).ok:
            found.append(person)
        if len(found) == limit:
            break
    if not found:
        raise SystemExit(f"no usable portraits in {FIXTURES}")
    return found


def fresh_database(url: str, prefix: str) -> tuple[str, str]:
    """A new database on the server of ``url``, migrated; returns its URL and name."""
    from core.db import Database

    name = f"scale_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    made = create_engine(url).url.set(database=name).render_as_string(hide_password=False)
    db = Database(made)
    db.migrate()
    db.dispose()
    return made, name


def drop_database(url: str, name: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def forget_queue(name: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)


def environment(database_url: str, data_dir: Path, queue_name: str, **extra: str) -> dict[str, str]:
    """What every process of one run reads: the database, the photo folder, the Redis queue."""
    from core.threads import one_thread_environment

    env = one_thread_environment()
    env.update({"WORKBENCH_DATABASE_URL": database_url, "WORKBENCH_DATA_DIR": str(data_dir),
                "WORKBENCH_PHOTO_STORE": str(data_dir / "photos"), "WORKBENCH_QUEUE": REDIS_URL,
                "WORKBENCH_QUEUE_NAME": queue_name, "PYTHONUNBUFFERED": "1", **extra})
    return env


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` worker processes, each in its own session as a systemd unit or supervisor starts
    them. On this kernel the scheduler shares the CPU between sessions (autogroup), so workers in
    the benchmark's own session would split one session's share of a busy machine, however many."""
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for n in range(count):
        log = (logs / f"worker-{n + 1}.log").open("wb")
        procs.append(subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_children(pid: int) -> list[int]:
    """The process and every process it started (uvicorn's workers under its supervisor)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def wait_until(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


@dataclass(frozen=True)
class Student:
    record_id: int
    name: str
    student_number: str
    id_last4: str
    person: int
    """Index into the people list: whose portraits this student uses."""


@dataclass(frozen=True)
class World:
    school_id: int
    school_code: str
    task_id: int
    students: list[Student]


def seed(database_url: str, store_dir: Path, count: int, crowd: list[Person]) -> World:
    """武汉大学 with one open task and ``count`` roster records, each with a real enrolment photo.
    The first record of each person has its embedding computed by the real job (inline); the others
    share that person's photo and embedding, as bench_queue shares processed photos."""
    from core import worker
    from core.db import Database
    from core.models import RosterRecord
    from core.services import jobs
    from core.storage.photos import LocalPhotoStore
    from tests import factories as f

    db, store = Database(database_url), LocalPhotoStore(store_dir)
    worker.configure(db, store, immediate=True)
    students: list[Student] = []
    try:
        with db.session() as session:
            school = f.make_school(session, "10486", "武汉大学")
            task = f.make_task(session, school)
            world = (school.id, school.code, task.id)
            firsts: dict[int, int] = {}
            for n in range(count):
                name = SURNAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20]
                record = f.make_record(session, school, n + 1, name=name)
                person = n % len(crowd)
                if person not in firsts:
                    record.enrolment_photo_sha = store.put(crowd[person].enrolment)
                    session.flush()
                    jobs.enqueue_after_commit(session, jobs.PROCESS_ENROLMENT, record.id)
                    firsts[person] = record.id
                students.append(Student(record.id, name, record.student_number, record.id_last4, person))
        with db.session() as session:
            templates = {person: session.get(RosterRecord, rid) for person, rid in firsts.items()}
            for student in students:
                template = templates[student.person]
                if template is None or template.id == student.record_id:
                    continue
                copy = session.get(RosterRecord, student.record_id)
                assert copy is not None
                record = copy
                record.enrolment_photo_sha = template.enrolment_photo_sha
                record.enrolment_embedding = template.enrolment_embedding
                record.enrolment_phash = template.enrolment_phash
    finally:
        worker.configure(None, None)
        db.dispose()
    return World(*world, students)


def wait_ready(logs: Path, count: int, timeout: float = 180) -> None:
    """Until each worker has loaded the imaging core and pinned its pools (its first log line)."""
    def ready() -> bool:
        return sum("numeric threads" in p.read_text(errors="replace") for p in logs.glob("worker-*.log")) >= count

    if not wait_until(ready, timeout, 0.2):
        raise SystemExit("the workers did not start: " + " | ".join(
            p.read_text(errors="replace")[-500:] for p in logs.glob("worker-*.log")))
