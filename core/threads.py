"""One thread per worker process for every numeric library, so N worker processes use N cores.

OpenCV, OpenBLAS (numpy, scipy) and OpenMP each start a pool as wide as the machine; in a worker
that already runs beside other workers, those pools fight for the same cores (one worker measured
at 166 % CPU; 2 workers on 2 cores gave 9.5 photos/s against 8.3 for one). The BLAS and OpenMP
pools read their width from the environment when the library loads, so ``before_numeric_imports``
must run before numpy is imported; ``pin_loaded_libraries`` then narrows what is already loaded
(OpenCV always; BLAS through threadpoolctl). The segmentation model's LiteRT interpreter is built
with one thread (``core/imaging/segmentation.py``). ``python -m core worker`` also lowers its own
CPU priority (WORKBENCH_WORKER_NICE), so on a machine it shares with the API a request is served
before photo work and the workers take what is left.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def lower_priority(nice: int) -> None:
    """Photo work yields to requests. Within one scheduling group ``nice`` does it; a worker that
    leads its own session (a systemd unit, a supervisor program) is its own autogroup on kernels
    that group by session, where only the group's own nice counts against the API's group."""
    os.nice(nice)
    if nice and os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError):  # no autogroup on this kernel: the process nice above is what counts
            Path("/proc/self/autogroup").write_text(str(nice))


def one_thread_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with every numeric pool one thread wide, for a child process."""
    out = dict(os.environ if env is None else env)
    out.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    return out


def before_numeric_imports() -> None:
    """Sets the pools' width for libraries not yet loaded in this process."""
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))


def pin_loaded_libraries() -> dict[str, int]:
    """Narrows the pools of libraries already loaded; returns the widths now in force (for the log)."""
    import cv2
    from threadpoolctl import threadpool_info, threadpool_limits

    cv2.setNumThreads(1)
    threadpool_limits(limits=1)
    widths = {"opencv": cv2.getNumThreads()}
    for pool in threadpool_info():
        widths[f"{pool['internal_api']}:{os.path.basename(pool['filepath'])}"] = pool["num_threads"]
    return widths
