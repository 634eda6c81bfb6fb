"""review settlement

How each disagreement between a first decision and its second review was settled (by another
senior, or the second review standing), what it did to the photo, and, for a photo already sent to
CHSI, when the registrar replaced it there.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:25:54.541173
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('first_decision_id', sa.Integer(), nullable=False),
    sa.Column('second_decision_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('adjudication', 'second_stands', name='settlementmode', native_enum=False, length=32), nullable=False),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Enum('approve', 'reject', name='decision', native_enum=False, length=32), nullable=False),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Enum('applied', 'unchanged', 'superseded', 'replace_on_chsi', name='settlementoutcome', native_enum=False, length=32), nullable=False),
    sa.Column('state_before', sa.Enum('captured', 'standardised', 'submitted', 'auto_blocked', 'awaiting_review', 'approved', 'rejected', 'replaced', 'in_batch', 'on_chsi', 'upload_failed', name='submissionstate', native_enum=False, length=32), nullable=False),
    sa.Column('state_after', sa.Enum('captured', 'standardised', 'submitted', 'auto_blocked', 'awaiting_review', 'approved', 'rejected', 'replaced', 'in_batch', 'on_chsi', 'upload_failed', name='submissionstate', native_enum=False, length=32), nullable=False),
    sa.Column('settled_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['first_decision_id'], ['review_decision.id'], name=op.f('fk_review_settlement_first_decision_id_review_decision')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['staff_user.id'], name=op.f('fk_review_settlement_replaced_by_id_staff_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_review_settlement_school_id_school')),
    sa.ForeignKeyConstraint(['second_decision_id'], ['review_decision.id'], name=op.f('fk_review_settlement_second_decision_id_review_decision')),
    sa.ForeignKeyConstraint(['settled_by_id'], ['staff_user.id'], name=op.f('fk_review_settlement_settled_by_id_staff_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_review_settlement_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_settlement')),
    sa.UniqueConstraint('second_decision_id', name=op.f('uq_review_settlement_second_decision_id'))
    )
    with op.batch_alter_table('review_settlement', schema=None) as batch_op:
        batch_op.create_index('ix_review_settlement_school_outcome', ['school_id', 'outcome', 'replaced_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_settlement_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_settlement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_settlement_submission_id'))
        batch_op.drop_index('ix_review_settlement_school_outcome')

    op.drop_table('review_settlement')
