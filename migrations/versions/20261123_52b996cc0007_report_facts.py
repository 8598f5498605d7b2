"""The reports' summary table: every fact with its person's description, kept on write

Revision ID: 52b996cc0007
Revises: 5b7e0d3c9a21
Create Date: 2026-11-23 19:44:58.699755

"""
from alembic import op
import sqlalchemy as sa


revision = '52b996cc0007'
down_revision = '5b7e0d3c9a21'
branch_labels = None
depends_on = None


# The facts as the application writes them (lms.reports.facts), for the rows recorded before; an
# organization's rows together on disk, as a rebuild writes them.
BACKFILL = """
INSERT INTO report_facts (kind, person, user_id, member_id, course_id, cohort_id, cohort_key, at, year, quarter,
                          started, pre, post, gender, organization_id, organization_type, region, city)
SELECT f.kind,
       CASE WHEN f.user_id IS NULL THEN f.member_id * 2 + 1 ELSE f.user_id * 2 END,
       f.user_id, f.member_id, f.course_id, f.cohort_id,
       COALESCE(f.cohort_id, CASE WHEN f.user_id IS NULL
           THEN (SELECT min(m.cohort_id) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
                 WHERE c.course_id = f.course_id AND m.id = f.member_id)
           ELSE (SELECT min(m.cohort_id) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
                 WHERE c.course_id = f.course_id AND m.user_id = f.user_id) END),
       f.at, {year}, {year} * 10 + ({month} + 2) / 3, f.started, f.pre, f.post, COALESCE(u.gender, p.gender), u.organization_id,
       COALESCE(o.type, p.organization_type), u.region,
       lower(trim(CASE WHEN f.user_id IS NULL THEN p.city ELSE u.city END))
FROM (
    SELECT 'enrolment' AS kind, user_id, CAST(NULL AS INTEGER) AS member_id, course_id,
           CAST(NULL AS INTEGER) AS cohort_id, enrolled_at AS at,
           CASE WHEN started_at IS NOT NULL OR completed_at IS NOT NULL THEN 1 ELSE 0 END AS started,
           pre_test_score AS pre, post_test_score AS post
    FROM enrollments
    UNION ALL
    SELECT 'completion', user_id, NULL, course_id, NULL, completed_at, NULL, NULL, NULL
    FROM enrollments WHERE completed_at IS NOT NULL
    UNION ALL
    SELECT 'certificate', user_id, member_id, course_id, NULL, issued_at, NULL, NULL, NULL
    FROM certificates WHERE revoked_at IS NULL AND course_id IS NOT NULL
    UNION ALL
    SELECT 'attendance', m.user_id, m.id, c.course_id, c.id, s.starts_at, NULL, NULL, NULL
    FROM attendance a JOIN cohort_members m ON m.id = a.member_id
    JOIN cohort_sessions s ON s.id = a.session_id JOIN cohorts c ON c.id = s.cohort_id
    WHERE a.status IN ('present', 'late')
) AS f
LEFT JOIN users u ON u.id = f.user_id
LEFT JOIN organizations o ON o.id = u.organization_id
LEFT JOIN cohort_members p ON f.user_id IS NULL AND p.id = f.member_id
ORDER BY u.organization_id
"""


def upgrade():
    op.create_table('report_facts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('person', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('cohort_key', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('started', sa.SmallInteger(), nullable=True),
    sa.Column('pre', sa.Float(), nullable=True),
    sa.Column('post', sa.Float(), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('organization_type', sa.String(length=32), nullable=True),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_report_facts_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_report_facts_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['cohort_members.id'], name=op.f('fk_report_facts_member_id_cohort_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_facts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_facts'))
    )
    with op.batch_alter_table('report_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_facts_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_facts_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_facts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_facts_user_id'), ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        parts = {"year": "CAST(EXTRACT(year FROM f.at) AS INTEGER)", "month": "CAST(EXTRACT(month FROM f.at) AS INTEGER)"}
    else:
        parts = {"year": "CAST(strftime('%Y', f.at) AS INTEGER)", "month": "CAST(strftime('%m', f.at) AS INTEGER)"}
    op.execute(BACKFILL.format(**parts))



def downgrade():
    with op.batch_alter_table('report_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_facts_user_id'))
        batch_op.drop_index(batch_op.f('ix_report_facts_organization_id'))
        batch_op.drop_index(batch_op.f('ix_report_facts_member_id'))
        batch_op.drop_index(batch_op.f('ix_report_facts_course_id'))

    op.drop_table('report_facts')
