"""Every main page runs a small, fixed number of SQL queries, whatever the amount of data."""

import pytest
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.audit import record_event
from lms.extensions import db
from lms.organizations.models import Organization

# Page -> most queries allowed (the signed-in user's own lookup included).
BUDGETS = {
    "/": 1,
    "/account": 1,
    "/account/edit": 2,
    "/admin/users": 4,
    "/admin/users/{member}": 3,
    "/admin/audit": 3,
    "/admin/organizations": 2,
    "/admin/organizations/{organization}": 3,
    "/admin/organizations/{organization}/edit": 3,
    "/organization/members": 3,
    "/reports": 8,
}


def add_data(app, organization_id: int, size: int) -> int:
    """Add ``size`` members and organizations and twice as many audit events; return a member's id."""
    with app.app_context():
        start = db.session.scalar(select(db.func.count()).select_from(User))
        users = [User(email=f"bulk{start + n}@example.org", full_name=f"Bulk {start + n}",
                      organization_id=organization_id) for n in range(size)]
        organizations = [Organization(name=f"Org {start + n}", name_key=f"org {start + n}", type="civil_society")
                         for n in range(size)]
        db.session.add_all(users + organizations)
        db.session.flush()
        for user in users:
            record_event("sign_in", actor=user, target=user)
            record_event("role_changed", actor=user, target=user, old="learner", new="trainer")
        db.session.commit()
        return users[0].id


def test_main_pages_keep_their_query_budget_at_two_data_sizes(app, client, make, login_as, count_queries):
    organization = make.organization()
    admin = make.user(role=Role.ADMIN, organization=organization)
    login_as(admin)
    counts = {}
    for size in (3, 80):
        member = add_data(app, organization.id, size)
        for template, budget in BUDGETS.items():
            url = template.format(member=member, organization=organization.id)
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(template, []).append(len(queries))
            assert len(queries) <= budget, (url, queries)
    unstable = {url: found for url, found in counts.items() if found[0] != found[1]}
    assert unstable == {}


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/password/forgot"])
def test_public_pages_need_at_most_one_query(client, make, count_queries, url):
    make.organization()
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 1


# Learner pages -----------------------------------------------------------------------------------

LEARNER_PAGE_BUDGET = 4
LEARNER_PAGES = {
    "catalogue": "/courses",
    "course": "/courses/{slug}",
    "lesson": "/courses/{slug}/lessons/lesson-003",
    "quiz": "/courses/{slug}/quizzes/final",
    "verify": "/verify/{code}",
}


def add_learning_world(app, make, learner, slug: str, lessons: int, learners: int, extra_courses: int) -> str:
    """A published course of ``lessons`` lessons with a pre-test, a graded quiz and an assignment, which
    ``learners`` other learners finished, attempted, handed in and hold certificates of; a draft and
    ``extra_courses`` more courses in the catalogue. The learner is enrolled, has done two lessons, attempted
    the graded quiz once and holds a certificate, whose code is returned."""
    from datetime import date

    from certificates.codes import new_code
    from certificates.models import Certificate
    from courses.assignments.models import Assignment, Submission, SubmissionStatus
    from courses.models import Enrollment, Lesson, LessonProgress
    from quizzes.models import Attempt, AttemptState, Quiz, QuizKind

    course = make.course(slug=slug, lessons=lessons, modules=max(1, lessons // 25), words=20)
    make.course(slug=f"{slug}-draft", lessons=2, publish=False)
    for number in range(extra_courses):
        make.course(slug=f"{slug}-more-{number}", lessons=1, languages=("fr",), words=5)
    with app.app_context():
        pre_test = Quiz(course_id=course.id, key="before", kind=QuizKind.PRE_TEST, titles={"fr": "Test initial"})
        final = Quiz(course_id=course.id, key="final", kind=QuizKind.GRADED, titles={"fr": "Examen final"},
                     pass_mark=50, attempts_allowed=3)
        assignment = Assignment(course_id=course.id, titles={"fr": "Étude de cas"})
        start = db.session.scalar(select(db.func.count()).select_from(User))
        others = [User(email=f"{slug}-{start + n}@example.org", full_name=f"Other {n}") for n in range(learners)]
        db.session.add_all([pre_test, final, assignment, *others])
        db.session.flush()
        lesson_ids = list(db.session.scalars(select(Lesson.id).where(Lesson.course_id == course.id)
                                             .order_by(Lesson.id)))
        for user_id, done in [(learner.id, lesson_ids[:2])] + [(other.id, lesson_ids) for other in others]:
            db.session.add(Enrollment(user_id=user_id, course_id=course.id))
            db.session.add_all(LessonProgress(user_id=user_id, lesson_id=lesson_id, course_id=course.id)
                               for lesson_id in done)
            db.session.add(Attempt(quiz_id=final.id, user_id=user_id, number=1, state=AttemptState.GRADED,
                                   score=40.0, passed=False, layout=[]))
        for other in others:
            db.session.add(Attempt(quiz_id=pre_test.id, user_id=other.id, number=1, state=AttemptState.GRADED,
                                   score=90.0, passed=True, layout=[]))
            db.session.add(Submission(assignment_id=assignment.id, user_id=other.id,
                                      status=SubmissionStatus.ACCEPTED))
        code = new_code()
        for user_id in [learner.id] + [other.id for other in others]:
            db.session.add(Certificate(code=code if user_id == learner.id else new_code(), user_id=user_id,
                                       course_id=course.id, language="fr", design="classic",
                                       holder_name=f"Holder {user_id}", course_titles={"fr": f"Cours {slug}"},
                                       hours=2.5, completed_on=date(2025, 3, 1), issuer_names={"fr": "Masar"}))
        db.session.commit()
        return code


def test_learner_pages_keep_their_query_budget_at_any_course_size(app, client, make, login_as, count_queries):
    learner = make.user(locale="en")
    login_as(learner)
    counts = {}
    for slug, lessons, learners, extra_courses in (("small", 5, 10, 0), ("large", 200, 80, 12)):
        code = add_learning_world(app, make, learner, slug, lessons, learners, extra_courses)
        pages = {}
        for name, template in LEARNER_PAGES.items():
            url = template.format(slug=slug, code=code)
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(name, []).append(len(queries))
            pages[name] = response.get_data(as_text=True)
        # What the pages show is the learner's own: the others' work changes none of it, drafts stay hidden.
        assert f"Lesson {slug}-draft" not in pages["catalogue"] and f"Lesson {slug}</a>" in pages["catalogue"]
        assert "Take the pre-test" in pages["course"]
        assert "Étude de cas" in pages["course"] and "not handed in" in pages["course"]
        assert pages["course"].count("✓") == pages["lesson"].count("✓") == 2
        assert "Attempt 1" in pages["quiz"] and "Attempt 2" not in pages["quiz"]
        assert f"Holder {learner.id}" in pages["verify"] and "This certificate is valid" in pages["verify"]
    assert {name: found for name, found in counts.items() if found[0] != found[1]} == {}
    assert {name: found for name, found in counts.items() if max(found) > LEARNER_PAGE_BUDGET} == {}
