"""When each enrolment was started (its first lesson done), kept on write for the reports' funnel

Revision ID: 5b7e0d3c9a21
Revises: adc2fcc1ca57
Create Date: 2026-11-23 19:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b7e0d3c9a21'
down_revision = 'adc2fcc1ca57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE enrollments SET started_at = (SELECT min(lesson_progress.completed_at) FROM lesson_progress"
        " WHERE lesson_progress.user_id = enrollments.user_id"
        " AND lesson_progress.course_id = enrollments.course_id)"
    )


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('started_at')
