"""notification consent per student

微信通知授权: the student's answer (granted / declined), when and through which channel; a
notification remembers why it stayed in the inbox only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('student_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_consent', sa.Enum('granted', 'declined', name='notificationconsent',
                                                                      native_enum=False, create_constraint=False,
                                                                      length=32), nullable=True))
        batch_op.add_column(sa.Column('notification_consent_at', core.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('notification_consent_channel', sa.Enum('app', 'api', name='consentchannel',
                                                                              native_enum=False,
                                                                              create_constraint=False, length=32),
                                      nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withheld', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('withheld')
    with op.batch_alter_table('student_account', schema=None) as batch_op:
        batch_op.drop_column('notification_consent_channel')
        batch_op.drop_column('notification_consent_at')
        batch_op.drop_column('notification_consent')
