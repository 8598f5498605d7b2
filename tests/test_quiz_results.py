"""Trainers read quiz results: every attempt, item analysis, CSV export, extra attempts for one learner."""

import re

import pytest
from sqlalchemy import select

from courses.content_files import CONTENT_ROOT, import_courses
from courses.models import Course
from lms.accounts.models import Role
from lms.extensions import db
from quizzes.banks import BANKS_ROOT, import_banks
from quizzes.models import Attempt, Quiz, QuizOverride
from support import count, scalar


@pytest.fixture
def shipped(app):
    with app.app_context():
        import_courses(CONTENT_ROOT / "ethical-recruitment")
        import_banks(BANKS_ROOT / "ethical-recruitment.yaml")
        db.session.commit()


def take_final_quiz(client, slug="ethical-recruitment"):
    client.post_form(f"/courses/{slug}/enroll")
    started = client.post_form(f"/courses/{slug}/quizzes/final-quiz/start")
    attempt_id = int(re.search(r"/attempts/(\d+)/", started.location).group(1))
    client.post_form(f"/attempts/{attempt_id}/submit")
    return attempt_id


def test_trainer_sees_attempts_item_analysis_and_csv(app, shipped, make, login_as, client):
    learner = make.user(email="=cmd@example.org", full_name="=HYPERLINK(1)")
    learner_client = app.test_client()
    login_as(learner, target=learner_client)
    take_final_quiz(learner_client)
    login_as(make.user(role=Role.TRAINER))

    page = client.get("/author/courses/ethical-recruitment/quizzes/final-quiz")
    assert page.status_code == 200
    assert "=cmd@example.org" in page.get_data(as_text=True)
    export = client.get("/author/courses/ethical-recruitment/quizzes/final-quiz/attempts.csv")
    assert export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text and "'=cmd@example.org" in text
    assert client.get("/author/courses/ethical-recruitment/quizzes").status_code == 200


def test_an_extra_attempt_lets_one_learner_try_again(app, shipped, make, login_as, client):
    learner = make.user(email="learner@example.org")
    learner_client = app.test_client()
    login_as(learner, target=learner_client)
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).join(Course).where(Course.slug == "ethical-recruitment",
                                                                 Quiz.key == "final-quiz"))
        quiz.attempts_allowed = 1
        db.session.commit()
    take_final_quiz(learner_client)
    learner_client.post_form("/courses/ethical-recruitment/quizzes/final-quiz/start")
    assert count(app, Attempt) == 1

    login_as(make.user(role=Role.TRAINER))
    response = client.post_form("/author/courses/ethical-recruitment/quizzes/final-quiz",
                                {"email": "learner@example.org", "extra_attempts": "1", "extra_minutes": "10"})
    assert response.status_code == 302
    assert scalar(app, select(QuizOverride.extra_attempts)) == 1
    learner_client.post_form("/courses/ethical-recruitment/quizzes/final-quiz/start")
    assert count(app, Attempt) == 2


def test_granting_nothing_or_to_an_unknown_address_is_refused(app, shipped, make, login_as, client):
    login_as(make.user(role=Role.TRAINER))
    url = "/author/courses/ethical-recruitment/quizzes/final-quiz"
    assert client.post_form(url, {"email": "nobody@example.org", "extra_attempts": "1"}).status_code == 422
    make.user(email="learner@example.org")
    assert client.post_form(url, {"email": "learner@example.org", "extra_attempts": "0",
                                  "extra_minutes": "0"}).status_code == 422
    assert count(app, QuizOverride) == 0


GIFT = """$CATEGORY: $course$/top/Recrutement

::fees::Qui paie les frais de recrutement ? {=L'employeur ~Le travailleur ~L'agence}

::passport::L'employeur peut garder le passeport. {F}
"""


def test_trainer_imports_a_gift_file_through_the_page(app, shipped, make, login_as, client):
    import io

    from quizzes.models import Question

    login_as(make.user(role=Role.TRAINER))
    before = count(app, Question)
    response = client.post_form("/author/courses/ethical-recruitment/questions/import",
                                {"file": (io.BytesIO(GIFT.encode()), "banque.gift"), "file_format": "",
                                 "language": "fr", "category": ""}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(app, Question) == before + 2


def test_a_malformed_gift_file_is_refused_with_its_line_and_nothing_written(app, shipped, make, login_as, client):
    import io

    from quizzes.models import Question

    login_as(make.user(role=Role.TRAINER))
    before = count(app, Question)
    bad = GIFT + "\n::broken::Une question sans fin {=oui ~non\n"
    response = client.post_form("/author/courses/ethical-recruitment/questions/import",
                                {"file": (io.BytesIO(bad.encode()), "banque.gift"), "file_format": "gift",
                                 "language": "fr"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r"\b7\s?:", response.get_data(as_text=True))
    assert count(app, Question) == before


def test_the_course_page_offers_the_pre_test_until_it_is_taken(app, shipped, make, login_as, client):
    login_as(make.user())
    client.post_form("/courses/ethical-recruitment/enroll")
    page = client.get("/courses/ethical-recruitment").get_data(as_text=True)
    assert "/courses/ethical-recruitment/quizzes/pre-test" in page.split('id="enrolment"')[1].split("</section>")[0]
    client.post_form("/courses/ethical-recruitment/quizzes/pre-test/start")
    page = client.get("/courses/ethical-recruitment").get_data(as_text=True)
    assert "/quizzes/pre-test" not in page.split('id="enrolment"')[1].split("</section>")[0]
    assert "/lessons/" in page.split('id="enrolment"')[1].split("</section>")[0]


SETTINGS = {"pass_mark": "80", "attempts_allowed": "2", "grading_method": "last", "time_limit_minutes": "15",
            "opens_at": "2026-01-05T09:00", "closes_at": "2026-01-20T18:00", "review_policy": "immediately",
            "shuffle_questions": "y"}


def test_trainer_changes_a_quizs_settings_and_dates(app, shipped, make, login_as, client):
    from datetime import datetime, timezone

    login_as(make.user(role=Role.TRAINER))
    url = "/author/courses/ethical-recruitment/quizzes/final-quiz/settings"
    assert client.get(url).status_code == 200
    assert client.post_form(url, SETTINGS).status_code == 302
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "final-quiz"))
        assert (quiz.pass_mark, quiz.attempts_allowed, quiz.time_limit_minutes) == (80, 2, 15)
        assert quiz.grading_method.value == "last" and quiz.review_policy.value == "immediately"
        assert quiz.shuffle_questions and not quiz.shuffle_options
        # Typed in Casablanca time (UTC+1 in January), stored in UTC.
        assert quiz.opens_at == datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    assert 'value="2026-01-05T09:00"' in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("changes", [{"pass_mark": "120"}, {"attempts_allowed": "-1"},
                                     {"closes_at": "2026-01-01T08:00"}, {"grading_method": "average"}])
def test_quiz_settings_refuse_bad_values_and_keep_the_old_ones(app, shipped, make, login_as, client, changes):
    login_as(make.user(role=Role.TRAINER))
    url = "/author/courses/ethical-recruitment/quizzes/final-quiz/settings"
    assert client.post_form(url, {**SETTINGS, **changes}).status_code == 422
    assert scalar(app, select(Quiz.pass_mark).where(Quiz.key == "final-quiz")) == 70


def test_trainer_downloads_the_bank_as_gift_that_imports_back(app, shipped, make, login_as, client):
    from quizzes.gift import parse_gift
    from quizzes.models import Question

    login_as(make.user(role=Role.TRAINER))
    response = client.get("/author/courses/ethical-recruitment/questions.gift?lang=ar")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    parsed = parse_gift(response.get_data(as_text=True), "ar")
    assert len(parsed) == count(app, Question, ~Question.is_retired)
