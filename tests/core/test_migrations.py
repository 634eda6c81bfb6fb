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


def _to_revision(database: Database, revision: str, downgrade: bool = False) -> None:
    from alembic import command

    from core.db import alembic_config

    with database.engine.begin() as connection:
        cfg = alembic_config(database.url)
        cfg.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(cfg, revision)


def test_enrolment_embeddings_of_dlib_alone_are_queued_for_the_second_descriptor(db):
    """Revision 0014: an enrolment embedding stored before the second descriptor (128 values) is
    queued to be recomputed, once; downgrading keeps dlib's 128 values of every embedding."""
    import numpy as np
    from sqlalchemy import select

    from core.domain.enums import JobStatus
    from core.models import ProcessingJob, RosterRecord
    from tests import factories as f

    with db.session() as session:
        school = f.make_school(session)
        old = f.make_record(session, school, 1, enrolment_photo_sha="a" * 64, enrolment_embedding=np.ones(128).tobytes())
        full = f.make_record(session, school, 2, enrolment_photo_sha="b" * 64,
                             enrolment_embedding=np.arange(128 + 1024, dtype=np.float64).tobytes())
        f.make_record(session, school, 3)
        old_id, full_id = old.id, full.id
    _to_revision(db, "0013", downgrade=True)
    with db.session() as session:
        kept = np.frombuffer(session.get(RosterRecord, full_id).enrolment_embedding, dtype=np.float64)
        assert np.array_equal(kept, np.arange(128, dtype=np.float64))
        session.get(RosterRecord, full_id).enrolment_embedding = np.arange(128 + 1024, dtype=np.float64).tobytes()
    _to_revision(db, "head")
    with db.session() as session:
        queued = session.scalars(select(ProcessingJob)).all()
        assert [job.subject_id for job in queued] == [old_id]  # the full one and the one without a photo are not
        assert all(job.kind == "process_enrolment" and job.status is JobStatus.QUEUED and job.attempts == 0
                   for job in queued)
