"""The worker process: takes photo processing off the UI, and makes sure no job is ever lost.

Start it with ``python -m core worker``, or N of them under one parent that loads the imaging stack
once and replaces any that dies with ``python -m core worker --processes N`` (``core/worker_pool.py``;
``make run`` does). Queue backend by WORKBENCH_QUEUE:
``sqlite`` (default, a file beside the database, no server), ``redis://…`` to spread workers over
machines, or ``immediate`` (tests: a job runs inside the call that sends it). The Huey instance is
built on first use, and this module installs it as the services' ``JobQueue`` port; the services
never import this module.

Huey carries wake-ups; our ``ProcessingJob`` row is the truth (see ``core.services.jobs``). A woken
worker claims the named job, then keeps claiming the oldest waiting one until none is left. Each
worker runs two threads every WORKBENCH_WORKER_HEARTBEAT_SECONDS: the heartbeat renews the lease on
the job in hand and records the worker as alive (nothing else, so it is never late); the sweep
reaps jobs whose lease ran out, wakes workers while jobs wait with no message for them (a message
consumed by a worker that was then killed is not lost work), and delivers the outbox. Huey's own periodic tasks run at most once a minute, too slow to
bring a job back within seconds, hence the thread. SIGTERM and SIGINT stop gracefully: the job in
hand finishes within WORKBENCH_WORKER_GRACE_SECONDS or is handed back; SIGKILL and power loss are
covered by the lease.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from core.config import settings
from core.db import Database, default_database
from core.services import jobs, outbox
from core.storage.photos import PhotoStore, default_photo_store
from core.threads import pin_loaded_libraries

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 5
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
TOP_UP_LIMIT = 8
"""Wake-ups sent per sweep at most: a woken worker drains every waiting job, so a few suffice, and a
huge backlog never floods the queue."""

_huey: Huey | None = None
_database: Database | None = None
_store: PhotoStore | None = None
_installed = False
_current: Worker | None = None


def get_huey() -> Huey:
    """The Huey instance, built on first use from the settings (never at import)."""
    global _huey
    if _huey is None:
        queue = settings().queue
        name = settings().queue_name
        if queue.startswith("redis://"):
            _huey = RedisHuey(name, url=queue)
        else:
            path = settings().data_dir / "queue.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            _huey = SqliteHuey(name, filename=str(path))
    return _huey


_wake_tasks: dict[int, tuple[Huey, TaskWrapper]] = {}


def _wake_task(huey: Huey) -> TaskWrapper:
    """The one task a Huey instance carries, registered once per instance."""
    if id(huey) not in _wake_tasks:
        _wake_tasks[id(huey)] = (huey, huey.task(name="workbench.wake")(_on_message))
    return _wake_tasks[id(huey)][1]


class HueyQueue:
    """The ``JobQueue`` port over Huey: a message per committed job (a wake-up naming it)."""

    def __init__(self, huey: Huey | None = None) -> None:
        self.huey = huey or get_huey()
        self._wake = _wake_task(self.huey)

    def send(self, job_id: int) -> None:
        self._wake(job_id)

    def wake(self, count: int) -> None:
        """Wake-ups that name no job: each makes a worker claim the oldest waiting one."""
        for _ in range(count):
            self._wake(None)

    def backlog(self) -> int | None:
        try:
            return int(self.huey.pending_count())
        except Exception:  # an unreachable Redis must not take a page down
            return None


def configure(database: Database | None, store: PhotoStore | None, *, immediate: bool | None = None) -> None:
    """Points jobs at a database and store. ``immediate=True`` runs each job inline when its
    transaction commits (tests, demo); False leaves jobs waiting as rows, as if no worker ran;
    ``configure(None, None)`` forgets it all."""
    global _database, _store, _installed
    _database, _store = database, store
    if database is None:
        jobs.use_queue(None)
        _installed = False
    elif immediate:
        jobs.use_queue(_inline(database, store or default_photo_store()))
        _installed = True
    elif immediate is False:
        jobs.use_queue(None)
        _installed = True


def install() -> None:
    """Called by every process that enqueues (apps, demo, worker): sends committed jobs to the
    configured queue, unless something (a test) configured one already."""
    global _installed
    if _installed:
        return
    if settings().queue == "immediate":
        jobs.use_queue(_inline(database(), store()))
    else:
        jobs.use_queue(HueyQueue())
    _installed = True


def _inline(db: Database, photo_store: PhotoStore) -> jobs.JobQueue:
    """The inline runner. The job bodies (the imaging stack, seconds to import) load only where
    jobs run: the apps import this module just to send."""
    from core.services import processing

    return processing.InlineQueue(db, photo_store)


def database() -> Database:
    return _database or default_database()


def store() -> PhotoStore:
    return _store or default_photo_store()


def _on_message(job_id: int | None) -> None:
    """The Huey task: claim the named job, or the oldest waiting one, and run it under a lease."""
    worker = _current
    if worker is None:
        raise RuntimeError("no worker in this process: start it with `python -m core worker`")
    worker.take(job_id)


class Worker:
    """One worker process's identity, the job in hand, and its heartbeat and sweep threads."""

    def __init__(self, db: Database, photo_store: PhotoStore, queue: HueyQueue) -> None:
        # the job bodies (the imaging stack) load here, where they run
        from core.services import processing

        self.processing = processing
        self.db, self.store, self.queue = db, photo_store, queue
        self.id = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.held: jobs.Claim | None = None
        self.jobs_done = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def take(self, job_id: int | None) -> None:
        """Claims the named job (or the oldest waiting), runs it, and keeps draining the waiting
        jobs; a stopping worker takes nothing new (another worker's sweep wakes someone for them)."""
        while True:
            # The claim and its record in ``held`` are one step under the lock, and a stop that
            # arrived during the claim releases it at once: a stopping worker starts nothing new.
            with self._lock:
                if self.stopping.is_set():
                    return
                with self.db.session() as session:
                    held = jobs.claim(session, self.id, job_id)
                if held is not None and self.stopping.is_set():
                    self._release(held)
                    return
                self.held = held
            if held is None:
                return
            job_id = None
            try:
                retry_delay = timedelta(seconds=RETRY_DELAY_SECONDS)
                if self.processing.execute(self.db, self.store, held, retry_delay=retry_delay) is not None:
                    self.jobs_done += 1
            finally:
                with self._lock:
                    self.held = None

    def start(self) -> None:
        self.heartbeat()
        for name, step in (("heartbeat", self.heartbeat), ("sweep", self.sweep)):
            threading.Thread(target=self._every_interval, args=(step,), name=name, daemon=True).start()

    def _every_interval(self, step: Any) -> None:
        interval = settings().worker_heartbeat_seconds
        while not self.stopping.wait(interval):
            try:
                step()
            except Exception:
                log.exception("%s failed", threading.current_thread().name)

    def heartbeat(self) -> None:
        """Renews the lease in hand and says this worker is alive."""
        with self._lock:
            held = self.held
        with self.db.session() as session:
            if held is not None and not jobs.renew(session, held):
                log.warning("job %s: lease lost while working on it", held.job_id)
            jobs.beat(session, self.id, hostname=socket.gethostname(), pid=os.getpid(),
                      queue=_queue_label(), current_job_id=held.job_id if held else None,
                      jobs_done=self.jobs_done, stopping=self.stopping.is_set())

    def sweep(self) -> None:
        """Reaps expired leases, wakes workers for jobs without a message, delivers the outbox."""
        lease = timedelta(seconds=settings().job_lease_seconds)
        with self.db.session() as session:
            jobs.forget_dead_workers(session, older_than=lease * 10)
            jobs.reap(session)
            waiting = jobs.waiting_count(session)
        backlog = self.queue.backlog()
        if backlog is not None and backlog < waiting:
            self.queue.wake(min(waiting - backlog, TOP_UP_LIMIT))
        outbox.deliver_due(self.db)

    def hand_back(self) -> None:
        """On a stop that could not wait for the job in hand: release it for another worker."""
        with self._lock:
            held = self.held
        if held is not None:
            self._release(held)

    def _release(self, held: jobs.Claim) -> None:
        with self.db.session() as session:
            released = jobs.release(session, held)
        if released:
            log.warning("job %s handed back on shutdown", held.job_id)
            self.queue.send(held.job_id)

    def goodbye(self) -> None:
        with self.db.session() as session:
            jobs.forget_worker(session, self.id)


class _GracefulConsumer(Consumer):
    """Huey's consumer, with SIGTERM as graceful as SIGINT (a deploy or ``systemctl restart`` sends
    SIGTERM) and a bounded grace: the job in hand finishes or is handed back."""

    def __init__(self, worker: Worker, grace: float, **options: Any) -> None:
        super().__init__(worker.queue.huey, **options)
        self._worker = worker
        self._grace = grace

    def _set_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._graceful_signal)
        signal.signal(signal.SIGINT, self._graceful_signal)

    def _graceful_signal(self, sig_num: int, _frame: object) -> None:
        self._logger.info("received %s: stopping gracefully", signal.Signals(sig_num).name)
        self._received_signal = True
        self._graceful = True
        self._restart = False

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()
        self._worker.stopping.set()
        deadline = time.monotonic() + (self._grace if graceful else 0.0)
        for _, thread in self.worker_threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._worker.hand_back()


def _queue_label() -> str:
    queue = settings().queue
    return "redis" if queue.startswith("redis://") else queue


def require_a_queue() -> None:
    """A worker serves a queue; with WORKBENCH_QUEUE=immediate jobs run inline and there is none."""
    if settings().queue == "immediate":
        raise SystemExit("WORKBENCH_QUEUE=immediate runs jobs inline; a worker needs sqlite or redis://")


def run() -> int:
    """``python -m core worker`` (which set the numeric pools' width before anything loaded numpy):
    the imaging stack loads with the Worker, then its pools are pinned to one thread."""
    global _current
    require_a_queue()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    queue = HueyQueue()
    jobs.use_queue(queue)
    worker = Worker(database(), store(), queue)
    log.info("worker %s: numeric threads %s", worker.id, pin_loaded_libraries())
    _current = worker
    worker.start()
    consumer = _GracefulConsumer(worker, settings().worker_grace_seconds, workers=1, worker_type="thread",
                                 periodic=False, initial_delay=0.1, max_delay=0.5, backoff=1.15)
    try:
        consumer.run()
    finally:
        worker.stopping.set()
        worker.goodbye()
        log.info("worker %s stopped", worker.id)
    if any(thread.is_alive() for _, thread in consumer.worker_threads):
        # The job in hand was handed back (the grace ran out) but its thread is still inside the
        # imaging libraries: an interpreter shutting down under it aborts (SIGABRT) in their
        # destructors. Nothing is left to save, so leave at once, with the logs flushed.
        logging.shutdown()
        os._exit(0)
    return 0
