"""The learner's path through HTTP: catalogue, course page, enrolment, "my learning" and the lesson player.

Pages are read as a browser would get them; the database is read on fresh sessions (see support.py).
Translated texts are compared with what the catalog gives in the reader's language, never hard-coded.
"""

import gzip
import html
import random
import re
import threading
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from courses.models import (
    Audience,
    Course,
    CourseStatus,
    CourseTranslation,
    Enrollment,
    EnrollmentMode,
    Lesson,
    LessonProgress,
    Module,
    Topic,
    codes_field,
)
from lms.accounts.models import Role
from lms.extensions import db
from conftest import PASSWORD
from support import ON_POSTGRESQL, count, scalar



# Helpers -----------------------------------------------------------------------------------------


def say(app, message: str, locale: str = "fr", **values) -> str:
    """A message as the catalog renders it in ``locale``."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def read(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def text_of(markup: str) -> str:
    """Visible text with tags dropped and runs of ASCII spaces collapsed (no-break spaces are kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def catalogue_slugs(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/courses/([^"/]+)">', page)


def catalogue_titles(page: str) -> dict[str, str]:
    return dict(re.findall(r'<h2><a href="/courses/([^"/]+)">([^<]*)</a></h2>', page))


def card(page: str, slug: str) -> str:
    """The card of one course on the catalogue or on "my learning"."""
    cards = [chunk for chunk in re.findall(r'<li class="card">(.*?)</li>', page, re.DOTALL)
             if f'href="/courses/{slug}"' in chunk]
    assert len(cards) == 1, f"no single card for {slug}"
    return cards[0]


def flashes(page: str, category: str) -> list[str]:
    pattern = rf'<p class="flash flash-{category}">(.*?)</p>'
    return [text_of(chunk) for chunk in re.findall(pattern, page, re.DOTALL)]


def lesson_url(slug: str, key: str) -> str:
    return f"/courses/{slug}/lessons/{key}"


def done_url(slug: str, key: str) -> str:
    return f"/courses/{slug}/lessons/{key}/done"


def course_page_outline(page: str) -> list[tuple[str, list[str]]]:
    """(module title, [lesson titles]) from the course page."""
    outline = page.split("<ol class=\"outline\">", 1)[1]
    modules = re.findall(r"<li><strong>(.*?)</strong>\s*<ol>(.*?)</ol>", outline, re.DOTALL)
    return [(title.strip(), [text_of(re.sub(r'<span class="meta">.*?</span>', "", lesson, flags=re.DOTALL))
                             for lesson in re.findall(r"<li>(.*?)</li>", lessons, re.DOTALL)])
            for title, lessons in modules]


def player_outline(page: str) -> dict[str, bool]:
    """Lesson title -> whether the lesson player's outline marks it done."""
    outline = re.search(r'<ol class="outline">(.*?)</ol>', page, re.DOTALL).group(1)
    entries = re.findall(r"<li[^>]*>(.*?)</li>", outline, re.DOTALL)
    return {text_of(re.sub(r"<span class=\"done\"[^>]*>.*?</span>", "", entry)): 'class="done"' in entry
            for entry in entries}


def article(page: str) -> tuple[dict[str, str], str]:
    """The lesson article's attributes and its text."""
    match = re.search(r'<article class="lesson"([^>]*)>(.*?)</article>', page, re.DOTALL)
    assert match, "no lesson article"
    return dict(re.findall(r'(\w+)="([^"]*)"', match.group(1))), match.group(2)


def rel_link(page: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return match.group(1) if match else None


def set_course(app, course, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Course).where(Course.id == course.id).values(**values))
        db.session.commit()


def set_title(app, course, language: str, title: str, summary: str | None = None) -> None:
    values = {"title": title} if summary is None else {"title": title, "summary": summary}
    with app.app_context():
        db.session.execute(sa.update(CourseTranslation).where(
            CourseTranslation.course_id == course.id, CourseTranslation.language == language).values(**values))
        db.session.commit()


def set_lesson(app, course, key: str, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Lesson).where(Lesson.course_id == course.id, Lesson.key == key)
                           .values(**values))
        db.session.commit()


def enrol_directly(app, user, *courses) -> None:
    with app.app_context():
        db.session.add_all(Enrollment(user_id=user.id, course_id=course.id) for course in courses)
        db.session.commit()


def enrollment(app, user, course) -> Enrollment | None:
    return scalar(app, sa.select(Enrollment).where(Enrollment.user_id == user.id,
                                                    Enrollment.course_id == course.id))


def enrollments(app, user, course) -> int:
    return count(app, Enrollment, Enrollment.user_id == user.id, Enrollment.course_id == course.id)


def progress_rows(app, user, course) -> int:
    return count(app, LessonProgress, LessonProgress.user_id == user.id, LessonProgress.course_id == course.id)


def enrol(client, slug: str, key: str | None = None):
    return client.post_form(f"/courses/{slug}/enroll", {"key": key} if key is not None else {})


def mark_done(client, slug: str, key: str):
    return client.post_form(done_url(slug, key))


@pytest.fixture
def learner(make, client, login_as):
    """A signed-in learner (French, the default language)."""
    user = make.user()
    login_as(user)
    return user


# Catalogue ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "learner"])
def test_the_catalogue_lists_published_courses_and_hides_drafts(make, client, login_as, signed_in):
    make.course(slug="published-one")
    make.course(slug="published-two")
    make.course(slug="draft-one", publish=False)
    if signed_in:
        login_as(make.user())

    page = read(client, "/courses")

    assert sorted(catalogue_slugs(page)) == ["published-one", "published-two"]
    assert "draft-one" not in page


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"trafficking-fr", "child-ar", "journalists-en"}),
    ("topic=child-protection", {"child-ar"}),
    ("topic=trafficking", {"trafficking-fr", "journalists-en"}),
    ("audience=journalists", {"journalists-en"}),
    ("audience=social-workers", {"trafficking-fr", "child-ar"}),
    ("language=ar", {"child-ar"}),
    ("language=en", {"journalists-en"}),
    ("topic=trafficking&language=fr", {"trafficking-fr"}),
    ("topic=child-protection&audience=journalists", set()),
])
def test_the_catalogue_filters_by_topic_audience_and_language(app, make, client, query, expected):
    make.course(slug="trafficking-fr", languages=("fr",))
    child = make.course(slug="child-ar", languages=("ar",))
    journalists = make.course(slug="journalists-en", languages=("en",))
    set_course(app, child, topic=Topic.CHILD_PROTECTION)
    set_course(app, journalists, audience_codes=codes_field([Audience.JOURNALISTS.value]))

    assert set(catalogue_slugs(read(client, f"/courses?{query}"))) == expected


@pytest.mark.parametrize(("words", "expected"), [
    ("حماية الطفل", {"alpha"}),             # an Arabic title, searched by a French reader
    ("RECRUTEMENT", {"beta"}),              # a French summary, in capitals
    ("ethical recruitment", {"gamma"}),     # an English title
    ("  migrants  ", {"beta", "gamma"}),    # summaries, spaces around
    ("100%", set()),                        # LIKE wildcards are plain characters
    ("_", set()),
    ("nothing like this", set()),
])
def test_the_catalogue_search_matches_titles_and_summaries_in_any_language(app, make, client, words, expected):
    alpha, beta, gamma = (make.course(slug=slug) for slug in ("alpha", "beta", "gamma"))
    set_title(app, alpha, "ar", "حماية الطفل في المغرب")
    set_title(app, beta, "fr", "Droits des travailleurs", summary="Le recrutement équitable des migrants.")
    set_title(app, gamma, "en", "Ethical recruitment", summary="For employers of migrants.")

    page = read(client, "/courses?" + urlencode({"q": words}))

    assert set(catalogue_slugs(page)) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("fr", {"every": "Leçon every", "no-arabic": "Leçon no-arabic", "english-only": "Lesson english-only"}),
    ("ar", {"every": "الدرس every", "no-arabic": "Leçon no-arabic", "english-only": "Lesson english-only"}),
    ("en", {"every": "Lesson every", "no-arabic": "Lesson no-arabic", "english-only": "Lesson english-only"}),
])
def test_catalogue_titles_are_in_the_readers_language_with_a_fallback(make, client, locale, expected):
    make.course(slug="every")
    make.course(slug="no-arabic", languages=("fr", "en"))
    make.course(slug="english-only", languages=("en",))
    assert client.post_form("/language", {"locale": locale}).status_code == 302

    assert catalogue_titles(read(client, "/courses")) == expected


# Course page -------------------------------------------------------------------------------------


def test_the_course_page_shows_the_outline_hours_languages_and_outcomes(make, client, login_as):
    make.course(slug="outlined", lessons=5, modules=2, languages=("fr", "en"))
    login_as(make.user(locale="en"))

    page = read(client, "/courses/outlined")

    assert "<h1>Lesson outlined</h1>" in page
    assert course_page_outline(page) == [
        ("Module 1 en", ["Lesson 1", "Lesson 2", "Lesson 3"]),
        ("Module 2 en", ["Lesson 4", "Lesson 5"]),
    ]
    details = re.search(r'<dl class="details">(.*?)</dl>', page, re.DOTALL).group(1)
    assert "2.5" in text_of(details)
    assert re.findall(r'<span lang="(\w+)">', details) == ["fr", "en"]
    assert "Outcome one en" in page and "Outcome two en" in page
    assert "Outcome one fr" not in page


@pytest.mark.parametrize(("role", "status"), [
    (None, 404), (Role.LEARNER, 404), (Role.MANAGER, 404), (Role.TRAINER, 200), (Role.ADMIN, 200),
])
def test_a_draft_course_is_hidden_from_learners_and_shown_to_authors(make, client, login_as, role, status):
    make.course(slug="draft", publish=False)
    if role is not None:
        login_as(make.user(role=role))

    page = read(client, "/courses/draft", status=status)

    if status == 200:
        assert "<h1>Leçon draft</h1>" in page


# Enrolment ---------------------------------------------------------------------------------------


def test_a_learner_enrols_in_an_open_course_and_is_offered_the_first_lesson(app, make, client, learner):
    course = make.course(slug="open")
    before = read(client, "/courses/open")
    assert 'action="/courses/open/enroll"' in before

    response = enrol(client, "open")

    assert response.status_code == 302 and response.location == "/courses/open"
    assert enrollments(app, learner, course) == 1
    page = read(client, "/courses/open")
    assert flashes(page, "success") == [say(app, "You are enrolled. Good learning!")]
    assert 'action="/courses/open/enroll"' not in page
    assert f'href="{lesson_url("open", "lesson-001")}"' in page


def test_enrolling_twice_keeps_one_enrolment(app, make, client, learner):
    course = make.course(slug="twice")
    enrol(client, "twice")
    first = enrollment(app, learner, course)

    assert enrol(client, "twice").status_code == 302

    assert enrollments(app, learner, course) == 1
    assert enrollment(app, learner, course).enrolled_at == first.enrolled_at


@pytest.mark.parametrize("typed", [None, "", "   ", "wrong", "SECRET-42", "secret-4", "secret-42x", "secret 42",
                                   "sécret-42", "مفتاح"])
def test_a_wrong_enrolment_key_is_refused_with_a_message(app, make, client, learner, typed):
    course = make.course(slug="keyed")
    set_course(app, course, enrollment_mode=EnrollmentMode.KEY, enrollment_key="secret-42")

    response = enrol(client, "keyed", typed)

    assert response.status_code == 302 and response.location == "/courses/keyed"
    assert enrollments(app, learner, course) == 0
    page = read(client, "/courses/keyed")
    assert flashes(page, "error") == [say(app, "This enrolment key is not correct.")]
    assert 'name="key"' in page


@pytest.mark.parametrize(("stored", "typed"), [
    ("secret-42", "secret-42"),
    ("secret-42", "  secret-42  "),
    ("secret-42", "\tsecret-42\n"),
    ("clé-سر", " clé-سر "),
])
def test_the_right_enrolment_key_enrols_once_spaces_are_stripped(app, make, client, learner, stored, typed):
    course = make.course(slug="keyed")
    set_course(app, course, enrollment_mode=EnrollmentMode.KEY, enrollment_key=stored)
    assert 'name="key"' in read(client, "/courses/keyed")

    enrol(client, "keyed", typed)

    assert enrollments(app, learner, course) == 1
    assert flashes(read(client, "/courses/keyed"), "success")


@pytest.mark.parametrize(("fields", "message"), [
    ({"enrollment_mode": EnrollmentMode.STAFF}, "A trainer or an administrator enrols learners in this course."),
    ({"is_closed": True}, "This course is closed to new learners."),
    ({"is_closed": True, "enrollment_mode": EnrollmentMode.KEY, "enrollment_key": "secret"},
     "This course is closed to new learners."),
])
def test_staff_only_and_closed_courses_refuse_self_enrolment(app, make, client, learner, fields, message):
    course = make.course(slug="restricted")
    set_course(app, course, **fields)
    before = read(client, "/courses/restricted")
    assert 'action="/courses/restricted/enroll"' not in before
    assert say(app, message) in before

    response = enrol(client, "restricted", "secret")

    assert response.status_code == 302
    assert enrollments(app, learner, course) == 0
    assert flashes(read(client, "/courses/restricted"), "error") == [say(app, message)]


def test_a_closed_course_keeps_its_enrolled_learners(app, make, client, learner):
    course = make.course(slug="closing", lessons=2)
    enrol(client, "closing")
    set_course(app, course, is_closed=True)

    assert "Leçon 1" in read(client, lesson_url("closing", "lesson-001"))
    assert mark_done(client, "closing", "lesson-001").status_code == 302
    assert progress_rows(app, learner, course) == 1
    assert f'href="{lesson_url("closing", "lesson-002")}"' in read(client, "/courses/closing")


def test_a_draft_course_cannot_be_enrolled_in(app, make, client, learner):
    course = make.course(slug="draft", publish=False)

    assert enrol(client, "draft").status_code == 404
    assert enrollments(app, learner, course) == 0


def test_a_guest_is_sent_to_sign_in_to_enrol_and_comes_back(app, make, client):
    course = make.course(slug="open")
    guest = make.user()

    page = read(client, "/courses/open")
    assert 'href="/login?next=/courses/open"' in page
    assert 'action="/courses/open/enroll"' not in page

    response = client.post_form("/courses/open/enroll")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert count(app, Enrollment, Enrollment.course_id == course.id) == 0

    signed_in = client.post_form("/login?next=/courses/open", {"email": guest.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location == "/courses/open"
    assert 'action="/courses/open/enroll"' in read(client, "/courses/open")


# My learning -------------------------------------------------------------------------------------


def test_my_learning_shows_progress_and_continues_at_the_first_unfinished_lesson(app, make, client, learner):
    make.course(slug="started", lessons=4)
    make.course(slug="untouched", lessons=2)
    enrol(client, "started")
    enrol(client, "untouched")
    mark_done(client, "started", "lesson-001")
    mark_done(client, "started", "lesson-003")  # done out of order: the gap is where to continue

    page = read(client, "/learning")

    started, untouched = card(page, "started"), card(page, "untouched")
    assert say(app, "%(done)s of %(total)s required lessons done", done="2", total="4") in started
    assert f'href="{lesson_url("started", "lesson-002")}"' in started
    assert say(app, "%(done)s of %(total)s required lessons done", done="0", total="2") in untouched
    assert f'href="{lesson_url("untouched", "lesson-001")}"' in untouched


def test_my_learning_lists_only_the_learners_own_courses(make, client, learner, app):
    make.course(slug="mine")
    other_course = make.course(slug="theirs")
    enrol(client, "mine")
    enrol_directly(app, make.user(), other_course)

    page = read(client, "/learning")

    assert re.findall(r'<h2><a href="/courses/([^"]+)">', page) == ["mine"]


def test_other_learners_progress_is_not_counted_as_mine(app, make, client, learner, login_as):
    make.course(slug="shared", lessons=3)
    enrol(client, "shared")
    other = app.test_client()
    login_as(make.user(), target=other)
    enrol(other, "shared")
    mark_done(other, "shared", "lesson-001")
    mark_done(other, "shared", "lesson-002")

    mine = card(read(client, "/learning"), "shared")
    assert say(app, "%(done)s of %(total)s required lessons done", done="0", total="3") in mine
    assert f'href="{lesson_url("shared", "lesson-001")}"' in mine
    assert player_outline(read(client, lesson_url("shared", "lesson-002"))) == {
        "Leçon 1": False, "Leçon 2": False, "Leçon 3": False}
    assert 'class="done"' not in read(client, "/courses/shared")
    assert 'class="done"' in read(other, "/courses/shared")


def test_progress_is_kept_on_the_server_across_sign_out_and_another_browser(app, make, client, learner, login_as):
    make.course(slug="kept", lessons=3)
    enrol(client, "kept")
    mark_done(client, "kept", "lesson-001")
    assert client.post_form("/logout").status_code == 302
    assert read(client, "/learning", status=302)

    other = app.test_client()
    login_as(learner, target=other)
    page = read(other, "/learning")

    assert say(app, "%(done)s of %(total)s required lessons done", done="1", total="3") in card(page, "kept")
    assert f'href="{lesson_url("kept", "lesson-002")}"' in card(page, "kept")
    assert player_outline(read(other, lesson_url("kept", "lesson-002"))) == {
        "Leçon 1": True, "Leçon 2": False, "Leçon 3": False}


def test_my_learning_requires_signing_in(client):
    response = client.get("/learning")
    assert response.status_code == 302 and response.location.startswith("/login")


# Lesson player -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "title", "direction"), [
    ("fr", "Leçon 2", "ltr"), ("ar", "الدرس 2", "rtl"), ("en", "Lesson 2", "ltr"),
])
def test_the_lesson_is_shown_in_the_readers_language(app, make, client, learner, locale, title, direction):
    make.course(slug="trilingual", lessons=3)
    enrol(client, "trilingual")
    client.post_form("/language", {"locale": locale})

    page = read(client, lesson_url("trilingual", "lesson-002"))

    attributes, body = article(page)
    assert (attributes["lang"], attributes["dir"]) == (locale, direction)
    assert f"<h1>{title}</h1>" in body
    assert "word word word" in body
    assert 'role="note"' not in page


@pytest.mark.parametrize(("languages", "locale", "shown", "direction", "title"), [
    (("fr", "en"), "ar", "fr", "ltr", "Leçon 1"),
    (("en",), "ar", "en", "ltr", "Lesson 1"),
    (("ar",), "fr", "ar", "rtl", "الدرس 1"),
    (("ar", "en"), "fr", "en", "ltr", "Lesson 1"),
])
def test_a_lesson_missing_in_the_readers_language_says_so_and_shows_another(
        app, make, client, learner, languages, locale, shown, direction, title):
    make.course(slug="partial", lessons=2, languages=languages)
    enrol(client, "partial")
    client.post_form("/language", {"locale": locale})

    page = read(client, lesson_url("partial", "lesson-001"))

    attributes, body = article(page)
    assert (attributes["lang"], attributes["dir"]) == (shown, direction)
    assert f"<h1>{title}</h1>" in body
    notices = re.findall(r'<p class="notice" role="note">(.*?)</p>', page, re.DOTALL)
    language_name = {"fr": "Français", "ar": "العربية", "en": "English"}[shown]
    assert [text_of(notice) for notice in notices] == [say(
        app, "This lesson is not yet available in your language. It is shown in %(language)s.", locale=locale,
        language=language_name)]


@pytest.mark.parametrize(("key", "previous", "following"), [
    ("lesson-001", None, "lesson-002"),
    ("lesson-002", "lesson-001", "lesson-003"),  # across the module boundary too
    ("lesson-003", "lesson-002", "lesson-004"),
    ("lesson-004", "lesson-003", None),
])
def test_the_lesson_links_to_the_previous_and_next_lessons(make, client, learner, key, previous, following):
    make.course(slug="linked", lessons=4, modules=2)
    enrol(client, "linked")

    page = read(client, lesson_url("linked", key))

    assert rel_link(page, "prev") == (lesson_url("linked", previous) if previous else None)
    assert rel_link(page, "next") == (lesson_url("linked", following) if following else None)


def test_marking_a_lesson_done_records_it_and_goes_to_the_next_lesson(app, make, client, learner):
    course = make.course(slug="steps", lessons=3)
    enrol(client, "steps")
    page = read(client, lesson_url("steps", "lesson-001"))
    assert f'<form method="post" action="{done_url("steps", "lesson-001")}">' in page

    response = mark_done(client, "steps", "lesson-001")

    assert response.status_code == 302 and response.location == lesson_url("steps", "lesson-002")
    assert progress_rows(app, learner, course) == 1
    assert enrollment(app, learner, course).completed_at is None
    page = read(client, lesson_url("steps", "lesson-002"))
    assert player_outline(page) == {"Leçon 1": True, "Leçon 2": False, "Leçon 3": False}
    assert '<progress id="course-progress" max="3" value="1">' in page
    finished = read(client, lesson_url("steps", "lesson-001"))
    assert f'action="{done_url("steps", "lesson-001")}"' not in finished
    assert 'class="done-note"' in finished


@pytest.mark.parametrize("method", ["get", "post"])
def test_mark_done_only_accepts_a_post_with_a_valid_token(app, make, client, learner, method):
    course = make.course(slug="tokens", lessons=2)
    enrol(client, "tokens")

    response = client.get(done_url("tokens", "lesson-001")) if method == "get" else \
        client.post(done_url("tokens", "lesson-001"), data={"csrf_token": "forged"})

    assert response.status_code in (400, 405)
    assert progress_rows(app, learner, course) == 0


def test_completing_the_last_required_lesson_records_the_date_once_and_congratulates(app, make, client, learner):
    course = make.course(slug="finish", lessons=2)
    enrol(client, "finish")
    mark_done(client, "finish", "lesson-001")
    assert enrollment(app, learner, course).completed_at is None

    response = mark_done(client, "finish", "lesson-002")

    assert response.status_code == 302 and response.location == "/certificates"
    completed_at = enrollment(app, learner, course).completed_at
    assert completed_at is not None
    congratulation = say(app, "Congratulations: you have completed this course. Your certificate is in “My certificates”.")
    assert congratulation in flashes(read(client, "/certificates"), "success")

    for key in ("lesson-002", "lesson-001"):
        assert mark_done(client, "finish", key).status_code == 302
        assert congratulation not in flashes(read(client, "/learning"), "success")
    assert enrollment(app, learner, course).completed_at == completed_at
    assert progress_rows(app, learner, course) == 2
    assert say(app, "%(done)s of %(total)s required lessons done", done="2", total="2") in card(
        read(client, "/learning"), "finish")


def test_optional_lessons_do_not_block_completion(app, make, client, learner):
    course = make.course(slug="optional", lessons=3)
    set_lesson(app, course, "lesson-002", is_required=False)
    enrol(client, "optional")

    mark_done(client, "optional", "lesson-001")
    assert enrollment(app, learner, course).completed_at is None
    mark_done(client, "optional", "lesson-003")

    assert enrollment(app, learner, course).completed_at is not None
    learning = card(read(client, "/learning"), "optional")
    assert say(app, "%(done)s of %(total)s required lessons done", done="2", total="2") in learning
    assert f'href="{lesson_url("optional", "lesson-002")}"' in learning  # still there to read


def test_retired_lessons_and_modules_do_not_block_completion(app, make, client, learner):
    course = make.course(slug="trimmed", lessons=4, modules=2)
    set_lesson(app, course, "lesson-002", is_retired=True)
    with app.app_context():
        db.session.execute(sa.update(Module).where(Module.course_id == course.id, Module.key == "module-2")
                           .values(is_retired=True))
        db.session.commit()
    enrol(client, "trimmed")

    assert player_outline(read(client, lesson_url("trimmed", "lesson-001"))) == {"Leçon 1": False}
    response = mark_done(client, "trimmed", "lesson-001")

    assert response.location == "/certificates"
    assert enrollment(app, learner, course).completed_at is not None
    assert say(app, "%(done)s of %(total)s required lessons done", done="1", total="1") in card(
        read(client, "/learning"), "trimmed")


# Access ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [EnrollmentMode.OPEN, EnrollmentMode.KEY, EnrollmentMode.STAFF])
def test_a_learner_not_enrolled_can_neither_read_nor_complete_lessons(app, make, client, learner, mode):
    course = make.course(slug="elsewhere")
    set_course(app, course, enrollment_mode=mode, enrollment_key="secret")

    assert client.get(lesson_url("elsewhere", "lesson-001")).status_code == 403
    assert mark_done(client, "elsewhere", "lesson-001").status_code == 403
    assert progress_rows(app, learner, course) == 0


def test_an_author_previewing_a_lesson_records_nothing(app, make, client, login_as):
    course = make.course(slug="preview")
    trainer = make.user(role=Role.TRAINER)
    login_as(trainer)

    page = read(client, lesson_url("preview", "lesson-001"))
    assert f'action="{done_url("preview", "lesson-001")}"' not in page

    assert mark_done(client, "preview", "lesson-001").status_code == 403
    assert progress_rows(app, trainer, course) == 0


def test_an_unpublished_course_is_closed_even_to_its_learners(app, make, client, learner):
    course = make.course(slug="withdrawn")
    enrol(client, "withdrawn")
    set_course(app, course, status=CourseStatus.DRAFT)

    assert client.get(lesson_url("withdrawn", "lesson-001")).status_code == 404
    assert mark_done(client, "withdrawn", "lesson-001").status_code == 404
    assert client.get("/courses/withdrawn").status_code == 404
    assert progress_rows(app, learner, course) == 0


@pytest.mark.parametrize("case", ["unknown key", "retired lesson", "retired module", "other course's lesson"])
def test_lessons_that_are_not_part_of_the_course_are_not_found(app, make, client, learner, case):
    course = make.course(slug="current", lessons=4, modules=2)
    make.course(slug="other", lessons=6)
    enrol(client, "current")
    key = {"unknown key": "lesson-999", "retired lesson": "lesson-002", "retired module": "lesson-003",
           "other course's lesson": "lesson-006"}[case]
    if case == "retired lesson":
        set_lesson(app, course, key, is_retired=True)
    if case == "retired module":
        with app.app_context():
            db.session.execute(sa.update(Module).where(Module.course_id == course.id, Module.key == "module-2")
                               .values(is_retired=True))
            db.session.commit()

    assert client.get(lesson_url("current", key)).status_code == 404
    assert mark_done(client, "current", key).status_code == 404
    assert progress_rows(app, learner, course) == 0


def test_guests_are_sent_to_sign_in_from_a_lesson(make, client):
    make.course(slug="open")
    response = client.get(lesson_url("open", "lesson-001"))
    assert response.status_code == 302 and response.location.startswith("/login")


# Speed and weight --------------------------------------------------------------------------------


def queries_for(count_queries, client, url: str) -> int:
    client.get(url)  # warm up: nothing cached may hide a query
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_the_lesson_page_runs_at_most_4_queries_whatever_the_course_size(make, client, learner, count_queries):
    figures = {}
    for size in (5, 200):
        make.course(slug=f"size-{size}", lessons=size, modules=max(1, size // 20), languages=("fr", "ar"))
        enrol(client, f"size-{size}")
        mark_done(client, f"size-{size}", "lesson-001")
        figures[size] = queries_for(count_queries, client, lesson_url(f"size-{size}", "lesson-003"))
    print(f"\nlesson page queries: {figures}")
    assert figures[5] == figures[200] <= 4


def test_the_course_page_runs_the_same_queries_whatever_the_course_size(app, make, client, learner, count_queries):
    figures = {}
    for size in (5, 200):
        make.course(slug=f"size-{size}", lessons=size, modules=max(1, size // 20), languages=("fr", "ar"))
        enrol(client, f"size-{size}")
        mark_done(client, f"size-{size}", "lesson-001")
        figures[size] = queries_for(count_queries, client, f"/courses/size-{size}")
    print(f"\ncourse page queries: {figures}")
    assert figures[5] == figures[200]


def test_my_learning_runs_the_same_queries_for_1_and_10_courses(app, make, client, learner, count_queries):
    courses = [make.course(slug=f"course-{number}", lessons=2, languages=("fr",)) for number in range(10)]
    figures = {}
    for enrolled in (1, 10):
        already = count(app, Enrollment, Enrollment.user_id == learner.id)
        enrol_directly(app, learner, *courses[already:enrolled])
        mark_done(client, f"course-{enrolled - 1}", "lesson-001")
        page_queries = queries_for(count_queries, client, "/learning")
        assert len(re.findall(r'<li class="card">', read(client, "/learning"))) == enrolled
        figures[enrolled] = page_queries
    print(f"\nmy learning queries: {figures}")
    assert figures[1] == figures[10]


def varied_text(words: int) -> str:
    """Pseudo-text that compresses about as badly as prose: paragraphs of mixed-length made-up words."""
    generator = random.Random(1000)
    letters = "abcdefghijklmnopqrstuvwxyzéèàçû"
    made_up = ["".join(generator.choice(letters) for _ in range(generator.randint(2, 10))) for _ in range(words)]
    return "\n\n".join(" ".join(made_up[start:start + 80]) for start in range(0, words, 80))


@pytest.mark.parametrize("text", ["repeated", "varied"])
def test_a_lesson_of_a_thousand_words_weighs_at_most_14_kb_gzipped(make, client, learner, text):
    options = {"words": 1000} if text == "repeated" else {"words": 0, "extra_markdown": varied_text(1000)}
    make.course(slug="heavy", lessons=12, modules=3, **options)
    enrol(client, "heavy")

    response = client.get(lesson_url("heavy", "lesson-006"))

    assert response.status_code == 200
    body = response.get_data()
    size = len(gzip.compress(body))
    print(f"\nlesson of 1,000 {text} words: {len(body):,} bytes, {size:,} bytes gzipped")
    assert size <= 14 * 1024


# Idempotence -------------------------------------------------------------------------------------


def test_marking_the_same_lesson_done_twice_records_it_once(app, make, client, learner):
    course = make.course(slug="again", lessons=3)
    enrol(client, "again")

    first, second = mark_done(client, "again", "lesson-002"), mark_done(client, "again", "lesson-002")

    assert first.status_code == second.status_code == 302
    assert progress_rows(app, learner, course) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Lesson.key).join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
                                 .where(LessonProgress.user_id == learner.id)) == "lesson-002"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_done_posts_record_one_progress_row_and_one_completion(app, make, login_as):
    assert sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
    course = make.course(slug="rush", lessons=1)
    learner = make.user()
    enrol_directly(app, learner, course)
    clients = [app.test_client() for _ in range(8)]
    for each in clients:
        login_as(learner, target=each)
    tokens = [each.csrf_token() for each in clients]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def post(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = clients[index].post(done_url("rush", "lesson-001"), data={"csrf_token": tokens[index]})
            with clients[index].session_transaction() as session:
                messages = [message for _category, message in session.get("_flashes", [])]
            results[index] = (response.status_code, messages)
        except Exception as error:  # noqa: BLE001 - reported below
            results[index] = error

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [result[0] if isinstance(result, tuple) else result for result in results] == [302] * len(clients)
    assert progress_rows(app, learner, course) == 1
    assert enrollments(app, learner, course) == 1
    assert enrollment(app, learner, course).completed_at is not None
    congratulation = say(app, "Congratulations: you have completed this course. Your certificate is in “My certificates”.")
    assert sum(congratulation in messages for _status, messages in results) == 1


# In a real browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_learner_enrols_reads_every_lesson_and_sees_the_course_completed(page, app, make):
    course = make.course(slug="browser-course", lessons=3, modules=2)
    make.course(slug="another-course")
    learner = make.user(email="salma@example.org")

    page.goto("/login")
    page.locator("#email").fill(learner.email)
    page.locator("#password").fill("a long enough passphrase")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/")

    page.goto("/courses")
    page.get_by_role("link", name="Leçon browser-course").click()
    page.wait_for_url("**/courses/browser-course")
    page.locator('form[action="/courses/browser-course/enroll"] button[type=submit]').click()
    page.wait_for_url("**/courses/browser-course")
    page.locator(f'a.button[href="{lesson_url("browser-course", "lesson-001")}"]').click()

    for number in (1, 2, 3):
        page.wait_for_url(f"**{lesson_url('browser-course', f'lesson-{number:03d}')}")
        assert page.get_by_role("heading", level=1).inner_text() == f"Leçon {number}"
        assert page.locator("article.lesson").get_attribute("lang") == "fr"
        page.locator(f'form[action="{done_url("browser-course", f"lesson-{number:03d}")}"] button').click()

    page.wait_for_url("**/certificates")
    assert say(app, "Congratulations: you have completed this course. Your certificate is in “My certificates”.") \
        in page.locator(".flashes").inner_text()

    page.goto("/learning")
    progress = page.locator(f"#progress-{course.id}")
    assert progress.get_attribute("value") == "100"
    assert page.locator('a.button[href*="/courses/browser-course/lessons/"]').count() == 0
    assert enrollment(app, learner, course).completed_at is not None
