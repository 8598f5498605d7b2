"""A learner takes the pre-test, the lessons, the graded quiz and the post-test in a real browser."""

import re

import pytest
from sqlalchemy import select

from courses.content_files import CONTENT_ROOT, import_courses
from courses.models import Enrollment
from lms.extensions import db
from quizzes.banks import BANKS_ROOT, import_banks
from quizzes.models import Question
from support import scalar

pytestmark = pytest.mark.browser
SLUG = "ethical-recruitment"


@pytest.fixture
def shipped(app):
    with app.app_context():
        import_courses(CONTENT_ROOT / SLUG)
        import_banks(BANKS_ROOT / f"{SLUG}.yaml")
        db.session.commit()


def correct_answer(app, question_id: int):
    with app.app_context():
        question = db.session.get(Question, question_id)
        return question.type, question.config, question.texts


def answer_rightly(page, app):
    """Answer the question on the page correctly, looking the key up on the server side."""
    field = page.locator("form.question [name^=q]").first.get_attribute("name")
    question_id = int(re.match(r"q(\d+)", field).group(1))
    qtype, config, texts = correct_answer(app, question_id)
    name = f"q{question_id}"
    language = page.locator("html").get_attribute("lang")
    if qtype in ("single", "multiple"):
        for option in config["options"]:
            if option["correct"]:
                page.get_by_label(texts[language]["options"][option["id"]], exact=True).check()
    elif qtype == "true_false":
        page.locator(f"#{name}-{'true' if config['answer'] else 'false'}").check()
    elif qtype == "short_answer":
        page.locator(f"#{name}").fill(next(a for answers in config["answers"].values() for a in answers))
    elif qtype == "numerical":
        page.locator(f"#{name}").fill(str(config["answer"]).replace(".", ","))
    elif qtype == "matching":
        matches = texts[language]["matches"]
        for index in range(config["pairs"]):
            page.locator(f"#{name}-{index}").select_option(label=matches[index])


def take_quiz(page, app, key: str, rightly: bool) -> str:
    page.goto(f"/courses/{SLUG}/quizzes/{key}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    while "/finish" not in page.url:
        if rightly:
            answer_rightly(page, app)
        with page.expect_navigation():
            page.locator("form.question button[type=submit]").last.click()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/result")
    return page.locator(".score").inner_text()


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_learner_goes_from_pre_test_to_post_test(page, app, shipped, make, language):
    learner = make.user(email=f"{language}@example.org", locale=language)
    page.goto("/login")
    page.locator("#email").fill(learner.email)
    page.locator("#password").fill("a long enough passphrase")
    page.locator("main form button[type=submit]").click()
    page.goto(f"/courses/{SLUG}")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator("main form button[type=submit]").click()

    take_quiz(page, app, "pre-test", rightly=False)

    page.goto(f"/courses/{SLUG}")
    page.locator("main a.button").first.click()
    while page.locator(".lesson-actions form button").count():
        with page.expect_navigation():
            page.locator(".lesson-actions form button").click()
        if "/lessons/" not in page.url:
            break

    score = take_quiz(page, app, "final-quiz", rightly=True)
    assert "100" in score or "١٠٠" in score
    take_quiz(page, app, "post-test", rightly=True)

    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.completed_at is not None
    assert enrollment.post_test_score == 100
    assert enrollment.knowledge_gain == 100 - enrollment.pre_test_score
    assert scalar(app, select(Enrollment.knowledge_gain)) is not None
