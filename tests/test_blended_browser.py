"""A blended training in a real browser, on a phone-sized screen: a trainer creates a cohort, adds
people from a CSV file, holds a session and takes the roll, reviews the assignment a learner handed
in; the learner receives the emails, finds them on her notifications page, and gets her certificates.

Translated texts are compared with what the catalog gives in the reader's language.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from certificates.models import Certificate, CertificateKind
from conftest import PASSWORD
from courses.assignments.models import Assignment, Submission, SubmissionStatus
from courses.cohorts.models import Attendance, CohortMember
from courses.models import Course, Enrollment, Lesson, LessonProgress
from lms.accounts.models import Role
from lms.db import utcnow
from lms.extensions import db
from lms.mail import outbox
from lms.notifications.models import Notification
from support import scalar
from test_browser import assert_fits_a_small_phone, serious_violations

pytestmark = pytest.mark.browser


def say(app, message: str, locale: str = "fr", **values) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, user) -> None:
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


@pytest.fixture
def training(app, make):
    """A course that asks for every session and an accepted story idea; its one lesson Salma has read."""
    course = make.course(slug="story-ideas", lessons=1)
    trainer = make.user(email="nadia@example.org", full_name="Nadia Trainer", role=Role.TRAINER)
    learner = make.user(email="salma@example.org", full_name="Salma Idrissi")
    with app.app_context():
        db.session.get(Course, course.id).min_attendance_percent = 100
        assignment = Assignment(course_id=course.id, titles={"fr": "Proposer une idée de reportage",
                                                             "en": "Pitch a story idea"},
                                instructions_html={"fr": "<p>Angle, sources, personnes à interroger, format.</p>"},
                                accepts_text=True, file_types=",pdf,", max_file_mb=2, is_required=True,
                                rubric=[{"label": "Angle", "points": 10}, {"label": "Sources", "points": 5}])
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id))
        db.session.add_all([assignment, LessonProgress(user_id=learner.id, lesson_id=lesson.id, course_id=course.id)])
        db.session.commit()
        assignment_id = assignment.id
    return course, trainer, learner, assignment_id


def test_a_trainer_runs_a_blended_training_and_the_learner_is_certified(app, browser, live_server, training,
                                                                        tmp_path):
    course, trainer, learner, assignment_id = training
    with app.app_context():
        outbox().clear()
    coach = new_page(browser, live_server)
    sign_in(coach, trainer)

    # The cohort.
    coach.goto("/cohorts/new")
    coach.locator("#course").select_option(str(course.id))
    coach.locator("#name").fill("Académie des médias, Rabat, mars")
    today = utcnow().astimezone(ZoneInfo("Africa/Casablanca")).date()
    coach.locator("#starts_on").fill(today.isoformat())
    coach.locator("#ends_on").fill((today + timedelta(days=30)).isoformat())
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url("**/cohorts/*")
    assert serious_violations(coach) == []
    assert_fits_a_small_phone(coach)

    # People from a CSV file: Salma's account and a new participant.
    csv_file = tmp_path / "participants.csv"
    csv_file.write_text("email,full_name,gender,city\nsalma@example.org,Salma Idrissi,female,Rabat\n"
                        "youssef@example.org,Youssef Amrani,male,Salé\n", encoding="utf-8")
    coach.locator("summary", has_text=say(app, "Add people from a CSV file")).click()
    coach.locator("#file").set_input_files(str(csv_file))
    coach.locator("form[action$='/import'] button[type=submit]").click()
    coach.wait_for_load_state()
    assert coach.locator("table.matrix tbody tr").count() == 2

    # A session held this morning, and its roll call.
    coach.locator("summary", has_text=say(app, "Add a session")).click()
    coach.locator("#title").fill("Atelier : trouver l'angle")
    started = utcnow().astimezone(ZoneInfo("Africa/Casablanca")) - timedelta(hours=3)
    coach.locator("#starts_at").fill(started.strftime("%Y-%m-%dT%H:%M"))
    coach.locator("#place").fill("ISIC Rabat")
    coach.locator("form[action$='/sessions'] button[type=submit]").click()
    coach.locator("a", has_text=say(app, "Attendance")).first.click()
    assert serious_violations(coach) == []
    assert_fits_a_small_phone(coach)
    for name in ("Salma Idrissi", "Youssef Amrani"):
        row = coach.locator("fieldset.roll-row", has=coach.locator("legend", has_text=name))
        row.get_by_label(say(app, "Present")).check()
    coach.locator("form.roll button[type=submit]").click()
    coach.wait_for_load_state()
    with app.app_context():
        assert {a.status.value for a in db.session.scalars(sa.select(Attendance))} == {"present"}
        # Lesson read, every session attended: only the assignment is missing.
        assert db.session.scalar(sa.select(Enrollment.completed_at).where(Enrollment.user_id == learner.id)) is None

    # Salma hands in her story idea from her phone.
    student = new_page(browser, live_server)
    sign_in(student, learner)
    student.goto(f"/courses/{course.slug}")
    student.locator("a", has_text="Proposer une idée de reportage").click()
    assert serious_violations(student) == []
    student.locator("#text").fill("Les saisonnières marocaines de Huelva : trois témoignages, un syndicat, "
                                  "l'inspection du travail. Format : reportage radio de 5 minutes.")
    student.locator("main form button[type=submit]").click()
    student.wait_for_load_state()
    assert student.locator(".pre-line", has_text="saisonnières").count() == 1

    # The trainer reviews it: scores on the rubric, a comment, accepted.
    coach.goto(f"/assignments/{assignment_id}/submissions")
    coach.locator("a", has_text="Salma Idrissi").click()
    assert serious_violations(coach) == []
    assert_fits_a_small_phone(coach)
    coach.locator("#comment").fill("Angle clair et sources solides. Bravo !")
    coach.locator("#score-0").fill("9")
    coach.locator("#score-1").fill("5")
    coach.locator("#status").select_option("accepted")
    coach.locator("form[action$='/submissions/%d'] button[type=submit]" % scalar(
        app, sa.select(Submission.id))).click()
    coach.wait_for_load_state()
    assert scalar(app, sa.select(Submission.status)) is SubmissionStatus.ACCEPTED

    # Certificates of attendance for everyone present, the participant without a password included.
    coach.goto(f"/cohorts/{scalar(app, sa.select(CohortMember.cohort_id))}/certificates")
    assert coach.locator("input[name=member]:checked").count() == 2
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_load_state()

    with app.app_context():
        certificates = {(c.holder_name, c.kind) for c in db.session.scalars(sa.select(Certificate))}
        mails = [mail for mail in outbox() if mail.to == learner.email]
    assert certificates == {("Salma Idrissi", CertificateKind.COMPLETION), ("Salma Idrissi", CertificateKind.ATTENDANCE),
                            ("Youssef Amrani", CertificateKind.ATTENDANCE)}
    subjects = [mail.subject for mail in mails]
    assert subjects == [say(app, "You joined a training group on Masar"), say(app, "Feedback on your work"),
                        say(app, "Your certificate is ready"), say(app, "Your certificate is ready")]
    assert "Académie des médias, Rabat, mars" in mails[0].body
    assert f"{app.config['BASE_URL']}/assignments/{assignment_id}" in mails[1].body  # the public address

    # Salma sees it all: feedback, notifications, certificates.
    student.goto(f"/assignments/{assignment_id}")
    assert student.locator("text=Angle clair et sources solides").count() == 1
    student.goto("/notifications")
    assert student.locator(".notifications li").count() == 4
    assert serious_violations(student) == []
    student.goto("/certificates")
    assert student.locator(".card").count() == 2
    assert student.locator(".card", has_text=say(app, "Certificate of attendance")).count() == 1
    assert scalar(app, sa.select(sa.func.count(Notification.id)).where(Notification.user_id == learner.id)) == 4
    student.context.close()
    coach.context.close()
