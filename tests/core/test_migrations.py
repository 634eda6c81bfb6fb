"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core.db import Database
from core.models import Base
from tests.conftest import PG_URL

import pytest
import uuid


def _assert_in_sync(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert set(inspect(database.engine).get_table_names()) >= set(Base.metadata.tables)


def test_sqlite_migration_matches_models(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    _assert_in_sync(database)
    database.migrate()  # idempotent


def test_postgresql_migration_matches_models():
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set WORKBENCH_TEST_DATABASE_URL")
    name = f"wb_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(Database(PG_URL).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        database = Database(Database(PG_URL).engine.url.set(database=name).render_as_string(hide_password=False))
        _assert_in_sync(database)
        database.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
