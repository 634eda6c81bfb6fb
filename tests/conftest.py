"""Shared fixtures: a real database (SQLite always; PostgreSQL too when
WORKBENCH_TEST_DATABASE_URL is set), a real photo store, and jobs run inline.

Every test that asks for ``db`` runs once per backend. Schemas come from the Alembic migrations;
tests/core/test_migrations.py proves they match the models. On PostgreSQL each test session creates its
own database (so parallel runs never collide) and each test starts from empty tables.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.threads import THREAD_VARIABLES, pin_loaded_libraries

os.environ.setdefault("WORKBENCH_QUEUE", "immediate")
# pytest-xdist already runs one test process per core: a numeric pool as wide as the machine in each
# (OpenBLAS, OpenMP, OpenCV; and in the apps and workers they start) only makes them fight for the
# same cores, as the workers' own pinning found (core/threads.py). Set before numpy loads.
os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))

from core import worker
from core.db import Database
from core.models import Base
from core.storage.photos import LocalPhotoStore
from tests.photo_stores import BACKENDS as PHOTO_BACKENDS
from tests.photo_stores import Backdoor, S3Server, open_backend
from tests.photos import fixture_path
from tests.processed_cache import PipelineCache

PG_URL = os.environ.get("WORKBENCH_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    pin_loaded_libraries()  # what a plugin loaded before this file


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database tests: SQLite and PostgreSQL ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return "database tests: SQLite only — PostgreSQL SKIPPED (set WORKBENCH_TEST_DATABASE_URL to run them)"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return fixture_path()


def create_schema(database: Database) -> None:
    """The schema exactly as production gets it: through the Alembic migrations."""
    database.migrate()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    create_schema(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set WORKBENCH_TEST_DATABASE_URL")
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(Database(PG_URL).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = Database(PG_URL).engine.url.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    create_schema(database)
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_pg_tables() -> str:
    """One round trip that empties every table and restarts every used sequence, as
    ``TRUNCATE … RESTART IDENTITY CASCADE`` did. DELETE, children first: on the few rows a test
    leaves it is ~10 times faster than TRUNCATE, which makes new files for every table and index
    (0.1 s against 1 s per test measured at load 17). The append-only audit table refuses DELETE
    (migration 0002's trigger), so it is truncated, and only when a test wrote to it."""
    names = ", ".join(f"'{table.name}'" for table in reversed(Base.metadata.sorted_tables))
    return f"""DO $$
DECLARE
  name text;
  seq record;
BEGIN
  FOREACH name IN ARRAY ARRAY[{names}] LOOP
    IF name = 'audit_event' THEN
      IF EXISTS (SELECT 1 FROM audit_event) THEN TRUNCATE audit_event; END IF;
    ELSE
      EXECUTE format('DELETE FROM %I', name);
    END IF;
  END LOOP;
  FOR seq IN SELECT schemaname, sequencename FROM pg_sequences
             WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', seq.schemaname, seq.sequencename);
  END LOOP;
END $$"""


EMPTY_PG_TABLES = _empty_pg_tables()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "workbench.db"
        shutil.copy(sqlite_template, path)
        database = request.getfixturevalue("sqlite_database")
        point_at(Path(str(make_url(database.url).database)), path)
    else:
        database = request.getfixturevalue("pg_database")
        with database.engine.begin() as conn:
            conn.execute(text(EMPTY_PG_TABLES))
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One engine for every SQLite test of the session, as for PostgreSQL (``pg_database``). Its
    path is a symbolic link that each test points at its own fresh copy of the template; SQLite
    resolves the link, so each copy keeps its own WAL files, and a connection of an earlier test
    that closes late can only touch that test's copy."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'workbench.db'}")
    yield database
    database.dispose()


def point_at(link: Path, target: Path) -> None:
    """Repoints ``link`` at ``target`` in one step (a new link renamed over the old one)."""
    staging = link.with_name(link.name + ".next")
    staging.unlink(missing_ok=True)
    staging.symlink_to(target)
    os.replace(staging, link)


@pytest.fixture(scope="session")
def pg_database(pg_database_url: str) -> Iterator[Database]:
    """One engine for every PostgreSQL test of the session, as a server process keeps one: its
    compiled statements carry over from test to test (a new engine per test compiled each query
    afresh); each test still starts from empty tables, and its connections are closed after it."""
    database = Database(pg_database_url)
    yield database
    database.dispose()


PIPELINE = PipelineCache()


@pytest.fixture(autouse=True)
def processed_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Services process each distinct photo once per session (tests/processed_cache.py); a test
    marked ``uncached_pipeline`` runs the pipeline itself every time."""
    if request.node.get_closest_marker("uncached_pipeline") is None:
        PIPELINE.install(monkeypatch.setattr)


LONG_MARKERS = ("browser", "slow", "xdist_group")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e drives a real browser: marked so `-m "not browser"` leaves them out,
    and run one after another by one test process (``make test`` starts one more than the cores): a
    journey mostly waits for its app, worker and browser, so the other processes keep the cores
    busy meanwhile (the whole run on two cores, three processes: 471 s with the journeys spread over
    all three, 440 s with them in one; four processes, the journeys in one: 499 s). This hook runs
    first: pytest-xdist reads the groups in its own hook, and a marker added after it is ignored.

    The long ones go first — browser journeys, slow tests and the groups one worker runs whole —
    so that pytest-xdist hands out the short tests last and the workers finish together, instead of
    one core running a minute-long group alone at the end."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG_MARKERS))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if PIPELINE.computed or PIPELINE.reused:
        terminalreporter.write_line(f"imaging pipeline: {PIPELINE.computed} photos processed, "
                                    f"{PIPELINE.reused} results reused (tests/processed_cache.py)")


@pytest.fixture(autouse=True)
def app_resources_released() -> Iterator[None]:
    """The apps keep one database and store per location for the life of the process
    (``uikit.resources``). In-process app tests hand the apps the test's own database
    (``tests/app_resources.py``), but whatever else one of them put there is let go after it: a
    database kept would hold connections to that test's files under the next test's URL (every
    SQLite test's path is the same link), and every test's store would pile up to the end of the run."""
    yield
    resources = sys.modules.get("uikit.resources")
    if resources is not None:
        resources._database.clear()
        resources._store.clear()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server on a free loopback port (moto), for the object-store backend."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(params=PHOTO_BACKENDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Backdoor:
    """The store contract runs against both backends: a local folder and an S3-compatible store."""
    server = request.getfixturevalue("s3_server") if request.param == "s3" else None
    return open_backend(request.param, tmp_path, server)


@pytest.fixture
def store(tmp_path: Path) -> LocalPhotoStore:
    return LocalPhotoStore(tmp_path / "photos")


@pytest.fixture
def env(db: Database, store: LocalPhotoStore) -> Iterator[tuple[Database, LocalPhotoStore]]:
    """Database and store with background jobs running inline against them."""
    worker.configure(db, store, immediate=True)
    yield db, store
    worker.configure(None, None)


class OncePerPasswordHasher(PasswordHasher):
    """Argon2 at the production parameters, but each distinct password is hashed once per test
    session and its (salted) hash handed out again: the factories give every staff account the same
    password, and at ~0.2 s of CPU a hash that was a large share of the suite. Verifying still costs
    what it costs in production, every time."""

    def __init__(self) -> None:
        super().__init__()
        self._hashes: dict[str | bytes, str] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        if salt is not None:
            return super().hash(password, salt=salt)
        if password not in self._hashes:
            self._hashes[password] = super().hash(password)
        return self._hashes[password]


PASSWORD_HASHER = OncePerPasswordHasher()


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once() -> Iterator[None]:
    """Every new ``AppTest`` scans the metadata of every installed package for Streamlit components
    (about a second, a third of a page test); the installed packages cannot change during a run, so
    the first scan serves them all. The real server scans once at start, as before."""
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests",
                      functools.cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(autouse=True, scope="session")
def scripts_compiled_once() -> Iterator[None]:
    """Each ``AppTest`` run compiles the app and its page again (a new script cache per run); the
    real server compiles each once per process, and the sources cannot change during a run."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    compiled: dict[str, object] = {}
    compile_script = ScriptCache.get_bytecode

    def get_bytecode(cache: ScriptCache, script_path: str) -> object:
        path = os.path.abspath(script_path)
        if path not in compiled:
            compiled[path] = compile_script(cache, path)
        return compiled[path]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptCache, "get_bytecode", get_bytecode)
        yield


@pytest.fixture(autouse=True, scope="session")
def script_runs_awaited_without_polling() -> Iterator[None]:
    """``AppTest`` waits for its script thread by waking every millisecond to ask whether it has
    stopped; each wake takes the interpreter lock from the script it waits for, which cost the
    page and student-app tests 11-13 % of their CPU. Waiting on the thread itself gives the same
    answer (the thread ends right after it reports stopping) with one wake, and the same time-out."""
    from streamlit.testing.v1 import local_script_runner

    def require_widgets_deltas(runner: local_script_runner.LocalScriptRunner, timeout: float = 3) -> None:
        thread = runner._script_thread  # no public handle on the thread; AppTest joins it itself next
        if thread is not None:
            thread.join(timeout)
        if runner.script_stopped():
            return
        runner.request_stop()
        runner.join()
        raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_script_runner, "require_widgets_deltas", require_widgets_deltas)
        yield


@pytest.fixture(autouse=True)
def password_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.services import staff

    monkeypatch.setattr(staff, "_hasher", PASSWORD_HASHER)


@pytest.fixture
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its smallest cost, for tests that create many accounts or sign in many times (the
    same hasher makes the accounts' hashes and sign-in's dummy one); everywhere else, and in the
    sign-in timing test, the production parameters stay in force."""
    from argon2 import PasswordHasher

    from core.services import staff

    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
