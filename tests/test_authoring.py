"""Trainers write courses in the browser: settings, structure, lesson texts, files and learners."""

import io
import re

import pytest
from sqlalchemy import select

from courses.models import Course, CourseStatus, Enrollment, EnrollmentMode, Lesson, LessonTranslation, Upload
from lms.accounts.models import Role
from support import count, scalar, scalars

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

COURSE = {
    "slug": "new-course", "topic": "child-protection", "audience": ["social-workers", "child-protection-staff"],
    "estimated_hours": "3.5", "languages": ["fr", "ar"], "status": "draft", "enrollment_mode": "open",
    "title_fr": "Protéger les enfants", "title_ar": "حماية الأطفال", "summary_fr": "Résumé",
    "outcomes_fr": "Accueillir\nOrienter",
}


@pytest.fixture
def trainer_client(client, make, login_as):
    login_as(make.user(email="trainer@example.org", role=Role.TRAINER))
    return client


def create_course(client, **changes):
    return client.post_form("/author/courses/new", {**COURSE, **changes})


def outline_keys(app, slug) -> list[str]:
    return scalars(app, select(Lesson.key).join(Course).where(Course.slug == slug, ~Lesson.is_retired)
                   .order_by(Lesson.position))


def test_trainer_creates_a_draft_course_with_texts_in_each_language(app, trainer_client):
    response = create_course(trainer_client)
    assert response.status_code == 302
    course = scalar(app, select(Course).where(Course.slug == "new-course"))
    assert course.status is CourseStatus.DRAFT
    assert course.languages == ["fr", "ar"] and course.estimated_hours == 3.5
    assert [a.value for a in course.audience] == ["social-workers", "child-protection-staff"]


@pytest.mark.parametrize("changes, field", [
    ({"slug": "Not A Slug"}, "slug"),
    ({"title_ar": ""}, "title_ar"),
    ({"audience": []}, "audience"),
    ({"languages": []}, "languages"),
    ({"enrollment_mode": "key", "enrollment_key": ""}, "enrollment_key"),
    ({"estimated_hours": "-1"}, "estimated_hours"),
    ({"title_fr": "x" * 301}, "title_fr"),
])
def test_course_form_refuses_bad_input_and_keeps_what_was_typed(app, trainer_client, changes, field):
    response = create_course(trainer_client, **changes)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert (changes.get("title_fr") or "Protéger les enfants") in body
    assert count(app, Course) == 0


def test_a_second_course_cannot_take_the_same_short_name(app, trainer_client):
    create_course(trainer_client)
    response = create_course(trainer_client)
    assert response.status_code == 422
    assert count(app, Course) == 1


def build_course(client):
    create_course(client)
    client.post_form("/author/courses/new-course/modules", {"key": "welcome", "title_fr": "Accueil"})
    for key in ("first", "second", "third"):
        client.post_form("/author/courses/new-course/lessons", {"module": "1", "key": key, "title": key.title()})


def test_trainer_builds_modules_and_lessons_and_reorders_them(app, trainer_client):
    build_course(trainer_client)
    assert outline_keys(app, "new-course") == ["first", "second", "third"]
    third = scalar(app, select(Lesson.id).where(Lesson.key == "third"))
    trainer_client.post_form(f"/author/lessons/{third}/up")
    assert outline_keys(app, "new-course") == ["first", "third", "second"]
    first = scalar(app, select(Lesson.id).where(Lesson.key == "first"))
    trainer_client.post_form(f"/author/lessons/{first}/retire")
    assert outline_keys(app, "new-course") == ["third", "second"]
    trainer_client.post_form(f"/author/lessons/{first}/restore")
    assert outline_keys(app, "new-course") == ["first", "third", "second"]


def test_preview_renders_without_saving_and_save_stores_sanitized_html(app, trainer_client):
    build_course(trainer_client)
    lesson_id = scalar(app, select(Lesson.id).where(Lesson.key == "first"))
    text = "## Étape 1\n\n<script>alert(1)</script>Texte **important**\n\n!!! tip \"Conseil\"\n    Écouter."
    form = {"title": "Première leçon", "body": text, "duration": "12", "required": "y"}

    preview = trainer_client.post_form(f"/author/lessons/{lesson_id}/fr", {**form, "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "<strong>important</strong>" in html and 'class="admonition tip"' in html
    assert "<script>alert(1)" not in html
    assert scalar(app, select(LessonTranslation.body_markdown).where(LessonTranslation.lesson_id == lesson_id)) == ""

    saved = trainer_client.post_form(f"/author/lessons/{lesson_id}/fr", {**form, "action": "save"})
    assert saved.status_code == 302
    row = scalar(app, select(LessonTranslation).where(LessonTranslation.lesson_id == lesson_id,
                                                      LessonTranslation.language == "fr"))
    assert row.title == "Première leçon" and row.body_markdown == text
    assert "<h2>Étape 1</h2>" in row.body_html and "script" not in row.body_html
    assert scalar(app, select(Lesson.duration_minutes).where(Lesson.id == lesson_id)) == 12


def test_an_arabic_version_is_added_next_to_the_french_one(app, trainer_client):
    build_course(trainer_client)
    lesson_id = scalar(app, select(Lesson.id).where(Lesson.key == "first"))
    trainer_client.post_form(f"/author/lessons/{lesson_id}/ar",
                             {"title": "الدرس الأول", "body": "نص الدرس", "duration": "10", "action": "save"})
    languages = scalars(app, select(LessonTranslation.language).where(LessonTranslation.lesson_id == lesson_id))
    assert sorted(languages) == ["ar", "fr"]


@pytest.mark.parametrize("filename, data, content_type, attachment", [
    ("photo.png", PNG, "image/png", False),
    ("guide.pdf", PDF, "application/pdf", True),
])
def test_images_and_pdfs_are_accepted_by_content_and_served_with_their_type(
        app, trainer_client, client, filename, data, content_type, attachment):
    create_course(trainer_client)
    response = trainer_client.post_form("/author/courses/new-course/uploads", {"file": (io.BytesIO(data), filename)},
                                        content_type="multipart/form-data")
    assert response.status_code == 302
    page = trainer_client.get("/author/courses/new-course/uploads").get_data(as_text=True)
    address = re.search(r'href="(/uploads/[^"]+)"', page).group(1)
    served = app.test_client().get(address)
    assert served.status_code == 200 and served.data == data
    assert served.mimetype == content_type
    assert ("attachment" in served.headers.get("Content-Disposition", "")) is attachment
    served.close()


@pytest.mark.parametrize("filename, data", [
    ("picture.png", b"<html><script>alert(1)</script></html>"),
    ("handout.pdf", b"MZ\x90\x00 executable"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
])
def test_files_that_are_not_images_or_pdfs_are_refused_whatever_their_name(app, trainer_client, filename, data):
    create_course(trainer_client)
    response = trainer_client.post_form("/author/courses/new-course/uploads", {"file": (io.BytesIO(data), filename)},
                                        content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(app, Upload) == 0


def test_files_over_the_size_limit_are_refused(app, trainer_client, monkeypatch):
    create_course(trainer_client)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 50)
    response = trainer_client.post_form("/author/courses/new-course/uploads", {"file": (io.BytesIO(PNG), "big.png")},
                                        content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(app, Upload) == 0


def test_an_unknown_upload_address_is_not_found(client):
    assert client.get("/uploads/not-a-token/file.png").status_code == 404


def test_staff_enrol_a_learner_in_a_course_closed_to_self_enrolment(app, trainer_client, make):
    create_course(trainer_client, enrollment_mode="staff", status="published")
    learner = make.user(email="amal@example.org")
    response = trainer_client.post_form("/author/courses/new-course/learners", {"email": "AMAL@example.org"})
    assert response.status_code == 302
    assert count(app, Enrollment, Enrollment.user_id == learner.id) == 1
    page = trainer_client.get("/author/courses/new-course/learners").get_data(as_text=True)
    assert "amal@example.org" in page


def test_enrolling_an_unknown_address_says_so(app, trainer_client):
    create_course(trainer_client)
    response = trainer_client.post_form("/author/courses/new-course/learners", {"email": "nobody@example.org"})
    assert response.status_code == 422
    assert count(app, Enrollment) == 0


def test_publishing_a_course_puts_it_in_the_catalogue(app, trainer_client, make):
    create_course(trainer_client)
    learner_view = app.test_client()
    assert "Protéger les enfants" not in learner_view.get("/courses").get_data(as_text=True)
    settings = {**COURSE, "status": "published"}
    settings.pop("slug")
    assert trainer_client.post_form("/author/courses/new-course/edit", settings).status_code == 302
    assert scalar(app, select(Course.status)) is CourseStatus.PUBLISHED
    assert "Protéger les enfants" in learner_view.get("/courses").get_data(as_text=True)


def test_key_mode_needs_a_key_and_learners_must_type_it(app, trainer_client, make, login_as):
    create_course(trainer_client, status="published", enrollment_mode="key", enrollment_key="RABAT-2026")
    assert scalar(app, select(Course.enrollment_mode)) is EnrollmentMode.KEY
    learner = app.test_client()
    login_as(make.user(), target=learner)
    learner.post_form("/courses/new-course/enroll", {"key": "wrong"})
    assert count(app, Enrollment) == 0
    learner.post_form("/courses/new-course/enroll", {"key": " RABAT-2026 "})
    assert count(app, Enrollment) == 1
