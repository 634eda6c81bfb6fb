"""second face descriptor

Enrolment embeddings now hold dlib's descriptor and a second network's (1 152 values instead of
128). Those stored before keep working (compared by dlib's own band), and each is queued here to be
recomputed by the enrolment job, which overwrites it with the full embedding; the worker's sweep
wakes a worker for these rows as for any job waiting without a message. No schema change.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

DLIB_ONLY_BYTES = 128 * 8
"""An embedding of dlib's 128 float64 values alone."""


def upgrade() -> None:
    bind = op.get_bind()
    legacy = bind.execute(sa.text(
        "SELECT id FROM roster_record WHERE enrolment_photo_sha IS NOT NULL "
        "AND enrolment_embedding IS NOT NULL AND length(enrolment_embedding) = :size"),
        {"size": DLIB_ONLY_BYTES}).scalars().all()
    if not legacy:
        return
    now = datetime.now(UTC)
    jobs = sa.table(
        "processing_job",
        sa.column("kind", sa.String), sa.column("subject_id", sa.Integer), sa.column("status", sa.String),
        sa.column("attempts", sa.Integer), sa.column("attempt_limit", sa.Integer), sa.column("fence", sa.Integer),
        sa.column("created_at", core.models.base.UTCDateTime(timezone=True)),
        sa.column("updated_at", core.models.base.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(jobs, [
        {"kind": "process_enrolment", "subject_id": record_id, "status": "queued", "attempts": 0,
         "attempt_limit": 3, "fence": 0, "created_at": now, "updated_at": now}
        for record_id in legacy
    ])


def downgrade() -> None:
    """The code before this revision reads dlib's 128 values only: keep those of every embedding."""
    cut = ("substring(enrolment_embedding from 1 for :size)" if op.get_bind().dialect.name == "postgresql"
           else "substr(enrolment_embedding, 1, :size)")
    op.get_bind().execute(sa.text(
        f"UPDATE roster_record SET enrolment_embedding = {cut} "
        "WHERE enrolment_embedding IS NOT NULL AND length(enrolment_embedding) > :size"),
        {"size": DLIB_ONLY_BYTES})
