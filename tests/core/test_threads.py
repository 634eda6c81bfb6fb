"""One thread per worker process for OpenCV, BLAS and OpenMP: N workers use N cores, not N × N."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from core.config import Settings
from core.threads import THREAD_VARIABLES, one_thread_environment
from core.config import PROJECT_ROOT

PROBE = """
import json, os
from core.threads import before_numeric_imports, pin_loaded_libraries
before_numeric_imports()
import core.imaging.pipeline  # numpy, scipy, OpenCV and LiteRT, as a worker loads them
print(json.dumps(pin_loaded_libraries()))
"""


def test_every_numeric_pool_is_one_thread_wide_after_the_imaging_core_loads():
    env = {k: v for k, v in one_thread_environment().items() if k not in THREAD_VARIABLES}  # as a bare shell
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=180, check=True)
    widths = json.loads(done.stdout.strip().splitlines()[-1])
    assert widths["opencv"] == 1
    blas = {name: width for name, width in widths.items() if name.startswith(("openblas", "openmp", "mkl", "blis"))}
    assert blas, widths  # numpy's OpenBLAS is found, so the check below is not vacuous
    assert set(blas.values()) == {1}, widths


def test_child_environment_pins_every_pool_and_keeps_the_rest():
    env = one_thread_environment({"PATH": "/usr/bin", "OMP_NUM_THREADS": "8"})
    assert env["PATH"] == "/usr/bin"
    assert all(env[name] == "1" for name in THREAD_VARIABLES)


@pytest.mark.slow
def test_a_real_worker_process_runs_every_numeric_pool_on_one_thread(tmp_path):
    """``python -m core worker`` as ``make run`` starts it, from an environment that pins nothing."""
    env = {k: v for k, v in one_thread_environment().items() if k not in THREAD_VARIABLES}
    env.update(WORKBENCH_DATA_DIR=str(tmp_path), WORKBENCH_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
               WORKBENCH_QUEUE="sqlite", WORKBENCH_PHOTO_STORE=str(tmp_path / "photos"), PYTHONUNBUFFERED="1")
    worker = subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if "numeric threads" in line:
                break
        else:
            raise AssertionError("the worker never said how wide its pools are")
        niceness = os.getpriority(os.PRIO_PROCESS, worker.pid) - os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    widths = ast.literal_eval(line.split("numeric threads", 1)[1].strip())
    assert widths["opencv"] == 1 and len(widths) > 1 and set(widths.values()) == {1}, widths
    assert niceness == min(10, 19 - os.getpriority(os.PRIO_PROCESS, 0))  # requests before photo work


def test_one_worker_process_per_core_unless_configured(monkeypatch):
    monkeypatch.delenv("WORKBENCH_WORKERS", raising=False)
    assert Settings.from_env().workers == (os.cpu_count() or 1)
    monkeypatch.setenv("WORKBENCH_WORKERS", "3")
    assert Settings.from_env().workers == 3
    assert Settings.from_env().worker_nice == 10
    monkeypatch.setenv("WORKBENCH_WORKER_NICE", "0")
    assert Settings.from_env().worker_nice == 0


def test_api_processes_one_per_core_only_when_redis_shares_the_rate_limits(monkeypatch):
    monkeypatch.delenv("WORKBENCH_API_PROCESSES", raising=False)
    monkeypatch.setenv("WORKBENCH_QUEUE", "redis://127.0.0.1:6379/0")
    assert Settings.from_env().api_processes == (os.cpu_count() or 1)
    monkeypatch.setenv("WORKBENCH_API_PROCESSES", "3")
    assert Settings.from_env().api_processes == 3
    monkeypatch.setenv("WORKBENCH_QUEUE", "sqlite")
    with pytest.raises(ValueError, match="WORKBENCH_QUEUE=redis"):
        Settings.from_env()  # each process would count a student's requests apart
    monkeypatch.delenv("WORKBENCH_API_PROCESSES")
    assert Settings.from_env().api_processes == 1
