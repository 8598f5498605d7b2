"""Assignments: authored in three languages, handed in as kept versions, reviewed, and selected by a panel."""

import html
import io
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import ON_POSTGRESQL, count, scalar, scalars

from certificates.models import Certificate
from courses.assignments.models import (
    Assignment,
    PanelScore,
    Review,
    Selection,
    Submission,
    SubmissionVersion,
    assignment_panel,
)
from courses.cohorts.models import Cohort, CohortMember
from courses.models import Enrollment
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.mail import outbox
from lms.notifications.models import Notification

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def read(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def sent(app) -> list:
    with app.app_context():
        return list(outbox())


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("story.txt", "idea")
    return buffer.getvalue()


@pytest.fixture
def course(make):
    return make.course(slug="media-academy", lessons=1)


@pytest.fixture
def people(app, make, course):
    """A trainer of the learner's cohort, a trainer of another cohort, the learner and another learner."""
    trainer = make.user(email="trainer@example.org", full_name="Nadia Trainer", role=Role.TRAINER, locale="en")
    other_trainer = make.user(email="other@example.org", full_name="Omar Other", role=Role.TRAINER, locale="en")
    learner = make.user(email="salma@example.org", full_name="Salma Idrissi", locale="ar")
    classmate = make.user(email="karim@example.org", full_name="Karim Benali", locale="en")
    with app.app_context():
        today = utcnow().date()
        mine = Cohort(course_id=course.id, name="Promo 2026", starts_on=today, ends_on=today + timedelta(30),
                      trainers=[db.session.get(User, trainer.id)])
        theirs = Cohort(course_id=course.id, name="Promo B", starts_on=today, ends_on=today + timedelta(30),
                        trainers=[db.session.get(User, other_trainer.id)])
        db.session.add_all([mine, theirs])
        db.session.flush()
        db.session.add_all([CohortMember(cohort_id=mine.id, user_id=learner.id),
                            CohortMember(cohort_id=theirs.id, user_id=classmate.id),
                            Enrollment(user_id=learner.id, course_id=course.id),
                            Enrollment(user_id=classmate.id, course_id=course.id)])
        db.session.commit()
    return trainer, other_trainer, learner, classmate


def make_assignment(app, course, **fields) -> Assignment:
    with app.app_context():
        panel = fields.pop("panel", [])
        assignment = Assignment(course_id=course.id, titles={"fr": "Idée de reportage", "en": "Story idea",
                                                              "ar": "فكرة تحقيق"},
                                instructions_html={"fr": "<p>Angle, sources</p>"}, accepts_text=True,
                                file_types=",pdf,", max_file_mb=1, **fields)
        assignment.panel = [db.session.get(User, user.id) for user in panel]
        db.session.add(assignment)
        db.session.commit()
        db.session.refresh(assignment)
        db.session.expunge(assignment)
        return assignment


def signed_in(app, login_as, user):
    client = app.test_client()
    login_as(user, target=client)
    return client


def test_an_author_writes_an_assignment_in_three_languages(app, make, course, client, login_as):
    trainer = make.user(role=Role.TRAINER, locale="en")
    login_as(trainer)
    url = f"/author/courses/{course.slug}/assignments/new"
    assert "Rubric" in read(client, url)
    form = {"title_fr": "Proposer une idée de reportage", "title_ar": "اقتراح فكرة تحقيق", "title_en": "Pitch a story",
            "instructions_fr": "Angle, **sources**, personnes à interroger <script>alert(1)</script>",
            "instructions_ar": "الزاوية والمصادر", "instructions_en": "Angle, sources, people to interview, format",
            "deadline": "2030-05-31T23:59", "accepts_text": "y", "file_types": ["pdf", "docx"], "max_file_mb": "5",
            "rubric": "Angle | 10\nSources | 5", "is_required": "y"}

    for bad, message in [({"title_fr": "", "title_ar": "", "title_en": ""}, "Give the assignment a title."),
                         ({"accepts_text": "", "file_types": []}, "Accept a text, a file, or both."),
                         ({"rubric": "Angle ten"}, "Line 1"),
                         ({"max_file_mb": "50"}, "Files can be up to 10 MB.")]:
        response = client.post_form(url, {**form, **bad})
        assert response.status_code == 422 and message in html.unescape(response.get_data(as_text=True)), bad
    assert count(app, Assignment) == 0

    assert client.post_form(url, form).status_code == 302
    assignment = scalar(app, sa.select(Assignment))
    assert assignment.titles["ar"] == "اقتراح فكرة تحقيق" and assignment.file_type_codes == ["pdf", "docx"]
    assert assignment.rubric == [{"label": "Angle", "points": 10}, {"label": "Sources", "points": 5}]
    assert "<strong>sources</strong>" in assignment.instructions_html["fr"]
    assert "<script" not in assignment.instructions_html["fr"]
    with app.app_context():  # typed in Morocco time, kept as a moment, shown again as typed
        from lms.i18n import to_local
        assert to_local(assignment.deadline).strftime("%Y-%m-%d %H:%M") == "2030-05-31 23:59"
    assert 'value="2030-05-31T23:59"' in read(client, f"/author/assignments/{assignment.id}/edit")
    learner = make.user(email="l@example.org")
    assert signed_in(app, login_as, learner).post_form(url, form).status_code == 403

    # Editing keeps what was saved; a trainer cannot appoint a panel (its members see every
    # submission of the course), an administrator can.
    edit = f"/author/assignments/{assignment.id}/edit"
    assert "Pitch a story" in read(client, edit)
    selection = {**form, "title_en": "Summer school call", "is_selection": "y", "panel": [str(trainer.id)]}
    assert client.post_form(edit, selection).status_code == 302
    saved = scalar(app, sa.select(Assignment))
    assert saved.titles["en"] == "Summer school call" and saved.is_selection
    assert count(app, assignment_panel) == 0
    admin = make.user(role=Role.ADMIN, locale="en")
    assert signed_in(app, login_as, admin).post_form(edit, selection).status_code == 302
    assert scalars(app, sa.select(assignment_panel.c.user_id)) == [trainer.id]


def test_learners_hand_in_versions_and_bad_files_are_refused(app, course, people, login_as):
    trainer, other_trainer, learner, classmate = people
    assignment = make_assignment(app, course, deadline=utcnow() + timedelta(days=3))
    client = signed_in(app, login_as, learner)
    url = f"/assignments/{assignment.id}"
    page = read(client, url)
    assert "فكرة تحقيق" in page and "PDF" in page  # her language, and what is accepted
    with app.app_context():  # the messages below are read in English
        db.session.get(User, learner.id).locale = "en"
        db.session.commit()

    def hand_in(text="", name=None, data=None):
        body = {"text": text}
        if name:
            body["file"] = (io.BytesIO(data), name)
        return client.post_form(url, body, content_type="multipart/form-data")

    refusals = [hand_in(""), hand_in("x", "idea.zip", a_zip()), hand_in("x", "report.pdf", a_zip()),
                hand_in("x", "setup.pdf", b"MZ\x90\x00" + b"\x00" * 200), hand_in("x", "photo.png", PNG)]
    assert [r.status_code for r in refusals] == [422] * 5
    texts = [html.unescape(r.get_data(as_text=True)) for r in refusals]
    assert "Archives and programs are not accepted" in texts[1] and "Archives and programs" in texts[2]
    assert "Archives and programs" in texts[3] and "not accepted here" in texts[4]
    assert count(app, SubmissionVersion) == 0

    assert hand_in("Angle: les saisonnières", "Idée finale.pdf", PDF).status_code == 302
    assert hand_in("Angle revu, avec deux sources").status_code == 302
    versions = scalars(app, sa.select(SubmissionVersion).order_by(SubmissionVersion.number))
    assert [v.number for v in versions] == [1, 2] and versions[0].file_name == "Idée finale.pdf"
    stored = Path(app.config["SUBMISSION_FOLDER"]) / versions[0].file_token
    assert stored.read_bytes() == PDF and "Idée" not in versions[0].file_token
    assert not str(stored).startswith(app.static_folder)
    page = read(client, url)
    assert "Angle: les saisonnières" in page and "Angle revu" in page  # every version is kept and shown

    with client.get(f"/assignments/files/{versions[0].id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment")
    # Another learner and a trainer who does not train her see neither the file nor the page.
    assert signed_in(app, login_as, classmate).get(f"/assignments/files/{versions[0].id}").status_code == 404
    outsider = signed_in(app, login_as, other_trainer)
    assert outsider.get(f"/assignments/files/{versions[0].id}").status_code == 404
    submission = scalar(app, sa.select(Submission))
    assert outsider.get(f"/submissions/{submission.id}").status_code == 404
    assert "Salma" not in read(outsider, f"/assignments/{assignment.id}/submissions")

    with app.app_context():
        db.session.get(Assignment, assignment.id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    late = hand_in("Too late")
    assert late.status_code == 422 and count(app, SubmissionVersion) == 2


def test_files_over_the_assignments_size_are_refused(app):
    from courses.assignments.files import check_file
    from lms.errors import DomainError

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert check_file("a.pdf", PDF + b"0" * (1024 * 1024 - len(PDF)), ["pdf"], 1).content_type == "application/pdf"
        with pytest.raises(DomainError, match="larger than 1 MB"):
            check_file("big.pdf", PDF + b"0" * (1024 * 1024), ["pdf"], 1)
        with pytest.raises(DomainError, match="empty"):
            check_file("none.pdf", b"", ["pdf"], 1)


def test_a_trainer_reviews_with_a_rubric_and_acceptance_completes_the_course(app, course, people, login_as):
    trainer, other_trainer, learner, classmate = people
    assignment = make_assignment(app, course, rubric=[{"label": "Angle", "points": 10},
                                                      {"label": "Sources", "points": 5}], is_required=True)
    learner_client = signed_in(app, login_as, learner)
    learner_client.post_form(f"/assignments/{assignment.id}", {"text": "Première idée"})
    submission = scalar(app, sa.select(Submission))
    with app.app_context():  # the learner has done the lessons: only the assignment is missing
        from courses.models import Lesson, LessonProgress
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id))
        db.session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id, course_id=course.id))
        db.session.commit()

    outsider = signed_in(app, login_as, other_trainer)
    assert outsider.post_form(f"/submissions/{submission.id}", {"comment": "x", "status": "accepted"}).status_code == 404
    assert count(app, Review) == 0

    client = signed_in(app, login_as, trainer)
    url = f"/submissions/{submission.id}"
    assert "Première idée" in read(client, url)
    for bad in [{"score-0": "11", "score-1": "3"}, {"score-0": "8"}, {"score-0": "eight", "score-1": "3"},
                {"status": "needs_revision"}]:
        body = {"comment": "", "status": "submitted", **bad}
        assert client.post_form(url, body).status_code == 422, bad
    assert count(app, Review) == 0

    assert client.post_form(url, {"comment": "Précisez vos sources.", "status": "needs_revision",
                                  "score-0": "7", "score-1": "2"}).status_code == 302
    [mail] = [m for m in sent(app) if m.to == "salma@example.org"]
    assert "فكرة تحقيق" in mail.body  # in her language
    page = read(learner_client, f"/assignments/{assignment.id}")
    assert "Précisez vos sources." in page and "7" in page
    assert scalar(app, sa.select(Enrollment.completed_at).where(Enrollment.user_id == learner.id)) is None

    learner_client.post_form(f"/assignments/{assignment.id}", {"text": "Idée revue avec trois sources"})
    assert client.post_form(url, {"comment": "Bravo", "status": "accepted", "score-0": "9",
                                  "score-1": "5"}).status_code == 302
    assert scalar(app, sa.select(Enrollment.completed_at).where(Enrollment.user_id == learner.id)) is not None
    assert count(app, Certificate) == 1
    kinds = {n.kind.value for n in scalars(app, sa.select(Notification).where(Notification.user_id == learner.id))}
    assert kinds == {"assignment_feedback", "certificate_issued"}
    # Accepted work takes no new version.
    assert learner_client.post_form(f"/assignments/{assignment.id}", {"text": "again"}).status_code == 422


def test_a_panel_scores_independently_ranks_selects_and_tells_applicants(app, make, course, people, login_as):
    trainer, other_trainer, learner, classmate = people
    juror = make.user(email="juror@example.org", full_name="Jamal Juror", role=Role.TRAINER, locale="en")
    assignment = make_assignment(app, course, is_selection=True, panel=[juror, other_trainer],
                                 rubric=[{"label": "Angle", "points": 10}])
    for user, text in ((learner, "Saisonnières de Huelva"), (classmate, "Mineurs à Tanger")):
        signed_in(app, login_as, user).post_form(f"/assignments/{assignment.id}", {"text": text})
    salma, karim = scalars(app, sa.select(Submission).order_by(Submission.id))

    jury = signed_in(app, login_as, juror)
    second = signed_in(app, login_as, other_trainer)
    assert second.post_form(f"/submissions/{salma.id}/score", {"score-0": "6", "comment": "Bien"}).status_code == 302
    page = read(jury, f"/submissions/{salma.id}")
    assert "Omar Other" not in page and "1 panel member has scored" in page  # not before scoring it himself
    row = read(jury, f"/assignments/{assignment.id}/submissions").split("Salma Idrissi")[1].split("</tr>")[0]
    assert "score it first" in row and "1 score" not in row

    assert jury.post_form(f"/submissions/{salma.id}/score", {"score-0": "12"}).status_code == 422
    assert jury.post_form(f"/submissions/{salma.id}/score", {"score-0": "10"}).status_code == 302
    assert jury.post_form(f"/submissions/{karim.id}/score", {"score-0": "5"}).status_code == 302
    assert "Omar Other" in read(jury, f"/submissions/{salma.id}")
    ranking = read(jury, f"/assignments/{assignment.id}/submissions")
    assert ranking.index("Salma Idrissi") < ranking.index("Karim Benali")
    assert "<td>8 (2 scores)</td>" in ranking and "<td>5 (1 score)</td>" in ranking

    # The trainer of Salma's cohort reviews her work but has no say in the selection.
    coach = signed_in(app, login_as, trainer)
    assert coach.post_form(f"/submissions/{salma.id}/selection", {"selection": "selected"}).status_code == 403
    assert coach.post_form(f"/assignments/{assignment.id}/announce").status_code == 403
    assert coach.post_form(f"/submissions/{salma.id}/score", {"score-0": "1"}).status_code == 403
    assert count(app, PanelScore) == 3

    assert jury.post_form(f"/assignments/{assignment.id}/announce").status_code == 302
    assert scalar(app, sa.select(Assignment.outcome_announced_at)) is None  # nobody selected yet
    assert jury.post_form(f"/submissions/{karim.id}/selection", {"selection": "shortlisted"}).status_code == 302
    assert jury.post_form(f"/submissions/{salma.id}/selection", {"selection": "selected"}).status_code == 302
    assert jury.post_form(f"/assignments/{assignment.id}/announce").status_code == 302
    outcomes = {n.user_id: n.params["selected"] for n in scalars(
        app, sa.select(Notification).where(Notification.kind == "selection_outcome"))}
    assert outcomes == {learner.id: True, classmate.id: False}
    with app.test_request_context():
        from flask_babel import force_locale, gettext
        with force_locale("ar"):
            selected_text = gettext("You were selected.")
    assert selected_text in read(signed_in(app, login_as, learner), f"/assignments/{assignment.id}")
    assert "Your submission was not selected this time." in read(signed_in(app, login_as, classmate),
                                                                 f"/assignments/{assignment.id}")
    assert scalar(app, sa.select(Submission.selection).where(Submission.id == salma.id)) is Selection.SELECTED
    # The selection is closed: no more scores or marks.
    assert jury.post_form(f"/submissions/{karim.id}/score", {"score-0": "9"}).status_code == 422
    jury.post_form(f"/submissions/{karim.id}/selection", {"selection": "selected"})
    assert scalar(app, sa.select(Submission.selection).where(Submission.id == karim.id)) is Selection.SHORTLISTED
    assert jury.post_form(f"/assignments/{assignment.id}/announce").status_code == 302
    assert count(app, Notification, Notification.kind == "selection_outcome") == 2


def test_reviewer_pages_run_a_fixed_number_of_queries(app, make, course, people, login_as, count_queries):
    from courses.cohorts.models import CohortSession
    from lms.notifications.models import NotificationKind

    trainer, other_trainer, learner, classmate = people
    assignment = make_assignment(app, course, is_selection=True, panel=[trainer],
                                 rubric=[{"label": "Angle", "points": 10}])
    cohort_id = scalar(app, sa.select(CohortMember.cohort_id).where(CohortMember.user_id == learner.id))
    client = signed_in(app, login_as, trainer)
    pages = {"/assignments/{a}/submissions": 8, "/submissions/{s}": 11, "/notifications": 2,
             "/cohorts/{c}/certificates": 8, "/cohorts/{c}": 13}
    counts = {}
    for size in (2, 25):
        with app.app_context():
            start = db.session.scalar(sa.select(sa.func.count(User.id)))
            for n in range(size):
                user = User(email=f"bulk{start + n}@example.org", full_name=f"Bulk {start + n}")
                db.session.add(user)
                db.session.flush()
                db.session.add_all([CohortMember(cohort_id=cohort_id, user_id=user.id),
                                    Enrollment(user_id=user.id, course_id=course.id),
                                    Notification(user_id=trainer.id, kind=NotificationKind.COHORT_ADDED,
                                                 params={"cohort": "x"}, link="/")])
                submission = Submission(assignment_id=assignment.id, user_id=user.id, versions_count=1)
                db.session.add(submission)
                db.session.flush()
                db.session.add_all([SubmissionVersion(submission_id=submission.id, number=1, text="idea"),
                                    PanelScore(submission_id=submission.id, reviewer_id=trainer.id, total=n % 10,
                                               scores=[n % 10]),
                                    Review(submission_id=submission.id, reviewer_id=trainer.id, version_number=1,
                                           comment="ok", status="submitted")])
            db.session.add(CohortSession(cohort_id=cohort_id, title="S", starts_at=utcnow()))
            db.session.commit()
            first = db.session.scalar(sa.select(Submission.id).order_by(Submission.id))
        for template, budget in pages.items():
            url = template.format(a=assignment.id, s=first, c=cohort_id)
            with count_queries() as queries:
                assert client.get(url).status_code == 200, url
            counts.setdefault(template, []).append(len(queries))
            assert len(queries) <= budget, (url, len(queries))
    assert {url: found for url, found in counts.items() if found[0] != found[1]} == {}


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_hand_ins_are_numbered_one_after_the_other(app, course, people):
    """A double click on a slow connection: both versions are kept, numbered 1 and 2, no error."""
    from courses.assignments.services import submit

    trainer, other_trainer, learner, classmate = people
    assignment = make_assignment(app, course)
    barrier, outcomes = threading.Barrier(4), []

    def hand_in(number):
        with app.test_request_context():
            user, target = db.session.get(User, learner.id), db.session.get(Assignment, assignment.id)
            barrier.wait()
            try:
                submit(target, user, f"Version from click {number}", None)
                db.session.commit()
                outcomes.append("kept")
            except Exception as error:  # noqa: BLE001 - the outcome is what the test counts
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=hand_in, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["kept"] * 4
    assert count(app, Submission) == 1
    assert sorted(scalars(app, sa.select(SubmissionVersion.number))) == [1, 2, 3, 4]
