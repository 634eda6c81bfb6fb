"""One thread per worker process for OpenCV, BLAS and OpenMP: N workers use N cores, not N × N."""

from __future__ import annotations

import json
import subprocess
import sys

from core.threads import THREAD_VARIABLES, one_thread_environment
from tests.conftest import PROJECT_ROOT

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
