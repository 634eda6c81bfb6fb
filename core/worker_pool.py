"""``python -m core worker --processes N``: one parent loads the imaging stack once, forks N workers
and puts a new one in the place of any that dies, at once.

A worker started as its own program spends seconds of CPU loading the imaging libraries before it
takes a job, and pays them again on every restart. Forked from a parent that has loaded them, a
replacement takes jobs within a moment (a killed worker's job still waits for its lease, as before),
and the workers share the loaded code's memory. The parent holds nothing a fork cannot carry: no
database connection, no queue, no thread; each child builds its own (``core.worker.run``), so each
child is exactly the worker ``python -m core worker`` runs, with the same guarantees.

Signals: SIGTERM or SIGINT to the parent is passed to every child, which finishes the job in hand
within WORKBENCH_WORKER_GRACE_SECONDS or hands it back; then the parent exits. A parent killed
outright takes its children down with it: the kernel sends each SIGTERM when its parent dies
(Linux's parent-death signal), so no worker runs on unsupervised. A child that keeps failing
soon after it starts (a database that cannot be reached, a broken install) is restarted after a
growing pause instead of in a tight loop; a child killed by SIGKILL (the out-of-memory killer, an
operator, the fault tests) is replaced at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass

from core import worker
from core.config import settings

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
TICK_SECONDS = 0.05
QUICK_FAILURE_SECONDS = 10.0
"""A child that fails (not killed) within this of its start counts towards the restart pause."""
MAX_PAUSE_SECONDS = 60.0
STOP_MARGIN_SECONDS = 15.0
"""After the grace, how long the parent waits for its children before it kills what is left."""


@dataclass(frozen=True)
class Death:
    """How a child ended, from ``os.waitpid``'s status."""

    status: int
    lived_seconds: float

    @property
    def signal(self) -> int | None:
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None

    @property
    def failed(self) -> bool:
        """Ended by its own fault: a non-zero exit or a crash signal. SIGKILL and SIGTERM come from outside."""
        if self.signal is not None:
            return self.signal not in (signal.SIGKILL, signal.SIGTERM)
        return os.WEXITSTATUS(self.status) != 0

    def describe(self) -> str:
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name}"
        return f"exited with {os.WEXITSTATUS(self.status)}"


def restart_pause(quick_failures: int) -> float:
    """Seconds before the next start after ``quick_failures`` failures in a row, each soon after its
    start: none for the first, then 1, 2, 4 … up to a minute."""
    if quick_failures <= 1:
        return 0.0
    return float(min(2 ** (quick_failures - 2), MAX_PAUSE_SECONDS))


class Pool:
    """The parent: forks the workers, replaces the dead, passes a stop on."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.children: dict[int, float] = {}
        self.stopping = False
        self.quick_failures = 0
        self.next_start = 0.0

    def run(self) -> int:
        worker.require_a_queue()  # before the imaging stack's seconds of loading, not after
        from core.services import processing  # noqa: F401  (the imaging stack, loaded once for every child)

        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("worker pool %s: %s workers", os.getpid(), self.processes)
        while not self.stopping:
            self._reap()
            if len(self.children) < self.processes and time.monotonic() >= self.next_start:
                self._start()
                continue
            time.sleep(TICK_SECONDS)
        self._wait_for_children()
        log.info("worker pool %s stopped", os.getpid())
        return 0

    def _start(self) -> None:
        parent = os.getpid()
        # A stop arriving between the fork and the child's record would miss that child: held back
        # until the child is recorded (the child drops the parent's handlers before it lets them in).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(_child(parent))
            self.children[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.info("worker pool %s: started worker process %s", parent, pid)

    def _reap(self) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None:
                continue
            death = Death(status, time.monotonic() - started)
            if self.stopping:
                continue
            if death.failed and death.lived_seconds < QUICK_FAILURE_SECONDS:
                self.quick_failures += 1
            else:
                self.quick_failures = 0
            pause = restart_pause(self.quick_failures)
            self.next_start = time.monotonic() + pause
            log_failure = log.error if death.failed else log.warning
            log_failure("worker process %s %s after %.1f s; a new one starts%s", pid, death.describe(),
                        death.lived_seconds, f" in {pause:.0f} s" if pause else "")

    def _stop(self, sig_num: int, _frame: object) -> None:
        if not self.stopping:
            log.info("worker pool %s: received %s, stopping its workers", os.getpid(), signal.Signals(sig_num).name)
        self.stopping = True
        for pid in self.children:
            _signal(pid, signal.SIGTERM)

    def _wait_for_children(self) -> None:
        deadline = time.monotonic() + settings().worker_grace_seconds + STOP_MARGIN_SECONDS
        while True:
            self._reap()
            if not self.children:
                return
            if time.monotonic() > deadline:
                for late in self.children:
                    log.error("worker process %s did not stop in time: killed", late)
                    _signal(late, signal.SIGKILL)
                deadline = float("inf")  # reaped on the next ticks
            time.sleep(TICK_SECONDS)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone: reaped on the next tick
        os.kill(pid, sig)


def _child(parent: int) -> int:
    """The forked worker: the parent's signal handlers dropped, bound to the parent's life, then
    the ordinary worker. Never returns into the parent's loop."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    code = 1
    try:
        _die_with_parent(parent)
        code = worker.run()
    except SystemExit as stop:
        code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        log.exception("worker process %s failed", os.getpid())
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _die_with_parent(parent: int) -> None:
    """SIGTERM when the parent dies, however it dies (Linux); if it died before this line, stop now."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(0)


def run(processes: int) -> int:
    logging.basicConfig(level=logging.INFO, format=worker.LOG_FORMAT)
    return Pool(processes).run()
