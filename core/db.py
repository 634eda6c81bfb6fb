"""Engine, sessions and migrations.

SQLite is the embedded default: WAL, foreign keys on, and every transaction begins IMMEDIATE so
two writers (two reviewers, the worker) queue for the lock instead of failing half-way. PostgreSQL
is the production database; row locks (``FOR UPDATE [SKIP LOCKED]``) serialise the contended rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _strings(parameters: object) -> Iterator[str]:
    """Every string among a statement's parameters, however the driver groups them (one row, many
    rows, or one multi-row INSERT's flat list)."""
    if isinstance(parameters, dict):
        parameters = list(parameters.values())
    if not isinstance(parameters, (list, tuple)):
        return
    for value in parameters:
        if isinstance(value, str):
            yield value
        elif isinstance(value, (dict, list, tuple)):
            yield from _strings(value)


def _refuse_nul(_conn, _cursor, _statement, parameters, _context, _executemany):
    """No statement carries a NUL byte to the database: PostgreSQL would fail with an error page and
    SQLite would store or search for it silently. Services refuse it with the field named first
    (``clean_text``); this catches any path that forgot, the same way on both databases."""
    if any("\x00" in value for value in _strings(parameters)):
        raise InvalidInput("输入中含有空字符（U+0000），已拒绝，请删除后重试。",
                           "The input contains a NUL character (U+0000) and was refused; remove it and retry.")


def get_or_raise(session: Session, model: type[T], key: Any, message_zh: str, message_en: str) -> T:
    """The row ``key`` of ``model``, or a ``NotFound`` worded for the user: the one place the
    "look it up, refuse if it is gone" rule lives, so callers never hold an Optional row."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(message_zh, message_en)
    return row


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """One database: its engine and a session factory. Pages, services and workers share it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # Expiring on commit is safe: pages get frozen views built inside the session, never rows.
        self._sessions = sessionmaker(self.engine, expire_on_commit=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back whole on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision. Alembic loads here, not with the module:
        the apps and workers that only use the schema start 0.2 s sooner without it."""
        from alembic import command

        with self.engine.begin() as connection:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def is_empty(self) -> bool:
        from sqlalchemy import select

        from core.models import School

        if not inspect(self.engine).has_table("school"):
            return True
        with self.session() as session:
            return session.scalars(select(School.id).limit(1)).first() is None

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_default: Database | None = None


def default_database() -> Database:
    """The configured database (WORKBENCH_DATABASE_URL), created once per process."""
    global _default
    if _default is None:
        from core.config import settings

        _default = Database(settings().database_url)
    return _default
