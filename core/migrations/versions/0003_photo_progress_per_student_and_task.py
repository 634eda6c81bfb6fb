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

from core.models.progress import rebuild_progress


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


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
    rebuild_progress(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('photo_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_progress_task_stage')
        batch_op.drop_index('ix_photo_progress_record')

    op.drop_table('photo_progress')
