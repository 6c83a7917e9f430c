"""initial

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 16:27:33.100289
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('applicant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('email_verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('nik', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('domicile_same', sa.Boolean(), nullable=True),
    sa.Column('domicile_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('education', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('employment_status', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('ktp_file_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('ktp_file_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('ktp_status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('phone_verified_via', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('registration_completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('applicant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applicant_chat_id'), ['chat_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_applicant_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_applicant_nik'), ['nik'], unique=False)
        batch_op.create_index(batch_op.f('ix_applicant_phone'), ['phone'], unique=False)

    op.create_table('conversationstate',
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('flow', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('chat_id')
    )
    op.create_table('handoffticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoffticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffticket_chat_id'), ['chat_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    op.create_table('processedupdate',
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('processed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('update_id')
    )
    op.create_table('verificationcode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verificationcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verificationcode_chat_id'), ['chat_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('verificationcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verificationcode_chat_id'))

    op.drop_table('verificationcode')
    op.drop_table('processedupdate')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_kind'))
        batch_op.drop_index(batch_op.f('ix_outbox_chat_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('handoffticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffticket_chat_id'))

    op.drop_table('handoffticket')
    op.drop_table('conversationstate')
    with op.batch_alter_table('applicant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicant_phone'))
        batch_op.drop_index(batch_op.f('ix_applicant_nik'))
        batch_op.drop_index(batch_op.f('ix_applicant_email'))
        batch_op.drop_index(batch_op.f('ix_applicant_chat_id'))

    op.drop_table('applicant')
    
