"""the school's answer to an escalated ticket

``escalated_at`` starts the school's time to answer (tickets escalated before this migration have
none, so they are never shown as overdue); the answer, its text, when and by whom.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', core.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('school_answer', sa.Enum('reply', 'solved_by_school', 'needs_student',
                                                               name='schoolanswer', native_enum=False,
                                                               create_constraint=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('school_answer_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('school_answered_at', core.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('school_answered_by', sa.String(length=64), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_column('school_answered_by')
        batch_op.drop_column('school_answered_at')
        batch_op.drop_column('school_answer_text')
        batch_op.drop_column('school_answer')
        batch_op.drop_column('escalated_at')
