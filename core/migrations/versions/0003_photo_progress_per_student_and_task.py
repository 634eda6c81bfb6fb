"""photo progress per student and task

Each student's furthest stage per task, which the progress dashboards count instead of grouping
every submission (see core/models/progress.py); filled here from the submissions already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:44:42.274741
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO photo_progress (task_id, roster_record_id, stage)
SELECT task_id, roster_record_id, MAX(CASE
    WHEN state IN ('on_chsi') THEN 3
    WHEN state IN ('approved', 'in_batch', 'upload_failed') THEN 2
    WHEN submitted_at IS NOT NULL THEN 1
    ELSE 0 END)
FROM submission GROUP BY task_id, roster_record_id
"""
"""The stage rule (core.domain.states.stage_of) as it stood at this revision, written out so that a
later change to the rule or the models cannot change what this migration does."""


def upgrade() -> None:
    op.create_table('photo_progress',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('roster_record_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['roster_record_id'], ['roster_record.id'], name=op.f('fk_photo_progress_roster_record_id_roster_record')),
    sa.ForeignKeyConstraint(['task_id'], ['collection_task.id'], name=op.f('fk_photo_progress_task_id_collection_task')),
    sa.PrimaryKeyConstraint('task_id', 'roster_record_id', name=op.f('pk_photo_progress'))
    )
    with op.batch_alter_table('photo_progress', schema=None) as batch_op:
        batch_op.create_index('ix_photo_progress_record', ['roster_record_id', 'task_id', 'stage'], unique=False)
        batch_op.create_index('ix_photo_progress_task_stage', ['task_id', 'stage'], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table('photo_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_progress_task_stage')
        batch_op.drop_index('ix_photo_progress_record')

    op.drop_table('photo_progress')
