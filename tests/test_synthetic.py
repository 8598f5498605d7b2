"""``flask lms seed-synthetic``: synthetic data for reports and benchmarks."""

import hashlib
import re
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from support import count, scalar

from certificates import keys
from certificates.codes import normalize
from certificates.credentials import verify
from certificates.models import Certificate
from courses.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSession,
    cohort_partners,
    cohort_trainers,
)
from courses.models import Course, Enrollment, Lesson, LessonProgress
from lms.accounts.models import Gender, Role, User
from lms.extensions import db
from lms.organizations.models import Organization, OrganizationType
from lms.organizations.regions import Region
from quizzes.models import Attempt, Quiz, QuizKind

# Every table the command writes, children first.
SEEDED_TABLES = [Attendance.__table__, CohortSession.__table__, CohortMember.__table__, cohort_partners,
                 cohort_trainers, Cohort.__table__, Certificate.__table__, Attempt.__table__,
                 LessonProgress.__table__, Enrollment.__table__, User.__table__, Organization.__table__]


def seed(runner, *args: str):
    return runner.invoke(args=["lms", "seed-synthetic", *args])


def printed_counts(output: str) -> dict[str, int]:
    return {what: int(number) for what, number in re.findall(r"^(\w+): (\d+) \(", output, re.MULTILINE)}


def rows(app, statement) -> list:
    with app.app_context():
        return list(db.session.execute(statement))


def stored_counts(app) -> dict[str, int]:
    synthetic = User.email.like("%@synthetic.example")
    return {
        "organizations": count(app, Organization),
        "learners": count(app, User, synthetic, User.role == Role.LEARNER),
        "trainers": count(app, User, synthetic, User.role == Role.TRAINER),
        "managers": count(app, User, synthetic, User.role == Role.MANAGER),
        "enrollments": count(app, Enrollment),
        "completed": count(app, Enrollment, Enrollment.completed_at.is_not(None)),
        "lesson_progress": count(app, LessonProgress),
        "attempts": count(app, Attempt),
        "certificates": count(app, Certificate),
        "cohorts": count(app, Cohort),
        "cohort_members": count(app, CohortMember),
        "paper_participants": count(app, CohortMember, CohortMember.user_id.is_(None)),
        "sessions": count(app, CohortSession),
        "attendance": count(app, Attendance),
    }


def digest(app) -> str:
    """A fingerprint of the seeded rows by natural keys (emails, slugs, lesson keys), not ids."""
    member_user = aliased(User)
    statements = [
        select(User.email, User.full_name, User.full_name_ar, User.role, User.gender, User.region, User.city,
               User.profession, User.locale, User.is_active, User.created_at, User.consent_at, Organization.name)
        .outerjoin(Organization, Organization.id == User.organization_id),
        select(User.email, Course.slug, Enrollment.enrolled_at, Enrollment.completed_at, Enrollment.pre_test_score,
               Enrollment.post_test_score, Enrollment.knowledge_gain)
        .join(User, User.id == Enrollment.user_id).join(Course, Course.id == Enrollment.course_id),
        select(User.email, Lesson.key, LessonProgress.completed_at)
        .join(User, User.id == LessonProgress.user_id).join(Lesson, Lesson.id == LessonProgress.lesson_id),
        select(User.email, Quiz.key, Attempt.number, Attempt.started_at, Attempt.score, Attempt.layout)
        .join(User, User.id == Attempt.user_id).join(Quiz, Quiz.id == Attempt.quiz_id),
        select(Certificate.code, User.email, Certificate.language, Certificate.completed_on, Certificate.issued_at)
        .join(User, User.id == Certificate.user_id),
        select(Cohort.name, Cohort.starts_on, member_user.email, CohortMember.full_name, CohortMember.gender,
               CohortMember.organization_type, CohortMember.city)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(member_user, member_user.id == CohortMember.user_id),
        select(Cohort.name, CohortSession.starts_at, CohortMember.full_name, member_user.email, Attendance.status)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .join(CohortMember, CohortMember.id == Attendance.member_id)
        .outerjoin(member_user, member_user.id == CohortMember.user_id),
    ]
    text = "\n".join("\n".join(sorted(repr(tuple(row)) for row in rows(app, statement))) for statement in statements)
    return hashlib.sha256(text.encode()).hexdigest()


def remove_seeded_rows(app) -> None:
    """Everything the command wrote; the courses and question banks stay."""
    with app.app_context():
        for table in SEEDED_TABLES:
            db.session.execute(sa.delete(table))
        db.session.commit()


def test_seed_synthetic_fills_an_empty_database_with_consistent_data_and_refuses_a_second_run(app, runner):
    result = seed(runner, "--learners", "200", "--seed", "3")

    assert result.exit_code == 0, result.output
    assert "Loaded the demo courses" in result.output
    printed = printed_counts(result.output)
    assert printed == stored_counts(app)
    assert printed["learners"] == 200
    assert 8 * 200 <= printed["lesson_progress"] <= 13 * 200
    assert 0.5 <= printed["completed"] / printed["enrollments"] <= 0.7
    assert re.search(r"^Created .* in \d+\.\d s\.$", result.output, re.MULTILINE)

    # Organizations of every type in every region, and people living where their organization is.
    pairs = set(rows(app, select(Organization.region, Organization.type).distinct()))
    assert pairs == {(region, kind) for region in Region for kind in OrganizationType}
    assert not rows(app, select(User.id).join(Organization, Organization.id == User.organization_id)
                    .where(User.region != Organization.region))

    genders = Counter(gender for gender, in rows(app, select(User.gender).where(User.role == Role.LEARNER)))
    assert 0.45 <= genders[Gender.FEMALE] / 200 <= 0.65
    assert 0.34 <= genders[Gender.MALE] / 200 <= 0.54

    # Progress only on lessons of a course the learner is enrolled in, every lesson once completed.
    strays = rows(app, select(LessonProgress.id).join(Lesson, Lesson.id == LessonProgress.lesson_id)
                  .outerjoin(Enrollment, sa.and_(Enrollment.user_id == LessonProgress.user_id,
                                                 Enrollment.course_id == Lesson.course_id))
                  .where(sa.or_(Enrollment.id.is_(None), LessonProgress.course_id != Lesson.course_id)))
    assert strays == []
    lessons = dict(rows(app, select(Lesson.course_id, func.count()).group_by(Lesson.course_id)))
    done = {(user, course): number for user, course, number in rows(
        app, select(LessonProgress.user_id, LessonProgress.course_id, func.count())
        .group_by(LessonProgress.user_id, LessonProgress.course_id))}
    completed = rows(app, select(Enrollment.user_id, Enrollment.course_id, Enrollment.enrolled_at,
                                 Enrollment.completed_at).where(Enrollment.completed_at.is_not(None)))
    assert all(done.get((user, course)) == lessons[course] for user, course, _, _ in completed)
    assert all(enrolled_at < completed_at for _, _, enrolled_at, completed_at in completed)

    # The gain is post minus pre, as quizzes record it; pre-test scores come from attempts.
    scores = rows(app, select(Enrollment.pre_test_score, Enrollment.post_test_score, Enrollment.knowledge_gain))
    assert sum(pre is not None for pre, _, _ in scores) > len(scores) / 2
    assert all(gain == (round(post - pre, 2) if pre is not None and post is not None else None)
               for pre, post, gain in scores)
    assert all(0 <= score <= 100 for row in scores for score in row[:2] if score is not None)
    pre_tests = rows(app, select(Enrollment.pre_test_score, Attempt.score)
                     .join(Quiz, sa.and_(Quiz.course_id == Enrollment.course_id, Quiz.kind == QuizKind.PRE_TEST))
                     .outerjoin(Attempt, sa.and_(Attempt.quiz_id == Quiz.id, Attempt.user_id == Enrollment.user_id)))
    assert all(stored == attempted for stored, attempted in pre_tests)

    # Certificates only for completions, with unique codes and credentials that verify.
    certified = rows(app, select(Certificate.code, Enrollment.completed_at).outerjoin(Enrollment, sa.and_(
        Enrollment.user_id == Certificate.user_id, Enrollment.course_id == Certificate.course_id)))
    assert certified and all(completed_at is not None for _, completed_at in certified)
    codes = [code for code, _ in certified]
    assert len(set(codes)) == len(codes) and all(normalize(code) == code for code in codes)
    assert len(certified) >= 0.85 * printed["completed"]
    token = scalar(app, select(Certificate.credential_jwt).where(Certificate.code == codes[0]))
    with app.app_context():
        check = verify(token, keys.published_keys(), keys.issuer_did())
    assert check.valid, check.reason
    assert normalize(check.claims["jti"].rsplit("/", 1)[-1]) == codes[0]

    # Workshops: paper participants described for the reports, attendance only for held sessions.
    paper = rows(app, select(CohortMember.full_name, CohortMember.gender, CohortMember.organization_type,
                             CohortMember.city).where(CohortMember.user_id.is_(None)))
    assert paper and all(all(value for value in person) for person in paper)
    assert 0.1 <= printed["paper_participants"] / printed["cohort_members"] <= 0.5  # ~20 % with more learners
    assert scalar(app, select(func.max(CohortSession.starts_at)).join(
        Attendance, Attendance.session_id == CohortSession.id)) < datetime.now(UTC)
    assert scalar(app, select(func.max(Enrollment.completed_at))) < datetime.now(UTC)

    again = seed(runner, "--learners", "10")

    assert again.exit_code == 1
    assert "already holds synthetic accounts" in again.output
    assert stored_counts(app) == printed


def test_the_same_seed_gives_the_same_data(app, runner):
    arguments = ["--learners", "120", "--until", "2025-06-30"]
    assert seed(runner, *arguments, "--seed", "7").exit_code == 0
    first = digest(app)
    remove_seeded_rows(app)

    assert seed(runner, *arguments, "--seed", "7").exit_code == 0
    assert digest(app) == first
    remove_seeded_rows(app)

    assert seed(runner, *arguments, "--seed", "8").exit_code == 0
    assert digest(app) != first


def test_seed_synthetic_uses_the_published_courses_and_accounts_can_sign_in_with_the_password(
        app, runner, make, client):
    course = make.course(lessons=3)
    make.course(publish=False)

    result = seed(runner, "--learners", "30", "--password", "a long enough passphrase")

    assert result.exit_code == 0, result.output
    assert "Loaded the demo courses" not in result.output
    assert {course_id for course_id, in rows(app, select(Enrollment.course_id).distinct())} == {course.id}
    assert count(app, Attempt) == 0  # the course has no quizzes
    assert count(app, Enrollment, Enrollment.pre_test_score.is_not(None)) == 0
    email = scalar(app, select(User.email).where(User.is_active).order_by(User.email).limit(1))
    response = client.post_form("/login", {"email": email, "password": "a long enough passphrase"})
    assert response.status_code == 302
    # The rows took their ids where the database's own inserts will not collide with them.
    assert make.user(organization=make.organization()).id > scalar(app, select(func.min(User.id)))


def test_seed_synthetic_refuses_a_date_in_the_future(runner):
    result = seed(runner, "--learners", "5", "--until", "2999-01-01")

    assert result.exit_code == 2
    assert "cannot be in the future" in result.output
