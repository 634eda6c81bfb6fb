"""Command line: ``python -m core <command>`` (no command: ``serve``).

serve            migrate, start the workers (WORKBENCH_WORKERS, default one per core), the apps and the
                 student API (loads demo data when the database is empty)
api              run the student HTTP API alone (http://127.0.0.1:8503/api/v1/docs)
worker [--processes N]   run one background worker process (numeric libraries on one thread), or N
                 forked from one parent that loads the imaging stack once and replaces any that dies
migrate          bring the database schema up to date
demo [--photos DIR] [--if-empty]   build the demo data set
store verify     check every photo the database names is in the photo store, intact (exit 1 if not)
photo ... / code ...               the imaging command line (see core/imaging/cli.py)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from core.config import PROJECT_ROOT, settings


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("photo", "code"):
        from core.imaging.cli import main as imaging_main

        return imaging_main(argv)
    parser = argparse.ArgumentParser(prog="python -m core")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve")
    sub.add_parser("api")
    worker_command = sub.add_parser("worker")
    worker_command.add_argument("--processes", type=int, default=None,
                                help="N workers under one parent that replaces any that dies (default: one worker, no parent)")
    sub.add_parser("migrate")
    demo = sub.add_parser("demo")
    demo.add_argument("--photos", default=None, help="fixture folder (default: ../shared/fixtures)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
    store = sub.add_parser("store", help="the photo store")
    store.add_argument("action", choices=["verify"])
    args = parser.parse_args(argv)

    if args.command == "migrate":
        from core.db import default_database

        default_database().migrate()
        return 0
    if args.command == "demo":
        from core import worker
        from core.services.demo import build_demo

        worker.install()
        return build_demo(photos=args.photos, if_empty=args.if_empty)
    if args.command == "store":
        return verify_store()
    if args.command == "worker":
        if args.processes is not None and args.processes < 1:
            parser.error("--processes needs at least 1")
        return run_worker(args.processes)
    if args.command == "api":
        return run_api()
    return serve()


def verify_store() -> int:
    from core.db import default_database
    from core.domain.access import Actor
    from core.services import photo_store
    from core.storage.photos import default_photo_store

    with default_database().session() as session:
        report = photo_store.verify(session, Actor.system("store verify"), default_photo_store())
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def run_worker(processes: int | None) -> int:
    from core.threads import before_numeric_imports, lower_priority

    before_numeric_imports()
    lower_priority(settings().worker_nice)
    if processes is not None:
        from core import worker_pool

        return worker_pool.run(processes)
    from core import worker

    return worker.run()


def run_api() -> int:
    """The student API on WORKBENCH_API_HOST:WORKBENCH_API_PORT (127.0.0.1:8503 by default), in
    WORKBENCH_API_PROCESSES processes sharing the port (stateless: tokens, limits and idempotency
    keys live in the database and Redis)."""
    import uvicorn

    config = settings()
    uvicorn.run("api.server:app", factory=True, workers=config.api_processes, host=config.api_host,
                port=config.api_port, log_level="info", proxy_headers=False, server_header=False)
    return 0


def serve() -> int:
    """Everything `make run` needs, as child processes that stop together."""
    from core.db import default_database

    default_database().migrate()
    from core.threads import one_thread_environment

    env = dict(os.environ)
    python = sys.executable
    config = settings()
    children = [
        subprocess.Popen([python, "-m", "streamlit", "run", "workbench/server.py", "--server.port", "8501"],
                         env=env, cwd=PROJECT_ROOT),
        subprocess.Popen([python, "-m", "core", "worker", "--processes", str(config.workers)],
                         env=one_thread_environment(env), cwd=PROJECT_ROOT),
    ]
    student_app = PROJECT_ROOT / "student" / "server.py"  # the app, with its sign-in cookie's routes
    if student_app.exists():
        children.append(subprocess.Popen(
            [python, "-m", "streamlit", "run", str(student_app), "--server.port", "8502"], env=env, cwd=PROJECT_ROOT))
    children.append(subprocess.Popen([python, "-m", "core", "api"], env=env, cwd=PROJECT_ROOT))
    children.append(subprocess.Popen([python, "-m", "core", "demo", "--if-empty"], env=env, cwd=PROJECT_ROOT))
    print(f"{config.workers} photo worker(s)   Staff workbench: http://localhost:8501   Student app: http://localhost:8502   "
          f"Student API: http://{config.api_host}:{config.api_port}/api/v1/docs   data: {config.data_dir}", flush=True)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(c.poll() is None for c in children[:2]):  # the workbench and the worker pool
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
