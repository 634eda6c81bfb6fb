"""offline shooting fee and printed photos

A task may offer on-site shooting paid online (its price) and printed photos (their size, the paper
they are printed on, copies per student); ``print_record`` remembers which student's photo went
onto which print run, so each is printed once unless reprinted with a reason.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('collection_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline_price_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('print_photo_size', sa.Enum('1inch', '2inch', name='photosize',
                                                                  native_enum=False, create_constraint=False,
                                                                  length=32), nullable=True))
        batch_op.add_column(sa.Column('print_paper', sa.Enum('5inch', '6inch', name='papersize', native_enum=False,
                                                             create_constraint=False, length=32),
                                      nullable=False, server_default='5inch'))
        batch_op.add_column(sa.Column('print_copies', sa.Integer(), nullable=False, server_default='1'))
    op.create_table('print_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('roster_record_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('run_number', sa.String(length=32), nullable=False),
    sa.Column('destination', sa.String(length=255), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('reprint_reason', sa.Text(), nullable=True),
    sa.Column('printed_by', sa.String(length=64), nullable=False),
    sa.Column('printed_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['roster_record_id'], ['roster_record.id'],
                            name=op.f('fk_print_record_roster_record_id_roster_record')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_print_record_submission_id_submission')),
    sa.ForeignKeyConstraint(['task_id'], ['collection_task.id'], name=op.f('fk_print_record_task_id_collection_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_record'))
    )
    with op.batch_alter_table('print_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_record_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_record_run_number'), ['run_number'], unique=False)
        batch_op.create_index('ix_print_record_task_record', ['task_id', 'roster_record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('print_record', schema=None) as batch_op:
        batch_op.drop_index('ix_print_record_task_record')
        batch_op.drop_index(batch_op.f('ix_print_record_run_number'))
        batch_op.drop_index(batch_op.f('ix_print_record_task_id'))
    op.drop_table('print_record')
    with op.batch_alter_table('collection_task', schema=None) as batch_op:
        batch_op.drop_column('print_copies')
        batch_op.drop_column('print_paper')
        batch_op.drop_column('print_photo_size')
        batch_op.drop_column('offline_price_fen')
